import { Cap } from '../../fs/capability.ts';
import { evaluatePreconditions, ifRangeAllows, parseRange } from '../../http/range.ts';
import { driverFor, loadPolicy } from '../../storage/policies.ts';
import { throttle } from '../../storage/throttle.ts';
import { transferSettings } from '../../transfer/settings.ts';
import { DavOption } from '../../services/dav-accounts.ts';
import { GroupPermission } from '../../util/boolset.ts';
import { etagOf, hidesSystemFiles, isFolder, isSystemFileName, uriAt, type DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { contentTypeOf, httpDate } from '../props.ts';
import { header, type DavReply, type DavRequest } from '../types.ts';

export const FOLDER_ALLOW = 'OPTIONS, PROPFIND, PROPPATCH, MKCOL, DELETE, COPY, MOVE, LOCK, UNLOCK';

/**
 * GET / HEAD / POST of a file (contract 50 §2.3): conditional requests, a single byte range,
 * the group's speed limit. Blobs of policies that can presign are redirected (302) unless the
 * account proxies downloads and the group may proxy; local blobs are always streamed.
 */
export async function get(dc: DavContext, req: DavRequest, head: boolean): Promise<DavReply> {
  const r = await dc.fm.get(dc.user, uriAt(dc, req.elements), { caps: [Cap.DownloadFile] });
  const f = r.file;
  if (isFolder(f)) throw new DavError(405, 'Collections have no content; use PROPFIND', { headers: { Allow: FOLDER_ALLOW } });
  if (hidesSystemFiles(dc) && isSystemFileName(f.name)) throw new DavError(404, 'Not found');
  const ctx = dc.ctx;
  const ts = transferSettings(ctx);
  const etag = etagOf(dc, f)!;
  const lastModified = Number(f.updated_at);
  const base: Record<string, string> = {
    ETag: etag, 'Last-Modified': httpDate(lastModified), 'Accept-Ranges': 'bytes', 'Content-Type': contentTypeOf(f.name, ts.mimeMapping),
  };
  const pre = evaluatePreconditions({
    ifMatch: header(req.headers, 'if-match'), ifNoneMatch: header(req.headers, 'if-none-match'),
    ifModifiedSince: header(req.headers, 'if-modified-since'), ifUnmodifiedSince: header(req.headers, 'if-unmodified-since'),
  }, { etag, lastModified });
  if (pre === 'not_modified') return { status: 304, headers: { ETag: etag, 'Last-Modified': base['Last-Modified']! } };
  if (pre === 'precondition_failed') throw new DavError(412, 'Precondition failed');

  const entity = f.primary_entity === null ? undefined
    : await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', Number(f.primary_entity)).executeTakeFirst();
  if (!entity) return { status: 200, headers: { ...base, 'Content-Length': '0' }, body: '' };

  const size = Number(entity.size);
  const policy = await loadPolicy(ctx, Number(entity.storage_policy_id));
  const driver = driverFor(ctx, policy);
  const proxied = dc.options.has(DavOption.Proxy) && dc.user.permissions.has(GroupPermission.WebDAVProxy);
  const rangeHeader = header(req.headers, 'range');
  // Share links count downloads (and may run out); a client resuming with a Range is not a new download.
  if (!head && (!rangeHeader || /^\s*bytes\s*=\s*0-/i.test(rangeHeader))) await r.nav.beforeDownload?.(f);
  if (driver.presignDownload && !proxied) {
    const { url } = await driver.presignDownload(entity.source, { expiresAt: Math.floor(ctx.now() / 1000) + ts.entityUrlTtl });
    return { status: 302, headers: { Location: url, ETag: etag } };
  }

  const outcome = ifRangeAllows(header(req.headers, 'if-range'), { etag, lastModified })
    ? parseRange(rangeHeader, size) : { kind: 'full' as const };
  if (outcome.kind === 'unsatisfiable') {
    return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }, body: '' };
  }
  const range = outcome.kind === 'partial' ? outcome.range : undefined;
  const length = range ? range.end - range.start + 1 : size;
  const headers: Record<string, string> = { ...base, 'Content-Length': String(length) };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  if (head || length === 0) return { status, headers, body: head ? undefined : '' };

  let stream = await driver.get(entity.source, range ? { range } : {});
  const limit = Number(dc.user.group.speed_limit);
  if (limit > 0) {
    const t = throttle(limit);
    stream.once('error', (e) => t.destroy(e));
    stream = stream.pipe(t);
  }
  return { status, headers, body: stream };
}
