import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { resolveUnder } from '../safe-path.ts';
import {
  StorageError, closeBody, type BlobInfo, type BlobStat, type ByteRange, type ChunkWrite, type CreateUploadRequest,
  type DriverCapabilities, type StorageDriver, type UploadHandle,
} from '../driver.ts';

export interface LocalDriverOptions {
  /** Directory that holds every blob; keys resolve strictly below it. */
  root: string;
  /** Directory for in-progress uploads; should be on the same file system as `root` (rename/link). */
  tempDir: string;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,80}$/;

const errno = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

/**
 * Blobs as files below one root directory. Every key goes through resolveUnder (the project's only
 * join for untrusted paths). An upload is ONE pre-sized temp file written at chunk offsets, fsynced
 * and then hard-linked into place (link refuses to clobber an existing blob and makes a repeated
 * commit detectable), so no half-written blob is ever visible under its key and nothing is copied.
 */
export class LocalDriver implements StorageDriver {
  readonly type = 'local';
  readonly capabilities: DriverCapabilities = { randomAccessUpload: true, serverSideUpload: true, maxPresignTtl: 0, chunksSurviveOsCrash: false };
  private readonly root: string;
  private readonly tempDir: string;

  constructor(opts: LocalDriverOptions) {
    this.root = path.resolve(opts.root);
    this.tempDir = path.resolve(opts.tempDir);
  }

  /** Absolute path of a key; refuses keys that escape the root or name the root itself. */
  localPath(key: string): string {
    if (typeof key !== 'string' || key === '' || key.includes('\0')) throw new StorageError('invalid_key', 'Invalid storage key');
    let abs: string;
    try {
      abs = resolveUnder(this.root, key);
    } catch (cause) {
      throw new StorageError('invalid_key', 'Storage key escapes the storage root', { cause });
    }
    if (abs === this.root) throw new StorageError('invalid_key', 'Invalid storage key');
    return abs;
  }

  private tempPath(handle: { id: string }): string {
    if (!SESSION_ID.test(handle.id)) throw new StorageError('invalid_key', 'Invalid upload session id');
    return path.join(this.tempDir, `${handle.id}.part`);
  }

