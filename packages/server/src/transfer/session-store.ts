import type { Selectable } from 'kysely';
import type { UploadSessionsTable } from '../db/tables.ts';
import type { Tx } from '../fs/types.ts';
import type { UploadHandle } from '../storage/driver.ts';
import { parseJson } from '../util/json.ts';

/**
 * Upload sessions live in the `upload_sessions` table (not only in the KV), so an upload survives
 * a restart without Redis and any instance can continue it. `state` holds what the table has no
 * column for.
 */

export type SessionRow = Selectable<UploadSessionsTable>;

export interface SessionState {
  /** The driver's upload handle (plain JSON). */
  handle: UploadHandle;
  /** 0 version, 2 live photo. */
  entityType: number;
  /** The session created the target file row (cancel deletes the row, not only the entity). */
  createdFile: boolean;
  /** Unix ms to stamp on the version (`last_modified` of the request). */
  lastModified?: number;
  mimeType?: string;
  /** Metadata to upsert on completion. */
  metadata?: Record<string, string>;
  callbackSecret: string;
  /** Lock token and owner-view lock path held on the target for the session's lifetime. */
  lockToken?: string;
  lockPath?: string[];
}

export interface UploadSession {
  row: SessionRow;
  state: SessionState;
}

export function toSession(row: SessionRow): UploadSession {
  const state = parseJson<SessionState>(row.state, {} as SessionState);
  return {
    row: {
      ...row,
      owner_id: Number(row.owner_id), file_id: row.file_id === null ? null : Number(row.file_id),
      entity_id: row.entity_id === null ? null : Number(row.entity_id), size: Number(row.size),
      chunk_size: Number(row.chunk_size), storage_policy_id: Number(row.storage_policy_id),
      reserved: Number(row.reserved), expires_at: Number(row.expires_at), created_at: Number(row.created_at),
      committing_at: row.committing_at === null ? null : Number(row.committing_at),
    },
    state,
  };
}

export async function loadSession(tx: Tx, id: string): Promise<UploadSession | undefined> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return undefined;
  const row = await tx.selectFrom('upload_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toSession(row) : undefined;
}

/** Number of chunks a session has: ceil(size / chunk_size), at least 1. */
export function chunkCount(s: { size: number; chunk_size: number }): number {
  if (s.chunk_size <= 0 || s.size === 0) return 1;
  return Math.ceil(s.size / s.chunk_size);
}

/** Byte length of chunk `index` (the last one may be shorter). */
export function chunkLength(s: { size: number; chunk_size: number }, index: number): number {
  if (s.chunk_size <= 0) return s.size;
  return Math.min(s.chunk_size, s.size - index * s.chunk_size);
}

/** Deletes a session row and its chunk records. */
export async function dropSession(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('upload_chunks').where('session_id', '=', id).execute();
  await tx.deleteFrom('upload_sessions').where('id', '=', id).execute();
}
