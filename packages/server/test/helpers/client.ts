import type { Envelope, LoginResponse } from '@cloudreve-ts/protocol';

/** A small HTTP client speaking the /api/v4 envelope, with an optional signed-in session. */
export class Client {
  token?: string;
  refreshToken?: string;
  constructor(readonly base: string) {}

  async raw(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; rawBody?: BodyInit } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token && !headers.authorization) headers.authorization = `Bearer ${this.token}`;
    let body: BodyInit | undefined = init.rawBody;
    if (init.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    }
    return fetch(this.base + path, { method, headers, body, redirect: 'manual' });
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Envelope<T>> {
    const res = await this.raw(method, `/api/v4${path}`, { body, headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for ${method} ${path}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as Envelope<T>;
  }

  get<T = any>(path: string) { return this.call<T>('GET', path); }
  post<T = any>(path: string, body?: unknown) { return this.call<T>('POST', path, body); }
  put<T = any>(path: string, body?: unknown) { return this.call<T>('PUT', path, body); }
  patch<T = any>(path: string, body?: unknown) { return this.call<T>('PATCH', path, body); }
  delete<T = any>(path: string, body?: unknown) { return this.call<T>('DELETE', path, body); }

  /** Signs up (ignoring "already exists") and signs in; keeps the token pair. */
  async signUpAndIn(email: string, password = 'password123'): Promise<LoginResponse> {
    await this.post('/user', { email, password });
    return this.signIn(email, password);
  }

  async signIn(email: string, password = 'password123'): Promise<LoginResponse> {
    const r = await this.post<LoginResponse>('/session/token', { email, password });
    if (r.code !== 0) throw new Error(`sign-in failed: ${r.code} ${r.msg}`);
    this.token = r.data!.token.access_token;
    this.refreshToken = r.data!.token.refresh_token;
    return r.data!;
  }
}
