/** What a transport is told while one chunk is in flight. */
export interface ChunkOptions {
  signal: AbortSignal;
  /** Bytes of this chunk sent so far. */
  onProgress: (loaded: number) => void;
}

/**
 * How the bytes of one upload session reach storage, chosen from the session the server opened
 * (contract 30 §1.5). The queue slices the file, retries and resumes; a transport only knows where
 * chunk `index` goes and what finishes the upload. Errors are ApiErrors: `NETWORK_ERROR` or a code
 * ≥ 50000 is worth retrying, anything else is final; an abort rejects with an AbortError.
 */
export interface UploadTransport {
  readonly kind: 'local' | 'remote' | 's3';
  sendChunk(index: number, chunk: Blob, opts: ChunkOptions): Promise<void>;
  /** Runs once every chunk is stored (S3 family: complete the multipart upload, then the callback). */
  finish?(signal: AbortSignal): Promise<void>;
}
