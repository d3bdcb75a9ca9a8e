import type { Generated } from 'kysely';

/**
 * Row types of every table. Times are epoch milliseconds (BIGINT) on every dialect, booleans are
 * 0/1 integers and JSON documents are TEXT, so one schema behaves identically on SQLite,
 * PostgreSQL and MySQL/MariaDB.
 */
export interface SettingsTable { id: Generated<number>; name: string; value: string }

export interface GroupsTable {
  id: Generated<number>;
  name: string;
  max_storage: number;
  speed_limit: number;
  /** Boolset, standard base64 (contract 00 §7). */
  permissions: string;
  /** JSON GroupSettings. */
  settings: string;
  storage_policy_id: number;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  email: string;
  nick: string;
  password: string;
  status: 'active' | 'inactive' | 'manual_banned' | 'sys_banned';
  storage: number;
  group_id: number;
  two_factor_secret: string | null;
  avatar: string;
  /** JSON UserSettings (language, preferences, pins, view settings …). */
  settings: string;
  credit: number;
  created_at: number;
  updated_at: number;
}

export interface PasskeysTable {
  id: Generated<number>;
  user_id: number;
  credential_id: string;
  name: string;
  credential: string;
  used_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface OauthLinksTable {
  id: Generated<number>;
  user_id: number;
  provider: number;
  subject: string;
  created_at: number;
}

export interface DavAccountsTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  uri: string;
  password: string;
  options: string;
  props: string;
  created_at: number;
  updated_at: number;
}

export interface StoragePoliciesTable {
  id: Generated<number>;
  name: string;
  type: string;
  server: string;
  bucket_name: string;
  is_private: number;
  access_key: string;
  secret_key: string;
  max_size: number;
  dir_name_rule: string;
  file_name_rule: string;
  /** JSON PolicySettings (chunk size, allowed/denied suffix, …). */
  settings: string;
  node_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface NodesTable {
  id: Generated<number>;
  name: string;
  status: 'active' | 'suspended';
  type: 'master' | 'slave';
  server: string;
  slave_key: string;
  capabilities: string;
  settings: string;
  weight: number;
  created_at: number;
  updated_at: number;
}

export interface FilesTable {
  id: Generated<number>;
  /** 0 = file, 1 = folder. */
  type: number;
  name: string;
  owner_id: number;
  /** NULL for a user's root folders. */
  parent_id: number | null;
  size: number;
  primary_entity: number | null;
  storage_policy_id: number | null;
  props: string | null;
  created_at: number;
  updated_at: number;
  /** Owner id on a user's root folder only (unique), NULL elsewhere (migration 002). */
  root_owner_id: number | null;
}

export interface EntitiesTable {
  id: Generated<number>;
  /** 0 version, 1 thumbnail, 2 live photo (contract 20). */
  type: number;
  source: string;
  size: number;
  reference_count: number;
  storage_policy_id: number;
  created_by: number | null;
  upload_session_id: string | null;
  recycle_options: string | null;
  props: string | null;
  created_at: number;
  updated_at: number;
}

export interface FileEntitiesTable { file_id: number; entity_id: number }

export interface MetadataTable {
  id: Generated<number>;
  file_id: number;
  name: string;
  value: string;
  is_public: number;
  created_at: number;
  updated_at: number;
}

export interface SharesTable {
  id: Generated<number>;
  password: string;
  views: number;
  downloads: number;
  remain_downloads: number | null;
  expires: number | null;
  file_id: number;
  owner_id: number;
  props: string | null;
  created_at: number;
  updated_at: number;
}

export interface DirectLinksTable {
  id: Generated<number>;
  name: string;
  downloads: number;
  file_id: number;
  speed: number;
  created_at: number;
  updated_at: number;
}

export interface TasksTable {
  id: Generated<number>;
  type: string;
  status: string;
  public_state: string;
  private_state: string;
  correlation_id: string | null;
  owner_id: number | null;
  node_id: number | null;
  attempts: number;
  lease_until: number | null;
  run_after: number | null;
  created_at: number;
  updated_at: number;
}

export interface UploadSessionsTable {
  id: string;
  owner_id: number;
  file_id: number | null;
  entity_id: number | null;
  uri: string;
  name: string;
  size: number;
  chunk_size: number;
  storage_policy_id: number;
  /** Bytes reserved against the owner's quota until commit or expiry. */
  reserved: number;
  /** JSON with driver-specific state (temp path, multipart id, uploaded chunks …). */
  state: string;
  expires_at: number;
  created_at: number;
  /** Epoch ms when a request or the recovery sweep claimed the commit; NULL while uploading (migration 003). */
  committing_at: number | null;
}

/** Chunks of an upload session that arrived complete (migration 003). */
export interface UploadChunksTable {
  session_id: string;
  idx: number;
  size: number;
  /** Random id of the write that stored this chunk last (lets a commit tell who wrote what). */
  write_id: string;
  created_at: number;
}

export interface PaymentsTable {
  id: Generated<number>;
  trade_no: string;
  provider: string;
  status: string;
  user_id: number;
  amount: number;
  currency: string;
  product: string;
  created_at: number;
  updated_at: number;
}

export interface CreditChangesTable {
  id: Generated<number>;
  user_id: number;
  diff: number;
  reason: string;
  created_at: number;
}

export interface GiftCodesTable {
  id: Generated<number>;
  code: string;
  product: string;
  used_by: number | null;
  used_at: number | null;
  created_at: number;
}

/** Admin actions on users, groups, policies, nodes, files and settings (migration 020). */
export interface AdminAuditLogsTable {
  id: Generated<number>;
  actor_id: number;
  /** Dotted verb, e.g. `user.update`, `settings.update`. */
  action: string;
  /** `<kind>:<id>` or `<kind>` (e.g. `user:5`, `settings`). */
  target: string;
  /** JSON object with what changed (never secrets). */
  detail: string;
  ip: string;
  created_at: number;
}

export interface Database {
  settings: SettingsTable;
  groups: GroupsTable;
  users: UsersTable;
  passkeys: PasskeysTable;
  oauth_links: OauthLinksTable;
  dav_accounts: DavAccountsTable;
  storage_policies: StoragePoliciesTable;
  nodes: NodesTable;
  files: FilesTable;
  entities: EntitiesTable;
  file_entities: FileEntitiesTable;
  metadata: MetadataTable;
  shares: SharesTable;
  direct_links: DirectLinksTable;
  tasks: TasksTable;
  upload_sessions: UploadSessionsTable;
  upload_chunks: UploadChunksTable;
  payments: PaymentsTable;
  credit_changes: CreditChangesTable;
  gift_codes: GiftCodesTable;
  admin_audit_logs: AdminAuditLogsTable;
}
