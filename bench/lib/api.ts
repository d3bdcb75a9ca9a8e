import { request, sendFileRange } from './http.ts';

/** A failed /api/v4 call (HTTP error or non-zero envelope code). */
export class ApiError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

interface Envelope<T> { code: number; msg: string; data?: T; error?: string; aggregated_error?: unknown }

/** Minimal /api/v4 client for the benches: JSON envelope, bearer token, keep-alive sockets. */
export class Api {
  token?: string;
  constructor(readonly base: string) {}

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (json) h['content-type'] = 'application/json';
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** Calls `/api/v4<path>`; returns `data`, throws ApiError unless code 0. */
  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await request(method, `${this.base}/api/v4${path}`, body === undefined ? undefined : JSON.stringify(body), this.headers(body !== undefined));
    if (res.status === 404) throw new ApiError(-404, `${method} ${path}: HTTP 404 (route not available on this server yet?)`);
    if (res.status !== 200) throw new ApiError(-res.status, `${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    let env: Envelope<T>;
    try {
      env = JSON.parse(res.body) as Envelope<T>;
    } catch {
      throw new ApiError(-1, `${method} ${path}: not JSON: ${res.body.slice(0, 200)}`);
    }
    if (env.code !== 0) {
      const detail = env.aggregated_error ? ` ${JSON.stringify(env.aggregated_error).slice(0, 300)}` : '';
      throw new ApiError(env.code, `${method} ${path}: code ${env.code} ${env.msg}${detail}`);
    }
    return env.data as T;
  }

  /** Signs up (an existing account is fine) and signs in, keeping the access token. */
  async signUpAndIn(email: string, password: string): Promise<void> {
    try {
      await this.call('POST', '/user', { email, password });
    } catch (e) {
      if (!(e instanceof ApiError) || e.code <= 0) throw e;
    }
    const r = await this.call<{ token: { access_token: string } }>('POST', '/session/token', { email, password });
    this.token = r.token.access_token;
  }

  /** The storage policy hashid an upload into `folderUri` uses (from the folder listing, like the web client). */
  async policyFor(folderUri: string): Promise<string> {
    try {
      const list = await this.call<{ storage_policy?: { id: string } }>('GET', `/file?uri=${encodeURIComponent(folderUri)}&page_size=1`);
      if (list.storage_policy?.id) return list.storage_policy.id;
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== -404) throw e;
    }
    const policies = await this.call<{ id: string }[]>('GET', '/user/setting/policies');
    if (!policies[0]) throw new Error('no storage policy available to the bench user');
    return policies[0].id;
  }

  /**
   * Chunked upload (contract 30 §1.2–1.3): creates the session, then POSTs every chunk in order;
   * the last chunk commits. Returns the chunk count and size the server chose.
   */
  async upload(uri: string, file: string, size: number, policyId: string): Promise<{ chunks: number; chunkSize: number }> {
    const s = await this.call<{ session_id: string; chunk_size: number }>('PUT', '/file/upload', { uri, size, policy_id: policyId, last_modified: Date.now() });
    const chunkSize = s.chunk_size > 0 ? s.chunk_size : size;
    const count = size === 0 ? 1 : Math.ceil(size / chunkSize);
    for (let i = 0; i < count; i++) {
      const start = i * chunkSize;
      const end = Math.min(size, start + chunkSize);
      const res = await sendFileRange('POST', `${this.base}/api/v4/file/upload/${s.session_id}/${i}`, file, start, end, this.headers(false));
      if (res.status !== 200) throw new ApiError(-res.status, `chunk ${i}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      const env = JSON.parse(res.body) as Envelope<unknown>;
      if (env.code !== 0) throw new ApiError(env.code, `chunk ${i}: code ${env.code} ${env.msg}`);
    }
    return { chunks: count, chunkSize };
  }

  /**
   * A download URL of `uri` (POST /file/url). The server builds it with its site URL; the bench
   * keeps only path and query and sends them to the address it started the server on.
   */
  async downloadUrl(uri: string): Promise<string> {
    const r = await this.call<{ urls: { url: string }[] }>('POST', '/file/url', { uris: [uri], download: true });
    const u = r.urls[0]?.url;
    if (!u) throw new Error(`POST /file/url returned no URL for ${uri}`);
    const parsed = new URL(u, this.base);
    return `${this.base}${parsed.pathname}${parsed.search}`;
  }
}

/** `cloudreve://my/<segments>` with each segment encoded as contract 20 §1.3 asks. */
export function myUri(...segments: string[]): string {
  return `cloudreve://my${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`;
}
