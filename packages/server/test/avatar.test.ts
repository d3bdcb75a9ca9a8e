import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { HashType } from '../src/util/hashid.ts';

const solid = (w: number, h: number, colour = '#ff0000') => sharp({ create: { width: w, height: h, channels: 3, background: colour } });

/** A raw HTTP request, for bodies fetch cannot send (no Content-Length, partial bodies). */
function rawRequest(url: string, opts: { method: string; headers: Record<string, string | number>; chunks: Buffer[]; endBody: boolean }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    for (const c of opts.chunks) req.write(c);
    if (opts.endBody) req.end();
  });
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`avatars on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let id: string;
    let num: number;
    const avatarPath = () => path.join(ts.dataDir, 'avatar', `avatar_${num}.png`);
    const put = (body: Buffer, contentType = 'image/png') =>
      c.raw('PUT', '/api/v4/user/setting/avatar', { rawBody: new Uint8Array(body), headers: { 'content-type': contentType } }).then((r) => r.json());
    const get = (query = '', headers: Record<string, string> = {}) => fetch(`${ts.url}/api/v4/user/avatar/${id}${query}`, { headers, redirect: 'manual' });
    const leftovers = () => (fs.existsSync(path.dirname(avatarPath())) ? fs.readdirSync(path.dirname(avatarPath())).filter((f) => f.endsWith('.tmp')) : []);

    beforeAll(async () => {
      ts = await startServer(backend);
      c = ts.client();
      id = (await c.signUpAndIn('pic@example.com')).user.id;
      num = ts.server.ctx.hashids.decode(id, HashType.User)!;
    });
    afterAll(async () => ts?.close());
    afterEach(async () => {
      await ts.server.ctx.settings.set({ avatar_size: '4194304', avatar_size_l: '200' });
    });

    it('refuses bad ids (40001) and unknown users (40021) as JSON', async () => {
      for (const bad of ['nope', ts.server.ctx.hashids.encode(num, HashType.File)]) {
        const r = await fetch(`${ts.url}/api/v4/user/avatar/${bad}`);
        expect(r.status).toBe(200);
        expect(await r.json()).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
      }
      const r = await fetch(`${ts.url}/api/v4/user/avatar/${ts.server.ctx.hashids.encode(424242, HashType.User)}`);
      expect(await r.json()).toMatchObject({ code: 40021 });
      expect(await (await get('?nocache=perhaps')).json()).toMatchObject({ code: 40001, msg: 'Nocache is invalid' });
    });

    it('answers 404 with an empty body when no avatar is set, cacheable unless nocache', async () => {
      const r = await get();
      expect(r.status).toBe(404);
      expect(await r.text()).toBe('');
      expect(r.headers.get('cache-control')).toBe('public, max-age=86400');
      const nc = await get('?nocache=true');
      expect(nc.status).toBe(404);
      expect(nc.headers.get('cache-control')).toBe('private, no-cache');
    });

    it('generates an initials PNG with ?default=1', async () => {
      const r = await get('?default=1');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/png');
      expect(r.headers.get('last-modified')).toBeTruthy();
      const png = Buffer.from(await r.arrayBuffer());
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 200, 200]);
      const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      // The corner pixel carries the colour derived from the user id; the centre has white text.
      expect(data.subarray(0, 3)).not.toEqual(Buffer.from([255, 255, 255]));
      const again = Buffer.from(await (await get('?default=1&nocache=1')).arrayBuffer());
      expect(again.equals(png)).toBe(true);
    });

    it('stores an uploaded image scaled to fit avatar_size_l as PNG and serves it with conditional GET', async () => {
      const jpeg = await solid(800, 400, '#00ff00').jpeg().toBuffer();
      expect(await put(jpeg, 'image/jpeg')).toEqual({ code: 0, msg: '' });
      expect((await c.get('/user/me')).data.avatar).toBe('file');
      const stored = await sharp(fs.readFileSync(avatarPath())).metadata();
      expect([stored.format, stored.width, stored.height]).toEqual(['png', 200, 100]);
      expect(leftovers()).toEqual([]);

      const r = await get();
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/png');
      expect(r.headers.get('cache-control')).toBe('public, max-age=86400');
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(fs.readFileSync(avatarPath()))).toBe(true);
      const lm = r.headers.get('last-modified')!;
      expect(lm).toMatch(/GMT$/);
      const notModified = await get('', { 'if-modified-since': lm });
      expect(notModified.status).toBe(304);
      const older = await get('', { 'if-modified-since': new Date(Date.parse(lm) - 60_000).toUTCString() });
      expect(older.status).toBe(200);
      await older.arrayBuffer();
    });

    it('accepts PNG, GIF and WebP, never enlarges, and follows avatar_size_l', async () => {
      expect(await put(await solid(50, 40).png().toBuffer())).toEqual({ code: 0, msg: '' });
      expect((await sharp(fs.readFileSync(avatarPath())).metadata()).width).toBe(50);
      expect(await put(await solid(300, 300).gif().toBuffer(), 'image/gif')).toEqual({ code: 0, msg: '' });
      expect((await sharp(fs.readFileSync(avatarPath())).metadata()).width).toBe(200);
      expect(await put(await solid(30, 30).webp().toBuffer(), 'image/webp')).toEqual({ code: 0, msg: '' });
      expect((await sharp(fs.readFileSync(avatarPath())).metadata()).width).toBe(30);
      await ts.server.ctx.settings.set({ avatar_size_l: '64' });
      // The Content-Type is only a hint: a PNG labelled as JSON is still decoded.
      expect(await put(await solid(400, 100).png().toBuffer(), 'application/json')).toEqual({ code: 0, msg: '' });
      const m = await sharp(fs.readFileSync(avatarPath())).metadata();
      expect([m.width, m.height]).toEqual([64, 16]);
    });

    it('refuses non-images and truncated images with 40001 and keeps the previous avatar', async () => {
      expect(await put(await solid(120, 120).png().toBuffer())).toEqual({ code: 0, msg: '' });
      const before = fs.readFileSync(avatarPath());
      const jpeg = await solid(500, 500).jpeg().toBuffer();
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
      const tiff = await solid(20, 20).tiff().toBuffer();
      for (const body of [Buffer.from('definitely not an image'), Buffer.from('GIF'), jpeg.subarray(0, 300), svg, tiff]) {
        expect(await put(body)).toMatchObject({ code: 40001, msg: 'Invalid image' });
      }
      expect(fs.readFileSync(avatarPath()).equals(before)).toBe(true);
      expect(leftovers()).toEqual([]);
      expect((await c.get('/user/me')).data.avatar).toBe('file');
    });

    it('refuses images with too many pixels (decompression bomb) with 40001', async () => {
      const bomb = await solid(8000, 8000).png({ compressionLevel: 9 }).toBuffer();
      expect(bomb.length).toBeLessThan(4194304);
      expect(await put(bomb)).toMatchObject({ code: 40001, msg: 'Invalid image' });
    });

    it('refuses bodies over avatar_size and bodies without Content-Length with 40049', async () => {
      await ts.server.ctx.settings.set({ avatar_size: '2000' });
      const big = await solid(300, 300, '#123456').png({ compressionLevel: 0 }).toBuffer();
      expect(big.length).toBeGreaterThan(2000);
      expect(await put(big)).toMatchObject({ code: 40049 });

      // Declared oversize: answered without waiting for the body.
      const partial = await rawRequest(`${ts.url}/api/v4/user/setting/avatar`, {
        method: 'PUT', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'image/png', 'content-length': 50 * 1024 * 1024 },
        chunks: [Buffer.alloc(1024)], endBody: false,
      });
      expect(partial.status).toBe(200);
      expect(JSON.parse(partial.body)).toMatchObject({ code: 40049 });

      const chunked = await rawRequest(`${ts.url}/api/v4/user/setting/avatar`, {
        method: 'PUT', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'image/png', 'transfer-encoding': 'chunked' },
        chunks: [await solid(10, 10).png().toBuffer()], endBody: true,
      });
      expect(JSON.parse(chunked.body)).toMatchObject({ code: 40049, msg: 'Content-Length is required' });
      // The server still serves normally afterwards.
      expect((await c.get('/user/me')).code).toBe(0);
    });

    it('cleans up after an upload the client aborts half-way', async () => {
      expect(await put(await solid(40, 40).png().toBuffer())).toEqual({ code: 0, msg: '' });
      const before = fs.readFileSync(avatarPath());
      const png = await solid(300, 300, '#abcdef').png({ compressionLevel: 0 }).toBuffer();
      await new Promise<void>((resolve) => {
        const req = http.request(`${ts.url}/api/v4/user/setting/avatar`, {
          method: 'PUT', headers: { authorization: `Bearer ${c.token}`, 'content-type': 'image/png', 'content-length': png.length },
        });
        req.on('error', () => resolve());
        req.write(png.subarray(0, 5000));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300);
      });
      await expect.poll(() => leftovers(), { timeout: 5000 }).toEqual([]);
      expect(fs.readFileSync(avatarPath()).equals(before)).toBe(true);
      expect((await c.get('/user/me')).code).toBe(0);
    });

    it('switches to Gravatar on an empty body', async () => {
      expect(await put(Buffer.alloc(0))).toEqual({ code: 0, msg: '' });
      expect((await c.get('/user/me')).data.avatar).toBe('gravatar');
      const r = await get();
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe(`https://www.gravatar.com/avatar/${createHash('md5').update('pic@example.com').digest('hex')}?d=mm&s=200`);
      expect(r.headers.get('cache-control')).toBe('public, max-age=86400');
    });

    it('falls back to 404 (or the generated image) when the stored file is missing', async () => {
      expect(await put(await solid(20, 20).png().toBuffer())).toEqual({ code: 0, msg: '' });
      fs.rmSync(avatarPath());
      expect((await get()).status).toBe(404);
      expect((await get('?default=1')).status).toBe(200);
    });

    it('requires sign-in to upload', async () => {
      const r = await ts.client().raw('PUT', '/api/v4/user/setting/avatar', { rawBody: new Uint8Array(await solid(10, 10).png().toBuffer()), headers: { 'content-type': 'image/png' } });
      expect(await r.json()).toMatchObject({ code: 401, msg: 'Login required' });
    });
  });
}
