import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, EntitiesTable, FilesTable } from '../db/tables.ts';

/** A files row. `type` 0 = file, 1 = folder. */
export type FileRow = Selectable<FilesTable>;
/** An entities row (a stored blob: version, thumbnail, live photo). */
export type EntityRow = Selectable<EntitiesTable>;

/** A Kysely handle that may or may not be inside a transaction. */
export type Tx = Kysely<Database> | Transaction<Database>;

export const FileType = { File: 0, Folder: 1 } as const;
export type FileTypeValue = (typeof FileType)[keyof typeof FileType];

export const EntityType = { Version: 0, Thumbnail: 1, LivePhoto: 2 } as const;
export type EntityTypeValue = (typeof EntityType)[keyof typeof EntityType];

/** The file systems a `cloudreve://` URI can address (contract 20 §1.4). */
export type FsName = 'my' | 'trash' | 'shared_with_me' | 'share';

/** System metadata keys the core maintains (contract 20 §1.7). */
export const MetaKey = {
  RestoreUri: 'sys:restore_uri',
  ExpectedCollectTime: 'sys:expected_collect_time',
  UploadSessionId: 'sys:upload_session_id',
  SharedRedirect: 'sys:shared_redirect',
  SharedOwner: 'sys:shared_owner',
  ThumbDisabled: 'thumb:disabled',
} as const;

/** ExplorerView (contract 20 §2.6), stored in a folder's props or the user's fs_view_map. */
export interface ExplorerView {
  page_size?: number;
  order?: string;
  order_direction?: string;
  view?: string;
  thumbnail?: boolean;
  gallery_width?: number;
  columns?: { type: number; width?: number; props?: Record<string, unknown> }[];
}

/** What the core stores in `files.props` (JSON). */
export interface FileProps {
  view?: ExplorerView;
  [k: string]: unknown;
}
