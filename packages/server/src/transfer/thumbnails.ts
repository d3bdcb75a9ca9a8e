import { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { inTx } from '../fs/db-errors.ts';
import * as entities from '../fs/entities.ts';
import * as metadata from '../fs/metadata.ts';
import { getById } from '../fs/tree.ts';
import { EntityType, FileType, MetaKey, type EntityRow, type FileRow } from '../fs/types.ts';
import { NoThumbnailGenerator, renderThumbnail } from '../media/thumbnail.ts';
import { StorageError } from '../storage/driver.ts';
import { driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import { randomString } from '../util/random.ts';
import { transferSettings } from './settings.ts';

export const thumbNotAvailable = (msg = 'Thumbnail not available') => new AppError(Code.EntityNotExist, msg);

const inFlight = new Map<number, Promise<EntityRow>>();

/** The file's current thumbnail entity, if one exists. */
export async function existingThumbnail(ctx: Ctx, fileId: number): Promise<EntityRow | undefined> {
  return ctx.db.kysely.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id').selectAll('e')
    .where('fe.file_id', '=', fileId).where('e.type', '=', EntityType.Thumbnail).where('e.upload_session_id', 'is', null)
    .orderBy('e.id', 'desc').executeTakeFirst();
}

/**
 * The file's thumbnail entity, generated now when missing (contract 20 §3.3 steps 1, 2, 4, 5):
 * folders, empty files, `thumb:disabled` files → 40077; no generator or a failed render sets
 * `thumb:disabled` and → 40077. A generated thumbnail is stored as a thumbnail entity next to the
 * source blob and charged to the owner. Concurrent requests for one file share one generation.
 */
export async function ensureThumbnail(ctx: Ctx, file: FileRow): Promise<EntityRow> {
  if (Number(file.type) !== FileType.File) throw thumbNotAvailable();
  if ((await metadata.getValue(ctx.db.kysely, file.id, MetaKey.ThumbDisabled)) !== undefined) throw thumbNotAvailable();
  const existing = await existingThumbnail(ctx, file.id);
  if (existing) return existing;
  let p = inFlight.get(file.id);
  if (!p) {
    p = generate(ctx, file).finally(() => inFlight.delete(file.id));
    inFlight.set(file.id, p);
  }
  return p;
}

async function disable(ctx: Ctx, fileId: number): Promise<void> {
  await inTx(ctx.db, (trx) => metadata.upsert(trx, [fileId], [{ key: MetaKey.ThumbDisabled, value: '' }], ctx.now()));
}

async function generate(ctx: Ctx, file: FileRow): Promise<EntityRow> {
  const sourceId = Number(file.primary_entity ?? 0);
  const source = sourceId ? await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', sourceId).executeTakeFirst() : undefined;
  if (!source || Number(source.size) === 0 || source.upload_session_id) {
    await disable(ctx, file.id);
    throw thumbNotAvailable();
  }
  const policy = await loadPolicy(ctx, Number(source.storage_policy_id));
  const driver = driverFor(ctx, policy);
  // Backends that render thumbnails themselves (remote nodes) are asked directly (native-thumb.ts).
  if (driver.thumbnail) throw thumbNotAvailable('Thumbnails are rendered by the storage backend');
  const maxSrc = Number(policySettings(policy).thumb_max_size ?? 0);
  if (maxSrc > 0 && Number(source.size) > maxSrc) {
    await disable(ctx, file.id);
    throw thumbNotAvailable('File too large for a thumbnail');
  }
  let rendered;
  try {
    rendered = await renderThumbnail(ctx.settings, { driver, key: source.source, name: file.name, size: Number(source.size) });
  } catch (e) {
    if (!(e instanceof NoThumbnailGenerator)) ctx.log.info('thumbnail: generation failed', { file: file.id, error: String((e as Error)?.message ?? e) });
    await disable(ctx, file.id);
    throw thumbNotAvailable();
  }
  const suffix = transferSettings(ctx).thumbSuffix;
  let key = `${source.source}${suffix}`;
  try {
    await driver.put(key, Readable.from([rendered.data]), { size: rendered.data.length, contentType: rendered.contentType });
  } catch (e) {
    if (!(e instanceof StorageError && e.kind === 'conflict')) throw e;
    // A blob from an earlier, unrecorded attempt sits there: never overwrite, use a fresh key.
    key = `${source.source}.${randomString(8)}${suffix}`;
    await driver.put(key, Readable.from([rendered.data]), { size: rendered.data.length, contentType: rendered.contentType });
  }
  try {
    const id = await inTx(ctx.db, async (trx) => {
      const current = await getById(trx, file.id);
      // The file changed version or vanished meanwhile: this thumbnail is stale.
      if (!current || Number(current.primary_entity ?? 0) !== sourceId) return undefined;
      const other = await trx.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id').select('e.id')
        .where('fe.file_id', '=', file.id).where('e.type', '=', EntityType.Thumbnail).executeTakeFirst();
      if (other) return Number(other.id);
      return entities.attachNew(ctx.db, trx, current, {
        type: EntityType.Thumbnail, source: key, size: rendered.data.length, policyId: Number(source.storage_policy_id),
        createdBy: current.owner_id, props: JSON.stringify({ source_entity: sourceId, ext: rendered.ext }),
      }, ctx.now());
    });
    if (id === undefined) {
      await driver.delete([key]);
      throw thumbNotAvailable();
    }
    const row = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    if (row.source !== key) await driver.delete([key]);
    return row;
  } catch (e) {
    if (e instanceof AppError && e.code === Code.InsufficientCapacity) {
      await driver.delete([key]);
      throw thumbNotAvailable('Insufficient capacity for a thumbnail');
    }
    throw e;
  }
}
