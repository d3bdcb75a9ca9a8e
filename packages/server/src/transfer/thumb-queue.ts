import type { Ctx } from '../services/context.ts';
import type { FileRow, Tx } from '../fs/types.ts';

export const THUMB_TASK = 'thumbnail';

/** Extensions any generator might handle; the worker makes the final decision. */
function mayHaveThumbnail(ctx: Ctx, name: string): boolean {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  if (!ext) return false;
  const lists = ['jpg,jpeg,jpe,png,gif,webp,tif,tiff,avif', ctx.settings.get('thumb_vips_exts'), ctx.settings.get('thumb_ffmpeg_exts'), ctx.settings.get('thumb_music_cover_exts')];
  return lists.some((l) => l.split(',').map((s) => s.trim().toLowerCase()).includes(ext));
}

/** Queues background thumbnail generation for a new version (inside the commit transaction). */
export async function queueThumbnail(ctx: Ctx, trx: Tx, file: FileRow, entityId: number): Promise<void> {
  if (!mayHaveThumbnail(ctx, file.name)) return;
  const now = ctx.now();
  await trx.insertInto('tasks').values({
    type: THUMB_TASK, status: 'queued', public_state: '{}', private_state: JSON.stringify({ file_id: file.id, entity_id: entityId }),
    correlation_id: null, owner_id: file.owner_id, node_id: null, attempts: 0, lease_until: null, run_after: now, created_at: now, updated_at: now,
  }).execute();
}
