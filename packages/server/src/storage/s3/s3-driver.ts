import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as S3 from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from '../../util/disposition.ts';
import { LocalDriver } from '../local/local-driver.ts';
import {
  StorageError, closeBody, type BlobInfo, type BlobStat, type ByteRange, type ChunkWrite, type CreateUploadRequest,
  type DriverCapabilities, type PresignDownloadOptions, type StorageDriver, type UploadHandle,
} from '../driver.ts';
import { MAX_PARTS, MAX_PRESIGN_TTL, MIN_PART, type S3Config } from './config.ts';

export interface S3DriverOptions extends S3Config {
  /** Directory for relayed uploads while they arrive (one sparse temp file per session). */
  stagingDir: string;
  /** Clock (epoch ms) used for presign lifetimes; defaults to Date.now. */
  now?: () => number;
}

/**
 * The AWS SDK is loaded when the first S3 policy is used, not at server start (it costs ~20 MB of
 * memory that servers without S3 policies should not pay). Its CommonJS build loads synchronously.
 */
const requireCjs = createRequire(import.meta.url);
let sdkModule: typeof S3 | undefined;
let presignerModule: typeof Presigner | undefined;
export const sdk = (): typeof S3 => (sdkModule ??= requireCjs('@aws-sdk/client-s3') as typeof S3);
const presigner = (): typeof Presigner => (presignerModule ??= requireCjs('@aws-sdk/s3-request-presigner') as typeof Presigner);

/** Object metadata naming the upload session that created a blob (x-amz-meta-cr-session). */
const SESSION_META = 'cr-session';
/** Part size and parallelism when the server itself pushes a relayed upload to the bucket. */
const RELAY_PART = 16 * 1024 * 1024;
const RELAY_PARALLEL = 4;

type UploadState = { mode: 'relay' } | { mode: 'direct'; uploadId: string };

const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const errName = (e: unknown) => (e as { name?: string; Code?: string })?.name ?? '';
const isMissing = (e: unknown) => status(e) === 404 || ['NoSuchKey', 'NotFound', 'NoSuchUpload'].includes(errName(e));
/** The store does not implement an operation (s3rver: ListParts, AbortMultipartUpload). */
const isUnsupported = (e: unknown) => status(e) === 405 || status(e) === 501 || ['MethodNotAllowed', 'NotImplemented'].includes(errName(e));

function io(message: string, cause: unknown): StorageError {
  return cause instanceof StorageError ? cause : new StorageError(isMissing(cause) ? 'not_found' : 'io', message, { cause });
}

/** Object keys: relative, no empty/`.`/`..` segments, no NUL or backslash (a key must mean one thing everywhere). */
function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '' || key.length > 1024 || key.startsWith('/') || /[\0\\]/.test(key)) {
    throw new StorageError('invalid_key', 'Invalid storage key');
  }
  if (key.split('/').some((s) => s === '.' || s === '..' || s === '')) throw new StorageError('invalid_key', 'Invalid storage key');
  return key;
}

/** Reads a whole (small) body, which must be exactly `size` bytes long. */
async function readExactly(body: Readable, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let seen = 0;
  for await (const piece of body) {
    const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    seen += buf.length;
    if (seen > size) {
      body.destroy();
      throw new StorageError('size_mismatch', `More than the declared ${size} bytes`);
    }
    parts.push(buf);
  }
  if (seen !== size) throw new StorageError('size_mismatch', `Expected ${size} bytes, got ${seen}`);
  return Buffer.concat(parts, size);
}

/**
 * Blobs in one bucket of S3 or an S3-compatible store (policy types s3, ks3, cos, oss, obs).
 *
 * Uploads have two modes, fixed by the policy:
 * - direct (default): `createUpload` opens a multipart upload tagged with the session id; the client
 *   PUTs the parts to presigned URLs and completes it itself; `completeUpload` (the callback) then
 *   verifies the object — it must carry this session's tag and the declared size, otherwise it is
 *   deleted. When the client did not complete, the server completes from ListParts if the store has it.
 * - relay (`settings.relay`): bytes come through this server; chunks land in a sparse local temp file
 *   (any order, re-sendable) and `completeUpload` pushes the file to the bucket, multipart for large ones.
 * Copies/renames never touch the bucket (blobs are shared by reference in the database).
 */
