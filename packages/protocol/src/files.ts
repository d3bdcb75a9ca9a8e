/**
 * Wire shapes of the file, upload and download endpoints (contract 20 §2 and 30), as clients see
 * them. Types only: the server validates requests with its own TypeBox schemas.
 */

/** 0 file, 1 folder. */
export type FileType = 0 | 1;
export const FileKind = { File: 0, Folder: 1 } as const;

/** FileResponse (contract 20 §2.1). */
export interface FileResponse {
  type: FileType;
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  size: number;
  metadata: Record<string, string> | null;
  path?: string;
  shared?: boolean;
  capability?: string;
  owned?: boolean;
  primary_entity?: string;
}

/** StoragePolicy summary (contract 20 §2.4). */
export interface StoragePolicySummary {
  id: string;
  name: string;
  type: string;
  max_size: number;
  allowed_suffix?: string[];
  denied_suffix?: string[];
  allowed_name_regexp?: string;
  denied_name_regexp?: string;
  relay?: boolean;
  chunk_concurrency?: number;
  encryption?: boolean;
}

/** PaginationResults (contract 20 §2.8). */
export interface PaginationResults {
  page: number;
  page_size: number;
  total_items?: number;
  next_token?: string;
  is_cursor?: boolean;
}

/** NavigatorProps (contract 20 §2.7). */
export interface NavigatorProps {
  capability: string;
  max_page_size: number;
  order_by_options: string[] | null;
  order_direction_options: string[] | null;
}

/** ListResponse, the `data` of GET /file (contract 20 §2.9). */
export interface ListResponse {
  files: FileResponse[];
  parent: FileResponse;
  pagination: PaginationResults;
  props: NavigatorProps;
  context_hint?: string | null;
  recursion_limit_reached?: boolean;
  mixed_type: boolean;
  single_file_view?: boolean;
  storage_policy?: StoragePolicySummary;
}

/** Query of GET /file. */
export interface ListRequest {
  uri: string;
  page_size?: number;
  order_by?: 'name' | 'size' | 'updated_at' | 'created_at';
  order_direction?: 'asc' | 'desc';
  next_page_token?: string;
}

/** Body of PUT /file/upload (contract 30 §1.2). */
export interface UploadSessionRequest {
  uri: string;
  size: number;
  policy_id?: string;
  last_modified?: number;
  mime_type?: string;
  metadata?: Record<string, string>;
  entity_type?: '' | 'version' | 'live_photo';
}

/** UploadSessionResponse (contract 30 §1.2). */
export interface UploadSessionResponse {
  session_id: string;
  upload_id?: string;
  chunk_size: number;
  expires: number;
  upload_urls?: string[];
  credential?: string;
  completeURL?: string;
  storage_policy?: StoragePolicySummary;
  uri: string;
  callback_secret: string;
  mime_type?: string;
}

/** Body and answer of POST /file/url (contract 30 §2.1). */
export interface FileUrlRequest {
  uris: string[];
  download?: boolean;
  redirect?: boolean;
  entity?: string;
  skip_error?: boolean;
  archive?: boolean;
  no_cache?: boolean;
}
export interface FileUrlResponse {
  urls: { url: string; stream_saver_display_name?: string }[];
  expires: string | null;
}
