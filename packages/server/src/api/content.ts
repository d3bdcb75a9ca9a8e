import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pipeline, type Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok, errorEnvelope } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { contentDisposition } from '../util/disposition.ts';
import { evaluatePreconditions, ifRangeAllows, parseRange, type Validators } from '../http/range.ts';
import { sniff, typeByName } from '../http/mime.ts';
import { verifySignedPath } from '../services/signing.ts';
import { siteBaseUrl } from '../services/share-serialize.ts';
import { loadUser } from '../services/users.ts';
import { typed } from './typed.ts';
import { declaredLength, rawBodyScope, withRawBody } from './upload.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import * as metadata from '../fs/metadata.ts';
import { FileType, MetaKey } from '../fs/types.ts';
import { isNotFound, StorageError, type StorageDriver } from '../storage/driver.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import { throttle } from '../storage/throttle.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime } from '../util/time.ts';
import { ARCHIVE_PREFIX, contentPath, entityUrl } from '../transfer/download-url.ts';
import { archiveKey, createDownloadUrls, type ArchiveSession } from '../transfer/download.ts';
import { collectArchiveEntries, streamZip } from '../transfer/archive.ts';
import { ensureThumbnail, existingThumbnail, thumbNotAvailable } from '../transfer/thumbnails.ts';
import { updateContent } from '../transfer/update-content.ts';
import { nativeThumbnailUrl } from '../transfer/native-thumb.ts';
import { transferSettings } from '../transfer/settings.ts';
import { presignedEntityUrl } from '../transfer/presigned-url.ts';

const Uri = Type.String({ minLength: 1, maxLength: 65536 });

function queryFlag(v: unknown): boolean {
  return typeof v === 'string' && v !== '';
}

/** Origin of the request as a siteURL host match key. */
const hostOf = (req: FastifyRequest) => (typeof req.headers.host === 'string' ? req.headers.host : undefined);

/**
 * Downloads (contract 30 §2), content updates (§1.9) and thumbnails (contract 20 §3.3):
 * POST /file/url, the signed content and archive routes, PUT /file/content, GET /file/thumb.
 */
