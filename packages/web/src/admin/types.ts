/**
 * Wire shapes of the admin API (contract 60 §4–§5). Admin objects are database rows: snake_case,
 * zero/empty fields omitted, `edges` always present. Timestamps are RFC 3339 strings.
 */

export interface AdminListRequest {
  page: number;
  page_size: number;
  order_by?: string;
  order_direction?: 'asc' | 'desc';
  conditions?: Record<string, string>;
  searches?: Record<string, string>;
}

export interface AdminPagination {
  /** Zero-based page of this answer (the request's page − 1). */
  page: number;
  page_size: number;
  total_items?: number;
}

/** What every list call returns once unwrapped: the rows and the total when the server knows it. */
export interface AdminPage<T> {
  items: T[];
  total?: number;
}

interface Row {
  id: number;
  created_at?: string;
  updated_at?: string;
  deleted_at?: string;
}

export interface GroupSettings {
  compress_size?: number;
  decompress_size?: number;
  remote_download_options?: Record<string, unknown>;
  source_batch?: number;
  aria2_batch?: number;
  max_walked_files?: number;
  trash_retention?: number;
  redirected_source?: boolean;
}

export interface AdminGroup extends Row {
  name: string;
  max_storage?: number;
  speed_limit?: number;
  permissions?: string;
  settings?: GroupSettings;
  storage_policy_id?: number;
  edges: { storage_policies?: Partial<AdminStoragePolicy> & { id: number } };
  total_users?: number;
}

export interface AdminUser extends Row {
  email?: string;
  nick?: string;
  status?: UserStatus;
  storage?: number;
  avatar?: string;
  settings?: Record<string, unknown>;
  group_users?: number;
  edges: { group?: AdminGroup; passkey?: { id: number; name: string; created_at?: string; used_at?: string }[] };
  hash_id?: string;
  two_fa_enabled?: boolean;
  capacity?: { total: number; used: number };
}

export type UserStatus = 'active' | 'inactive' | 'manual_banned' | 'sys_banned';
export const USER_STATUSES: readonly UserStatus[] = ['active', 'inactive', 'manual_banned', 'sys_banned'];

export type PolicyType = 'local' | 'remote' | 'oss' | 'qiniu' | 'onedrive' | 'cos' | 'upyun' | 's3' | 'ks3' | 'obs' | 'load_balance';
export const POLICY_TYPES: readonly PolicyType[] = ['local', 'remote', 's3', 'oss', 'cos', 'obs', 'ks3', 'qiniu', 'upyun', 'onedrive'];

export interface PolicySettings {
  token?: string | null;
  file_type?: string[] | null;
  is_file_type_deny_list?: boolean;
  file_regexp?: string;
  is_name_regexp_deny_list?: boolean;
  od_redirect?: string;
  custom_proxy?: boolean;
  proxy_server?: string;
  internal_proxy?: boolean;
  od_driver?: string;
  region?: string;
  server_side_endpoint?: string;
  chunk_size?: number;
  chunk_concurrency?: number;
  tps_limit?: number;
  tps_limit_burst?: number;
  s3_path_style?: boolean;
  thumb_exts?: string[];
  thumb_support_all_exts?: boolean;
  thumb_max_size?: number;
  relay?: boolean;
  pre_allocate?: boolean;
  media_meta_exts?: string[];
  media_meta_generator_proxy?: boolean;
  thumb_generator_proxy?: boolean;
  native_media_processing?: boolean;
  s3_delete_batch_size?: number;
  stream_saver?: boolean;
  use_cname?: boolean;
  source_auth?: boolean;
  encryption?: boolean;
  [key: string]: unknown;
}

export interface AdminStoragePolicy extends Row {
  name: string;
  type: PolicyType;
  server?: string;
  bucket_name?: string;
  is_private?: boolean;
  access_key?: string;
  secret_key?: string;
  max_size?: number;
  dir_name_rule?: string;
  file_name_rule?: string;
  settings?: PolicySettings;
  node_id?: number;
  edges: { groups?: AdminGroup[]; node?: AdminNode };
  entities_count?: number;
  entities_size?: number;
}

