import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { siteBaseUrl } from '../../services/share-serialize.ts';
import { onNodeChanged } from '../../services/node-events.ts';
import {
  StorageError, closeBody, type BlobInfo, type BlobStat, type ByteRange, type ChunkWrite, type CreateUploadRequest,
  type DriverCapabilities, type PresignDownloadOptions, type StorageDriver, type UploadHandle,
} from '../driver.ts';
import { encodeSrc, NodeClient, NodeError, type NodeTarget } from './node-client.ts';
import { NodeUnreachable, readBody } from './node-http.ts';

/** The node session as the master creates it (PUT /api/v4/slave/upload, [OURS] JSON). */
export interface NodeUploadSession {
  id: string;
  save_path: string;
  size: number;
  chunk_size: number;
  /** Unix seconds. */
  expires: number;
  /** Set for browser uploads: the node POSTs here (signed) after the last chunk. */
  callback?: string;
}

/** Result of the node's publish step (POST /upload/:id/complete and the callback body). */
export interface NodeCompletion { size: number; modified: number; sha256?: string }

/** Policy fields the driver needs. */
export interface RemotePolicy { id: number; node_id: number | null }

const NODE_CACHE_MS = 10_000;

/**
 * Blobs stored on a remote node (policy type `remote`, contract 50 §3.4). The node keeps the bytes
 * on its own disk (a LocalDriver there); this driver speaks the signed node protocol:
 * sessions + chunks + an explicit publish for uploads, signed URLs for reads, DELETE /file for
 * deletes, node-side thumbnails. Browsers upload straight to the node with a credential
 * (`presignUpload`) and download from it with signed URLs (`presignDownload`).
 */
export class RemoteDriver implements StorageDriver {
  readonly type = 'remote';
  readonly capabilities: DriverCapabilities = { randomAccessUpload: true, serverSideUpload: false, maxPresignTtl: 7 * 24 * 3600 };
  private cached?: { client: NodeClient; at: number };

  private fixed?: NodeClient;

  constructor(private readonly ctx: Ctx, private readonly policy: RemotePolicy) {
    onNodeChanged(ctx, (id) => {
      if (id === policy.node_id) this.cached = undefined;
    });
  }

  /** A driver bound to one node client, without a master database (tests, benchmarks, tools). */
  static forClient(client: NodeClient, log: Ctx['log']): RemoteDriver {
    // Only `log` is used when the client is fixed (no node lookups).
    const d = new RemoteDriver({ log } as Ctx, { id: 0, node_id: client.node.id });
    d.fixed = client;
    return d;
  }

  /** The node client, reloaded from the `nodes` row every few seconds (admin edits apply quickly). */
  async client(): Promise<NodeClient> {
    if (this.fixed) return this.fixed;
    if (this.cached && Date.now() - this.cached.at < NODE_CACHE_MS) return this.cached.client;
    if (!this.policy.node_id) throw new StorageError('io', 'Storage policy has no node');
    const row = await this.ctx.db.kysely.selectFrom('nodes').selectAll().where('id', '=', this.policy.node_id).executeTakeFirst();
    if (!row || row.type !== 'slave') throw new StorageError('io', 'Storage node not found');
    if (row.status !== 'active') throw new StorageError('io', 'Storage node is suspended');
    const target: NodeTarget = { id: Number(row.id), server: row.server, secret: row.slave_key };
    const client = new NodeClient(target, { siteUrl: siteBaseUrl(this.ctx), siteId: this.ctx.settings.get('siteID', '') });
    this.cached = { client, at: Date.now() };
    return client;
  }

  /** Keys are relative paths below the node's storage root; anything that could escape it is refused here. */
  private checkKey(key: string): void {
    if (typeof key !== 'string' || key === '' || key.includes('\0') || key.split(/[\\/]/).some((p) => p === '..')) {
      throw new StorageError('invalid_key', 'Invalid storage key');
    }
  }

  private async rpc<T>(method: string, route: string, body?: unknown, query = ''): Promise<T> {
    const c = await this.client();
    let env;
    try {
      env = await c.call<T>(method, route, body, query);
    } catch (e) {
      throw new StorageError('io', (e as Error).message, { cause: e });
    }
    if (env.code !== 0) throw toStorageError(new NodeError(env.code, env.msg, env.data));
    return env.data as T;
  }