export async function contentRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const fm = fileManager(ctx);

  r.post('/file/url', {
    config: { scope: 'public' },
    schema: {
      tags: ['download'], summary: 'Signed, expiring download URLs (or one archive URL)',
      body: Type.Object({
        uris: Type.Array(Uri, { minItems: 1 }),
        download: Type.Optional(Type.Boolean()),
        redirect: Type.Optional(Type.Boolean()),
        entity: Type.Optional(Type.String({ maxLength: 64 })),
        use_primary_site_url: Type.Optional(Type.Boolean()),
        skip_error: Type.Optional(Type.Boolean()),
        archive: Type.Optional(Type.Boolean()),
        no_cache: Type.Optional(Type.Boolean()),
      }),
    },
  }, async (req, reply) => {
    const res = await createDownloadUrls(ctx, req.user, req.body, hostOf(req));
    if (req.body.redirect && req.body.uris.length === 1 && res.urls[0]?.url) return reply.redirect(res.urls[0].url, 302);
    return ok(res);
  });

  r.get('/file/thumb', {
    config: { scope: 'public' },
    schema: { tags: ['download'], summary: 'Thumbnail URL of a file (generated on first request)', querystring: Type.Object({ uri: Uri }) },
  }, async (req) => {
    const target = await fm.get(req.user, req.query.uri);
    if (Number(target.file.type) !== FileType.File) throw thumbNotAvailable();
    const native = await nativeThumbnailUrl(ctx, target.file);
    if (native) return ok({ url: native.url, expires: formatTime(native.expiresAt) });
    let thumb = await existingThumbnail(ctx, target.file.id);
    if (!thumb) {
      if (!target.nav.caps.has(Cap.GenerateThumb)) throw thumbNotAvailable();
      thumb = await ensureThumbnail(ctx, target.file);
    }
    const meta = (await metadata.loadPublic(ctx.db.kysely, [target.file.id])).get(target.file.id);
    if (meta && MetaKey.ThumbDisabled in meta) throw thumbNotAvailable();
    const ext = (JSON.parse(thumb.props ?? '{}') as { ext?: string }).ext ?? 'jpg';
    const name = `${target.nav.displayName(target.file, meta)}.${ext}`;
    // Thumbnails in a bucket are fetched from it directly (presigned), like downloads.
    const url = await presignedEntityUrl(ctx, thumb, { name, speed: 0, download: false })
      ?? await entityUrl(ctx, { entityId: thumb.id, name, speed: 0, download: false, siteUrl: siteBaseUrl(ctx, hostOf(req)) });
    return ok({ url: url.url, expires: formatTime(url.expiresAt) });
  });

  const contentParams = Type.Object({ id: Type.String({ maxLength: 64 }), speed: Type.String({ maxLength: 20 }), name: Type.String({ maxLength: 4096 }) });
  const contentQuery = Type.Object({ sign: Type.Optional(Type.String({ maxLength: 512 })), download: Type.Optional(Type.String()), thumb: Type.Optional(Type.String()) });
  r.route({
    method: ['GET', 'HEAD'],
    url: '/file/content/:id/:speed/:name',
    config: { scope: 'signed' },
    schema: { tags: ['download'], summary: 'Signed content of an entity (Range, conditional requests, speed limit)', params: contentParams, querystring: contentQuery },
    handler: async (req, reply) => {
      const { id, speed, name } = req.params;
      verifySignedPath(ctx, contentPath(id, speed, name), req.query.sign);
      return serveEntity(ctx, req, reply, { id, speed, name, download: queryFlag(req.query.download) });
    },
  });
  r.options('/file/content/:id/:speed/:name', { config: { scope: 'signed' }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'Range, If-Range, If-None-Match, If-Modified-Since, If-Match')
      .header('access-control-max-age', '86400');
    return reply.code(204).send();
  });

  r.get('/file/archive/:sessionId/archive.zip', {
    config: { scope: 'signed' },
    schema: {
      tags: ['download'], summary: 'Streamed ZIP of an archive session',
      params: Type.Object({ sessionId: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ sign: Type.Optional(Type.String({ maxLength: 512 })) }),
    },
  }, async (req, reply) => {
    verifySignedPath(ctx, `${ARCHIVE_PREFIX}/${req.params.sessionId}/archive.zip`, req.query.sign);
    const session = await ctx.kv.get<ArchiveSession>(archiveKey(req.params.sessionId));
    if (!session) throw new AppError(Code.NotFound, 'Archive session not exist');
    const user = await loadUser(ctx, session.requester_id, true);
    if (!user) throw new AppError(Code.NotFound, 'Archive session not exist');
    const entries = await collectArchiveEntries(ctx, user, session.uris);
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    reply.header('content-type', 'application/zip').header('content-disposition', 'attachment;').header('cache-control', 'no-cache');
    return reply.send(streamZip(ctx, entries, abort.signal));
  });

  await app.register(async (scope) => {
    rawBodyScope(scope);
    typed(scope).put('/file/content', {
      config: { scope: 'public' },
      schema: {
        tags: ['upload'], summary: 'Replace a file\'s content with the raw body (new version)',
        description: 'Content-Length (or X-Expected-Entity-Length) is required and must not exceed `maxEditSize` (40049). `previous` = entity id the editor loaded (40076 when the file changed).',
        querystring: Type.Object({ uri: Uri, previous: Type.Optional(Type.String({ maxLength: 64 })) }),
      },
    }, async (req, reply) => withRawBody(req, reply, async (body) => {
      const digest = req.headers['content-digest'];
      return ok(await updateContent(ctx, req.user, {
        uri: req.query.uri, previous: req.query.previous || undefined, body, declaredLength: declaredLength(req),
        contentDigest: typeof digest === 'string' ? digest : undefined,
      }));
    }));
  });
}

interface ServeParams { id: string; speed: string; name: string; download: boolean }

/** Streams an entity; a storage backend that fails (unreachable, refused credentials) → 502 (contract 30 §2.2). */
async function serveEntity(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, p: ServeParams): Promise<FastifyReply> {
  try {
    return await serveEntityBody(ctx, req, reply, p);
  } catch (e) {
    if (!(e instanceof StorageError && e.kind === 'io') || reply.sent) throw e;
    ctx.log.warn('content: storage backend failed', { error: e.message, cause: String((e.cause as Error)?.message ?? '') });
    for (const h of ['content-length', 'content-range', 'content-disposition', 'etag', 'last-modified', 'cache-control', 'content-security-policy']) reply.removeHeader(h);
    return reply.code(502).type('text/plain; charset=utf-8').send('[Cloudreve] Bad Gateway');
  }
}

