import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inTx } from '../../fs/db-errors.ts';
import { createUploadSession } from '../../transfer/upload-create.ts';
import { uploadChunk } from '../../transfer/upload-chunk.ts';
import { cancelSession } from '../../transfer/upload-cancel.ts';
import { loadPolicy } from '../../storage/policies.ts';
import { HashType } from '../../util/hashid.ts';
import { parseJson } from '../../util/json.ts';
import { uuid } from '../../util/random.ts';
import { etagOf, isFolder, lockPathAt, lockReq, refuseSystemFile, requireParentFolder, resolveAt, uriAt, type DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { effectiveTokens, evaluateIf, requireWritable } from '../locking.ts';
import { header, type DavReply, type DavRequest } from '../types.ts';

/**
 * PUT (contract 50 §2.3): creates the file or adds a new version through the transfer pipeline
 * (upload session + one chunk + commit), so name rules, policy limits, quota, version retention,
 * thumbnails and the `upload` lock are exactly those of the REST upload.
 *
 * The body is streamed. Its size comes from Content-Length, else X-Expected-Entity-Length (macOS
 * Finder's chunked uploads); a chunked body without either is first spooled to a temp file
 * (bounded by the free quota and the policy's max size) so the session can declare its size.
 * MD5 and SHA-1 are computed on the way and kept beside the commit's SHA-256 (oc:checksums).
 * `X-OC-Mtime` (Unix seconds, rclone/ownCloud clients) sets the modification time.
 */
export async function put(dc: DavContext, req: DavRequest): Promise<DavReply> {
  const ctx = dc.ctx;
  if (!req.elements.length) throw new DavError(405, 'Cannot PUT the root collection');
  refuseSystemFile(dc, req.elements[req.elements.length - 1]!);
  const uri = uriAt(dc, req.elements);
  const r = await resolveAt(dc, req.elements);
  if (r.file && isFolder(r.file)) throw new DavError(405, 'Cannot PUT to a collection', { headers: { Allow: 'OPTIONS, PROPFIND, PROPPATCH, MKCOL, DELETE, COPY, MOVE, LOCK, UNLOCK' } });
  if (!r.file) requireParentFolder(r);

  const submitted = await evaluateIf(dc, header(req.headers, 'if'), req.elements);
  const tokens = await effectiveTokens(dc, submitted.tokens, [lockPathAt(dc, req.elements)]);
  await requireWritable(dc, [lockReq(dc, r, 'upload', 0)], tokens);

  const mtime = parseOcMtime(header(req.headers, 'x-oc-mtime'));
  let size = declaredSize(req);
  let spool: { file: string; size: number } | undefined;
  let body: Readable = req.body ?? Readable.from([]);
  try {
    if (size === undefined) {
      spool = await spoolToTemp(dc, body);
      size = spool.size;
      body = createReadStream(spool.file);
    }
    const md5 = createHash('md5');
    const sha1 = createHash('sha1');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        md5.update(chunk);
        sha1.update(chunk);
        cb(null, chunk);
      },
    });
    body.once('error', (e) => tap.destroy(e));

    const session = await createUploadSession(ctx, dc.user, { uri: uri.toString(), size, ...(mtime ? { last_modified: mtime } : {}) }, {
      forEdit: true, chunkSize: 0, tokens,
    });
    let entityId: number | undefined;
    try {
      const result = await uploadChunk(ctx, dc.user, { sessionId: session.row.id, index: 0, body: body.pipe(tap), declaredLength: size });
      entityId = result.committed?.entityId;
    } catch (e) {
      await cancelSession(ctx, session, { reason: 'failed' }).catch(() => undefined);
      throw e;
    }
    if (entityId !== undefined) await recordChecksums(dc, entityId, { md5: md5.digest('hex'), sha1: sha1.digest('hex') });

    const headers: Record<string, string> = {};
    const after = await resolveAt(dc, req.elements);
    if (after.file) headers.ETag = entityId !== undefined ? `"${ctx.hashids.encode(entityId, HashType.Entity)}"` : etagOf(dc, after.file)!;
    if (mtime) headers['X-OC-Mtime'] = 'accepted';
    return { status: r.file ? 204 : 201, headers };
  } finally {
    if (spool) await rm(spool.file, { force: true }).catch(() => undefined);
  }
}

/** Content-Length when the body is not transfer-coded, else X-Expected-Entity-Length; undefined when unknown. */
function declaredSize(req: DavRequest): number | undefined {
  const te = header(req.headers, 'transfer-encoding');
  const parse = (v: string | undefined) => {
    if (v === undefined || v.trim() === '') return undefined;
    if (!/^\d+$/.test(v.trim())) throw new DavError(400, 'Invalid length header');
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) throw new DavError(400, 'Invalid length header');
    return n;
  };
  if (!te) return parse(header(req.headers, 'content-length')) ?? (req.body ? parse(header(req.headers, 'x-expected-entity-length')) : 0);
  return parse(header(req.headers, 'x-expected-entity-length'));
}

/** X-OC-Mtime: Unix seconds (fractions allowed) → epoch ms; absent or nonsense → undefined. */
function parseOcMtime(v: string | undefined): number | undefined {
  if (!v || !/^\d{1,12}(\.\d+)?$/.test(v.trim())) return undefined;
  const ms = Math.round(Number(v.trim()) * 1000);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Streams a body of unknown length to a temp file, refusing more than the user's free quota (507)
 * or the policy's max size (413) as soon as it is exceeded.
 */
async function spoolToTemp(dc: DavContext, body: Readable): Promise<{ file: string; size: number }> {
  const dir = path.join(dc.ctx.cfg.dataDir, 'temp', 'webdav');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${uuid()}.part`);
  const owner = dc.nav.owner;
  const free = Math.max(0, Number(owner.group.max_storage) - Number(owner.row.storage));
  const policy = await loadPolicy(dc.ctx, owner.group.storage_policy_id);
  const maxSize = Number(policy.max_size) > 0 ? Number(policy.max_size) : Infinity;
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > maxSize) return cb(new DavError(413, 'File is too large'));
      if (size > free) return cb(new DavError(507, 'Insufficient capacity'));
      cb(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(file));
  } catch (e) {
    await rm(file, { force: true }).catch(() => undefined);
    if (e instanceof DavError) throw e;
    throw new DavError(400, 'Request body could not be read', { cause: e });
  }
  return { file, size };
}

/** Adds MD5/SHA-1 to the committed version's props (the commit stored its SHA-256). */
async function recordChecksums(dc: DavContext, entityId: number, sums: { md5: string; sha1: string }): Promise<void> {
  await inTx(dc.ctx.db, async (trx) => {
    const row = await trx.selectFrom('entities').select('props').where('id', '=', entityId).executeTakeFirst();
    if (!row) return;
    const props = { ...parseJson<Record<string, unknown>>(row.props, {}), ...sums };
    await trx.updateTable('entities').set({ props: JSON.stringify(props) }).where('id', '=', entityId).execute();
  });
}
