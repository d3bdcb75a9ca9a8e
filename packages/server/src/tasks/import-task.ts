import path from 'node:path';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { fileManager } from '../fs/core.ts';
import { inTx } from '../fs/db-errors.ts';
import * as entities from '../fs/entities.ts';
import { createObject } from '../fs/ops/create.ts';
import { childByName, insertFile } from '../fs/tree.ts';
import { EntityType, FileType, type FileRow } from '../fs/types.ts';
import type { BlobInfo } from '../storage/driver.ts';
import { cleanKey } from '../storage/keys.ts';
import { driverFor, loadPolicy, localDirs, type PolicyRow } from '../storage/policies.ts';
import { HashType } from '../util/hashid.ts';
import { taskUser } from './archive-task.ts';
import { registerTaskHandler } from './queue.ts';
import { CriticalTaskError, type RunningTask } from './types.ts';
import { entrySegments } from './zip-names.ts';

export const IMPORT = 'import';

export interface ImportState {
  /** The user whose tree receives the files. */
  user_id: number;
  /** As the admin gave it (summary `src_str`). */
  src: string;
  /** Storage key prefix listed ("" = the whole store), ends with "/" unless empty. */
  prefix: string;
  /** Folder path below the user's root, "/" separated, starting with "/". */
  dst: string;
  policy_id: number;
  recursive: boolean;
  extract_media_meta: boolean;
  /** Blobs before this index of the sorted listing are done (resume point). */
  next_index: number;
  failed: number;
  imported: number;
}

export const importSummary = (ctx: Ctx, s: ImportState) => ({
  phase: '',
  props: { dst: `cloudreve://${ctx.hashids.encode(s.user_id, HashType.User)}@my${s.dst === '/' ? '' : s.dst}`, src_str: s.src, failed: s.failed, dst_policy_id: ctx.hashids.encode(s.policy_id, HashType.Policy) },
});

const dstUri = (s: ImportState) => `cloudreve://my${s.dst === '/' ? '' : s.dst}`;

/**
 * The key prefix an admin's `src` names in a policy: a key-like path for every store; for local
 * policies also an absolute path inside the storage root. Traversal out of the root → 40001.
 */
export function importPrefix(ctx: Ctx, policy: PolicyRow, src: string): string {
  let raw = src.trim().replace(/\\/g, '/');
  if (policy.type === 'local' && path.isAbsolute(raw)) {
    const root = path.resolve(localDirs(ctx).root);
    const rel = path.relative(root, path.resolve(raw));
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new AppError(Code.ParamErr, 'The path is outside the storage root of this policy');
    raw = rel.split(path.sep).join('/');
  }
  const key = raw === '' || raw === '/' || raw === '.' ? '' : cleanKey(raw);
  if (key === '.' || key === '') return '';
  if (key.split('/').some((s) => s === '..')) throw new AppError(Code.ParamErr, 'Invalid source path');
  if (policy.type === 'local') driverFor(ctx, policy).localPath?.(key); // refuses keys escaping the root
  return key.endsWith('/') ? key : `${key}/`;
}

/** Which blobs under the prefix are imported, and under which relative path. */
function selectBlobs(s: ImportState, listed: BlobInfo[]): { key: string; size: number; rel: string }[] {
  const out: { key: string; size: number; rel: string }[] = [];
  for (const b of listed) {
    if (!b.key.startsWith(s.prefix) || b.key.endsWith('/')) continue; // S3 "folder" markers
    const rel = b.key.slice(s.prefix.length);
    if (!s.recursive && rel.includes('/')) continue;
    out.push({ key: b.key, size: b.size, rel });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Import (contract 50 §1.8): lists a policy's storage below a prefix and creates files in the
 * user's tree whose entities point at the existing blobs (nothing is copied), charging the user's
 * capacity. Per blob, in one transaction: file row + entity + link + capacity. A name that already
 * exists in the destination is skipped; a blob some entity already uses is refused (two owners
 * would delete each other's bytes), except when it is the very file a crashed run created, which
 * counts as imported. Invalid names, quota and policy name-rule failures count in `failed`.
 */
async function runImport(task: RunningTask<ImportState>) {
  const { ctx } = task;
  const s = task.state;
  const user = await taskUser(ctx, s.user_id);
  const policy = await loadPolicy(ctx, s.policy_id).catch(() => {
    throw new CriticalTaskError('Storage policy no longer exists');
  });
  const driver = driverFor(ctx, policy);
  const listed: BlobInfo[] = [];
  for await (const b of driver.list(s.prefix)) {
    if (task.signal.aborted) throw task.signal.reason;
    listed.push(b);
    task.progress('indexed', { total: 0, current: listed.length, identifier: '' });
  }
  const blobs = selectBlobs(s, listed);
  task.progress('indexed', { total: blobs.length, current: blobs.length, identifier: '' });
  const fm = fileManager(ctx);
  const base = fm.parse(dstUri(s));
  const folders = new Map<string, FileRow>();
  const folder = async (segs: string[]): Promise<FileRow> => {
    const k = segs.join('/');
    let f = folders.get(k);
    if (!f) {
      f = (await createObject(fm, user, base.join(...segs), { type: FileType.Folder, onExisting: 'return' })).file;
      folders.set(k, f);
    }
    return f;
  };
  const fail = (key: string, why: string) => {
    ctx.log.info('import: blob not imported', { task: task.id, key, why });
    s.failed++;
  };
  for (let i = s.next_index; i < blobs.length; i++) {
    if (task.signal.aborted) throw task.signal.reason;
    const b = blobs[i]!;
    const segs = entrySegments(b.rel);
    if (!segs) {
      fail(b.key, 'invalid name');
    } else {
      try {
        const parent = await folder(segs.slice(0, -1));
        const name = segs[segs.length - 1]!;
        const owner = await ctx.db.kysely.selectFrom('entities').select('id').where('storage_policy_id', '=', policy.id).where('source', '=', b.key).executeTakeFirst();
        const existing = await childByName(ctx.db.kysely, parent.id, name);
        if (existing) {
          const mine = owner && await ctx.db.kysely.selectFrom('file_entities').select('file_id').where('file_id', '=', existing.id).where('entity_id', '=', owner.id).executeTakeFirst();
          if (mine) s.imported++; // created by an interrupted earlier run
          else ctx.log.info('import: name exists, skipped', { task: task.id, key: b.key });
        } else if (owner) {
          fail(b.key, 'blob already belongs to a file');
        } else {
          await inTx(ctx.db, async (trx) => {
            const now = ctx.now();
            const file = await insertFile(ctx.db, trx, { type: FileType.File, name, ownerId: parent.owner_id, parentId: parent.id, policyId: policy.id, now });
            await entities.attachNew(ctx.db, trx, file, { type: EntityType.Version, source: b.key, size: b.size, policyId: policy.id, createdBy: s.user_id }, now, { makePrimary: true });
          });
          s.imported++;
        }
      } catch (e) {
        if (!(e instanceof AppError)) throw e; // I/O, database: retry from the checkpoint
        if (e.code === Code.ObjectExist) ctx.log.info('import: name exists, skipped', { task: task.id, key: b.key });
        else fail(b.key, e.message);
      }
    }
    s.next_index = i + 1;
    await task.checkpoint(s, importSummary(ctx, s));
    task.progress('imported', { total: blobs.length, current: i + 1, identifier: '' });
  }
  return { status: 'completed' as const };
}

registerTaskHandler({ type: IMPORT, queue: 'io_intense', run: runImport });