  async put(key: string, body: Readable, opts: { size: number }): Promise<BlobStat> {
    this.checkKey(key);
    const handle = await this.createUpload({ id: randomUUID(), key, size: opts.size, chunkSize: 0 });
    try {
      await this.writeChunk(handle, { index: 0, offset: 0, length: opts.size, body });
      return await this.completeUpload(handle);
    } catch (e) {
      await this.abortUpload(handle).catch(() => undefined);
      throw e;
    }
  }

  private async contentUrl(key: string, expires: number, name = 'blob', speed = 0, download = false): Promise<string> {
    const c = await this.client();
    return c.signedUrl(['file', 'content', '0', encodeSrc(key), String(speed), name], expires, download ? { download: 'true' } : {});
  }

  async get(key: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    this.checkKey(key);
    const c = await this.client();
    const url = await this.contentUrl(key, Math.floor(Date.now() / 1000) + 3600);
    const headers: Record<string, string> = opts.range ? { Range: `bytes=${opts.range.start}-${opts.range.end}` } : {};
    let res;
    try {
      res = await c.fetchSigned('GET', url, headers, opts.signal);
    } catch (e) {
      throw new StorageError('io', (e as Error).message, { cause: e });
    }
    if (res.statusCode === 200 || res.statusCode === 206) return res;
    const text = (await readBody(res).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 200);
    if (res.statusCode === 404) throw new StorageError('not_found', 'Blob does not exist');
    throw new StorageError('io', `Node answered HTTP ${res.statusCode}: ${text}`);
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    this.checkKey(key);
    const c = await this.client();
    const url = await this.contentUrl(key, Math.floor(Date.now() / 1000) + 60);
    let res;
    try {
      res = await c.fetchSigned('HEAD', url);
    } catch (e) {
      throw new StorageError('io', (e as Error).message, { cause: e });
    }
    res.resume();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new StorageError('io', `Node answered HTTP ${res.statusCode}`);
    const lm = Date.parse(String(res.headers['last-modified'] ?? ''));
    return { size: Number(res.headers['content-length'] ?? 0), modifiedAt: Number.isFinite(lm) ? lm : 0 };
  }

