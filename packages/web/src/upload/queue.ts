import type { StoragePolicySummary } from '@cloudreve-ts/protocol';
import { ApiError, NETWORK_ERROR } from '../api/client.ts';
import { upload } from '../api/endpoints.ts';
import { transportFor, type UploadTransport } from './transports/index.ts';
import { extensionOf } from '../util/format.ts';
import { childUri } from '../util/uri.ts';

export type UploadStatus = 'queued' | 'uploading' | 'paused' | 'done' | 'error' | 'canceled';
/** Why a file was refused before any request, or the API error that stopped it. */
export type UploadProblem = { local: 'tooLarge'; max: number } | { local: 'typeNotAllowed' } | { local: 'badName' } | { api: unknown };

export interface UploadTask {
  readonly id: string;
  readonly file: File;
  /** Path below the target folder, `/`-separated ("photos/2024/a.jpg" for folder uploads). */
  readonly relativePath: string;
  readonly folderUri: string;
  readonly folderName: string;
  readonly policy?: StoragePolicySummary;
  readonly uri: string;
  loaded: number;
  status: UploadStatus;
  problem?: UploadProblem;
  /** Upload as a new version of an existing file (after a 40004 conflict). */
  overwrite: boolean;
  /** The server's upload session, kept across pause, network loss and retry so sending resumes. */
  session?: { id: string; chunkSize: number; transport: UploadTransport };
  /** Index of the next chunk to send in `session`. */
  nextChunk: number;
  /** The browser is offline; sending resumes when it is back. */
  offline?: boolean;
  /** Bytes per second over the last few seconds while uploading; undefined until measurable. */
  speed?: number;
}

export interface UploadTarget {
  folderUri: string;
  folderName: string;
  policy?: StoragePolicySummary;
}

const RETRY_DELAYS_MS = [1000, 2000, 4000];
/** Speed is measured over this window, once at least SPEED_MIN_MS of it has passed. */
const SPEED_WINDOW_MS = 5000;
const SPEED_MIN_MS = 500;
const PROGRESS_EMIT_MS = 120;

/** Refusals the client can tell without asking (contract 20 §2.4: the policy's size and suffix rules). */
const FORBIDDEN_NAME = /[\\:*?"<>|]/;

function localProblem(file: File, relativePath: string, policy: StoragePolicySummary | undefined): UploadProblem | undefined {
  if (relativePath.split('/').some((s) => FORBIDDEN_NAME.test(s) || s === '..' || new TextEncoder().encode(s).length > 255)) return { local: 'badName' };
  if (!policy) return undefined;
  if (policy.max_size > 0 && file.size > policy.max_size) return { local: 'tooLarge', max: policy.max_size };
  const ext = extensionOf(file.name);
  if (policy.allowed_suffix?.length && !policy.allowed_suffix.map((s) => s.toLowerCase()).includes(ext)) return { local: 'typeNotAllowed' };
  if (policy.denied_suffix?.map((s) => s.toLowerCase()).includes(ext)) return { local: 'typeNotAllowed' };
  return undefined;
}

const retryable = (e: unknown) => e instanceof ApiError && (e.code === NETWORK_ERROR || e.code >= 50000);
const isAbort = (e: unknown) => (e as Error)?.name === 'AbortError';
const PAUSE = 'pause';

/** Resolves when the browser is back online (at once when it is). */
function whenOnline(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (navigator.onLine) return resolve();
    const done = () => {
      window.removeEventListener('online', done);
      if (signal.aborted) reject(new DOMException('aborted', 'AbortError'));
      else resolve();
    };
    window.addEventListener('online', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    }, { once: true });
  });
}

let nextId = 0;

/**
 * The upload queue, outside React: a few files at a time, each sent in the chunks its upload
 * session asks for (contract 30 §1.2–1.4). Subscribers get an immutable snapshot, throttled while
 * bytes flow so a thousand queued files do not re-render on every progress event.
 */
export class UploadQueue {
  private tasks: UploadTask[] = [];
  private snapshot: readonly UploadTask[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Set<() => void>();
  private readonly finishedListeners = new Set<(task: UploadTask) => void>();
  private emitTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly concurrency = 3) {}

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  getSnapshot = () => this.snapshot;

  /** Called after each file finished uploading (to refresh the folder it went into). */
  onFinished(l: (task: UploadTask) => void): () => void {
    this.finishedListeners.add(l);
    return () => this.finishedListeners.delete(l);
  }

