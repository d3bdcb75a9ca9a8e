import type { Readable } from 'node:stream';

/**
 * The one interface every storage backend implements (local disk, S3 and compatibles, remote
 * nodes, OneDrive …). Drivers know nothing about users, files or quotas: they store blobs under
 * keys produced by the policy's name rules (storage/keys.ts).
 *
 * Uploads are two-phase so a crash never leaves a half-written blob visible under its key:
 *  1. `createUpload` opens a session (local: one temp file; S3: a multipart upload; remote: a node
 *     session). Its `UploadHandle` is plain JSON the caller persists (upload_sessions.state), so the
 *     session survives a restart and can be continued by any instance.
 *  2. `writeChunk` stores bytes at an offset (S3 maps offset/chunk size to a part number); a chunk may
 *     be written again (retry / resume) and replaces the earlier bytes.
 *  3. `completeUpload` makes the blob visible under its key atomically (local: fsync + rename; S3:
 *     CompleteMultipartUpload). Calling it again after a crash must succeed when the blob is already
 *     in place with the expected size (idempotent), so an interrupted commit can be finished.
 *  `abortUpload` discards everything of a session and is idempotent too.
 */
export interface StorageDriver {
  /** Policy type this driver serves, e.g. "local". */
  readonly type: string;
  readonly capabilities: DriverCapabilities;

  /** Stores a whole blob under `key` atomically (temp + rename or a single PUT). */
  put(key: string, body: Readable, opts: { size: number; contentType?: string }): Promise<BlobStat>;
  /** Streams a blob or a byte range of it. Missing key → StorageError('not_found'). */
  get(key: string, opts?: { range?: ByteRange; signal?: AbortSignal }): Promise<Readable>;
  /** Size and modification time, or undefined when the key does not exist. */
  stat(key: string): Promise<BlobStat | undefined>;
  /** Deletes blobs; missing keys are not an error. Returns the keys that could not be deleted. */
  delete(keys: string[]): Promise<string[]>;
  /** Lists blobs whose key starts with `prefix` (a folder-like prefix, "" = everything). */
  list(prefix: string): AsyncIterable<BlobInfo>;

  createUpload(req: CreateUploadRequest): Promise<UploadHandle>;
  writeChunk(handle: UploadHandle, chunk: ChunkWrite): Promise<void>;
  /** Makes the uploaded blob visible under `handle.key` and returns its final stat. */
  completeUpload(handle: UploadHandle): Promise<BlobStat>;
  abortUpload(handle: UploadHandle): Promise<void>;
  /**
   * Streams what has been uploaded so far in the session, from offset 0 (used to hash the blob at
   * commit when the bytes did not arrive in one ordered pass). Optional: drivers whose uploads are
   * not readable before completion hash after completion through `get`.
   */
  readUpload?(handle: UploadHandle): Promise<Readable>;

  /** A URL the client can fetch directly (S3 presign …). Absent for drivers served by us. */
  presignDownload?(key: string, opts: PresignDownloadOptions): Promise<{ url: string; expiresAt: number }>;
  /** Presigned upload targets for client-side uploads (S3 parts …). */
  presignUpload?(handle: UploadHandle, opts: { expiresAt: number }): Promise<{ urls: string[]; completeUrl?: string; credential?: string }>;
  /** A storage-native thumbnail URL for `key`, when the backend renders thumbnails itself. */
  thumbnail?(key: string, opts: { ext: string; width: number; height: number; expiresAt: number }): Promise<string | undefined>;
  /** A path on this machine's disk, for tools that need one (ffmpeg). Only local-like drivers. */
  localPath?(key: string): string;
}

export interface DriverCapabilities {
  /** Chunks may arrive in any order (space is pre-allocated). */
  randomAccessUpload: boolean;
  /** The server relays upload bytes (local, remote) rather than the client talking to the backend. */
  serverSideUpload: boolean;
  /** Longest lifetime of a presigned URL, seconds (0 = no presigning). */
  maxPresignTtl: number;
  /**
   * false when `writeChunk` returns before the bytes are on stable storage (local disk: no fsync
   * per chunk, one at completion). Such chunks survive a killed process but not an OS crash, so a
   * commit refuses chunks written before the current boot. Absent = true.
   */
  chunksSurviveOsCrash?: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface BlobStat {
  size: number;
  /** Epoch ms. */
  modifiedAt: number;
}

export interface BlobInfo extends BlobStat {
  key: string;
}

export interface CreateUploadRequest {
  /** Session id (UUID), unique across the deployment. */
  id: string;
  key: string;
  size: number;
  /** Bytes per chunk; 0 = one chunk. */
  chunkSize: number;
  contentType?: string;
  /** When the session expires (epoch ms); backends that keep their own sessions (remote nodes) use it. */
  expiresAt?: number;
  /** Where a backend that receives browser uploads itself (remote node) reports completion. */
  callbackUrl?: string;
}

/** Driver-specific upload session state; serialisable JSON, persisted by the caller. */
export interface UploadHandle {
  id: string;
  key: string;
  size: number;
  chunkSize: number;
  /**
   * Opaque per-driver fields (temp path, multipart upload id, node session …). `sha256` (hex), when
   * set, is the digest the backend reported for the completed upload (a remote node's callback); the
   * commit records it instead of re-reading the blob.
   */
  state: Record<string, unknown>;
}

export interface ChunkWrite {
  index: number;
  offset: number;
  length: number;
  /**
   * The chunk's bytes, pulled by the driver. Any async iterable (a Readable is one): the upload
   * path hands over its length-checking, hashing generator directly, without a stream stage per
   * piece. A driver that stops early ends it with `closeBody`.
   */
  body: AsyncIterable<Buffer | Uint8Array>;
}

/** Ends a chunk body the driver will not read to the end (destroys a stream, returns a generator). */
export function closeBody(body: ChunkWrite['body']): void {
  const b = body as Partial<Readable> & Partial<AsyncGenerator>;
  if (typeof b.destroy === 'function') b.destroy();
  else if (typeof b.return === 'function') void (b.return(undefined) as Promise<unknown>).catch(() => undefined);
}

export interface PresignDownloadOptions {
  /** Unix seconds. */
  expiresAt: number;
  /** Force `Content-Disposition: attachment` with this name. */
  downloadName?: string;
  /** Display name for inline use (backends that put the name in the URL). */
  name?: string;
  /** Bytes per second the backend should limit the download to (0 = unlimited), where supported. */
  speed?: number;
}

export type StorageErrorKind = 'not_found' | 'conflict' | 'invalid_key' | 'size_mismatch' | 'io';

/** A failure a driver reports in backend-neutral terms. */
export class StorageError extends Error {
  constructor(readonly kind: StorageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const isNotFound = (e: unknown) => e instanceof StorageError && e.kind === 'not_found';