  async put(key: string, body: Readable, opts: { size: number }): Promise<BlobStat> {
    const final = this.localPath(key);
    await fsp.mkdir(this.tempDir, { recursive: true });
    const tmp = path.join(this.tempDir, `put-${randomUUID()}.part`);
    try {
      const fh = await fsp.open(tmp, 'wx', 0o600);
      try {
        const written = await writeAt(fh, body, 0, opts.size);
        if (written !== opts.size) throw new StorageError('size_mismatch', `Expected ${opts.size} bytes, got ${written}`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return await this.linkIntoPlace(tmp, final, opts.size);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<Readable> {
    const p = this.localPath(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(p, 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR' || errno(e) === 'EISDIR') throw new StorageError('not_found', 'Blob does not exist', { cause: e });
      throw new StorageError('io', 'Cannot open blob', { cause: e });
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new StorageError('not_found', 'Blob does not exist');
    }
    const range = opts.range;
    // 1 MiB reads: the 64 KiB default costs ~4x the CPU per GiB served (measured in bench/download.ts).
    const highWaterMark = 1024 * 1024;
    return fh.createReadStream(range ? { start: range.start, end: range.end, autoClose: true, highWaterMark } : { autoClose: true, highWaterMark });
  }

  async stat(key: string): Promise<BlobStat | undefined> {
    try {
      const st = await fsp.stat(this.localPath(key));
      return st.isFile() ? { size: st.size, modifiedAt: Math.floor(st.mtimeMs) } : undefined;
    } catch (e) {
      if (e instanceof StorageError) throw e;
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw new StorageError('io', 'Cannot stat blob', { cause: e });
    }
  }

  async delete(keys: string[]): Promise<string[]> {
    const failed: string[] = [];
    for (const key of keys) {
      try {
        await fsp.unlink(this.localPath(key));
      } catch (e) {
        if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') failed.push(key);
      }
    }
    return failed;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const norm = prefix.replace(/\\/g, '/').replace(/^\/+/, '');
    const slash = norm.lastIndexOf('/');
    const dirPart = slash >= 0 ? norm.slice(0, slash) : '';
    const start = dirPart ? this.localPath(dirPart) : this.root;
    const walk = async function* (this: LocalDriver, dir: string): AsyncIterable<BlobInfo> {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
        throw new StorageError('io', 'Cannot list blobs', { cause: e });
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const ent of entries) {
        const abs = path.join(dir, ent.name);
        if (abs === this.tempDir) continue;
        const key = path.relative(this.root, abs).split(path.sep).join('/');
        if (ent.isDirectory()) {
          if (key.startsWith(norm) || norm.startsWith(`${key}/`)) yield* walk.call(this, abs);
        } else if (ent.isFile() && key.startsWith(norm)) {
          const st = await fsp.stat(abs).catch(() => undefined);
          if (st) yield { key, size: st.size, modifiedAt: Math.floor(st.mtimeMs) };
        }
      }
    };
    yield* walk.call(this, start);
  }

  async createUpload(req: CreateUploadRequest): Promise<UploadHandle> {
    this.localPath(req.key);
    const handle: UploadHandle = { id: req.id, key: req.key, size: req.size, chunkSize: req.chunkSize, state: {} };
    const tmp = this.tempPath(handle);
    await fsp.mkdir(this.tempDir, { recursive: true });
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      // Sparse pre-allocation: chunks can land at any offset, in any order.
      await fh.truncate(req.size);
    } finally {
      await fh.close();
    }
    return handle;
  }

  async writeChunk(handle: UploadHandle, chunk: ChunkWrite): Promise<void> {
    if (chunk.offset < 0 || chunk.offset + chunk.length > handle.size) throw new StorageError('size_mismatch', 'Chunk outside the upload');
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.tempPath(handle), 'r+');
    } catch (e) {
      if (errno(e) === 'ENOENT') throw new StorageError('not_found', 'Upload data no longer exists', { cause: e });
      throw new StorageError('io', 'Cannot open upload data', { cause: e });
    }
    try {
      // The chunk is not fsynced before the reply (see chunksSurviveOsCrash); a background sync
      // starts instead, so completeUpload's final fsync finds little left to flush.
      const written = await writeAt(fh, chunk.body, chunk.offset, chunk.length);
      if (written !== chunk.length) throw new StorageError('size_mismatch', `Chunk shorter than ${chunk.length} bytes (got ${written})`);
    } finally {
      await fh.close();
    }
    syncInBackground(this.tempPath(handle));
  }

  async readUpload(handle: UploadHandle): Promise<Readable> {
    try {
      const fh = await fsp.open(this.tempPath(handle), 'r');
      return fh.createReadStream({ autoClose: true });
    } catch (e) {
      if (errno(e) === 'ENOENT') throw new StorageError('not_found', 'Upload data no longer exists', { cause: e });
      throw new StorageError('io', 'Cannot read upload data', { cause: e });
    }
  }

  async completeUpload(handle: UploadHandle): Promise<BlobStat> {
    const final = this.localPath(handle.key);
    const tmp = this.tempPath(handle);
    let st: fs.Stats;
    try {
      st = await fsp.stat(tmp);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new StorageError('io', 'Cannot read upload data', { cause: e });
      // A previous completion got as far as removing the temp file: done if the blob is in place.
      const done = await this.stat(handle.key);
      if (done && done.size === handle.size) return done;
      throw new StorageError('not_found', 'Upload data no longer exists');
    }
    if (st.size !== handle.size) throw new StorageError('size_mismatch', `Uploaded ${st.size} bytes, expected ${handle.size}`);
    await backgroundSyncs.get(tmp);
    const fh = await fsp.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const out = await this.linkIntoPlace(tmp, final, handle.size);
    await fsp.rm(tmp, { force: true });
    return out;
  }

  async abortUpload(handle: UploadHandle): Promise<void> {
    await fsp.rm(this.tempPath(handle), { force: true });
  }

  /**
   * Publishes `tmp` at `final` without ever replacing another blob: link() fails with EEXIST when the
   * key is taken — unless it is the very same inode (a commit repeated after a crash). Falls back to
   * rename where hard links are unsupported and to copy + rename across file systems.
   */
  private async linkIntoPlace(tmp: string, final: string, size: number): Promise<BlobStat> {
    await fsp.mkdir(path.dirname(final), { recursive: true });
    try {
      await fsp.link(tmp, final);
    } catch (e) {
      const code = errno(e);
      if (code === 'EEXIST') {
        const [a, b] = await Promise.all([fsp.stat(tmp), fsp.stat(final)]);
        if (a.ino !== b.ino || a.dev !== b.dev) throw new StorageError('conflict', 'A blob already exists under this key');
      } else if (code === 'EXDEV') {
        await this.copyIntoPlace(tmp, final);
      } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        if (await this.exists(final)) throw new StorageError('conflict', 'A blob already exists under this key');
        await fsp.rename(tmp, final);
      } else {
        throw new StorageError('io', 'Cannot store blob', { cause: e });
      }
    }
    await syncDir(path.dirname(final));
    const st = await fsp.stat(final);
    if (st.size !== size) throw new StorageError('size_mismatch', `Stored ${st.size} bytes, expected ${size}`);
    return { size: st.size, modifiedAt: Math.floor(st.mtimeMs) };
  }

