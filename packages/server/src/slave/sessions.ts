import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';
import type { LocalDriver } from '../storage/local/local-driver.ts';
import { StorageError, type UploadHandle } from '../storage/driver.ts';
import type { NodeCompletion, NodeUploadSession } from '../storage/remote/remote-driver.ts';
import { RunningHashes } from '../transfer/running-hash.ts';
import { writtenThisBoot } from '../util/boot-id.ts';

/**
 * Upload sessions on a node (slave side of contract 50 §3.4). One JSON file per session next to the
 * LocalDriver's temp data, so a node restarted mid-upload can continue the session; the bytes go
 * through the node's LocalDriver (pre-sized temp file, fsync + link on publish), so a node that dies
 * mid-upload never exposes a partial blob under its key.
 */
export interface NodeSession {
  id: string;
  key: string;
  size: number;
  chunkSize: number;
  /** Epoch ms. */
  expiresAt: number;
  callback?: string;
  /** The master's id for this node (X-Cr-Node-Id of the create request), sent back on the callback. */
  nodeId?: string;
  /** chunk index → id of its last write. */
  chunks: Record<string, string>;
  /** Set once the blob is published under its key. */
  published?: NodeCompletion;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,80}$/;

export class SlaveSessions {
  readonly hashes = new RunningHashes();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly dir: string, readonly driver: LocalDriver) {}

  private file(id: string): string {
    if (!SESSION_ID.test(id)) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
    return path.join(this.dir, `${id}.json`);
  }

  handle(s: NodeSession): UploadHandle {
    return { id: s.id, key: s.key, size: s.size, chunkSize: s.chunkSize, state: {} };
  }

  /** Runs `fn` with the session's metadata lock held (one process serves a node). */
  async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  async load(id: string): Promise<NodeSession | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.file(id), 'utf8')) as NodeSession;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (e instanceof AppError) return undefined;
      throw e;
    }
  }

  async save(s: NodeSession): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(s.id)}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(s), { mode: 0o600 });
    await fsp.rename(tmp, this.file(s.id));
  }

  async remove(id: string): Promise<void> {
    this.hashes.forget(id);
    await fsp.rm(this.file(id), { force: true });
  }

  /** Creates a session (temp data pre-sized). An existing session with this id → 40004. */
  async create(req: NodeUploadSession, nodeId: string | undefined, now: number): Promise<void> {
    if (!SESSION_ID.test(req.id)) throw new AppError(Code.ParamErr, 'Invalid session id');
    if (!Number.isSafeInteger(req.size) || req.size < 0 || !Number.isSafeInteger(req.chunk_size) || req.chunk_size < 0) {
      throw new AppError(Code.ParamErr, 'Invalid session size');
    }
    if (req.expires * 1000 <= now) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
    await this.locked(req.id, async () => {
      if (await this.load(req.id)) throw new AppError(Code.ObjectExist, 'Upload session already exists');
      const s: NodeSession = { id: req.id, key: req.save_path, size: req.size, chunkSize: req.chunk_size, expiresAt: req.expires * 1000, chunks: {} };
      if (req.callback) s.callback = req.callback;
      if (nodeId) s.nodeId = nodeId;
      try {
        await this.driver.createUpload({ id: s.id, key: s.key, size: s.size, chunkSize: s.chunkSize });
      } catch (e) {
        if (e instanceof StorageError && e.kind === 'invalid_key') throw new AppError(Code.IllegalObjectName, 'Invalid save path');
        throw e;
      }
      await this.save(s);
    });
  }

  /** Records a stored chunk; returns the updated session, undefined when it vanished meanwhile. */
  async recordChunk(id: string, index: number, writeId: string): Promise<NodeSession | undefined> {
    return this.locked(id, async () => {
      const s = await this.load(id);
      if (!s) return undefined;
      s.chunks[String(index)] = writeId;
      await this.save(s);
      return s;
    });
  }

  allStored(s: NodeSession): boolean {
    const n = s.chunkSize <= 0 || s.size === 0 ? 1 : Math.ceil(s.size / s.chunkSize);
    return Object.keys(s.chunks).length >= n;
  }

  /**
   * Publishes the uploaded blob under its key (idempotent): SHA-256 from the in-order stream when
   * possible, else from the temp data; then the LocalDriver's fsync + link.
   */
  async publish(id: string): Promise<NodeCompletion> {
    return this.locked(id, async () => {
      const s = await this.load(id);
      if (!s) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
      if (s.published) return s.published;
      if (!this.allStored(s)) throw new AppError(Code.InvalidChunkIndex, 'Upload is missing chunks');
      // Chunks are not fsynced when stored (LocalDriver.chunksSurviveOsCrash): ones written during an
      // earlier OS boot may be lost, so they are forgotten and must be sent again.
      const stale = Object.entries(s.chunks).filter(([, w]) => !writtenThisBoot(w)).map(([i]) => i);
      if (stale.length) {
        for (const i of stale) delete s.chunks[i];
        await this.save(s);
        throw new AppError(Code.IOFailed, `The node restarted after chunks ${stale.join(', ')} were received and they may not have reached the disk; upload them again`);
      }
      const handle = this.handle(s);
      const chunks = Object.entries(s.chunks).map(([idx, write_id]) => ({ idx: Number(idx), write_id }));
      let sha256 = this.hashes.take(id, s.size, chunks);
      if (!sha256) {
        const h = createHash('sha256');
        for await (const c of await this.driver.readUpload(handle)) h.update(c as Buffer);
        sha256 = h.digest('hex');
      }
      let st;
      try {
        st = await this.driver.completeUpload(handle);
      } catch (e) {
        if (e instanceof StorageError && e.kind === 'conflict') throw new AppError(Code.ObjectExist, 'A file already exists at the save path');
        if (e instanceof StorageError && e.kind === 'not_found') throw new AppError(Code.UploadSessionExpired, 'Upload data no longer exists');
        throw e;
      }
      s.published = { size: st.size, modified: st.modifiedAt, sha256 };
      await this.save(s);
      return s.published;
    });
  }

  /** Cancels a session: temp data and (unacknowledged) published blob removed, record dropped. */
  async abort(id: string): Promise<void> {
    await this.locked(id, async () => {
      const s = await this.load(id);
      if (!s) return;
      await this.driver.abortUpload(this.handle(s));
      if (s.published) await this.driver.delete([s.key]);
      await this.remove(id);
    });
  }

  /**
   * Drops expired sessions. A browser session whose blob was published but whose callback never
   * succeeded is an orphan once expired (the master refuses it), so its blob goes too.
   */
  async sweep(now: number, graceMs = 3600_000): Promise<number> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return 0;
    }
    let n = 0;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      const s = await this.load(id).catch(() => undefined);
      if (!s || s.expiresAt + graceMs > now) continue;
      if (s.callback) await this.abort(id);
      else {
        await this.driver.abortUpload(this.handle(s)).catch(() => undefined);
        await this.remove(id);
      }
      n++;
    }
    return n;
  }
}
