import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { siteBaseUrl } from '../services/share-serialize.ts';
import { AppError } from '../http/errors.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager, isItemError } from '../fs/core.ts';
import * as metadata from '../fs/metadata.ts';
import { EntityType, FileType, MetaKey, type EntityRow } from '../fs/types.ts';
import type { FileUri } from '../fs/uri.ts';
import { GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime } from '../util/time.ts';
import { uuid } from '../util/random.ts';
import { archiveUrl, entityUrl, type SignedUrl } from './download-url.ts';
import { transferSettings } from './settings.ts';
import { presignedEntityUrl } from './presigned-url.ts';

export interface UrlRequest {
  uris: string[];
  download?: boolean;
  redirect?: boolean;
  entity?: string;
  use_primary_site_url?: boolean;
  skip_error?: boolean;
  archive?: boolean;
  no_cache?: boolean;
}

export interface UrlResponse {
  urls: { url: string; stream_saver_display_name?: string }[];
  expires: string | null;
}

export interface ArchiveSession { uris: string[]; requester_id: number }

export const entityNotExist = (msg = 'Entity not exist') => new AppError(Code.EntityNotExist, msg);
export const archiveKey = (id: string) => `archive_${id}`;

/** The name an entity is downloaded as (contract 30 §2.1). */
export function entityDisplayName(fileName: string, entity: Pick<EntityRow, 'type'> | undefined): string {
  const t = entity ? Number(entity.type) : EntityType.Version;
  if (t === EntityType.Thumbnail) return `${fileName}_thumbnail`;
  if (t === EntityType.LivePhoto) return `${fileName}_live_photo.mov`;
  return fileName;
}

/**
 * Resolves which entity of a file to serve: the requested one (must be linked to the file and not
 * still uploading) or the current version; 0 for files without content.
 */
export async function pickEntity(ctx: Ctx, fileId: number, primary: number | null, requested?: string): Promise<EntityRow | undefined> {
  if (!requested) {
    if (!primary) return undefined;
    return ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', primary).executeTakeFirst();
  }
  const id = ctx.hashids.decode(requested, HashType.Entity);
  if (id === undefined) throw entityNotExist();
  const row = await ctx.db.kysely.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id').selectAll('e')
    .where('fe.file_id', '=', fileId).where('fe.entity_id', '=', id).executeTakeFirst();
  if (!row || row.upload_session_id) throw entityNotExist();
  return row;
}

/**
 * POST /file/url (contract 30 §2.1): one signed URL per URI (or one archive URL). Each target
 * needs the download capability of its file system and must be a file with the wanted entity.
 */
export async function createDownloadUrls(ctx: Ctx, user: CurrentUser, req: UrlRequest, requestHost?: string): Promise<UrlResponse> {
  const fm = fileManager(ctx);
  fm.checkBatch(req.uris);
  const siteUrl = siteBaseUrl(ctx, req.use_primary_site_url ? undefined : requestHost);
  if (req.archive) return createArchiveUrl(ctx, user, req.uris, siteUrl);

  const one = async (uri: FileUri): Promise<SignedUrl> => {
    const r = await fm.get(user, uri, { caps: [Cap.DownloadFile] });
    if (Number(r.file.type) !== FileType.File) throw entityNotExist('Not a file');
    const entity = await pickEntity(ctx, r.file.id, r.file.primary_entity, req.entity || undefined);
    const meta = (await metadata.loadPublic(ctx.db.kysely, [r.file.id])).get(r.file.id);
    // A file whose first upload has not completed has no content to hand out yet.
    if (!entity && meta && MetaKey.UploadSessionId in meta) throw entityNotExist('File is being uploaded');
    await r.nav.beforeDownload?.(r.file);
    const name = entityDisplayName(r.nav.displayName(r.file, meta), entity);
    const speed = Math.max(0, Number(user.group.speed_limit) || 0);
    const direct = entity ? await presignedEntityUrl(ctx, entity, { name, speed, download: !!req.download }) : undefined;
    if (direct) return direct;
    return entityUrl(ctx, { entityId: entity?.id ?? 0, name, speed, download: !!req.download, siteUrl, noCache: req.no_cache });
  };

  let results: (SignedUrl | undefined)[];
  if (req.skip_error) {
    results = [];
    for (const raw of req.uris) {
      try {
        results.push(await one(fm.parse(raw)));
      } catch (e) {
        if (!isItemError(e)) throw e;
        results.push(undefined);
      }
    }
  } else {
    results = await fm.forEachItem(req.uris, (uri) => one(uri));
  }
  const expiries = results.filter((r): r is SignedUrl => !!r).map((r) => r.expiresAt);
  return {
    urls: results.map((r) => ({ url: r?.url ?? '' })),
    expires: expiries.length ? formatTime(Math.min(...expiries)) : null,
  };
}

/** Archive download (contract 30 §2.4 step 1): group permission bit 4, KV session, signed zip URL. */
async function createArchiveUrl(ctx: Ctx, user: CurrentUser, uris: string[], siteUrl: string): Promise<UrlResponse> {
  if (user.anonymous || !user.permissions.has(GroupPermission.ArchiveDownload)) throw new AppError(Code.GroupNotAllowed, 'Group not allowed to download archives');
  const fm = fileManager(ctx);
  const parsed = uris.map((u) => fm.parse(u).toString());
  const id = uuid();
  const ttl = transferSettings(ctx).archiveTimeout;
  await ctx.kv.set(archiveKey(id), { uris: parsed, requester_id: user.row.id } satisfies ArchiveSession, ttl);
  const url = archiveUrl(ctx, siteUrl, id, ctx.now() + ttl * 1000);
  return { urls: [{ url: url.url }], expires: formatTime(url.expiresAt) };
}