export interface NodeSettings {
  provider?: 'aria2' | 'qbittorrent' | '';
  aria2?: { server?: string; token?: string; options?: Record<string, unknown>; temp_path?: string };
  qbittorrent?: { server?: string; user?: string; password?: string; options?: Record<string, unknown>; temp_path?: string };
  interval?: number;
  wait_for_seeding?: boolean;
  url_validation?: { disabled?: boolean; allowed_hosts?: string[]; allowed_cidrs?: string[] };
}

export interface AdminNode extends Row {
  status?: 'active' | 'suspended';
  name: string;
  type?: 'master' | 'slave';
  server?: string;
  slave_key?: string;
  capabilities?: string;
  weight?: number;
  settings?: NodeSettings;
  edges: { storage_policy?: AdminStoragePolicy[] };
}

export interface AdminEntity extends Row {
  type?: number;
  source?: string;
  size?: number;
  reference_count?: number;
  storage_policy_entities?: number;
  created_by?: number;
  upload_session_id?: string;
  props?: Record<string, unknown>;
  edges: { file?: AdminFile[]; user?: AdminUser; storage_policy?: AdminStoragePolicy };
  user_hash_id?: string;
}

export interface AdminShare extends Row {
  password?: string;
  views?: number;
  downloads?: number;
  expires?: string;
  remain_downloads?: number;
  props?: Record<string, unknown>;
  edges: { user?: AdminUser; file?: AdminFile };
  user_hash_id?: string;
  share_link?: string;
}

export interface AdminFile extends Row {
  type?: number;
  name: string;
  owner_id?: number;
  size?: number;
  primary_entity?: number;
  /** The parent folder id, despite the name. */
  file_children?: number;
  is_symbolic?: boolean;
  props?: Record<string, unknown>;
  storage_policy_files?: number;
  edges: {
    owner?: AdminUser;
    storage_policies?: AdminStoragePolicy;
    metadata?: { id: number; name: string; value: string; file_id?: number; is_public?: boolean }[];
    entities?: AdminEntity[];
    shares?: AdminShare[];
    direct_links?: { id: number; name: string; downloads?: number; speed?: number; created_at?: string }[];
  };
  user_hash_id?: string;
  file_hash_id?: string;
  direct_link_map?: Record<string, string>;
}

export interface AdminTask extends Row {
  type?: string;
  status?: string;
  public_state?: {
    error?: string;
    error_history?: string[];
    executed_duration?: number;
    retry_count?: number;
    resume_time?: number;
    slave_task_props?: Record<string, unknown>;
  };
  private_state?: string;
  correlation_id?: string;
  user_tasks?: number;
  edges: { user?: AdminUser };
  user_hash_id?: string;
  task_hash_id?: string;
  summary?: { phase?: string; props?: Record<string, unknown> };
  node?: AdminNode;
}

export const TASK_STATUSES = ['queued', 'processing', 'suspending', 'error', 'canceled', 'completed'] as const;
export const TASK_TYPES = ['create_archive', 'extract_archive', 'relocate', 'remote_download', 'media_meta', 'entity_recycle_routine', 'explicit_entity_recycle', 'upload_sentinel_check', 'import'] as const;

export interface MetricsSummary {
  dates: string[];
  files: number[];
  users: number[];
  shares: number[];
  file_total: number;
  user_total: number;
  share_total: number;
  entities_total: number;
  generated_at: string;
}

export interface HomepageSummary {
  metrics_summary: MetricsSummary | null;
  site_urls: string[];
  version: { version: string; pro: boolean; commit: string };
}

export interface QueueMetric {
  name: string;
  busy_workers: number;
  success_tasks: number;
  failure_tasks: number;
  submitted_tasks: number;
  suspending_tasks: number;
}

/** One audit-log record (`POST /admin/audit`, our design; see docs/api.md). */
export interface AuditEntry {
  id: number;
  created_at?: string;
  actor_id?: number;
  /** Dotted verb, e.g. `user.update`. */
  action?: string;
  /** `<kind>:<id>` or `<kind>`, e.g. `user:5`, `settings`. */
  target?: string;
  detail?: Record<string, unknown>;
  ip?: string;
  user_hash_id?: string;
  edges: { user?: { id: number; email?: string; nick?: string } };
}

export interface MailTestSettings {
  smtpHost: string;
  smtpPort: string;
  smtpUser: string;
  smtpPass: string;
  smtpEncryption: string;
  fromAdress: string;
  replyTo: string;
  fromName: string;
}
