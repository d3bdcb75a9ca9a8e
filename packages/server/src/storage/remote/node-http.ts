import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Plain HTTP between a master and its nodes. Node addresses are configured by the administrator and
 * every request is HMAC-signed, so this deliberately bypasses the SSRF-guarded outbound client
 * (nodes normally live on private networks). Bodies stream with back-pressure in both directions.
 */

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

export interface NodeRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Idle timeout (no bytes either way), ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Error reaching a node (connection refused, reset, timeout). */
export class NodeUnreachable extends Error {}

/** Sends a request; resolves with the response head (body unread). */
export function nodeRequest(req: NodeRequest): Promise<IncomingMessage> {
  const u = new URL(req.url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(e instanceof NodeUnreachable ? e : new NodeUnreachable(`Node unreachable: ${(e as Error)?.message ?? e}`, { cause: e }));
    };
    // Buffered bodies always carry their length (Node sends DELETE bodies unframed otherwise).
    const headers = Buffer.isBuffer(req.body) ? { ...req.headers, 'Content-Length': String(req.body.length) } : req.headers;
    const r = lib.request(u, {
      method: req.method, headers, agent: u.protocol === 'https:' ? agents.https : agents.http, signal: req.signal,
    }, (res) => {
      settled = true;
      resolve(res);
    });
    r.setTimeout(req.timeoutMs ?? 60_000, () => r.destroy(new Error('timeout')));
    r.on('error', fail);
    if (!req.body) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else pipeline(req.body, r).catch((e) => {
      r.destroy(e);
      fail(e);
    });
  });
}

/** Reads a (small) response body completely. */
export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new NodeUnreachable('Node response too large');
    }
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}
