import type { Ctx } from '../services/context.ts';
import { loadUser } from '../services/users.ts';
import { fileManager } from './core.ts';
import { inTx } from './db-errors.ts';
import { purgeRows } from './ops/delete.ts';
import { walkSubtree } from './tree.ts';
import { MetaKey } from './types.ts';

/**
 * Trash retention (contract 20 §3.7): permanently deletes top-level trash items whose
 * `sys:expected_collect_time` (Unix seconds) has passed; an unparseable value counts as expired.
 * Runs every `cron_trash_bin_collect` ("@every 33m"). Several instances may run it at once: each
 * item is purged under the owner's lock and in its own transaction, so double work is harmless.
 */
export async function collectTrash(ctx: Ctx): Promise<number> {
  const fm = fileManager(ctx);
  const nowSec = Math.floor(ctx.now() / 1000);
  let after = 0;
  let purged = 0;
  for (;;) {
    const batch = await ctx.db.kysely.selectFrom('metadata').select(['id', 'file_id', 'value'])
      .where('name', '=', MetaKey.ExpectedCollectTime).where('id', '>', after).orderBy('id').limit(500).execute();
    if (!batch.length) return purged;
    after = Number(batch[batch.length - 1]!.id);
    const due = batch.filter((m) => {
      const t = /^\d{1,15}$/.test(m.value.trim()) ? Number(m.value.trim()) : NaN;
      return !Number.isFinite(t) || t <= nowSec;
    });
    for (const m of due) {
      const file = await ctx.db.kysely.selectFrom('files').selectAll().where('id', '=', Number(m.file_id)).executeTakeFirst();
      if (!file || file.parent_id !== null || file.root_owner_id !== null) continue; // restored or gone
      const owner = await loadUser(ctx, file.owner_id);
      if (!owner) continue;
      try {
        await fm.locks.with(file.owner_id, 0, [{ path: ['trash', file.name], depth: 'infinity', app: 'delete' }], () =>
          inTx(ctx.db, async (trx) => {
            const fresh = await trx.selectFrom('files').selectAll().where('id', '=', file.id).where('parent_id', 'is', null).executeTakeFirst();
            if (!fresh) return;
            const { rows } = await walkSubtree(trx, [fresh], 0);
            await purgeRows(trx, rows);
            purged++;
          }));
      } catch (e) {
        ctx.log.warn('trash collection of one item failed', { file_id: file.id, error: String((e as Error)?.message ?? e) });
      }
    }
  }
}

/** Parses Cloudreve's `@every <n><s|m|h>` cron form; other forms fall back to 33 minutes. */
export function everyMs(spec: string): number {
  const m = /^@every\s+(\d+)(s|m|h)$/.exec(spec.trim());
  if (!m) return 33 * 60_000;
  const n = Number(m[1]);
  return Math.max(1000, n * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000));
}

/** Starts the periodic collector; returns a stop function. */
export function startTrashCollector(ctx: Ctx): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const n = await collectTrash(ctx);
      if (n) ctx.log.info('trash collected', { items: n });
    } catch (e) {
      ctx.log.warn('trash collection failed', { error: String((e as Error)?.message ?? e) });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs(ctx.settings.get('cron_trash_bin_collect', '@every 33m')));
  timer.unref();
  return () => clearInterval(timer);
}
