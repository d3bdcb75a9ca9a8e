import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Code } from '@cloudreve-ts/protocol';
import {
  canonicalHeaderName, decodePathBytes, goJsonString, requestContent, signContent, signRequest, signUrlPath, verifyRequest, verifySignature,
} from '../src/services/node-auth.ts';
import { MemoryKV } from '../src/kv/memory.ts';
import { AppError } from '../src/http/errors.ts';

const SECRET = 'node-secret';
const now = Date.UTC(2025, 0, 1);
const nowSec = Math.floor(now / 1000);

async function code(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
}

describe('node signing (contract 50 §3.1)', () => {
  it('signs as base64url-with-padding HMAC-SHA256 over "content:expires"', () => {
    const mac = createHmac('sha256', SECRET).update('/api/v4/slave/file/content/0/a/0/b.txt:1700000000').digest('base64');
    expect(signUrlPath(SECRET, '/api/v4/slave/file/content/0/a/0/b.txt', 1700000000)).toBe(`${mac.replace(/\+/g, '-').replace(/\//g, '_')}:1700000000`);
  });

  it('writes JSON strings byte-exactly like Go: HTML-safe, U+2028/9 escaped, invalid UTF-8 → \\ufffd per byte', () => {
    expect(goJsonString(Buffer.from('a<b>&"\\\n\t\b\f\x01'))).toBe('"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\b\\f\\u0001"');
    expect(goJsonString(Buffer.from('文件\u2028\u2029😀'))).toBe('"文件\\u2028\\u2029😀"');
    expect(goJsonString(Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xff, 0xed, 0xa0, 0x80]))).toBe('"a\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd\\ufffd"');
  });

  it('request content: Path, sorted canonical X-Cr-* headers (no X-Cr-Filename), Body; no body for upload data', () => {
    const headers = { 'x-cr-site-url': 'http://m', 'x-cr-node-id': '3', 'x-cr-filename': 'skip', 'content-type': 'application/json', 'X-CR-VERSION': '4.0.0' };
    const c = requestContent('POST', decodePathBytes('/api/v4/slave/ping'), headers, Buffer.from('{"a":1}')).toString();
    expect(c).toBe('{"Path":"/api/v4/slave/ping","Header":"X-Cr-Node-Id=3\\u0026X-Cr-Site-Url=http://m\\u0026X-Cr-Version=4.0.0","Body":"{\\"a\\":1}"}');
    const up = requestContent('POST', decodePathBytes('/api/v4/slave/upload/abc'), {}, Buffer.from('bytes')).toString();
    expect(up).toBe('{"Path":"/api/v4/slave/upload/abc","Header":"","Body":""}');
    expect(requestContent('PUT', decodePathBytes('/api/v4/slave/upload'), {}, Buffer.from('x')).toString()).toContain('"Body":"x"');
    expect(requestContent('GET', decodePathBytes('/a%20b'), headers, undefined).toString()).toBe('/a b');
    expect(canonicalHeaderName('x-cr-site-url')).toBe('X-Cr-Site-Url');
  });

  it('verifies requests; a tampered path, header or body, an expired or missing signature are refused', async () => {
    const headers: Record<string, string> = { 'x-cr-node-id': '1', 'content-type': 'application/json' };
    const body = Buffer.from('{"files":["a"]}');
    const auth = signRequest(SECRET, { method: 'DELETE', path: '/api/v4/slave/file', headers, body }, nowSec + 60);
    const req = (over: Partial<{ rawPath: string; headers: Record<string, string>; body: Buffer }> = {}) => ({
      method: 'DELETE', rawPath: '/api/v4/slave/file', headers: { ...headers, authorization: auth }, body, ...over,
    });
    expect(await code(verifyRequest(SECRET, req(), { now }))).toBeUndefined();
    expect(await code(verifyRequest(SECRET, req({ rawPath: '/api/v4/slave/filf' }), { now }))).toBe(Code.InvalidSign);
    expect(await code(verifyRequest(SECRET, req({ headers: { ...headers, 'x-cr-node-id': '2', authorization: auth } }), { now }))).toBe(Code.InvalidSign);
    expect(await code(verifyRequest(SECRET, req({ headers: { ...headers, 'x-cr-extra': '1', authorization: auth } }), { now }))).toBe(Code.InvalidSign);
    expect(await code(verifyRequest(SECRET, req({ body: Buffer.from('{"files":["/"]}') }), { now }))).toBe(Code.InvalidSign);
    expect(await code(verifyRequest('other', req(), { now }))).toBe(Code.InvalidSign);
    expect(await code(verifyRequest(SECRET, req(), { now: now + 61_000 }))).toBe(Code.SignExpired);
    expect(await code(verifyRequest(SECRET, req({ headers }), { now }))).toBe(Code.NoPermission);
    expect(await code(verifySignature(SECRET, Buffer.from('/x'), 'abc', { now }))).toBe(Code.NoPermission);
    expect(await code(verifySignature(SECRET, Buffer.from('/x'), 'abc:x1', { now }))).toBe(Code.InvalidSign);
    // Non-X-Cr headers are not signed (proxies may add them).
    expect(await code(verifyRequest(SECRET, req({ headers: { ...headers, 'user-agent': 'x', authorization: auth } }), { now }))).toBeUndefined();
  });

  it('refuses a replayed one-time signature until it expires; expiry 0 never expires', async () => {
    const kv = new MemoryKV();
    const sign = signContent(SECRET, '/p', nowSec + 60);
    expect(await code(verifySignature(SECRET, Buffer.from('/p'), sign, { now, replay: kv }))).toBeUndefined();
    expect(await code(verifySignature(SECRET, Buffer.from('/p'), sign, { now, replay: kv }))).toBe(Code.InvalidSign);
    // Without replay protection (upload credentials, signed URLs) the same signature keeps working.
    expect(await code(verifySignature(SECRET, Buffer.from('/p'), sign, { now }))).toBeUndefined();
    expect(await code(verifySignature(SECRET, Buffer.from('/p'), signContent(SECRET, '/p', 0), { now: now + 1e12 }))).toBeUndefined();
  });
});
