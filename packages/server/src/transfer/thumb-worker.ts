import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { getById } from '../fs/tree.ts';
import { parseJson } from '../util/json.ts';
import { THUMB_TASK } from './thumb-queue.ts';
import { ensureThumbnail } from './thumbnails.ts';

const LEASE_MS = 2 * 60 * 1000;
const MAX_ATTEMPTS = 3;

/**
 * Runs queued thumbnail tasks (rows of `tasks` with type "thumbnail", written by the upload commit).
 * A task is claimed with one conditional UPDATE (status + lease), so several instances can share
 * the queue; a task whose worker died is picked up again when its lease ends.
 */
export async function runThumbnailTasks(ctx: Ctx, max = 20): Promise<number> {
  const now = ctx.now();
  const candidates = await ctx.db.kysely.selectFrom('tasks').select(['id', 'private_state', 'attempts'])
    .where('type', '=', THUMB_TASK)
    .where((eb) => eb.or([
      eb.and([eb('status', '=', 'queued'), eb.or([eb('run_after', 'is', null), eb('run_after', '<=', now)])]),
      eb.and([eb('status', '=', 'processing'), eb('lease_until', '<', now)]),
    ]))
    .orderBy('id').limit(max).execute();
  let ran = 0;
  for (const t of candidates) {
    const claim = await ctx.db.kysely.updateTable('tasks')
      .set({ status: 'processing', lease_until: ctx.now() + LEASE_MS, attempts: Number(t.attempts) + 1, updated_at: ctx.now() })
      .where('id', '=', t.id).where('attempts', '=', Number(t.attempts))
      .where('status', 'in', ['queued', 'processing']).executeTakeFirst();
    if (Number(claim.numUpdatedRows) === 0) continue;
    ran++;
    const state = parseJson<{ file_id?: number; entity_id?: number }>(t.private_state, {});
    try {
      const file = state.file_id ? await getById(ctx.db.kysely, state.file_id) : undefined;
      // Only when the version it was queued for is still current.
      if (file && Number(file.primary_entity ?? 0) === state.entity_id) await ensureThumbnail(ctx, file);
      await ctx.db.kysely.deleteFrom('tasks').where('id', '=', t.id).execute();
    } catch (e) {
      if (e instanceof AppError && e.code === Code.EntityNotExist) {
        await ctx.db.kysely.deleteFrom('tasks').where('id', '=', t.id).execute();
        continue;
      }
      const failed = Number(t.attempts) + 1 >= MAX_ATTEMPTS;
      ctx.log.warn('thumbnail task failed', { task: Number(t.id), error: String((e as Error)?.message ?? e) });
      await ctx.db.kysely.updateTable('tasks').set({
        status: failed ? 'error' : 'queued', lease_until: null, run_after: ctx.now() + 30_000, updated_at: ctx.now(),
        public_state: JSON.stringify({ error: String((e as Error)?.message ?? e).slice(0, 500) }),
      }).where('id', '=', t.id).execute();
    }
  }
  return ran;
}