export class S3Driver implements StorageDriver {
  readonly type: string;
  readonly capabilities: DriverCapabilities;
  private readonly server: S3Client;
  private readonly presigner: S3Client;
  private readonly staging: LocalDriver;
  private readonly now: () => number;
  /** Present only when clients upload to the bucket themselves (not in relay mode). */
  readonly presignUpload?: (handle: UploadHandle, opts: { expiresAt: number }) => Promise<{ urls: string[]; completeUrl?: string }>;

  constructor(private readonly cfg: S3DriverOptions) {
    this.type = cfg.type;
    this.capabilities = { randomAccessUpload: true, serverSideUpload: cfg.relay, maxPresignTtl: MAX_PRESIGN_TTL };
    this.server = makeClient(cfg, cfg.serverEndpoint);
    this.presigner = cfg.serverEndpoint === cfg.endpoint ? this.server : makeClient(cfg, cfg.endpoint);
    this.staging = new LocalDriver({ root: cfg.stagingDir, tempDir: cfg.stagingDir });
    this.now = cfg.now ?? Date.now;
    if (!cfg.relay) this.presignUpload = (h, o) => this.presignParts(h, o);
  }

  /** The bucket this driver writes to (for tools and tests). */
  get bucket(): string {
    return this.cfg.bucket;
  }

  async put(key: string, body: Readable, opts: { size: number; contentType?: string }): Promise<BlobStat> {
    checkKey(key);
    if (await this.stat(key)) {
      body.resume();
      throw new StorageError('conflict', 'A blob already exists under this key');
    }
    // The body is verified completely before anything reaches the bucket (some stores keep the
    // part of an aborted PUT): small blobs in memory, larger ones in a staging file.
    if (opts.size <= RELAY_PART) {
      const buf = await readExactly(body, opts.size);
      await this.putObject(key, buf, opts.size, opts.contentType);
      return { size: opts.size, modifiedAt: this.now() };
    }
    const id = `put-${randomUUID()}`;
    const temp: UploadHandle = { id, key: `relay/${id}`, size: opts.size, chunkSize: 0, state: {} };
    await this.staging.createUpload({ id, key: temp.key, size: opts.size, chunkSize: 0 });
    try {
      await this.staging.writeChunk(temp, { index: 0, offset: 0, length: opts.size, body });
      await this.pushFile(key, path.join(this.cfg.stagingDir, `${id}.part`), opts.size, {}, opts.contentType);
    } finally {
      await this.staging.abortUpload(temp);
    }
    return { size: opts.size, modifiedAt: this.now() };
  }

  private async putObject(key: string, body: Buffer | Readable, size: number, contentType?: string, meta?: Record<string, string>): Promise<void> {
    try {
      await this.server.send(new (sdk().PutObjectCommand)({
        Bucket: this.cfg.bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType, Metadata: meta, IfNoneMatch: '*',
      }));
    } catch (e) {
      if (status(e) === 412) throw new StorageError('conflict', 'A blob already exists under this key', { cause: e });
      throw io('Cannot store blob', e);
    }
  }

  async get(key: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    checkKey(key);
    try {
      const out = await this.server.send(new (sdk().GetObjectCommand)({
        Bucket: this.cfg.bucket, Key: key, Range: opts.range ? `bytes=${opts.range.start}-${opts.range.end}` : undefined,
      }), { abortSignal: opts.signal });
      const b = out.Body;
      if (!b) return Readable.from([]);
      return b instanceof Readable ? b : Readable.fromWeb(b.transformToWebStream() as never);
    } catch (e) {
      // An empty object cannot satisfy a range request; nothing to stream either way.
      if (status(e) === 416 && opts.range) return Readable.from([]);
      throw io('Cannot read blob', e);
    }
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    return (await this.head(key))?.stat;
  }

  private async head(key: string): Promise<{ stat: BlobStat; session?: string } | undefined> {
    checkKey(key);
    try {
      const h = await this.server.send(new (sdk().HeadObjectCommand)({ Bucket: this.cfg.bucket, Key: key }));
      return { stat: { size: Number(h.ContentLength ?? 0), modifiedAt: h.LastModified?.getTime() ?? 0 }, session: h.Metadata?.[SESSION_META] };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw io('Cannot stat blob', e);
    }
  }

