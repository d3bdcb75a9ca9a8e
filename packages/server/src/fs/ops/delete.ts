import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { GroupPermission } from '../../util/boolset.ts';
import { uuid } from '../../util/random.ts';
import { Cap } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as entities from '../entities.ts';
import * as metadata from '../metadata.ts';
import { chunks, moveRow, walkSubtree } from '../tree.ts';
import { FileUri } from '../uri.ts';
import { MetaKey, type FileRow, type Tx } from '../types.ts';

export interface DeleteOptions {
  /** Permanent delete (default: move to trash). */
  skipSoftDelete?: boolean;
  /** Permanent delete that leaves the blobs in storage (group permission "advanced delete"). */
  unlink?: boolean;
}

/**
 * Permanently removes already-walked rows (a whole subtree, roots included) of one owner inside
 * `trx`: their entity links (reference counts −1, capacity freed), metadata, shares, direct links
 * and the rows. Entities reaching 0 are left to the blob recycler, or dropped at once with `unlink`.
 */
export async function purgeRows(trx: Tx, rows: FileRow[], opts: { unlink?: boolean } = {}): Promise<void> {
  const ids = rows.map((r) => r.id);
  const owners = new Map(rows.map((r) => [r.id, r.owner_id]));
  const byFile = await entities.ofFiles(trx, ids);
  const links = [...byFile].flatMap(([fileId, list]) => list.map((entity) => ({ fileId, ownerId: owners.get(fileId)!, entity })));
  await entities.unlink(trx, links, { dropRows: opts.unlink });
  for (const part of chunks(ids)) {
    await trx.deleteFrom('metadata').where('file_id', 'in', part).execute();
    await trx.deleteFrom('shares').where('file_id', 'in', part).execute();
    await trx.deleteFrom('direct_links').where('file_id', 'in', part).execute();
    await trx.deleteFrom('files').where('id', 'in', part).execute();
  }
}

/** Permanently deletes one resolved object and its subtree (walk bounded by max_walked_files → 40079). */
export async function deletePermanently(fm: FileManager, user: CurrentUser, r: Existing, opts: { unlink?: boolean; walkLimit?: number } = {}): Promise<void> {
  const ctx = fm.ctx;
  await fm.withLocks(user, r.nav, [fm.lockRequest(r, 'delete', 'infinity')], async () => {
    const limit = opts.walkLimit ?? fm.maxWalked(user);
    const cur = await fm.revalidate(r);
    await inTx(ctx.db, async (trx) => {
      let q = trx.selectFrom('files').selectAll().where('id', '=', cur.file.id).where('name', '=', cur.file.name);
      q = cur.file.parent_id === null ? q.where('parent_id', 'is', null) : q.where('parent_id', '=', cur.file.parent_id);
      const fresh = await q.executeTakeFirst();
      if (!fresh) throw new AppError(Code.Conflict, 'Object conflict');
      const { rows } = await walkSubtree(trx, [fresh], limit);
      await purgeRows(trx, rows, opts);
    });
  });
}

/**
 * Moves one resolved object (with its subtree) to the trash: detached, renamed to a random UUID,
 * `sys:restore_uri` = its owner-view URI and `sys:expected_collect_time` = now + trash_retention.
 * Capacity is unchanged.
 */
export async function softDelete(fm: FileManager, user: CurrentUser, r: Existing, opts: { tokens?: string[] } = {}): Promise<void> {
  const ctx = fm.ctx;
  const retention = Number(fm.groupSettings(r.nav.owner).trash_retention ?? 0) || 0;
  const restoreUri = FileUri.of({ fs: 'my', elements: (await r.nav.uriOf(ctx.db.kysely, r.file))?.elements ?? r.uri.elements }).toString();
  await fm.withLocks(user, r.nav, [fm.lockRequest(r, 'softDelete', 'infinity')], async () => {
    const cur = await fm.revalidate(r);
    const now = ctx.now();
    await inTx(ctx.db, async (trx) => {
      await moveRow(trx, cur.file.id, null, uuid(), now, { parentId: cur.file.parent_id, name: cur.file.name });
      await metadata.upsert(trx, [r.file.id], [
        { key: MetaKey.RestoreUri, value: restoreUri },
        { key: MetaKey.ExpectedCollectTime, value: String(Math.floor(now / 1000) + retention) },
      ], now);
    });
  }, opts.tokens);
}

/** DELETE /file: per-item failures are aggregated into 40081. */
export async function deleteFiles(fm: FileManager, user: CurrentUser, uris: string[], opts: DeleteOptions): Promise<void> {
  fm.checkBatch(uris);
  if (opts.unlink && !user.permissions.has(GroupPermission.AdvanceDelete)) throw new AppError(Code.NoPermission, 'Advanced delete is not allowed');
  const permanent = !!(opts.skipSoftDelete || opts.unlink);
  const caps = permanent ? [Cap.DeleteFile, Cap.LockFile] : [Cap.SoftDelete];
  await fm.forEachItem(uris, async (uri) => {
    const r = await fm.getForMutation(user, uri, caps);
    if (permanent) await deletePermanently(fm, user, r, { unlink: opts.unlink });
    else await softDelete(fm, user, r);
  });
}

/** DELETE /file/trash: permanently deletes every trash item of the user. */
export async function emptyTrash(fm: FileManager, user: CurrentUser): Promise<void> {
  const nav = await fm.navigator(user, FileUri.root('trash'));
  let after = 0;
  for (;;) {
    const items = await fm.ctx.db.kysely.selectFrom('files').selectAll()
      .where('owner_id', '=', user.row.id).where('parent_id', 'is', null).where('root_owner_id', 'is', null)
      .where('id', '>', after).orderBy('id').limit(100).execute();
    if (!items.length) return;
    for (const file of items) {
      const uri = FileUri.of({ fs: 'trash', elements: [file.name] });
      await deletePermanently(fm, user, { nav, uri, file, chain: [file], missing: [], isRoot: false });
      after = file.id;
    }
  }
}
