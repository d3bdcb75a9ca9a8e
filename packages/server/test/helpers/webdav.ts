import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { childElements, parseXml, textContent, type XmlElement } from '../../src/webdav/xml.ts';
import type { Client } from './client.ts';

/** A WebDAV account as the API returns it. */
export interface DavAccount { id: string; password: string; uri: string; options: string }

/** Creates a DAV account through the REST API (the caller must be signed in). */
export async function createDavAccount(c: Client, uri: string, opts: { readonly?: boolean; proxy?: boolean; disable_sys_files?: boolean } = {}): Promise<DavAccount> {
  const r = await c.put('/devices/dav', { uri, name: `acct-${Math.random().toString(36).slice(2, 8)}`, ...opts });
  if (r.code !== 0) throw new Error(`create dav account: ${r.code} ${r.msg}`);
  return r.data;
}

export interface DavResponse { href: string; props: Map<string, { status: number; el: XmlElement }> }

/** Parses a 207 multistatus into hrefs and `{ns}local` → property element with its status. */
export function parseMultistatus(xml: string): DavResponse[] {
  const root = parseXml(xml);
  return childElements(root, 'DAV:', 'response').map((r) => {
    const href = textContent(childElements(r, 'DAV:', 'href')[0]!);
    const props = new Map<string, { status: number; el: XmlElement }>();
    for (const ps of childElements(r, 'DAV:', 'propstat')) {
      const status = Number(/HTTP\/1\.1 (\d{3})/.exec(textContent(childElements(ps, 'DAV:', 'status')[0]!))?.[1]);
      for (const prop of childElements(ps, 'DAV:', 'prop')) for (const p of childElements(prop)) props.set(`{${p.ns}}${p.local}`, { status, el: p });
    }
    return { href, props };
  });
}

/** Talks WebDAV to the test server with Basic auth. */
export class DavClient {
  constructor(readonly base: string, readonly user: string, readonly pass: string) {}

  get authorization(): string {
    return `Basic ${Buffer.from(`${this.user}:${this.pass}`).toString('base64')}`;
  }

  /** A request through fetch (paths are normalised by the URL parser). */
  req(method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit | null; auth?: string | null } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const auth = init.auth === undefined ? this.authorization : init.auth;
    if (auth) headers.authorization = auth;
    const opts: RequestInit & { duplex?: string } = { method, headers, body: init.body ?? undefined, redirect: 'manual' };
    if (init.body && typeof (init.body as ReadableStream).getReader === 'function') opts.duplex = 'half';
    return fetch(this.base + path, opts);
  }

  async propfind(path: string, depth: string, body?: string): Promise<{ status: number; responses: DavResponse[]; text: string }> {
    const res = await this.req('PROPFIND', path, { headers: { depth, ...(body ? { 'content-type': 'application/xml' } : {}) }, body });
    const text = await res.text();
    return { status: res.status, text, responses: res.status === 207 ? parseMultistatus(text) : [] };
  }

  async put(path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
    return this.req('PUT', path, { headers, body: body as BodyInit });
  }
}

/** Sends a request with a path exactly as given (no URL normalisation), e.g. `/dav/../x`. */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether a command-line tool is installed; with CR_TEST_REQUIRE_ALL=1 a missing tool is an error. */
export function toolAvailable(cmd: string, args: string[] = ['--version']): { ok: boolean; why?: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!r.error) return { ok: true };
  if (process.env.CR_TEST_REQUIRE_ALL === '1') throw new Error(`${cmd} is not installed but CR_TEST_REQUIRE_ALL=1 (apt-get install ${cmd})`);
  return { ok: false, why: `${cmd} not installed (Debian package "${cmd}")` };
}