/** Streams an entity with range, validators and the signed speed limit (contract 30 §2.2). */
async function serveEntityBody(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, p: ServeParams): Promise<FastifyReply> {
  const entityId = ctx.hashids.decode(p.id, HashType.Entity);
  if (entityId === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  if (!/^\d{1,15}$/.test(p.speed)) throw new AppError(Code.ParamErr, 'Invalid speed');
  const speed = Number(p.speed);

  let size = 0;
  let modifiedAt = 0;
  let driver: StorageDriver | undefined;
  let key = '';
  if (entityId !== 0) {
    const entity = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', entityId).executeTakeFirst();
    if (!entity || Number(entity.reference_count) <= 0 || entity.upload_session_id) throw new AppError(Code.EntityNotExist, 'Entity not exist');
    driver = driverFor(ctx, await loadPolicy(ctx, Number(entity.storage_policy_id)));
    key = entity.source;
    const st = await driver.stat(key);
    if (!st) {
      ctx.log.warn('content: blob missing', { entity: entityId });
      return reply.code(404).send(errorEnvelope(new AppError(Code.NotFound, 'Entity data does not exist.'), req.correlationId, false));
    }
    size = st.size;
    modifiedAt = Number(entity.updated_at) || st.modifiedAt;
  }

  const ts = transferSettings(ctx);
  const v: Validators = { etag: `"${p.id}"`, lastModified: modifiedAt || 0 };
  reply.header('etag', v.etag).header('accept-ranges', 'bytes').header('access-control-allow-origin', '*')
    .header('cache-control', `public, max-age=${ts.publicMaxAge}`);
  if (modifiedAt) reply.header('last-modified', new Date(modifiedAt).toUTCString());
  if (req.method === 'GET') reply.header('content-security-policy', 'sandbox');
  reply.header('content-disposition', contentDisposition(p.download ? 'attachment' : 'inline', p.name));

  const h = req.headers;
  const str = (x: string | string[] | undefined) => (Array.isArray(x) ? x.join(', ') : x);
  const pre = evaluatePreconditions({
    ifMatch: str(h['if-match']), ifNoneMatch: str(h['if-none-match']), ifModifiedSince: str(h['if-modified-since']), ifUnmodifiedSince: str(h['if-unmodified-since']),
  }, v);
  if (pre === 'not_modified') return reply.code(304).send();
  if (pre === 'precondition_failed') return reply.code(412).send();

  let type = typeByName(p.name, ts.mimeMapping);
  if (!type) type = driver && size > 0 ? sniff(await readHead(driver, key, size)) : 'text/plain; charset=utf-8';
  reply.header('content-type', type);

  const rangeHeader = ifRangeAllows(str(h['if-range']), v) ? str(h.range) : undefined;
  const range = parseRange(rangeHeader, size);
  if (range.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${size}`).header('content-type', 'text/plain; charset=utf-8');
    return reply.code(416).send('Requested Range Not Satisfiable');
  }
  const start = range.kind === 'partial' ? range.range.start : 0;
  const end = range.kind === 'partial' ? range.range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  reply.header('content-length', String(length));
  if (req.method === 'HEAD' || length === 0 || !driver) return reply.send();

  let stream: Readable;
  try {
    stream = await driver.get(key, range.kind === 'partial' ? { range: { start, end } } : {});
  } catch (e) {
    if (!isNotFound(e)) throw e;
    reply.removeHeader('content-length');
    return reply.code(404).send(errorEnvelope(new AppError(Code.NotFound, 'Entity data does not exist.'), req.correlationId, false));
  }
  if (speed <= 0) return reply.send(stream);
  const limited = throttle(speed);
  pipeline(stream, limited, () => undefined);
  return reply.send(limited);
}

async function readHead(driver: StorageDriver, key: string, size: number): Promise<Buffer> {
  const s = await driver.get(key, { range: { start: 0, end: Math.min(size, 512) - 1 } });
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

