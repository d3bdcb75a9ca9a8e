import { Code, type Envelope, type LoginResponse, type Token, type User } from '@cloudreve-ts/protocol';

/** `code` of an ApiError raised when the server could not be reached at all. */
export const NETWORK_ERROR = -2;
/** Refresh the access token when it has less than this left (contract 00 §5.3). */
export const REFRESH_MARGIN_MS = 10 * 60_000;

/** A non-zero envelope code (or a transport failure), with what the server sent along. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    readonly aggregated?: Envelope['aggregated_error'],
    readonly correlationId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface StoredSession {
  user: User;
  token: Token;
}

export type SessionEndReason = 'expired' | 'signed-out';

const STORAGE_KEY = 'cr_session';

/** The signed-in session in localStorage, shared by every tab of the site. */
class SessionStore {
  private cached: StoredSession | null | undefined;
  private readonly listeners = new Set<() => void>();

  constructor() {
    window.addEventListener('storage', (e) => {
      if (e.key !== STORAGE_KEY) return;
      this.cached = undefined;
      this.emit();
    });
  }

  get(): StoredSession | null {
    if (this.cached === undefined) {
      try {
        const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as StoredSession | null;
        this.cached = parsed?.token?.access_token && parsed.user ? parsed : null;
      } catch {
        this.cached = null;
      }
    }
    return this.cached;
  }

  set(session: StoredSession | null): void {
    this.cached = session;
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
    this.emit();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Raw bytes sent as application/octet-stream instead of a JSON body (PUT /file/content). */
  rawBody?: Blob | string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Send the Bearer token (default true). Session endpoints send none. */
  auth?: boolean;
}

export interface UploadOptions {
  onProgress?: (loaded: number) => void;
  signal?: AbortSignal;
}

const remaining = (iso: string, now: number) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t - now;
};

/**
 * The one way the UI talks to /api/v4: unwraps the envelope (a non-zero `code` becomes an
 * ApiError, 203 included), adds the Bearer token, refreshes it quietly before it runs out, and ends
 * the session when the server answers 401 or 40020 to a signed-in request.
 */
export class ApiClient {
  readonly session = new SessionStore();
  private refreshing: Promise<void> | undefined;
  private readonly endListeners = new Set<(reason: SessionEndReason) => void>();

  constructor(
    private readonly base = '/api/v4',
    private readonly now = () => Date.now(),
  ) {}

  onSessionEnd(listener: (reason: SessionEndReason) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const auth = opts.auth ?? true;
    const token = auth ? await this.accessToken() : undefined;
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    else if (opts.rawBody !== undefined) headers['Content-Type'] = 'application/octet-stream';
    let res: Response;
    try {
      res = await fetch(this.base + path + queryString(opts.query), {
        method,
        headers,
        body: opts.body === undefined ? opts.rawBody : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      throw new ApiError(NETWORK_ERROR, (e as Error)?.message ?? 'network error');
    }
    const text = await res.text();
    return this.unwrap<T>(res.status, text, Boolean(token));
  }

  get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown) {
    return this.request<T>('POST', path, { body });
  }
  put<T>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  delete<T>(path: string, body?: unknown) {
    return this.request<T>('DELETE', path, { body });
  }

  /** POSTs raw bytes (an upload chunk) with progress events; fetch cannot report upload progress. */
  async upload<T>(path: string, blob: Blob, opts: UploadOptions = {}): Promise<T> {
    const token = await this.accessToken();
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.base + path);
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded);
      xhr.onload = () => {
        try {
          resolve(this.unwrap<T>(xhr.status, xhr.responseText, Boolean(token)));
        } catch (e) {
          reject(e);
        }
      };
      xhr.onerror = () => reject(new ApiError(NETWORK_ERROR, 'network error'));
      xhr.onabort = () => reject(new DOMException('Upload aborted', 'AbortError'));
      if (opts.signal?.aborted) return xhr.abort();
      opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(blob);
    });
  }

  /** Stores a fresh sign-in. */
  signedIn(login: LoginResponse): void {
    this.session.set({ user: login.user, token: login.token });
  }

  /** Replaces the stored user (e.g. from /site/config/basic), keeping the tokens. */
  updateUser(user: User): void {
    const s = this.session.get();
    if (s) this.session.set({ ...s, user });
  }

  /** Revokes the refresh token lineage on the server (best effort) and forgets the session. */
  async signOut(): Promise<void> {
    const s = this.session.get();
    if (s) await this.request('DELETE', '/session/token', { body: { refresh_token: s.token.refresh_token }, auth: false }).catch(() => undefined);
    this.endSession('signed-out');
  }

  /** The access token to send, refreshed first when it has less than 10 minutes left. */
  async accessToken(): Promise<string | undefined> {
    let s = this.session.get();
    if (!s) return undefined;
    const now = this.now();
    // A refresh token about to run out cannot carry the session any further (as the official client).
    if (remaining(s.token.refresh_expires, now) < REFRESH_MARGIN_MS) {
      this.endSession('expired');
      return undefined;
    }
    if (remaining(s.token.access_expires, now) < REFRESH_MARGIN_MS) {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
      await this.refreshing;
      s = this.session.get();
    }
    return s?.token.access_token;
  }

  private async refresh(): Promise<void> {
    const s = this.session.get();
    if (!s) return;
    try {
      const token = await this.request<Token>('POST', '/session/token/refresh', { body: { refresh_token: s.token.refresh_token }, auth: false });
      const current = this.session.get();
      if (current) this.session.set({ ...current, token });
    } catch (e) {
      // A refused refresh token ends the session; a network hiccup keeps the old (maybe still valid) one.
      if (e instanceof ApiError && e.code !== NETWORK_ERROR) this.endSession('expired');
    }
  }

  private endSession(reason: SessionEndReason): void {
    if (!this.session.get()) return;
    // Listeners run first so a sign-out can navigate before the pages see the session gone.
    for (const l of this.endListeners) l(reason);
    this.session.set(null);
  }

  private unwrap<T>(status: number, text: string, sentToken: boolean): T {
    let env: Envelope<T>;
    try {
      env = JSON.parse(text) as Envelope<T>;
    } catch {
      throw new ApiError(status === 200 ? Code.NotSet : status, text.slice(0, 200) || `HTTP ${status}`);
    }
    if (typeof env?.code !== 'number') throw new ApiError(Code.NotSet, `unexpected answer (HTTP ${status})`);
    if (env.code === Code.Success) return env.data as T;
    if (sentToken && (env.code === Code.CheckLogin || env.code === Code.CredentialInvalid)) this.endSession('expired');
    throw new ApiError(env.code, env.msg ?? '', env.data, env.aggregated_error, env.correlation_id);
  }
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = new ApiClient();