  async delete(keys: string[]): Promise<string[]> {
    const failed: string[] = [];
    const valid = keys.filter((k) => {
      try {
        checkKey(k);
        return true;
      } catch {
        failed.push(k);
        return false;
      }
    });
    for (let i = 0; i < valid.length; i += this.cfg.deleteBatch) {
      const batch = valid.slice(i, i + this.cfg.deleteBatch);
      try {
        const out = await this.server.send(new (sdk().DeleteObjectsCommand)({
          Bucket: this.cfg.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }));
        for (const e of out.Errors ?? []) if (e.Key && e.Code !== 'NoSuchKey') failed.push(e.Key);
      } catch {
        failed.push(...batch);
      }
    }
    return failed;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.server.send(new (sdk().ListObjectsV2Command)({ Bucket: this.cfg.bucket, Prefix: prefix || undefined, ContinuationToken: token }));
      } catch (e) {
        throw io('Cannot list blobs', e);
      }
      for (const o of out.Contents ?? []) {
        if (o.Key) yield { key: o.Key, size: Number(o.Size ?? 0), modifiedAt: o.LastModified?.getTime() ?? 0 };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async createUpload(req: CreateUploadRequest): Promise<UploadHandle> {
    checkKey(req.key);
    if (this.cfg.relay) {
      await this.staging.createUpload({ ...req, key: `relay/${req.id}` });
      return { id: req.id, key: req.key, size: req.size, chunkSize: req.chunkSize, state: { mode: 'relay' } satisfies UploadState };
    }
    // Parts: at least 5 MiB (except the last) and at most 10 000 of them.
    let chunkSize = req.chunkSize > 0 ? req.chunkSize : this.cfg.chunkSize;
    chunkSize = Math.max(chunkSize, MIN_PART, Math.ceil(req.size / MAX_PARTS));
    if (chunkSize >= req.size) chunkSize = 0;
    try {
      const out = await this.server.send(new (sdk().CreateMultipartUploadCommand)({
        Bucket: this.cfg.bucket, Key: req.key, ContentType: req.contentType, Metadata: { [SESSION_META]: req.id },
      }));
      if (!out.UploadId) throw new StorageError('io', 'The store returned no upload id');
      return { id: req.id, key: req.key, size: req.size, chunkSize, state: { mode: 'direct', uploadId: out.UploadId } satisfies UploadState };
    } catch (e) {
      throw io('Cannot start the upload', e);
    }
  }

  private relayHandle(handle: UploadHandle): UploadHandle {
    return { ...handle, key: `relay/${handle.id}` };
  }

  private stateOf(handle: UploadHandle): UploadState {
    const s = handle.state as Partial<UploadState>;
    if (s.mode === 'relay') return { mode: 'relay' };
    if (s.mode === 'direct' && typeof s.uploadId === 'string') return { mode: 'direct', uploadId: s.uploadId };
    throw new StorageError('not_found', 'Unknown upload');
  }

  async writeChunk(handle: UploadHandle, chunk: ChunkWrite): Promise<void> {
    if (this.stateOf(handle).mode !== 'relay') {
      closeBody(chunk.body);
      throw new StorageError('io', 'This upload goes from the client to the bucket directly');
    }
    await this.staging.writeChunk(this.relayHandle(handle), chunk);
  }

  async readUpload(handle: UploadHandle): Promise<Readable> {
    if (this.stateOf(handle).mode !== 'relay') throw new StorageError('not_found', 'Direct uploads are not readable before completion');
    return this.staging.readUpload(this.relayHandle(handle));
  }

  async completeUpload(handle: UploadHandle): Promise<BlobStat> {
    checkKey(handle.key);
    const state = this.stateOf(handle);
    const existing = await this.head(handle.key);
    if (existing && existing.session !== handle.id) throw new StorageError('conflict', 'A blob already exists under this key');
    if (state.mode === 'relay') {
      if (existing) {
        // A completion repeated after a crash: the push already happened.
        await this.staging.abortUpload(this.relayHandle(handle));
        return this.verifySize(handle, existing.stat);
      }
      return this.pushRelayed(handle);
    }
    if (existing) return this.verifySize(handle, existing.stat);
    // The client did not complete the multipart upload: finish it from the store's part list.
    let parts: CompletedPart[];
    try {
      parts = await this.listParts(handle.key, state.uploadId);
    } catch (e) {
      if (isMissing(e) || isUnsupported(e)) throw new StorageError('not_found', 'The upload was not completed', { cause: e });
      throw io('Cannot list uploaded parts', e);
    }
    if (parts.length === 0) throw new StorageError('not_found', 'No part was uploaded');
    try {
      await this.server.send(new (sdk().CompleteMultipartUploadCommand)({
        Bucket: this.cfg.bucket, Key: handle.key, UploadId: state.uploadId, MultipartUpload: { Parts: parts },
      }));
    } catch (e) {
      throw io('Cannot complete the upload', e);
    }
    const done = await this.head(handle.key);
    if (!done) throw new StorageError('not_found', 'The completed object is missing');
    return this.verifySize(handle, done.stat);
  }

  /** The blob must have the declared size; a wrong one is deleted (the session's bytes are unusable). */
  private async verifySize(handle: UploadHandle, st: BlobStat): Promise<BlobStat> {
    if (st.size === handle.size) return st;
    await this.delete([handle.key]);
    throw new StorageError('size_mismatch', `Uploaded ${st.size} bytes, expected ${handle.size}`);
  }

  private async listParts(key: string, uploadId: string): Promise<CompletedPart[]> {
    const parts: CompletedPart[] = [];
    let marker: string | undefined;
    do {
      const out = await this.server.send(new (sdk().ListPartsCommand)({ Bucket: this.cfg.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
      for (const p of out.Parts ?? []) parts.push({ PartNumber: p.PartNumber, ETag: p.ETag });
      marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
    } while (marker);
    return parts;
  }

  /** Sends a fully relayed upload from its temp file to the bucket, then drops the temp file. */
  private async pushRelayed(handle: UploadHandle): Promise<BlobStat> {
    // The staging LocalDriver keeps a session's bytes in <tempDir>/<session id>.part (ids are checked by it).
    const tmpPath = path.join(this.cfg.stagingDir, `${handle.id}.part`);
    const st = await fsp.stat(tmpPath).catch(() => undefined);
    if (!st) throw new StorageError('not_found', 'Upload data no longer exists');
    if (st.size !== handle.size) throw new StorageError('size_mismatch', `Uploaded ${st.size} bytes, expected ${handle.size}`);
    await this.pushFile(handle.key, tmpPath, handle.size, { [SESSION_META]: handle.id });
    await this.staging.abortUpload(this.relayHandle(handle));
    return { size: handle.size, modifiedAt: this.now() };
  }

  /** Uploads a local file: one PUT when small, parallel multipart otherwise. */
  private async pushFile(key: string, file: string, size: number, meta: Record<string, string>, contentType?: string): Promise<void> {
    const fh = await fsp.open(file, 'r');
    try {
      const range = (start: number, end: number) => fh.createReadStream({ start, end: end - 1, autoClose: false });
      if (size <= RELAY_PART) await this.putObject(key, size ? range(0, size) : Buffer.alloc(0), size, contentType, meta);
      else await this.multipartFromFile(key, size, meta, range, contentType);
    } finally {
      await fh.close();
    }
  }

  private async multipartFromFile(key: string, size: number, meta: Record<string, string>, range: (s: number, e: number) => Readable, contentType?: string): Promise<void> {
    const partSize = Math.max(RELAY_PART, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partSize);
    const created = await this.server.send(new (sdk().CreateMultipartUploadCommand)({ Bucket: this.cfg.bucket, Key: key, Metadata: meta, ContentType: contentType }))
      .catch((e: unknown) => {
        throw io('Cannot start the upload', e);
      });
    const uploadId = created.UploadId!;
    const parts: CompletedPart[] = new Array(count);
    let next = 0;
    try {
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const start = i * partSize;
          const end = Math.min(size, start + partSize);
          const out = await this.server.send(new (sdk().UploadPartCommand)({
            Bucket: this.cfg.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: range(start, end), ContentLength: end - start,
          }));
          parts[i] = { PartNumber: i + 1, ETag: out.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(RELAY_PARALLEL, count) }, worker));
      await this.server.send(new (sdk().CompleteMultipartUploadCommand)({ Bucket: this.cfg.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (e) {
      await this.abortMultipart(key, uploadId);
      throw io('Cannot store blob', e);
    }
  }

  private async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.server.send(new (sdk().AbortMultipartUploadCommand)({ Bucket: this.cfg.bucket, Key: key, UploadId: uploadId }));
    } catch (e) {
      if (!isMissing(e) && !isUnsupported(e)) throw io('Cannot abort the upload', e);
    }
  }

  async abortUpload(handle: UploadHandle): Promise<void> {
    checkKey(handle.key);
    const state = this.stateOf(handle);
    if (state.mode === 'relay') await this.staging.abortUpload(this.relayHandle(handle));
    else await this.abortMultipart(handle.key, state.uploadId);
    // An object the client completed for this session without the callback arriving: remove it too.
    const h = await this.head(handle.key);
    if (h && h.session === handle.id) await this.delete([handle.key]);
  }

  private ttl(expiresAt: number): number {
    return Math.min(MAX_PRESIGN_TTL, Math.max(1, Math.floor(expiresAt - this.now() / 1000)));
  }

  /** Presigned GET; `downloadName` forces `attachment` through response-content-disposition. */
  async presignDownload(key: string, opts: PresignDownloadOptions): Promise<{ url: string; expiresAt: number }> {
    checkKey(key);
    const expiresIn = this.ttl(opts.expiresAt);
    let url: string;
    if (!this.cfg.isPrivate && !opts.downloadName) {
      url = await this.publicUrl(key);
    } else {
      url = await presigner().getSignedUrl(this.presigner, new (sdk().GetObjectCommand)({
        Bucket: this.cfg.bucket, Key: key,
        ResponseContentDisposition: opts.downloadName ? contentDisposition('attachment', opts.downloadName) : undefined,
      }), { expiresIn });
    }
    return { url: this.viaCdn(url), expiresAt: Math.floor(this.now() / 1000) + expiresIn };
  }

  /** Unsigned object URL of a public-read bucket. */
  private async publicUrl(key: string): Promise<string> {
    const signed = new URL(await presigner().getSignedUrl(this.presigner, new (sdk().GetObjectCommand)({ Bucket: this.cfg.bucket, Key: key }), { expiresIn: 60 }));
    signed.search = '';
    return signed.toString();
  }

  /** Replaces scheme and host with the policy's CDN base (its path is kept as a prefix). */
  private viaCdn(url: string): string {
    if (!this.cfg.cdnBase) return url;
    const u = new URL(url);
    const cdn = new URL(this.cfg.cdnBase);
    return `${cdn.origin}${cdn.pathname.replace(/\/+$/, '')}${u.pathname}${u.search}`;
  }

  /** One presigned PUT per part (part i+1) and a presigned POST that completes the multipart upload. */
  private async presignParts(handle: UploadHandle, opts: { expiresAt: number }): Promise<{ urls: string[]; completeUrl?: string }> {
    const state = this.stateOf(handle);
    if (state.mode !== 'direct') throw new StorageError('not_found', 'This upload is relayed through the server');
    const expiresIn = this.ttl(opts.expiresAt);
    const count = handle.chunkSize > 0 ? Math.max(1, Math.ceil(handle.size / handle.chunkSize)) : 1;
    const base = { Bucket: this.cfg.bucket, Key: handle.key, UploadId: state.uploadId };
    const urls: string[] = [];
    for (let i = 1; i <= count; i++) {
      urls.push(await presigner().getSignedUrl(this.presigner, new (sdk().UploadPartCommand)({ ...base, PartNumber: i }), { expiresIn }));
    }
    const completeUrl = await presigner().getSignedUrl(this.presigner, new (sdk().CompleteMultipartUploadCommand)(base), { expiresIn });
    return { urls, completeUrl };
  }
}

/** Client knobs for one-off admin calls (connection test, CORS): fail fast instead of retrying. */
export interface S3ClientTuning {
  maxAttempts?: number;
  /** Connect and per-request socket timeouts, ms. */
  timeoutMs?: number;
}

/** An SDK client for the policy's bucket (exported for the admin tools in s3-admin.ts). */
export function makeClient(cfg: S3Config, endpoint: string | undefined, tuning: S3ClientTuning = {}): S3Client {
  const client = new (sdk().S3Client)({
    region: cfg.region,
    endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKey, secretAccessKey: cfg.secretKey },
    // Plain bodies: aws-chunked CRC framing breaks most S3-compatible stores (STACK.md gotcha 4).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: tuning.maxAttempts ?? 3,
    ...(tuning.timeoutMs ? { requestHandler: { connectionTimeout: tuning.timeoutMs, requestTimeout: tuning.timeoutMs } } : {}),
  });
  if (cfg.forcePathStyle) {
    // Bucket-level calls are sent as "/bucket/"; some stores sign "/bucket" and reject the signature.
    client.middlewareStack.add((next) => async (args) => {
      const req = args.request as { path?: string };
      if (typeof req.path === 'string' && /^\/[^/]+\/$/.test(req.path)) req.path = req.path.slice(0, -1);
      return next(args);
    }, { step: 'build', name: 'crBucketPathSlash' });
  }
  return client;
}
