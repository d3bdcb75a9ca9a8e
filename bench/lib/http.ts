import fs from 'node:fs';
import type { Hash } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * Bulk transfers over loopback with node:http (no body buffering, no web-stream layer), used for
 * both our server and the peers so the client side costs the same on each.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface TransferResult {
  status: number;
  bytes: number;
  ms: number;
  /** Response body for non-download requests (small JSON / text). */
  body: string;
  headers: http.IncomingHttpHeaders;
}

const TIMEOUT_MS = 600_000;

/** GETs `url` and discards the body, counting bytes (and hashing them when `hash` is given). */
export function download(url: string, headers: Record<string, string> = {}, hash?: Hash): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
        hash?.update(b);
      });
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0, body: '', headers: res.headers }));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
  });
}

/**
 * Sends bytes [start, end) of `file` as the request body (Content-Length set) and returns the
 * response text. `file` undefined sends an empty body.
 */
export function sendFileRange(
  method: string, url: string, file: string | undefined, start: number, end: number, headers: Record<string, string> = {},
): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const length = end - start;
    const t0 = performance.now();
    const req = http.request(url, { method, agent, headers: { 'content-type': 'application/octet-stream', ...headers, 'content-length': String(length) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes: length, ms: performance.now() - t0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.once('error', reject);
    if (!file || length === 0) {
      req.end();
      return;
    }
    const src = fs.createReadStream(file, { start, end: end - 1, highWaterMark: 1024 * 1024 });
    src.once('error', (e) => req.destroy(e));
    src.pipe(req);
  });
}

/** Small request with an optional JSON/text body; returns status and body text. */
export function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-length'] = String(Buffer.byteLength(body));
    const req = http.request(url, { method, agent, headers: h }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, bytes: text.length, ms: performance.now() - t0, body: text, headers: res.headers });
      });
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.once('error', reject);
    req.end(body);
  });
}

/** Runs `task(i)` for i in [0, count) with `concurrency` workers; returns the wall time in ms. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return performance.now() - t0;
}
