import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Envelope } from '@cloudreve-ts/protocol';
import type { Client } from './client.ts';
import type { TestServer } from './server.ts';

/** Creates an upload session; returns the envelope. */
export function createSession(c: Client, uri: string, size: number, extra: Record<string, unknown> = {}): Promise<Envelope<any>> {
  return c.put('/file/upload', { uri, size, ...extra });
}

/** POSTs one chunk; returns the envelope. */
export async function putChunk(c: Client, sessionId: string, index: number, body: Buffer, headers: Record<string, string> = {}): Promise<Envelope<any>> {
  const res = await c.raw('POST', `/api/v4/file/upload/${sessionId}/${index}`, {
    rawBody: body as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream', ...headers },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Envelope<any>;
}

/** Uploads a whole buffer through a session, chunk by chunk in order. Returns the session data. */
export async function uploadFile(c: Client, uri: string, data: Buffer, extra: Record<string, unknown> = {}): Promise<any> {
  const s = await createSession(c, uri, data.length, extra);
  if (s.code !== 0) throw new Error(`create session failed: ${s.code} ${s.msg}`);
  const cs: number = s.data.chunk_size || data.length;
  const n = data.length === 0 ? 1 : Math.ceil(data.length / cs);
  for (let i = 0; i < n; i++) {
    const r = await putChunk(c, s.data.session_id, i, data.subarray(i * cs, (i + 1) * cs));
    if (r.code !== 0) throw new Error(`chunk ${i} failed: ${r.code} ${r.msg}`);
  }
  return s.data;
}

/** The path+query of a URL the server built (its origin is the configured siteURL, not the test server). */
export const localPath = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

/** A signed download URL for `uri`, as a path on the test server. */
export async function downloadPath(c: Client, uri: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await c.post('/file/url', { uris: [uri], ...extra });
  if (r.code !== 0) throw new Error(`url failed: ${r.code} ${r.msg}`);
  return localPath(r.data.urls[0].url);
}

export async function fetchBytes(ts: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(ts.url + path, { headers, method, redirect: 'manual' });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sets fields of the seeded local policy's settings JSON (chunk_size, file_type …) and columns. */
export async function setPolicy(ts: TestServer, settings: Record<string, unknown>, columns: { max_size?: number; dir_name_rule?: string; file_name_rule?: string } = {}): Promise<void> {
  const k = ts.server.ctx.db.kysely;
  const row = await k.selectFrom('storage_policies').select('settings').where('id', '=', 1).executeTakeFirstOrThrow();
  const merged = { ...JSON.parse(row.settings), ...settings };
  await k.updateTable('storage_policies').set({ settings: JSON.stringify(merged), ...columns, updated_at: Date.now() }).where('id', '=', 1).execute();
}

/**
 * Sends a raw HTTP request with full control over headers and body framing (e.g. chunked
 * transfer with X-Expected-Entity-Length, or a Content-Length that lies).
 */
export function rawRequest(ts: TestServer, opts: { method: string; path: string; headers: Record<string, string>; chunks: Buffer[] }): Promise<{ status: number; body: string }> {
  const url = new URL(ts.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of opts.chunks) req.write(c);
    req.end();
  });
}
