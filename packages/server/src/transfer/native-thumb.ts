import type { Ctx } from '../services/context.ts';
import * as metadata from '../fs/metadata.ts';
import { MetaKey, type FileRow } from '../fs/types.ts';
import { pickGenerator } from '../media/thumbnail.ts';
import { driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import type { SignedUrl } from './download-url.ts';
import { transferSettings } from './settings.ts';
import { thumbNotAvailable } from './thumbnails.ts';

/**
 * A thumbnail URL rendered by the storage backend itself (a remote node generates and keeps a
 * sidecar next to the blob), for files whose current version lives on such a backend; undefined
 * when the backend does not render thumbnails (the caller generates a thumbnail entity instead).
 * Disabled thumbnails, unsupported types and sources above `thumb_max_size` → 40077.
 */
export async function nativeThumbnailUrl(ctx: Ctx, file: FileRow): Promise<SignedUrl | undefined> {
  const id = Number(file.primary_entity ?? 0);
  if (!id) return undefined;
  const entity = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', id).executeTakeFirst();
  if (!entity || entity.upload_session_id || Number(entity.size) === 0) return undefined;
  const policy = await loadPolicy(ctx, Number(entity.storage_policy_id));
  const driver = driverFor(ctx, policy);
  if (!driver.thumbnail) return undefined;
  if ((await metadata.getValue(ctx.db.kysely, file.id, MetaKey.ThumbDisabled)) !== undefined) throw thumbNotAvailable();
  if (!(await pickGenerator(ctx.settings, file.name, driver))) throw thumbNotAvailable();
  const maxSrc = Number(policySettings(policy).thumb_max_size ?? 0);
  if (maxSrc > 0 && Number(entity.size) > maxSrc) throw thumbNotAvailable('File too large for a thumbnail');
  const expires = Math.floor(ctx.now() / 1000) + transferSettings(ctx).entityUrlTtl;
  const ext = file.name.includes('.') ? file.name.slice(file.name.lastIndexOf('.') + 1).toLowerCase() : '';
  const url = await driver.thumbnail(entity.source, {
    ext, width: ctx.settings.int('thumb_width', 400) || 400, height: ctx.settings.int('thumb_height', 300) || 300, expiresAt: expires,
  });
  return url ? { url, expiresAt: expires * 1000 } : undefined;
}