  async delete(keys: string[]): Promise<string[]> {
    if (!keys.length) return [];
    const c = await this.client();
    try {
      const env = await c.call<string[]>('DELETE', '/file', { files: keys });
      if (env.code === 0) return [];
      if (env.code === 203 && Array.isArray(env.data)) return env.data.filter((k) => keys.includes(k));
      this.ctx.log.warn('remote: node refused a delete', { node: c.node.id, code: env.code, msg: env.msg });
      return keys;
    } catch (e) {
      this.ctx.log.warn('remote: node unreachable for a delete', { node: c.node.id, error: String((e as Error)?.message ?? e) });
      return keys;
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const rows = await this.rpc<{ source: string; size: number; is_dir: boolean; last_modify: number }[]>(
      'GET', '/file/list', undefined, `?path=${encodeURIComponent(prefix)}&recursive=true`,
    );
    for (const r of rows ?? []) if (!r.is_dir) yield { key: r.source, size: Number(r.size), modifiedAt: Number(r.last_modify) };
  }

  async createUpload(req: CreateUploadRequest): Promise<UploadHandle> {
    this.checkKey(req.key);
    const expires = Math.floor((req.expiresAt ?? Date.now() + 24 * 3600 * 1000) / 1000);
    const session: NodeUploadSession = { id: req.id, save_path: req.key, size: req.size, chunk_size: req.chunkSize, expires };
    if (req.callbackUrl) session.callback = req.callbackUrl;
    await this.rpc('PUT', '/upload', { session, overwrite: false });
    return { id: req.id, key: req.key, size: req.size, chunkSize: req.chunkSize, state: { node: this.policy.node_id, expires } };
  }

  async writeChunk(handle: UploadHandle, chunk: ChunkWrite): Promise<void> {
    const c = await this.client();
    // The length is enforced here: a body that ends early or runs long must not reach the node as a
    // framed request of the declared length.
    let sizeError: StorageError | undefined;
    const src = chunk.body;
    async function* counted(): AsyncGenerator<Buffer> {
      let n = 0;
      for await (const piece of src) {
        const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        n += buf.length;
        if (n > chunk.length) throw (sizeError = new StorageError('size_mismatch', `More than the declared ${chunk.length} bytes`));
        yield buf;
      }
      if (n < chunk.length) throw (sizeError = new StorageError('size_mismatch', `Chunk shorter than ${chunk.length} bytes (got ${n})`));
    }
    let env;
    try {
      env = await c.sendChunk(handle.id, chunk.index, Readable.from(counted(), { objectMode: false }), chunk.length);
    } catch (e) {
      closeBody(src);
      if (sizeError) throw sizeError;
      throw new StorageError('io', (e as Error).message, { cause: e });
    }
    if (sizeError) throw sizeError;
    if (env.code !== 0) throw toStorageError(new NodeError(env.code, env.msg));
  }

  async completeUpload(handle: UploadHandle): Promise<BlobStat> {
    try {
      const done = await this.rpc<NodeCompletion>('POST', `/upload/${encodeURIComponent(handle.id)}/complete`);
      if (Number(done.size) !== handle.size) throw new StorageError('size_mismatch', `Node stored ${done.size} bytes, expected ${handle.size}`);
      return { size: Number(done.size), modifiedAt: Number(done.modified) };
    } catch (e) {
      if (!(e instanceof StorageError) || e.kind !== 'not_found') throw e;
      // The node no longer knows the session: done when the blob is in place with the right size.
      const st = await this.stat(handle.key);
      if (st && st.size === handle.size) return st;
      throw e;
    }
  }

  /** The bytes received so far for an unpublished node session (used to hash a relayed upload after a restart). */
  async readUpload(handle: UploadHandle): Promise<Readable> {
    const c = await this.client();
    let res;
    try {
      res = await c.getStream(`/upload/${encodeURIComponent(handle.id)}/data`);
    } catch (e) {
      throw new StorageError('io', (e as Error).message, { cause: e });
    }
    if (res.statusCode === 200 && res.headers['content-type'] === 'application/octet-stream') return res;
    const text = (await readBody(res).catch(() => Buffer.alloc(0))).toString('utf8');
    let code = 0;
    try {
      code = Number(JSON.parse(text).code);
    } catch {
      /* not an envelope */
    }
    throw toStorageError(new NodeError(code || Code.IOFailed, `Node answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
  }

  async abortUpload(handle: UploadHandle): Promise<void> {
    await this.rpc('DELETE', `/upload/${encodeURIComponent(handle.id)}`);
  }

  async presignDownload(key: string, opts: PresignDownloadOptions): Promise<{ url: string; expiresAt: number }> {
    const name = opts.downloadName ?? opts.name ?? key.slice(key.lastIndexOf('/') + 1);
    const url = await this.contentUrl(key, opts.expiresAt, name, Math.max(0, opts.speed ?? 0), !!opts.downloadName);
    return { url, expiresAt: opts.expiresAt * 1000 };
  }

  async presignUpload(handle: UploadHandle, opts: { expiresAt: number }): Promise<{ urls: string[]; credential?: string }> {
    const c = await this.client();
    const { url, credential } = c.uploadCredential(handle.id, opts.expiresAt);
    return { urls: [url], credential };
  }

  async thumbnail(key: string, opts: { ext: string; expiresAt: number }): Promise<string | undefined> {
    const c = await this.client();
    return c.signedUrl(['file', 'thumb', encodeSrc(key), opts.ext || 'bin'], opts.expiresAt);
  }
}

/** Node error codes → backend-neutral storage errors. */
function toStorageError(e: NodeError): StorageError {
  if (e.code === Code.UploadSessionExpired || e.code === Code.NotFound) return new StorageError('not_found', e.message, { cause: e });
  if (e.code === Code.ObjectExist) return new StorageError('conflict', e.message, { cause: e });
  if (e.code === Code.InvalidContentLength || e.code === Code.InvalidChunkIndex || e.code === Code.MetaMismatch) {
    return new StorageError('size_mismatch', e.message, { cause: e });
  }
  if (e.code === Code.IllegalObjectName) return new StorageError('invalid_key', e.message, { cause: e });
  return new StorageError('io', `Node error ${e.code}: ${e.message}`, { cause: e });
}

export { NodeUnreachable };
