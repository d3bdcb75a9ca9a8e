import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { isAdmin, loadUser, type CurrentUser, type GroupSettings } from './users.ts';
import { siteBaseUrl } from './share-serialize.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError, batchError } from '../http/errors.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager, isItemError } from '../fs/core.ts';
import { getById, locate } from '../fs/tree.ts';
import { FileType, type FileRow } from '../fs/types.ts';
import { FileUri } from '../fs/uri.ts';
import { entityUrl, type SignedUrl } from '../transfer/download-url.ts';
import { GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { parseJson } from '../util/json.ts';
import { formatTime } from '../util/time.ts';

/**
 * Direct ("source") links (contract 20 §3.14): stable `/f/<link id>/<name>` URLs of a file that
 * anyone may fetch while the file stays in its owner's tree. Each fetch counts a download and is
 * redirected to a fresh signed content URL (which serves Range requests).
 */

export interface DirectLinkResult { link: string; file_url: string }

const entityMissing = (msg = 'Entity not exist') => new AppError(Code.EntityNotExist, msg);
export const directLinkNotFound = () => new AppError(Code.NotFound, 'Direct link not found');

export const directLinkUrl = (base: string, hash: string, name: string) => `${base}/f/${hash}/${encodeURIComponent(name)}`;

/**
 * PUT /file/source. Group setting `source_batch` = 0 → 40007, more URIs than it → 40014. Each target:
 * download capability, owner or admin (40082), a file with content (40077). Redirected groups get a
 * stable link (created, or reused for the same file, name and speed); others a signed URL. Partial
 * failure → 40081 with the successful links as `data`.
 */
export async function createDirectLinks(ctx: Ctx, user: CurrentUser, uris: string[], host?: string): Promise<DirectLinkResult[]> {
  const fm = fileManager(ctx);
  const settings = parseJson<GroupSettings>(user.group.settings, {});
  const batch = Math.max(0, Number(settings.source_batch ?? 0) || 0);
  if (user.anonymous || batch === 0) throw new AppError(Code.GroupNotAllowed, 'Group not allowed to create direct links');
  if (uris.length > batch) throw new AppError(Code.BatchSourceSize, `Maximum allowed batch size: ${batch}`);
  const redirected = !!settings.redirected_source || user.permissions.has(GroupPermission.RedirectedSource);
  const base = siteBaseUrl(ctx, host);
  const speed = Math.max(0, Number(user.group.speed_limit) || 0);

  const done: DirectLinkResult[] = [];
  const failures: Record<string, AppError> = {};
  for (const raw of uris) {
    try {
      const r = await fm.get(user, raw, { caps: [Cap.DownloadFile] });
      if (r.file.owner_id !== user.row.id && !isAdmin(user)) throw new AppError(Code.OwnerOnly, 'Owner only');
      if (Number(r.file.type) !== FileType.File || !r.file.primary_entity) throw entityMissing();
      await r.nav.beforeDownload?.(r.file);
      const link = redirected
        ? directLinkUrl(base, ctx.hashids.encode(await linkFor(ctx, r.file, speed), HashType.SourceLink), r.file.name)
        : (await entityUrl(ctx, { entityId: Number(r.file.primary_entity), name: r.file.name, speed, download: false, siteUrl: base })).url;
      done.push({ link, file_url: r.uri.toString() });
    } catch (e) {
      if (!isItemError(e)) throw e;
      failures[FileUri.tryParse(raw)?.toString() ?? String(raw)] = e;
    }
  }
  if (Object.keys(failures).length) {
    const err = batchError(failures);
    throw new AppError(err.code, err.message, { aggregated: failures, data: done });
  }
  return done;
}

/** The link id for (file, current name, speed), created when missing. */
async function linkFor(ctx: Ctx, file: FileRow, speed: number): Promise<number> {
  const find = () => ctx.db.kysely.selectFrom('direct_links').select('id')
    .where('file_id', '=', file.id).where('name', '=', file.name).where('speed', '=', speed).orderBy('id').executeTakeFirst();
  const existing = await find();
  if (existing) return Number(existing.id);
  const now = ctx.now();
  return insertReturningId(ctx.db, 'direct_links', { name: file.name, downloads: 0, file_id: file.id, speed, created_at: now, updated_at: now });
}

/** DELETE /file/source/:id: the file owner or an admin; anything else (or no such link) → 404. */
export async function deleteDirectLink(ctx: Ctx, user: CurrentUser, rawId: string): Promise<void> {
  const id = ctx.hashids.decode(rawId, HashType.SourceLink);
  if (id === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  const link = await ctx.db.kysely.selectFrom('direct_links').innerJoin('files', 'files.id', 'direct_links.file_id')
    .select(['direct_links.id', 'files.owner_id']).where('direct_links.id', '=', id).executeTakeFirst();
  if (!link || (Number(link.owner_id) !== user.row.id && !isAdmin(user))) throw directLinkNotFound();
  await ctx.db.kysely.deleteFrom('direct_links').where('id', '=', id).execute();
}

/** `extended_info.direct_links` of a file (owner view). */
export async function wireDirectLinks(ctx: Ctx, fileId: number, host?: string): Promise<{ id: string; created_at: string; url: string; downloaded: number }[]> {
  const rows = await ctx.db.kysely.selectFrom('direct_links').selectAll().where('file_id', '=', fileId).orderBy('id', 'desc').execute();
  const base = siteBaseUrl(ctx, host);
  return rows.map((l) => {
    const hash = ctx.hashids.encode(Number(l.id), HashType.SourceLink);
    return { id: hash, created_at: formatTime(Number(l.created_at)), url: directLinkUrl(base, hash, l.name), downloaded: Number(l.downloads) };
  });
}

/**
 * GET /f/:id/:name: the link must exist under exactly that name, its file's owner must be active and
 * the file still in the owner's tree (not trashed). Counts one download and returns a signed content
 * URL with the link's speed (`download` forces an attachment).
 */
export async function openDirectLink(ctx: Ctx, rawId: string, name: string, download: boolean, host?: string): Promise<SignedUrl> {
  const id = ctx.hashids.decode(rawId, HashType.SourceLink);
  if (id === undefined) throw directLinkNotFound();
  const link = await ctx.db.kysely.selectFrom('direct_links').selectAll().where('id', '=', id).executeTakeFirst();
  if (!link || link.name !== name) throw directLinkNotFound();
  const file = await getById(ctx.db.kysely, Number(link.file_id));
  if (!file || !file.primary_entity || Number(file.type) !== FileType.File) throw directLinkNotFound();
  const owner = await loadUser(ctx, file.owner_id, true);
  const loc = owner ? await locate(ctx.db.kysely, file.id) : undefined;
  if (!owner || !loc || loc.fs !== 'my') throw directLinkNotFound();
  await ctx.db.kysely.updateTable('direct_links').set((eb) => ({ downloads: eb('downloads', '+', 1) })).where('id', '=', id).execute();
  return entityUrl(ctx, { entityId: Number(file.primary_entity), name: link.name, speed: Number(link.speed), download, siteUrl: siteBaseUrl(ctx, host) });
}
