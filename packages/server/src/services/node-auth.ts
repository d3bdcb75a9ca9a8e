import { createHash, createHmac } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';
import type { KV } from '../kv/kv.ts';
import { safeEqual } from '../util/random.ts';

/**
 * Master ↔ node signatures (contract 50 §3.1, 30 §1.5):
 * `sign = base64url_padded(HMAC-SHA256(secret, content + ":" + expires)) + ":" + expires`.
 *  - URL signing (GET/HEAD and signed URLs): content = the decoded URL path, signature in `?sign=`.
 *  - Request signing (PUT/POST/PATCH, and [OURS] DELETE so a node's delete list cannot be swapped):
 *    content = Go-JSON of {"Path","Header","Body"}, header `Authorization: Bearer Cr <sign>`.
 *    Body is "" for upload-data requests (path under /api/v4/slave/upload/, method not PUT), so one
 *    browser credential covers every chunk of a session.
 * Everything is computed over bytes, as Go does, so signatures interoperate byte-exactly.
 */

export const AUTH_PREFIX = 'Bearer Cr ';
const UPLOAD_DATA_PATH = '/api/v4/slave/upload/';

function mac(secret: string, content: Buffer, expires: number): string {
  return createHmac('sha256', secret).update(content).update(`:${expires}`).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Signs raw content until `expires` (unix seconds, 0 = never). */
export function signContent(secret: string, content: Buffer | string, expires: number): string {
  return `${mac(secret, typeof content === 'string' ? Buffer.from(content, 'utf8') : content, expires)}:${expires}`;
}

/** Go `textproto.CanonicalMIMEHeaderKey` for the header names we see (letters, digits, hyphens). */
export function canonicalHeaderName(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return name;
  return name.split('-').map((p) => (p ? p[0]!.toUpperCase() + p.slice(1).toLowerCase() : p)).join('-');
}

const HEX = '0123456789abcdef';

/** Decodes one UTF-8 sequence at `i` the way Go does: [codepoint, size], codepoint -1 when invalid (size 1). */
function decodeRune(b: Buffer, i: number): [number, number] {
  const c0 = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c0 >= 0xc2 && c0 <= 0xdf && cont(1)) return [((c0 & 0x1f) << 6) | (b[i + 1]! & 0x3f), 2];
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const lo = c0 === 0xe0 ? 0xa0 : 0x80;
    const hi = c0 === 0xed ? 0x9f : 0xbf;
    if (cont(1, lo, hi) && cont(2)) return [((c0 & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f), 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80;
    const hi = c0 === 0xf4 ? 0x8f : 0xbf;
    if (cont(1, lo, hi) && cont(2) && cont(3)) {
      return [((c0 & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f), 4];
    }
  }
  return [-1, 1];
}

/**
 * A JSON string literal exactly as Go's encoding/json writes it for these bytes: HTML-safe
 * (`<`, `>`, `&` as \u003c …), U+2028/2029 escaped, `\b \f \n \r \t` short forms, other controls as
 * \u00xx, each invalid UTF-8 byte as \ufffd.
 */
export function goJsonString(bytes: Buffer): string {
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c < 0x80) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c === 0x08) out += '\\b';
      else if (c === 0x0c) out += '\\f';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
      else out += String.fromCharCode(c);
      i++;
      continue;
    }
    const [cp, size] = decodeRune(bytes, i);
    if (cp < 0) out += '\\ufffd';
    else if (cp === 0x2028 || cp === 0x2029) out += `\\u${cp.toString(16)}`;
    else out += String.fromCodePoint(cp);
    i += size;
  }
  return `${out}"`;
}

/** Percent-decodes a raw URL path into bytes (Go's URL.Path). Malformed escapes → 40001. */
export function decodePathBytes(rawPath: string): Buffer {
  const out: number[] = [];
  const src = Buffer.from(rawPath, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      const h = src.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new AppError(Code.ParamErr, 'Invalid URL escape');
      out.push(parseInt(h, 16));
      i += 2;
    } else out.push(c);
  }
  return Buffer.from(out);
}

/** Request headers as the signer sees them: lower-case name → values (first value is signed). */
export type HeaderValues = Record<string, string | string[] | undefined>;

