import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '@cloudreve-ts/protocol';
import { signRequest, signUrlPath } from '../../services/node-auth.ts';
import { VERSION } from '../../util/version.ts';
import { nodeRequest, readBody, NodeUnreachable } from './node-http.ts';

export const SLAVE_PREFIX = '/api/v4/slave';

/** What the master knows about a node (a `nodes` row). */
export interface NodeTarget {
  id: number;
  /** Base URL, e.g. http://10.0.0.2:5212 (a path prefix is kept). */
  server: string;
  secret: string;
}

export interface NodeClientOptions {
  /** Primary site URL of the master (X-Cr-Site-Url; where the node calls back). */
  siteUrl: string;
  siteId: string;
  /** Lifetime of RPC signatures, seconds (contract: slave_api_timeout, 60). */
  rpcTtl?: number;
  timeoutMs?: number;
}

/** Thrown for a node that answered with a non-zero envelope. */
export class NodeError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

/**
 * Signed calls from the master to one node (contract 50 §3.2–3.4): every request carries the
 * X-Cr-* identity headers (part of the signature) and a fresh correlation id, so no two requests
 * share a signature and the node can refuse replays.
 */
export class NodeClient {
  readonly base: string;
  private readonly basePath: string;

  constructor(readonly node: NodeTarget, private readonly opts: NodeClientOptions) {
    const u = new URL(node.server);
    this.base = `${u.protocol}//${u.host}`;
    this.basePath = u.pathname.replace(/\/+$/, '');
  }

  /** Full path (URL-encoded) of a slave route under the node's base path. */
  path(route: string): string {
    return `${this.basePath}${SLAVE_PREFIX}${route}`;
  }

  private headers(): Record<string, string> {
    return {
      'X-Cr-Site-Url': this.opts.siteUrl,
      'X-Cr-Site-Id': this.opts.siteId,
      'X-Cr-Version': VERSION,
      'X-Cr-Node-Id': String(this.node.id),
      'X-Cr-Correlation-Id': randomUUID(),
      'User-Agent': `Cloudreve/${VERSION}`,
    };
  }

  private expiry(ttl = this.opts.rpcTtl ?? 60): number {
    return Math.floor(Date.now() / 1000) + ttl;
  }

  /** A request-signed call; JSON body in, envelope out. Transport failures → NodeUnreachable. */
  async call<T = unknown>(method: string, route: string, body?: unknown, query = ''): Promise<Envelope<T>> {
    const path = this.path(route);
    const headers = this.headers();
    const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    if (buf) headers['Content-Type'] = 'application/json';
    headers.Authorization = signRequest(this.node.secret, { method, path, headers, body: buf }, this.expiry());
    const res = await nodeRequest({ method, url: `${this.base}${path}${query}`, headers, body: buf, timeoutMs: this.opts.timeoutMs });
    return parseEnvelope<T>(res);
  }

  /** A signed GET whose answer is streamed (not an envelope unless it failed). */
  async getStream(route: string): Promise<IncomingMessage> {
    const path = this.path(route);
    const headers = this.headers();
    headers.Authorization = signRequest(this.node.secret, { method: 'GET', path, headers }, this.expiry());
    return nodeRequest({ method: 'GET', url: `${this.base}${path}`, headers, timeoutMs: this.opts.timeoutMs });
  }

  /** Streams an upload chunk to the node (request-signed; upload data is not part of the signature). */
  async sendChunk(sessionId: string, index: number, body: Readable, length: number, signal?: AbortSignal): Promise<Envelope> {
    const path = this.path(`/upload/${encodeURIComponent(sessionId)}`);
    const headers = this.headers();
    headers.Authorization = signRequest(this.node.secret, { method: 'POST', path, headers }, this.expiry());
    headers['Content-Type'] = 'application/octet-stream';
    headers['Content-Length'] = String(length);
    const res = await nodeRequest({ method: 'POST', url: `${this.base}${path}?chunk=${index}`, headers, body, signal, timeoutMs: this.opts.timeoutMs });
    return parseEnvelope(res);
  }

  /** Browser upload credential for a node session (contract 30 §1.5): no X-Cr-* headers, body excluded. */
  uploadCredential(sessionId: string, expires: number): { url: string; credential: string } {
    const path = this.path(`/upload/${encodeURIComponent(sessionId)}`);
    return { url: `${this.base}${path}`, credential: signRequest(this.node.secret, { method: 'POST', path, headers: {} }, expires) };
  }

  /**
   * A URL-signed link: `segments` are the decoded path segments after the slave prefix; the
   * signature covers the decoded path, `query` is appended unsigned (sorted, then `sign`).
   */
  signedUrl(segments: string[], expires: number, query: Record<string, string> = {}): string {
    const decoded = `${this.basePath}${SLAVE_PREFIX}/${segments.join('/')}`;
    const encoded = `${this.basePath}${SLAVE_PREFIX}/${segments.map(encodeURIComponent).join('/')}`;
    const q = Object.entries({ ...query, sign: signUrlPath(this.node.secret, decoded, expires) })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    return `${this.base}${encoded}?${q}`;
  }

  /** GET/HEAD of a signed URL; resolves with the response head. */
  fetchSigned(method: 'GET' | 'HEAD', url: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<IncomingMessage> {
    return nodeRequest({ method, url, headers: { ...headers, 'User-Agent': `Cloudreve/${VERSION}` }, signal, timeoutMs: this.opts.timeoutMs });
  }
}

async function parseEnvelope<T>(res: IncomingMessage): Promise<Envelope<T>> {
  const text = (await readBody(res)).toString('utf8');
  try {
    const env = JSON.parse(text) as Envelope<T>;
    if (typeof env?.code !== 'number') throw new Error('not an envelope');
    return env;
  } catch {
    throw new NodeUnreachable(`Node answered HTTP ${res.statusCode} without a JSON envelope`);
  }
}

/** `base64url_padded(save path)`: the `:src` segment of node file routes (contract 50 §3.4). */
export const encodeSrc = (key: string) => Buffer.from(key, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
export const decodeSrc = (src: string) => Buffer.from(src.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