  add(entries: { file: File; relativePath: string }[], target: UploadTarget): void {
    for (const { file, relativePath } of entries) {
      const segments = relativePath.split('/').filter(Boolean);
      const uri = segments.reduce((u, s) => childUri(u, s), target.folderUri);
      const problem = localProblem(file, relativePath, target.policy);
      this.tasks.push({
        id: `u${++nextId}`, file, relativePath, uri, folderUri: target.folderUri, folderName: target.folderName,
        policy: target.policy, loaded: 0, status: problem ? 'error' : 'queued', problem, overwrite: false, nextChunk: 0,
      });
    }
    this.emit(true);
    this.pump();
  }

  cancel(id: string): void {
    const task = this.find(id);
    if (!task || task.status === 'done' || task.status === 'canceled') return;
    const running = this.controllers.get(id);
    if (running) {
      // run() sees the abort, deletes the server's upload session and forgets it.
      running.abort();
      this.patch(id, { status: 'canceled', offline: false }, true);
      return;
    }
    this.dropSession(task);
    this.patch(id, { status: 'canceled', session: undefined, nextChunk: 0, offline: false }, true);
  }

  /** Stops sending after the chunk in flight is abandoned; the upload session is kept for resume. */
  pause(id: string): void {
    const task = this.find(id);
    if (!task || (task.status !== 'uploading' && task.status !== 'queued')) return;
    this.controllers.get(id)?.abort(PAUSE);
    this.patch(id, { status: 'paused', loaded: this.sentBytes(task), offline: false }, true);
  }

  /** Continues a paused upload from the first chunk the server has not got. */
  resume(id: string): void {
    const task = this.find(id);
    if (!task || task.status !== 'paused') return;
    this.patch(id, { status: 'queued' }, true);
    this.pump();
  }

  retry(id: string, overwrite = false): void {
    const task = this.find(id);
    if (!task || (task.status !== 'error' && task.status !== 'canceled')) return;
    // A retry after a network failure resumes the same session; an overwrite starts a new one.
    const keep = !overwrite && task.session;
    if (!keep) this.dropSession(task);
    this.patch(id, {
      status: 'queued', problem: undefined, overwrite: overwrite || task.overwrite,
      session: keep ? task.session : undefined, nextChunk: keep ? task.nextChunk : 0, loaded: keep ? this.sentBytes(task) : 0,
    }, true);
    this.pump();
  }

  private sentBytes(task: UploadTask): number {
    return task.session ? Math.min(task.file.size, task.nextChunk * (task.session.chunkSize || task.file.size)) : 0;
  }

  private dropSession(task: UploadTask): void {
    if (task.session) void upload.deleteSession(task.session.id, task.uri).catch(() => undefined);
  }

  clearFinished(): void {
    this.tasks = this.tasks.filter((t) => t.status === 'queued' || t.status === 'uploading' || t.status === 'paused');
    this.emit(true);
  }

  private find(id: string) {
    return this.tasks.find((t) => t.id === id);
  }

  private patch(id: string, change: Partial<UploadTask>, now = false): void {
    this.tasks = this.tasks.map((t) => (t.id === id ? this.withSpeed({ ...t, ...change }) : t));
    this.emit(now);
  }

  private readonly samples = new Map<string, { at: number; loaded: number }[]>();

  /** Keeps a short history of (time, bytes) while a file uploads and derives its speed from it. */
  private withSpeed(task: UploadTask): UploadTask {
    if (task.status !== 'uploading' || task.offline) {
      this.samples.delete(task.id);
      return task.speed === undefined ? task : { ...task, speed: undefined };
    }
    const now = performance.now();
    const list = this.samples.get(task.id) ?? [];
    if (list.length && task.loaded < list[list.length - 1]!.loaded) list.length = 0; // a chunk was re-sent
    list.push({ at: now, loaded: task.loaded });
    while (list.length > 2 && now - list[1]!.at >= SPEED_WINDOW_MS) list.shift();
    this.samples.set(task.id, list);
    const first = list[0]!;
    const elapsed = now - first.at;
    return { ...task, speed: elapsed >= SPEED_MIN_MS ? ((task.loaded - first.loaded) * 1000) / elapsed : undefined };
  }