/** The sorted `Name=value&…` list of X-Cr-* headers (except X-Cr-Filename), as bytes. */
function signedHeaderBytes(headers: HeaderValues): Buffer {
  const pairs: Buffer[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    const canon = canonicalHeaderName(name);
    if (!canon.startsWith('X-Cr-') || canon === 'X-Cr-Filename' || raw === undefined) continue;
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    // Node hands header values over as latin1 text: that is the original bytes.
    pairs.push(Buffer.concat([Buffer.from(`${canon}=`, 'latin1'), Buffer.from(first, 'latin1')]));
  }
  pairs.sort(Buffer.compare);
  const out: Buffer[] = [];
  pairs.forEach((p, i) => out.push(...(i ? [Buffer.from('&'), p] : [p])));
  return Buffer.concat(out);
}

/** Whether this method is request-signed (else URL-signed). */
export const isRequestSigned = (method: string) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method.toUpperCase());

/** The signed content of a request (contract 50 §3.1). `path` is the decoded path as bytes. */
export function requestContent(method: string, path: Buffer, headers: HeaderValues, body: Buffer | undefined): Buffer {
  if (!isRequestSigned(method)) return path;
  const uploadData = path.includes(UPLOAD_DATA_PATH) && method.toUpperCase() !== 'PUT';
  const bodyBytes = uploadData || !body ? Buffer.alloc(0) : body;
  const json = `{"Path":${goJsonString(path)},"Header":${goJsonString(signedHeaderBytes(headers))},"Body":${goJsonString(bodyBytes)}}`;
  return Buffer.from(json, 'utf8');
}

/** `Authorization` value for a request to `pathAndQuery` (only the path is signed). */
export function signRequest(secret: string, req: { method: string; path: string; headers: HeaderValues; body?: Buffer }, expires: number): string {
  const path = decodePathBytes(req.path.split('?')[0]!);
  return AUTH_PREFIX + signContent(secret, requestContent(req.method, path, req.headers, req.body), expires);
}

/** `sign` query value for a URL path (decoded path string, as it appears after percent-decoding). */
export function signUrlPath(secret: string, decodedPath: string, expires: number): string {
  return signContent(secret, Buffer.from(decodedPath, 'utf8'), expires);
}

export interface VerifyOptions {
  /** Unix ms. */
  now: number;
  /**
   * One-time use: a signature seen before (until it expires) is refused as a replay. Only for RPC
   * requests — upload credentials and signed URLs are meant to be used many times.
   */
  replay?: KV;
}

/**
 * Checks a signature in the contract's order: missing / no expiry → 403, unparsable → 40071,
 * expired → 40005, mismatch → 40071, replayed → 40071.
 */
export async function verifySignature(secret: string, content: Buffer, sign: string | undefined, opts: VerifyOptions): Promise<void> {
  if (!secret) throw new AppError(Code.NoPermission, 'Node secret is not configured');
  const parts = (sign ?? '').split(':');
  const expiresText = parts.length >= 2 ? parts[parts.length - 1]! : '';
  if (expiresText === '') throw new AppError(Code.NoPermission, 'Signature is missing or has no expiry');
  if (!/^\d{1,15}$/.test(expiresText)) throw new AppError(Code.InvalidSign, 'Invalid signature');
  const expires = Number(expiresText);
  const nowSec = Math.floor(opts.now / 1000);
  if (expires !== 0 && expires < nowSec) throw new AppError(Code.SignExpired, 'Signature expired');
  if (!safeEqual(signContent(secret, content, expires), sign!)) throw new AppError(Code.InvalidSign, 'Invalid signature');
  if (opts.replay) {
    const ttl = expires === 0 ? 86400 : Math.max(1, expires - nowSec + 1);
    const key = `node_sig_${createHash('sha256').update(sign!).digest('hex')}`;
    if (!(await opts.replay.setIfAbsent(key, 1, ttl))) throw new AppError(Code.InvalidSign, 'Signature already used (replayed request)');
  }
}

/** Verifies a request's `Authorization: Bearer Cr <sign>` (request-signed methods) against `secret`. */
export async function verifyRequest(
  secret: string,
  req: { method: string; rawPath: string; headers: HeaderValues; body?: Buffer },
  opts: VerifyOptions,
): Promise<void> {
  const auth = req.headers.authorization;
  const value = Array.isArray(auth) ? auth[0] : auth;
  if (!value || !value.startsWith(AUTH_PREFIX)) throw new AppError(Code.NoPermission, 'Signature is missing');
  const path = decodePathBytes(req.rawPath);
  await verifySignature(secret, requestContent(req.method, path, req.headers, req.body), value.slice(AUTH_PREFIX.length), opts);
}
