import { randomBytes } from 'node:crypto';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { downloadPath, fetchBytes, localPath, setPolicy, uploadFile } from './helpers/transfer.ts';
import { signPath } from '../src/services/signing.ts';

const enc = encodeURIComponent;

/** Entries of a zip: name → content (test files are small). */
function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(e2);
          const parts: Buffer[] = [];
          rs.on('data', (b: Buffer) => parts.push(b));
          rs.on('end', () => {
            out.set(entry.fileName, Buffer.concat(parts));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`downloads on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    const data = randomBytes(5000);
    let path: string;

    beforeAll(async () => {
      ts = await startServer(backend);
      admin = ts.client();
      await admin.signUpAndIn('admin@example.com');
      alice = ts.client();
      await alice.signUpAndIn('alice@example.com');
      await setPolicy(ts, { chunk_size: 2048 });
      await uploadFile(alice, 'cloudreve://my/data.bin', data);
      path = await downloadPath(alice, 'cloudreve://my/data.bin');
    });
    afterAll(async () => ts?.close());

    it('serves the whole blob with validators, CORS, sandbox and cache headers', async () => {
      const r = await fetchBytes(ts, path);
      expect(r.status).toBe(200);
      expect(r.body.equals(data)).toBe(true);
      expect(r.headers.get('content-length')).toBe('5000');
      expect(r.headers.get('accept-ranges')).toBe('bytes');
      expect(r.headers.get('etag')).toMatch(/^"[A-Za-z0-9]+"$/);
      expect(r.headers.get('last-modified')).toBeTruthy();
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('content-security-policy')).toBe('sandbox');
      expect(r.headers.get('cache-control')).toBe('public, max-age=86400');
      expect(r.headers.get('content-type')).toBe('application/octet-stream');
      expect(r.headers.get('content-disposition')).toBe('inline; filename="data.bin"');
      const head = await fetchBytes(ts, path, {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe('5000');
      expect(head.body.length).toBe(0);
      expect(head.headers.get('content-security-policy')).toBeNull();
      const opt = await fetch(ts.url + path, { method: 'OPTIONS' });
      expect(opt.status).toBe(204);
      expect(opt.headers.get('access-control-allow-origin')).toBe('*');
    });

    it('answers single ranges with 206, ignores multi-ranges, and refuses unsatisfiable ones with 416', async () => {
      const a = await fetchBytes(ts, path, { range: 'bytes=10-19' });
      expect(a.status).toBe(206);
      expect(a.headers.get('content-range')).toBe('bytes 10-19/5000');
      expect(a.body.equals(data.subarray(10, 20))).toBe(true);
      const suffix = await fetchBytes(ts, path, { range: 'bytes=-100' });
      expect(suffix.status).toBe(206);
      expect(suffix.body.equals(data.subarray(4900))).toBe(true);
      const open = await fetchBytes(ts, path, { range: 'bytes=4990-' });
      expect(open.headers.get('content-range')).toBe('bytes 4990-4999/5000');
      const clipped = await fetchBytes(ts, path, { range: 'bytes=4990-9999' });
      expect(clipped.body.length).toBe(10);
      const multi = await fetchBytes(ts, path, { range: 'bytes=0-1,5-6' });
      expect(multi.status).toBe(200);
      expect(multi.body.length).toBe(5000);
      const bad = await fetchBytes(ts, path, { range: 'bytes=5000-' });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe('bytes */5000');
    });

    it('honours If-None-Match, If-Modified-Since, If-Match and If-Range', async () => {
      const first = await fetchBytes(ts, path);
      const etag = first.headers.get('etag')!;
      const lm = first.headers.get('last-modified')!;
      expect((await fetchBytes(ts, path, { 'if-none-match': etag })).status).toBe(304);
      expect((await fetchBytes(ts, path, { 'if-none-match': '"other"' })).status).toBe(200);
      expect((await fetchBytes(ts, path, { 'if-modified-since': lm })).status).toBe(304);
      expect((await fetchBytes(ts, path, { 'if-match': '"other"' })).status).toBe(412);
      expect((await fetchBytes(ts, path, { 'if-match': etag })).status).toBe(200);
      const ranged = await fetchBytes(ts, path, { range: 'bytes=0-9', 'if-range': etag });
      expect(ranged.status).toBe(206);
      const stale = await fetchBytes(ts, path, { range: 'bytes=0-9', 'if-range': '"old"' });
      expect(stale.status).toBe(200);
      expect(stale.body.length).toBe(5000);
    });

    it('forces an attachment with a safe UTF-8 Content-Disposition for download URLs', async () => {
      await uploadFile(alice, 'cloudreve://my/报告 "final".txt'.replace('"final"', 'final'), Buffer.from('hi'));
      const p = await downloadPath(alice, 'cloudreve://my/报告 final.txt', { download: true });
      expect(p).toContain('download=true');
      const r = await fetchBytes(ts, p);
      expect(r.headers.get('content-disposition')).toBe(`attachment; filename="__ final.txt"; filename*=UTF-8''${enc('报告 final.txt')}`);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const plain = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/data.bin', { download: true }));
      expect(plain.headers.get('content-disposition')).toBe('attachment; filename="data.bin"');
    });

    it('refuses missing (403), tampered (40071) and expired (40005) signatures, and bad entity ids (40001)', async () => {
      const [p, q] = path.split('?');
      const noSign = await (await fetch(ts.url + p)).json();
      expect(noSign.code).toBe(403);
      const sign = new URLSearchParams(q).get('sign')!;
      const tampered = sign.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'));
      expect((await (await fetch(`${ts.url}${p}?sign=${enc(tampered)}`)).json()).code).toBe(40071);
      const otherName = p!.replace(/data\.bin$/, 'other.bin');
      expect((await (await fetch(`${ts.url}${otherName}?${q}`)).json()).code).toBe(40071);
      const fasterPath = p!.replace('/0/data.bin', '/1/data.bin');
      expect((await (await fetch(`${ts.url}${fasterPath}?${q}`)).json()).code).toBe(40071);
      expect((await (await fetch(`${ts.url}${p}?sign=${enc(sign.split(':')[0] + ':notanumber')}`)).json()).code).toBe(40071);
      const expired = signPath(ts.server.ctx, decodeURIComponent(p!), Math.floor(Date.now() / 1000) - 10);
      expect((await (await fetch(`${ts.url}${p}?sign=${enc(expired)}`)).json()).code).toBe(40005);
      const badId = '/api/v4/file/content/zzzzzz/0/x.bin';
      const badSign = signPath(ts.server.ctx, badId, Math.floor(Date.now() / 1000) + 100);
      expect((await (await fetch(`${ts.url}${badId}?sign=${enc(badSign)}`)).json()).code).toBe(40001);
    });

    it('applies the group speed limit (signed into the URL)', async () => {
      const k = ts.server.ctx.db.kysely;
      await k.updateTable('groups').set({ speed_limit: 2000 }).where('id', '=', 2).execute();
      try {
        const p = await downloadPath(alice, 'cloudreve://my/data.bin', { no_cache: true });
        expect(p).toContain('/2000/data.bin');
        const t0 = Date.now();
        const r = await fetchBytes(ts, p);
        const took = Date.now() - t0;
        expect(r.body.equals(data)).toBe(true);
        // 5000 bytes at 2000 B/s with a one-second burst: at least ~1.5 s.
        expect(took).toBeGreaterThanOrEqual(1300);
      } finally {
        await k.updateTable('groups').set({ speed_limit: 0 }).where('id', '=', 2).execute();
      }
    });

    it('reports per-item failures: folders and missing files → 40081 (or empty URLs with skip_error), redirect → 302', async () => {
      await alice.post('/file/create', { uri: 'cloudreve://my/folder', type: 'folder' });
      const r = await alice.post('/file/url', { uris: ['cloudreve://my/folder'] });
      expect(r.code).toBe(40081);
      expect(r.aggregated_error!['cloudreve://my/folder'].code).toBe(40077);
      const miss = await alice.post('/file/url', { uris: ['cloudreve://my/nope.bin'] });
      expect(miss.code).toBe(40081);
      const skip = await alice.post('/file/url', { uris: ['cloudreve://my/folder', 'cloudreve://my/data.bin'], skip_error: true });
      expect(skip.code).toBe(0);
      expect(skip.data.urls[0].url).toBe('');
      expect(skip.data.urls[1].url).toContain('/api/v4/file/content/');
      expect(typeof skip.data.expires).toBe('string');
      const other = ts.client();
      await other.signUpAndIn('mallory@example.com');
      expect((await other.post('/file/url', { uris: ['cloudreve://my/data.bin'] })).code).toBe(40081);
      expect((await ts.client().post('/file/url', { uris: ['cloudreve://my/data.bin'] })).code).toBe(401);
      const red = await alice.raw('POST', '/api/v4/file/url', { body: { uris: ['cloudreve://my/data.bin'], redirect: true } });
      expect(red.status).toBe(302);
      expect(red.headers.get('location')).toContain('/api/v4/file/content/');
      expect((await alice.post('/file/url', { uris: ['cloudreve://my/data.bin'], entity: 'nope' })).code).toBe(40081);
    });

    it('serves files without content as empty bodies, and refuses files still being uploaded (40077)', async () => {
      await alice.post('/file/create', { uri: 'cloudreve://my/blank.txt', type: 'file' });
      const r = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/blank.txt'));
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(0);
      await alice.put('/file/upload', { uri: 'cloudreve://my/pending.bin', size: 10 });
      const p = await alice.post('/file/url', { uris: ['cloudreve://my/pending.bin'] });
      expect(p.aggregated_error!['cloudreve://my/pending.bin'].code).toBe(40077);
    });

    it('answers HTTP 404 when the blob vanished from disk', async () => {
      await uploadFile(alice, 'cloudreve://my/vanish.bin', Buffer.from('soon gone'));
      const e = await ts.server.ctx.db.kysely.selectFrom('entities').select('source').where('source', 'like', '%vanish.bin').executeTakeFirstOrThrow();
      const fs = await import('node:fs');
      fs.rmSync(`${ts.dataDir}/uploads/${e.source}`);
      const r = await fetch(ts.url + (await downloadPath(alice, 'cloudreve://my/vanish.bin')));
      expect(r.status).toBe(404);
      expect((await r.json()).msg).toBe('Entity data does not exist.');
    });

    it('streams a folder and files as one zip (UTF-8 names, nested paths), only with the archive permission', async () => {
      const denied = await alice.post('/file/url', { uris: ['cloudreve://my/data.bin'], archive: true });
      expect(denied.code).toBe(40007);
      await uploadFile(admin, 'cloudreve://my/album/é/one.txt', Buffer.from('one'));
      await uploadFile(admin, 'cloudreve://my/album/two.txt', Buffer.from('two!'));
      await admin.post('/file/create', { uri: 'cloudreve://my/album/empty', type: 'folder' });
      await uploadFile(admin, 'cloudreve://my/top.bin', data);
      const r = await admin.post('/file/url', { uris: ['cloudreve://my/album', 'cloudreve://my/top.bin', 'cloudreve://my/missing'], archive: true });
      expect(r.code).toBe(0);
      expect(r.data.urls[0].url).toMatch(/\/api\/v4\/file\/archive\/[0-9a-f-]{36}\/archive\.zip\?sign=/);
      const res = await fetch(ts.url + localPath(r.data.urls[0].url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/zip');
      expect(res.headers.get('content-disposition')).toBe('attachment;');
      expect(res.headers.get('content-length')).toBeNull();
      const entries = await unzip(Buffer.from(await res.arrayBuffer()));
      expect([...entries.keys()].sort()).toEqual(['album/two.txt', 'album/é/one.txt', 'top.bin']);
      expect(entries.get('album/é/one.txt')!.toString()).toBe('one');
      expect(entries.get('top.bin')!.equals(data)).toBe(true);
      // Reusable until it expires; a tampered signature or unknown session is refused.
      expect((await fetch(ts.url + localPath(r.data.urls[0].url))).status).toBe(200);
      const bad = localPath(r.data.urls[0].url).replace(/archive\/[0-9a-f-]{36}/, 'archive/00000000-0000-4000-8000-000000000000');
      expect((await (await fetch(ts.url + bad)).json()).code).toBe(40071);
      const unknown = '/api/v4/file/archive/00000000-0000-4000-8000-000000000000/archive.zip';
      const s = signPath(ts.server.ctx, unknown, Math.floor(Date.now() / 1000) + 60);
      expect((await (await fetch(`${ts.url}${unknown}?sign=${enc(s)}`)).json()).code).toBe(404);
    });

    it('PUT /file/content stores a new version, creates missing files, and checks previous/size', async () => {
      const put = (uri: string, body: string, extra = '') =>
        alice.raw('PUT', `/api/v4/file/content?uri=${enc(uri)}${extra}`, { rawBody: body, headers: { 'content-type': 'application/octet-stream' } }).then((r) => r.json());
      const created = await put('cloudreve://my/notes/new.md', '# hello');
      expect(created.code).toBe(0);
      expect(created.data).toMatchObject({ name: 'new.md', size: 7, path: 'cloudreve://my/notes/new.md' });
      const prev = created.data.primary_entity;
      const updated = await put('cloudreve://my/notes/new.md', '# hello again', `&previous=${prev}`);
      expect(updated.code).toBe(0);
      expect(updated.data.size).toBe(13);
      expect(updated.data.primary_entity).not.toBe(prev);
      const stale = await put('cloudreve://my/notes/new.md', 'lost update', `&previous=${prev}`);
      expect(stale.code).toBe(40076);
      expect((await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/notes/new.md'))).body.toString()).toBe('# hello again');
      await ts.server.ctx.settings.set({ maxEditSize: '10' });
      try {
        const big = await put('cloudreve://my/notes/big.md', 'x'.repeat(11));
        expect(big.code).toBe(40049);
        expect((await alice.get(`/file?uri=${enc('cloudreve://my/notes')}`)).data.files.map((f: any) => f.name)).toEqual(['new.md']);
      } finally {
        await ts.server.ctx.settings.set({ maxEditSize: '52428800' });
      }
      expect((await ts.client().raw('PUT', `/api/v4/file/content?uri=${enc('cloudreve://my/x.md')}`, { rawBody: 'x', headers: { 'content-type': 'text/plain' } }).then((r) => r.json())).code).toBe(401);
    });
  });
}
