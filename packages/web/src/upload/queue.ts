import { Code, type StoragePolicySummary } from '@cloudreve-ts/protocol';
import { ApiError, NETWORK_ERROR } from '../api/client.ts';
import { upload } from '../api/endpoints.ts';
import { extensionOf } from '../util/format.ts';
import { childUri } from '../util/uri.ts';

export type UploadStatus = 'queued' | 'uploading' | 'done' | 'error' | 'canceled';
/** Why a file was refused before any request, or the API error that stopped it. */
export type UploadProblem = { local: 'tooLarge'; max: number } | { local: 'typeNotAllowed' } | { api: unknown };

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
}

export interface UploadTarget {
  folderUri: string;
  folderName: string;
  policy?: StoragePolicySummary;
}

const RETRY_DELAYS_MS = [1000, 2000, 4000];
const PROGRESS_EMIT_MS = 120;

/** Refusals the client can tell without asking (contract 20 §2.4: the policy's size and suffix rules). */
function localProblem(file: File, policy: StoragePolicySummary | undefined): UploadProblem | undefined {
  if (!policy) return undefined;
  if (policy.max_size > 0 && file.size > policy.max_size) return { local: 'tooLarge', max: policy.max_size };
  const ext = extensionOf(file.name);
  if (policy.allowed_suffix?.length && !policy.allowed_suffix.map((s) => s.toLowerCase()).includes(ext)) return { local: 'typeNotAllowed' };
  if (policy.denied_suffix?.map((s) => s.toLowerCase()).includes(ext)) return { local: 'typeNotAllowed' };
  return undefined;
}

const retryable = (e: unknown) => e instanceof ApiError && (e.code === NETWORK_ERROR || e.code >= 50000);
const isAbort = (e: unknown) => (e as Error)?.name === 'AbortError';

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
      const problem = localProblem(file, target.policy);
      this.tasks.push({
        id: `u${++nextId}`, file, relativePath, uri, folderUri: target.folderUri, folderName: target.folderName,
        policy: target.policy, loaded: 0, status: problem ? 'error' : 'queued', problem, overwrite: false,
      });
    }
    this.emit(true);
    this.pump();
  }

  cancel(id: string): void {
    const task = this.find(id);
    if (!task || task.status === 'done' || task.status === 'canceled') return;
    this.controllers.get(id)?.abort();
    this.patch(id, { status: 'canceled' }, true);
  }

  retry(id: string, overwrite = false): void {
    const task = this.find(id);
    if (!task || (task.status !== 'error' && task.status !== 'canceled')) return;
    this.patch(id, { status: 'queued', loaded: 0, problem: undefined, overwrite: overwrite || task.overwrite }, true);
    this.pump();
  }

  clearFinished(): void {
    this.tasks = this.tasks.filter((t) => t.status === 'queued' || t.status === 'uploading');
    this.emit(true);
  }

  private find(id: string) {
    return this.tasks.find((t) => t.id === id);
  }

  private patch(id: string, change: Partial<UploadTask>, now = false): void {
    this.tasks = this.tasks.map((t) => (t.id === id ? { ...t, ...change } : t));
    this.emit(now);
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
      this.patch(task.id, { status: 'uploading', loaded: 0 }, true);
      void this.run(task.id);
    }
  }

  private async run(id: string): Promise<void> {
    const task = this.find(id)!;
    const controller = new AbortController();
    this.controllers.set(id, controller);
    let sessionId: string | undefined;
    try {
      const session = await upload.createSession({
        uri: task.uri,
        size: task.file.size,
        policy_id: task.policy?.id,
        last_modified: task.file.lastModified || undefined,
        mime_type: task.file.type || undefined,
        entity_type: task.overwrite ? 'version' : undefined,
      });
      sessionId = session.session_id;
      if (controller.signal.aborted) throw new DOMException('aborted', 'AbortError');
      const policyType = session.storage_policy?.type ?? task.policy?.type ?? 'local';
      if (policyType !== 'local' && !session.storage_policy?.relay && !task.policy?.relay) {
        throw new ApiError(Code.PolicyNotAllowed, `storage type ${policyType} is not supported by this web client`);
      }
      await this.sendChunks(task, session.session_id, session.chunk_size, controller.signal);
      this.patch(id, { status: 'done', loaded: task.file.size }, true);
      const finished = this.find(id);
      if (finished) for (const l of this.finishedListeners) l(finished);
    } catch (e) {
      if (sessionId) void upload.deleteSession(sessionId, task.uri).catch(() => undefined);
      if (isAbort(e) || controller.signal.aborted) this.patch(id, { status: 'canceled' }, true);
      else this.patch(id, { status: 'error', problem: { api: e } }, true);
    } finally {
      this.controllers.delete(id);
      this.pump();
    }
  }

  /** Sends the file in order; chunk_size 0 means one request with everything. */
  private async sendChunks(task: UploadTask, sessionId: string, chunkSize: number, signal: AbortSignal): Promise<void> {
    const size = task.file.size;
    const step = chunkSize > 0 ? chunkSize : Math.max(size, 1);
    const count = Math.max(1, Math.ceil(size / step));
    let sent = 0;
    for (let index = 0; index < count; index++) {
      const chunk = task.file.slice(index * step, Math.min(size, (index + 1) * step));
      for (let attempt = 0; ; attempt++) {
        try {
          await upload.sendChunk(sessionId, index, chunk, { signal, onProgress: (loaded) => this.patch(task.id, { loaded: sent + loaded }) });
          break;
        } catch (e) {
          if (!retryable(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
          await sleep(RETRY_DELAYS_MS[attempt]!, signal);
        }
      }
      sent += chunk.size;
      this.patch(task.id, { loaded: sent });
    }
  }
}
