import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from './errors.ts';

/**
 * The one HTTP client for server-side fetches (remote download, callbacks, OAuth, previews…).
 * Guards against SSRF: only http/https; the target's addresses are checked after DNS resolution
 * and the socket connects to the address that was checked (the lookup hook hands it over, so a
 * second resolution cannot swap it — no TOCTOU); every redirect hop is checked the same way.
 * Refused: loopback, private, link-local (incl. 169.254.169.254 metadata), CGNAT, unspecified,
 * multicast, reserved and documentation ranges, IPv6 ULA/link-local, IPv4-mapped/NAT64 forms.
 * Admins may allow private targets (`outbound_allow_private`) or list hosts, IPs or CIDRs in
 * `outbound_allowed_hosts`. Timeouts (`outbound_timeout` s) and a body cap (`outbound_max_body`).
 */

const blocked = new net.BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net6, prefix, 'ipv6');

/** `::ffff:a.b.c.d` / `::ffff:0a0b:0c0d` → `a.b.c.d`; other addresses unchanged. */
function unmapIPv4(ip: string): string {
  const m = /^::ffff:(?:0{1,4}:)?(.+)$/i.exec(ip);
  if (!m) return ip;
  if (net.isIPv4(m[1]!)) return m[1]!;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(m[1]!);
  if (!hex) return ip;
  const a = parseInt(hex[1]!, 16);
  const b = parseInt(hex[2]!, 16);
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** True for addresses reachable on the public internet (none of the refused ranges). */
export function isPublicAddress(ipIn: string): boolean {
  const ip = unmapIPv4(ipIn.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  const family = net.isIP(ip);
  if (!family) return false;
  // Any other IPv4-embedding IPv6 form (::a.b.c.d compatible addresses) is refused outright.
  if (family === 6 && /^::[0-9.]+$/.test(ip)) return false;
  return !blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export interface OutboundPolicy {
  allowPrivate: boolean;
  /** Lower-case host names, IP literals and CIDRs that may be private. */
  allowed: string[];
}

export function outboundPolicy(ctx: Ctx): OutboundPolicy {
  return {
    allowPrivate: ctx.settings.bool('outbound_allow_private'),
    allowed: ctx.settings.get('outbound_allowed_hosts', '').split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean),
  };
}

function listedAddress(allowed: string[], ip: string): boolean {
  const addr = unmapIPv4(ip);
  const family = net.isIP(addr);
  if (!family) return false;
  for (const entry of allowed) {
    const [rawBase, bits] = entry.split('/');
    const base = unmapIPv4(rawBase!);
    const baseFamily = net.isIP(base);
    if (!baseFamily || baseFamily !== family) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const list = new net.BlockList();
    if (bits === undefined) list.addAddress(base, type);
    else list.addSubnet(base, Number(bits), type);
    if (list.check(addr, type)) return true;
  }
  return false;
}

/** Whether connecting to `ip` for `host` is allowed by the policy. */
export function addressAllowed(policy: OutboundPolicy, host: string, ip: string): boolean {
  if (policy.allowPrivate || isPublicAddress(ip)) return true;
  return policy.allowed.includes(host.toLowerCase().replace(/^\[|\]$/g, '')) || listedAddress(policy.allowed, ip);
}

const refused = (what: string) => new AppError(Code.ParamErr, `Outbound request refused: ${what} is not an allowed destination`);
const failed = (msg: string, cause?: unknown) => new AppError(Code.IOFailed, `Outbound request failed: ${msg}`, { cause });

/** dns.lookup wrapper that fails when any resolved address is refused and returns only checked ones. */
function guardedLookup(policy: OutboundPolicy): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !addressAllowed(policy, hostname, a.address));
      if (bad || !addresses.length) return callback(refused(`${hostname} (${bad?.address ?? 'no address'})`) as unknown as NodeJS.ErrnoException, '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export interface OutboundOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  maxRedirects?: number;
  /** Whole request (all hops, until the body ends) in ms; default `outbound_timeout` seconds. */
  timeoutMs?: number;
  /** Response body cap in bytes; default `outbound_max_body`. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Final URL after redirects. */
  url: string;
  /** The body, size-capped: errors with 50004 past `maxBytes`. */
  body: Readable;
}

function oneRequest(url: URL, policy: OutboundPolicy, opts: OutboundOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, {
      method: opts.method ?? 'GET', headers: opts.headers, signal, lookup: guardedLookup(policy),
      // One connection per request: a pooled socket would skip the address check.
      agent: false,
    }, resolve);
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Performs a guarded request, following redirects (each hop re-checked). */
export async function outboundRequest(ctx: Ctx, rawUrl: string, opts: OutboundOptions = {}): Promise<OutboundResponse> {
  const policy = outboundPolicy(ctx);
  const timeoutMs = opts.timeoutMs ?? Math.max(1, ctx.settings.int('outbound_timeout', 30)) * 1000;
  const maxBytes = opts.maxBytes ?? ctx.settings.int('outbound_max_body', 100 * 1024 * 1024);
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new AppError(Code.ParamErr, 'Outbound request refused: invalid URL');
  }
  let method = opts.method ?? 'GET';
  let body = opts.body;
  let headers = { ...opts.headers };
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`scheme ${url.protocol}`);
    if (url.username || url.password) throw refused('a URL with credentials');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host) && !addressAllowed(policy, host, host)) throw refused(host);
    let res: http.IncomingMessage;
    try {
      res = await oneRequest(url, policy, { ...opts, method, body, headers }, signal);
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (signal.aborted) throw failed('timed out or aborted', e);
      throw failed((e as Error).message, e);
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location && (opts.maxRedirects ?? 5) > 0) {
      res.resume();
      if (hop >= (opts.maxRedirects ?? 5)) throw failed('too many redirects');
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        const { authorization: _a, cookie: _c, ...rest } = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        headers = rest;
      }
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
      continue;
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      throw failed(`response larger than ${maxBytes} bytes`);
    }
    let seen = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > maxBytes) return cb(failed(`response larger than ${maxBytes} bytes`));
        cb(null, chunk);
      },
    });
    res.on('error', (e) => capped.destroy(signal.aborted ? failed('timed out or aborted', e) : e));
    capped.on('close', () => res.destroy());
    res.pipe(capped);
    return { status, headers: res.headers, url: url.toString(), body: capped };
  }
}

/** A guarded request whose (capped) body is read into memory — for small API responses only. */
export async function outboundBuffer(ctx: Ctx, url: string, opts: OutboundOptions = {}): Promise<Omit<OutboundResponse, 'body'> & { body: Buffer }> {
  const res = await outboundRequest(ctx, url, opts);
  const parts: Buffer[] = [];
  for await (const chunk of res.body) parts.push(chunk as Buffer);
  return { ...res, body: Buffer.concat(parts) };
}
