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
  for (const e of rows) if (e.upload_session_id) await discardSession(ctx, e.upload_session_id);
  if (rows.length === 0) return 0;
  const ids = rows.map((e) => Number(e.id));
  // One statement for the batch; rows that gained a link meanwhile survive and keep their blob.
  const survivors = await inTx(ctx.db, async (trx) => {
    await trx.deleteFrom('entities').where('id', 'in', ids).where('reference_count', '<=', 0).execute();
    return new Set((await trx.selectFrom('entities').select('id').where('id', 'in', ids).execute()).map((r) => Number(r.id)));
  });
  const byPolicy = new Map<number, string[]>();
  for (const e of rows) {
    if (survivors.has(Number(e.id))) continue;
    const policyId = Number(e.storage_policy_id);
    byPolicy.set(policyId, [...(byPolicy.get(policyId) ?? []), e.source]);
  }
  for (const [policyId, keys] of byPolicy) {
    try {
      const failed = await driverFor(ctx, await loadPolicy(ctx, policyId)).delete(keys);
      if (failed.length) ctx.log.warn('recycler: blobs could not be deleted', { policy: policyId, count: failed.length });
    } catch (err) {
      ctx.log.warn('recycler: blobs could not be deleted', { policy: policyId, count: keys.length, error: String((err as Error)?.message ?? err) });
    }
  }
  return rows.length - survivors.size;
}

/**
 * Recycles batch after batch until nothing is left or `budgetMs` has passed (the background job:
 * deleting a folder of 100,000 files frees its blobs in one run instead of 200 every interval).
 */
export async function drainEntities(ctx: Ctx, budgetMs = 20_000, batch = 500): Promise<number> {
  const until = Date.now() + budgetMs;
  let total = 0;
  for (;;) {
    const n = await recycleEntities(ctx, { batch });
    total += n;
    if (n < batch || Date.now() >= until) return total;
  }
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