  private emit(now: boolean): void {
    if (!now) {
      this.emitTimer ??= setTimeout(() => this.emit(true), PROGRESS_EMIT_MS);
      return;
    }
    clearTimeout(this.emitTimer);
    this.emitTimer = undefined;
    this.snapshot = [...this.tasks];
    for (const l of this.listeners) l();
  }

  private pump(): void {
    let running = this.tasks.filter((t) => t.status === 'uploading').length;
    for (const task of this.tasks) {
      if (running >= this.concurrency) break;
      if (task.status !== 'queued') continue;
      running++;
      this.patch(task.id, { status: 'uploading', loaded: this.sentBytes(task) }, true);
      void this.run(task.id);
    }
  }

  private async run(id: string): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(id, controller);
    try {
      let task = this.find(id)!;
      if (!task.session) {
        const session = await upload.createSession({
          uri: task.uri,
          size: task.file.size,
          policy_id: task.policy?.id,
          last_modified: task.file.lastModified || undefined,
          mime_type: task.file.type || undefined,
          entity_type: task.overwrite ? 'version' : undefined,
        });
        // Where the bytes go follows the policy the server chose (transports/).
        let transport: UploadTransport;
        try {
          transport = transportFor(session, task.file.size, task.policy?.type);
        } catch (e) {
          void upload.deleteSession(session.session_id, task.uri).catch(() => undefined);
          throw e;
        }
        this.patch(id, { session: { id: session.session_id, chunkSize: session.chunk_size, transport }, nextChunk: 0 });
        task = this.find(id)!;
        if (controller.signal.aborted) throw new DOMException('aborted', 'AbortError');
      }
      await this.sendChunks(id, controller.signal);
      this.patch(id, { status: 'done', loaded: task.file.size, session: undefined, offline: false }, true);
      const finished = this.find(id);
      if (finished) for (const l of this.finishedListeners) l(finished);
    } catch (e) {
      const task = this.find(id);
      if (controller.signal.reason === PAUSE) {
        // pause() already marked it; the session stays for resume().
      } else if (isAbort(e) || controller.signal.aborted) {
        if (task) this.dropSession(task);
        this.patch(id, { status: 'canceled', session: undefined, nextChunk: 0 }, true);
      } else if (retryable(e) && task?.session) {
        // Keep the session: "Retry" continues from the chunk that failed.
        this.patch(id, { status: 'error', problem: { api: e }, offline: false }, true);
      } else {
        if (task) this.dropSession(task);
        this.patch(id, { status: 'error', problem: { api: e }, session: undefined, nextChunk: 0, offline: false }, true);
      }
    } finally {
      this.controllers.delete(id);
      this.pump();
    }
  }

  /**
   * Sends the file in order from `nextChunk` through the session's transport (chunk_size 0 means one
   * request with everything), then runs its finish step. While the browser is offline it waits for
   * the network instead of spending its retries.
   */
  private async sendChunks(id: string, signal: AbortSignal): Promise<void> {
    const task = this.find(id)!;
    const { chunkSize, transport } = task.session!;
    const size = task.file.size;
    const step = chunkSize > 0 ? chunkSize : Math.max(size, 1);
    const count = Math.max(1, Math.ceil(size / step));
    for (let index = task.nextChunk; index < count; index++) {
      const start = index * step;
      const chunk = task.file.slice(start, Math.min(size, start + step));
      await this.withRetries(id, signal, start, () =>
        transport.sendChunk(index, chunk, { signal, onProgress: (loaded) => this.patch(id, { loaded: start + loaded }) }));
      this.patch(id, { loaded: start + chunk.size, nextChunk: index + 1 });
    }
    if (transport.finish) await this.withRetries(id, signal, size, () => transport.finish!(signal));
  }

  /** Runs one step, retrying network and server failures with backoff (waiting while offline). */
  private async withRetries(id: string, signal: AbortSignal, loadedBefore: number, step: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; ) {
      try {
        return await step();
      } catch (e) {
        if (!retryable(e) || signal.aborted) throw e;
        if (!navigator.onLine) {
          this.patch(id, { offline: true, loaded: loadedBefore }, true);
          await whenOnline(signal);
          this.patch(id, { offline: false }, true);
          continue;
        }
        if (attempt >= RETRY_DELAYS_MS.length) throw e;
        await sleep(RETRY_DELAYS_MS[attempt++]!, signal);
      }
    }
  }
}
