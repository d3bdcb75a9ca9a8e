import { Code } from '@cloudreve-ts/protocol';
import type { KV } from '../kv/kv.ts';
import { AppError } from '../http/errors.ts';
import { uuid } from '../util/random.ts';

/**
 * Hierarchical path locks (contract 20 §4.4), shared by REST, uploads, WebDAV and viewers.
 *
 * State lives in the KV (memory or Redis), so locks hold across instances. Each lock namespace is
 * one tree owner (user id); a lock path is the owner-view path as elements, e.g. ['my','a','b.txt']
 * or ['trash','<uuid>']. A lock conflicts with another when their paths are equal, or one is an
 * ancestor of the other and the ancestor lock has infinite depth. Presenting a lock's token
 * (`tokens`) lifts its conflict (WebDAV If-header, upload completion).
 *
 * Operation locks (create, rename, move …) are short-lived: a request meeting only short-lived
 * locks waits for them (so concurrent same-name requests serialise and the loser sees 40004), a
 * request meeting a long-lived lock (upload, dav, viewer) fails at once with 40073.
 */

export type LockApp =
  | 'upload' | 'dav' | 'viewer' | 'create' | 'rename' | 'moveCopy' | 'delete' | 'softDelete'
  | 'updateMetadata' | 'versionControl' | 'setPermission' | 'mount' | 'relocate';

const LONG_LIVED: ReadonlySet<LockApp> = new Set(['upload', 'dav', 'viewer']);

export interface LockRequest {
  /** Owner-view path elements: ['my', ...names] or ['trash', storedName]. */
  path: string[];
  /** 0 = this node only; 'infinity' = the whole subtree. */
  depth: 0 | 'infinity';
  app: LockApp;
  /** 0 file, 1 folder (reported in ConflictDetail.type). */
  fileType?: number;
  /** Owner-view URI shown in ConflictDetail.path. */
  uri?: string;
  /** WebDAV shared lock: shared locks do not conflict with each other. */
  shared?: boolean;
  innerXml?: string;
  viewerId?: string;
}

export interface LockEntry extends LockRequest {
  token: string;
  /** Tree owner (lock namespace). */
  ns: number;
  /** User who took the lock. */
  holder: number;
  expiresAt: number;
}

/** ConflictDetail (contract 20 §2.10): the `data` of a 40073 error. */
export interface ConflictDetail {
  path?: string;
  token?: string;
  owner: { application: { type: LockApp; inner_xml?: string; viewer_id?: string } };
  type: number;
}

export interface LockHandle {
  tokens: string[];
  release(): Promise<void>;
}

export interface AcquireOptions {
  ttlSeconds: number;
  /** Tokens the caller holds; locks with these tokens do not conflict. */
  tokens?: string[];
  /** Max time to wait for short-lived conflicting locks (ms). Default 10 s; 0 = fail at once. */
  waitMs?: number;
  /** Tokens to use for the new locks (WebDAV clients may not choose, but tests and refresh can). */
  requesterId?: number;
}

const MUTEX_TTL_S = 10;
const listKey = (ns: number) => `fslock_${ns}`;
const mutexKey = (ns: number) => `fslock_mx_${ns}`;
const tokenKey = (token: string) => `fslock_tok_${token}`;

const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((s, i) => s === b[i]);

