import { sql } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { Db } from '../db/connect.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError } from '../http/errors.ts';
import { isUniqueViolation } from './db-errors.ts';
import { FileType, type FileRow, type Tx } from './types.ts';
import type { FileUri } from './uri.ts';

/**
 * Row-level access to the `files` tree. No permission logic here: callers (the core operations)
 * decide who may do what. Every list-shaped read is one query (or one per tree level / batch).
 */

export const objectExists = (msg = 'Object existed') => new AppError(Code.ObjectExist, msg);
export const pathNotExist = (msg = 'Path not exist') => new AppError(Code.ParentNotExist, msg);
export const walkLimit = () => new AppError(Code.FileCountLimitedReached, 'Walked file count limit reached');

const BATCH = 500;

export function chunks<T>(list: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export async function getById(tx: Tx, id: number): Promise<FileRow | undefined> {
  return tx.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getMany(tx: Tx, ids: number[]): Promise<Map<number, FileRow>> {
  const out = new Map<number, FileRow>();
  for (const part of chunks([...new Set(ids)])) {
    if (!part.length) continue;
    for (const r of await tx.selectFrom('files').selectAll().where('id', 'in', part).execute()) out.set(r.id, r);
  }
  return out;
}

export async function childByName(tx: Tx, parentId: number, name: string): Promise<FileRow | undefined> {
  return tx.selectFrom('files').selectAll().where('parent_id', '=', parentId).where('name', '=', name).executeTakeFirst();
}

/** The user's root folder of `my`, created on first access (race-free through its unique index). */
export async function ensureRoot(db: Db, tx: Tx, ownerId: number, now: number, policyId: number | null): Promise<FileRow> {
  const find = () => tx.selectFrom('files').selectAll().where('root_owner_id', '=', ownerId).executeTakeFirst();
  const existing = await find();
  if (existing) return existing;
  try {
    await insertReturningId(db, 'files', {
      type: FileType.Folder, name: '', owner_id: ownerId, parent_id: null, size: 0, primary_entity: null,
      storage_policy_id: policyId, props: null, created_at: now, updated_at: now, root_owner_id: ownerId,
    }, tx);
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
  const row = await find();
  if (!row) throw new AppError(Code.CreateFSError, 'Cannot create root folder');
  return row;
}

export const isRoot = (f: FileRow) => f.root_owner_id !== null;
/** A top-level trash item: detached, not a root. */
export const isTrashTop = (f: FileRow) => f.parent_id === null && f.root_owner_id === null;

/** Walks `names` below `start`; returns the deepest existing object and the names not found. */
export async function walkPath(tx: Tx, start: FileRow, names: string[]): Promise<{ chain: FileRow[]; missing: string[] }> {
  const chain: FileRow[] = [start];
  let cur = start;
  for (let i = 0; i < names.length; i++) {
    if (cur.type !== FileType.Folder) return { chain, missing: names.slice(i) };
    const next = await childByName(tx, cur.id, names[i]!);
    if (!next) return { chain, missing: names.slice(i) };
    chain.push(next);
    cur = next;
  }
  return { chain, missing: [] };
}

/** Ancestor chain of a file, top-most first, ending with the file itself (one recursive query). */
export async function ancestors(tx: Tx, id: number): Promise<FileRow[]> {
  const rows = await sql<FileRow & { depth: number }>`
    with recursive anc as (
      select f.*, 0 as depth from ${sql.table('files')} f where f.id = ${id}
      union all
      select p.*, anc.depth + 1 from ${sql.table('files')} p inner join anc on p.id = anc.parent_id where anc.depth < 4096
    ) select * from anc`.execute(tx);
  return rows.rows
    .map((r) => normalizeRow(r))
    .sort((a, b) => Number((b as FileRow & { depth: number }).depth) - Number((a as FileRow & { depth: number }).depth));
}

/** Drivers return BIGINT columns of raw queries as strings on some dialects; make them numbers. */
function normalizeRow<T extends FileRow>(r: T): T {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...r,
    id: Number(r.id), type: Number(r.type), owner_id: Number(r.owner_id), parent_id: num(r.parent_id) as number | null,
    size: Number(r.size), primary_entity: num(r.primary_entity) as number | null,
    storage_policy_id: num(r.storage_policy_id) as number | null, created_at: Number(r.created_at),
    updated_at: Number(r.updated_at), root_owner_id: num(r.root_owner_id) as number | null,
  };
}

/** Where a file lives: in its owner's tree (`my`) or in the trash, with its path below that. */
export interface Location {
  fs: 'my' | 'trash';
  /** Names below the root (my) or starting with the stored trash name (trash). */
  names: string[];
  chain: FileRow[];
}

export async function locate(tx: Tx, id: number): Promise<Location | undefined> {
  const chain = await ancestors(tx, id);
  const top = chain[0];
  if (!top || chain[chain.length - 1]?.id !== id) return undefined;
  if (isRoot(top)) return { fs: 'my', names: chain.slice(1).map((f) => f.name), chain };
  return { fs: 'trash', names: chain.map((f) => f.name), chain };
}

export interface NewFile {
  type: number;
  name: string;
  ownerId: number;
  parentId: number | null;
  policyId: number | null;
  size?: number;
  primaryEntity?: number | null;
  props?: string | null;
  now: number;
  createdAt?: number;
}

/** Inserts a file row; a same-name sibling → 40004 (decided by the unique index, so races are safe). */
export async function insertFile(db: Db, tx: Tx, f: NewFile): Promise<FileRow> {
  let id: number;
  try {
    id = await insertReturningId(db, 'files', {
      type: f.type, name: f.name, owner_id: f.ownerId, parent_id: f.parentId, size: f.size ?? 0,
      primary_entity: f.primaryEntity ?? null, storage_policy_id: f.policyId, props: f.props ?? null,
      created_at: f.createdAt ?? f.now, updated_at: f.now, root_owner_id: null,
    }, tx);
  } catch (e) {
    if (isUniqueViolation(e)) throw objectExists();
    throw e;
  }
  return (await getById(tx, id))!;
}

/**
 * Re-parents and/or renames a row; a same-name sibling → 40004. With `from`, the row must still
 * sit at that parent/name (else 409 "Object conflict"), so a stale read never moves a row twice.
 */
export async function moveRow(tx: Tx, id: number, parentId: number | null, name: string, now: number, from?: { parentId: number | null; name: string }): Promise<void> {
  let n: number;
  try {
    let q = tx.updateTable('files').set({ parent_id: parentId, name, updated_at: now }).where('id', '=', id);
    if (from) q = q.where('parent_id', from.parentId === null ? 'is' : '=', from.parentId).where('name', '=', from.name);
    n = Number((await q.executeTakeFirst()).numUpdatedRows);
  } catch (e) {
    if (isUniqueViolation(e)) throw objectExists();
    throw e;
  }
  if (from && n === 0) throw new AppError(Code.Conflict, 'Object conflict');
}

/**
 * Breadth-first walk of the subtrees under `roots` (roots included), one query per level and
 * batch. More than `limit` rows → 40079 (unless `partial`, which then stops and reports it).
 */
export async function walkSubtree(
  tx: Tx,
  roots: FileRow[],
  limit: number,
  opts: { partial?: boolean } = {},
): Promise<{ rows: FileRow[]; completed: boolean }> {
  const rows: FileRow[] = [...roots];
  let frontier = roots.filter((r) => r.type === FileType.Folder).map((r) => r.id);
  if (limit > 0 && rows.length > limit) {
    if (!opts.partial) throw walkLimit();
    return { rows: rows.slice(0, limit), completed: false };
  }
  while (frontier.length) {
    const next: number[] = [];
    for (const part of chunks(frontier)) {
      const kids = await tx.selectFrom('files').selectAll().where('parent_id', 'in', part).execute();
      for (const k of kids) {
        if (limit > 0 && rows.length >= limit) {
          if (!opts.partial) throw walkLimit();
          return { rows, completed: false };
        }
        rows.push(k);
        if (k.type === FileType.Folder) next.push(k.id);
      }
    }
    frontier = next;
  }
  return { rows, completed: true };
}

/** True when `maybeDescendant` is `ancestorId` itself or lies below it. */
export async function isSelfOrDescendant(tx: Tx, ancestorId: number, maybeDescendant: number): Promise<boolean> {
  const chain = await ancestors(tx, maybeDescendant);
  return chain.some((f) => f.id === ancestorId);
}

/**
 * A folder and its sub-folders with their URIs, breadth-first, at most `limit` in all (one query
 * per level and chunk): the scope of a recursive search.
 */
export async function subfolderUris(
  tx: Tx, start: { id: number; uri: FileUri }, limit: number,
): Promise<{ folders: { id: number; uri: FileUri }[]; limitReached: boolean }> {
  const folders = [start];
  let frontier = folders.slice();
  let limitReached = false;
  while (frontier.length && !limitReached) {
    const next: typeof folders = [];
    for (const part of chunks(frontier)) {
      const byId = new Map(part.map((f) => [f.id, f.uri]));
      const kids = await tx.selectFrom('files').select(['id', 'name', 'parent_id'])
        .where('parent_id', 'in', [...byId.keys()]).where('type', '=', FileType.Folder).orderBy('id').execute();
      for (const k of kids) {
        if (folders.length >= limit) {
          limitReached = true;
          break;
        }
        const f = { id: Number(k.id), uri: byId.get(Number(k.parent_id))!.join(k.name) };
        folders.push(f);
        next.push(f);
      }
      if (limitReached) break;
    }
    frontier = next;
  }
  return { folders, limitReached };
}