  private async copyIntoPlace(tmp: string, final: string): Promise<void> {
    if (await this.exists(final)) throw new StorageError('conflict', 'A blob already exists under this key');
    const staging = `${final}.${randomUUID()}.tmp`;
    try {
      await fsp.copyFile(tmp, staging, fs.constants.COPYFILE_EXCL);
      const fh = await fsp.open(staging, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(staging, final);
    } finally {
      await fsp.rm(staging, { force: true });
    }
  }

  private async exists(p: string): Promise<boolean> {
    return fsp.stat(p).then(() => true, () => false);
  }
}

/**
 * Writes a stream into an open file at `position`, at most `limit` bytes (more → size_mismatch),
 * awaiting each write so back-pressure reaches the source. Returns the number of bytes written.
 */
/** Upload temp files being flushed to disk in the background, at most one sync per file. */
const backgroundSyncs = new Map<string, Promise<void>>();

/**
 * Starts an fdatasync of `file` unless one is running (its later bytes are covered by the next
 * sync or by the fsync at completion). Failures are ignored here: completion's fsync reports them.
 */
function syncInBackground(file: string): void {
  if (backgroundSyncs.has(file)) return;
  const job = (async () => {
    const fh = await fsp.open(file, 'r+');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  })().catch(() => undefined).finally(() => backgroundSyncs.delete(file));
  backgroundSyncs.set(file, job);
}

/** Bytes gathered before one write; a second batch fills while the first is being written. */
const WRITE_BATCH = 2 * 1024 * 1024;

/**
 * Writes `body` at `position`, at most `limit` bytes. Small socket pieces are gathered into
 * batches of WRITE_BATCH, and the next batch is read while the previous one is written, so the
 * socket keeps flowing instead of pausing for every write (one batch in flight, one filling).
 */
async function writeAt(fh: fsp.FileHandle, body: ChunkWrite['body'], position: number, limit: number): Promise<number> {
  let queued = 0;
  let flushedTo = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let inflight: Promise<void> | undefined;
  const writeOut = async (bufs: Buffer[], at: number): Promise<void> => {
    const total = bufs.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(bufs, at);
    if (bytesWritten === total) return;
    // A short gathered write (rare for regular files): finish the rest piece by piece.
    const rest = Buffer.concat(bufs).subarray(bytesWritten);
    let off = 0;
    while (off < rest.length) off += (await fh.write(rest, off, rest.length - off, at + bytesWritten + off)).bytesWritten;
  };
  const flush = async (): Promise<void> => {
    if (inflight) await inflight;
    inflight = undefined;
    if (batchBytes === 0) return;
    const bufs = batch;
    const at = position + flushedTo;
    flushedTo += batchBytes;
    batch = [];
    batchBytes = 0;
    inflight = writeOut(bufs, at);
    // Observed by the next flush; avoids an unhandled rejection while the loop is reading.
    inflight.catch(() => undefined);
  };
  try {
    for await (const piece of body) {
      const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
      if (queued + buf.length > limit) throw new StorageError('size_mismatch', `More than the declared ${limit} bytes`);
      batch.push(buf);
      batchBytes += buf.length;
      queued += buf.length;
      if (batchBytes >= WRITE_BATCH) await flush();
    }
    await flush();
    if (inflight) await inflight;
  } catch (e) {
    closeBody(body);
    if (inflight) await inflight.catch(() => undefined);
    throw e;
  }
  return queued;
}

/** Makes a rename/link in `dir` durable. Best effort: some file systems refuse fsync on directories. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported here */
  }
}
