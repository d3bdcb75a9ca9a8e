import type { Ctx } from '../services/context.ts';
import { fileManager } from '../fs/core.ts';
import { inTx } from '../fs/db-errors.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import { dropSession, loadSession } from './session-store.ts';
import { runningHashes } from './hashes.ts';

/**
 * Deletes blobs whose entity reached reference_count 0 (no file links them any more). The row is
 * deleted first — `WHERE reference_count <= 0`, so an entity that gained a link meanwhile is
 * kept — and then the blob; a blob whose deletion fails is logged (a leaked blob, never a lost
 * one). An entity still tied to an upload session also ends that session's driver-side upload.
 * Returns the number of entities recycled. `ids` limits the run to those entities (admin deletes).
 */
export async function recycleEntities(ctx: Ctx, opts: { batch?: number; ids?: number[] } = {}): Promise<number> {
  let q = ctx.db.kysely.selectFrom('entities').select(['id', 'source', 'storage_policy_id', 'upload_session_id'])
    .where('reference_count', '<=', 0);
  if (opts.ids) q = q.where('id', 'in', opts.ids.length ? opts.ids : [0]);
  const rows = await q.orderBy('id').limit(opts.batch ?? 200).execute();
  let done = 0;
  for (const e of rows) {
    if (e.upload_session_id) await discardSession(ctx, e.upload_session_id);
    const del = await ctx.db.kysely.deleteFrom('entities').where('id', '=', Number(e.id)).where('reference_count', '<=', 0).executeTakeFirst();
    if (Number(del.numDeletedRows) === 0) continue;
    done++;
    try {
      const driver = driverFor(ctx, await loadPolicy(ctx, Number(e.storage_policy_id)));
      const failed = await driver.delete([e.source]);
      if (failed.length) ctx.log.warn('recycler: blob could not be deleted', { entity: Number(e.id) });
    } catch (err) {
      ctx.log.warn('recycler: blob could not be deleted', { entity: Number(e.id), error: String((err as Error)?.message ?? err) });
    }
  }
  return done;
}

/** Ends an upload session whose placeholder is no longer referenced (its file was deleted). */
async function discardSession(ctx: Ctx, id: string): Promise<void> {
  const s = await loadSession(ctx.db.kysely, id);
  if (!s) return;
  await inTx(ctx.db, (trx) => dropSession(trx, id));
  runningHashes.forget(id);
  try {
    await driverFor(ctx, await loadPolicy(ctx, s.row.storage_policy_id)).abortUpload(s.state.handle);
  } catch {
    /* the sweeper removes orphaned upload data */
  }
  if (s.state.lockToken) await fileManager(ctx).locks.release([s.state.lockToken]).catch(() => undefined);
}