function conflicts(held: LockEntry, req: LockRequest): boolean {
  if (held.shared && req.shared) return false;
  const same = held.path.length === req.path.length && isPrefix(held.path, req.path);
  if (same) return true;
  if (isPrefix(held.path, req.path)) return held.depth === 'infinity';
  if (isPrefix(req.path, held.path)) return req.depth === 'infinity';
  return false;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LockService {
  constructor(private readonly kv: KV, private readonly now: () => number = Date.now) {}

  /** Runs `fn` while holding the namespace mutex (read-modify-write of the lock list). */
  private async withMutex<T>(ns: number, fn: () => Promise<T>): Promise<T> {
    const nonce = uuid();
    const deadline = Date.now() + MUTEX_TTL_S * 1000;
    while (!(await this.kv.setIfAbsent(mutexKey(ns), nonce, MUTEX_TTL_S))) {
      if (Date.now() > deadline) throw new AppError(Code.CacheOperation, 'Lock system busy');
      await sleep(3 + Math.floor(Math.random() * 7));
    }
    try {
      return await fn();
    } finally {
      // Only delete our own mutex (it may have expired and been taken over).
      if ((await this.kv.get<string>(mutexKey(ns))) === nonce) await this.kv.delete(mutexKey(ns));
    }
  }

  private async live(ns: number): Promise<LockEntry[]> {
    const all = (await this.kv.get<LockEntry[]>(listKey(ns))) ?? [];
    const now = this.now();
    return all.filter((l) => l.expiresAt > now);
  }

  private async store(ns: number, list: LockEntry[]): Promise<void> {
    if (list.length === 0) return this.kv.delete(listKey(ns));
    const ttl = Math.max(1, Math.ceil((Math.max(...list.map((l) => l.expiresAt)) - this.now()) / 1000) + 1);
    await this.kv.set(listKey(ns), list, ttl);
  }

  /**
   * Locks every request path in namespace `ns` (the tree owner) for `holder`, atomically (all or
   * none). Throws 40073 with ConflictDetail data when a conflicting lock remains.
   */
  async acquire(ns: number, holder: number, reqs: LockRequest[], opts: AcquireOptions): Promise<LockHandle> {
    const deadline = Date.now() + (opts.waitMs ?? 10_000);
    const held = new Set(opts.tokens ?? []);
    for (;;) {
      const result = await this.withMutex(ns, async (): Promise<{ blocking: LockEntry[] } | { entries: LockEntry[] }> => {
        const list = await this.live(ns);
        const blocking = list.filter((l) => !held.has(l.token) && reqs.some((r) => conflicts(l, r)));
        if (blocking.length) return { blocking };
        const expiresAt = this.now() + opts.ttlSeconds * 1000;
        const entries: LockEntry[] = reqs.map((r) => ({ ...r, token: uuid(), ns, holder, expiresAt }));
        await this.store(ns, [...list, ...entries]);
        for (const e of entries) await this.kv.set(tokenKey(e.token), ns, opts.ttlSeconds + 1);
        return { entries };
      });
      if ('entries' in result) {
        const tokens = result.entries.map((e) => e.token);
        return { tokens, release: () => this.release(tokens) };
      }
      const waitable = result.blocking.every((l) => !LONG_LIVED.has(l.app));
      if (!waitable || Date.now() >= deadline) throw this.conflictError(result.blocking, opts.requesterId ?? holder);
      await sleep(5 + Math.floor(Math.random() * 15));
    }
  }

  /** Acquires, runs `fn`, always releases. */
  async with<T>(ns: number, holder: number, reqs: LockRequest[], fn: () => Promise<T>, opts: Partial<AcquireOptions> = {}): Promise<T> {
    const h = await this.acquire(ns, holder, reqs, { ttlSeconds: 120, ...opts });
    try {
      return await fn();
    } finally {
      await h.release().catch(() => undefined);
    }
  }

  /** Throws 40073 if writing `reqs` would conflict with a lock whose token the caller does not hold. */
  async confirm(ns: number, requester: number, reqs: LockRequest[], tokens: string[] = []): Promise<void> {
    const held = new Set(tokens);
    const list = await this.live(ns);
    const blocking = list.filter((l) => !held.has(l.token) && reqs.some((r) => conflicts(l, r)));
    if (blocking.length) throw this.conflictError(blocking, requester);
  }

  /** Releases tokens (unknown tokens are ignored). */
  async release(tokens: string[]): Promise<void> {
    const byNs = new Map<number, Set<string>>();
    for (const t of tokens) {
      const ns = await this.kv.get<number>(tokenKey(t));
      if (ns === undefined) continue;
      if (!byNs.has(ns)) byNs.set(ns, new Set());
      byNs.get(ns)!.add(t);
    }
    for (const [ns, set] of byNs) {
      await this.withMutex(ns, async () => {
        const list = await this.live(ns);
        await this.store(ns, list.filter((l) => !set.has(l.token)));
      });
      await this.kv.delete(...[...set].map(tokenKey));
    }
  }

  /** The live lock with this token, if any. */
  async get(token: string): Promise<LockEntry | undefined> {
    const ns = await this.kv.get<number>(tokenKey(token));
    if (ns === undefined) return undefined;
    return (await this.live(ns)).find((l) => l.token === token);
  }

  /** Live locks of a namespace whose path is at or below `under` (WebDAV lock discovery). */
  async list(ns: number, under: string[] = []): Promise<LockEntry[]> {
    return (await this.live(ns)).filter((l) => isPrefix(under, l.path) || (isPrefix(l.path, under) && l.depth === 'infinity'));
  }

  /** Extends a lock's expiry; 40075 when it already expired. */
  async refresh(token: string, ttlSeconds: number): Promise<LockEntry> {
    const ns = await this.kv.get<number>(tokenKey(token));
    if (ns === undefined) throw new AppError(Code.LockExpired, 'Lock expired');
    return this.withMutex(ns, async () => {
      const list = await this.live(ns);
      const e = list.find((l) => l.token === token);
      if (!e) throw new AppError(Code.LockExpired, 'Lock expired');
      e.expiresAt = this.now() + ttlSeconds * 1000;
      await this.store(ns, list);
      await this.kv.set(tokenKey(token), ns, ttlSeconds + 1);
      return e;
    });
  }

  /**
   * Force unlock (DELETE /file/lock). [OURS] Only the tree owner or the lock holder may release a
   * lock; a token that is unknown, expired or someone else's → 40001 "failed to unlock file".
   */
  async forceUnlock(requester: number, tokens: string[], isAdmin = false): Promise<void> {
    const mine: string[] = [];
    for (const t of tokens) {
      const e = await this.get(t);
      if (!e || (!isAdmin && e.ns !== requester && e.holder !== requester)) throw new AppError(Code.ParamErr, 'failed to unlock file');
      mine.push(t);
    }
    await this.release(mine);
  }

  private conflictError(blocking: LockEntry[], requester: number): AppError {
    const data: ConflictDetail[] = blocking.map((l) => {
      const own = l.ns === requester;
      const app: ConflictDetail['owner']['application'] = { type: l.app };
      if (l.innerXml) app.inner_xml = l.innerXml;
      if (l.viewerId) app.viewer_id = l.viewerId;
      const d: ConflictDetail = { owner: { application: app }, type: l.fileType ?? 0 };
      if (own) {
        if (l.uri) d.path = l.uri;
        d.token = l.token;
      }
      return d;
    });
    return new AppError(Code.LockConflict, 'Lock conflict', { data });
  }
}
