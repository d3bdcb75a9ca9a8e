import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import yauzl from 'yauzl';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { fetchBytes, localPath, uploadFile } from './helpers/transfer.ts';
import type { Client } from './helpers/client.ts';

const shareIdOf = (url: string) => new URL(url).pathname.split('/')[2]!;

/** Entry names and contents of a zip. */
function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (e: yauzl.Entry) => {
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const parts: Buffer[] = [];
          s.on('data', (b: Buffer) => parts.push(b));
          s.on('end', () => {
            out.set(e.fileName, Buffer.concat(parts));
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
  describe.skipIf(!!backend.skip)(`downloads through share links on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let clock = Date.now();
    let alice: Client;
    let bob: Client;
    let anon: Client;
    const body = Buffer.from('hello from a shared file, 0123456789'.repeat(100));
    const share = async (b: Record<string, unknown>) => {
      const r = await alice.put<string>('/share', b);
      expect(r.code, r.msg).toBe(0);
      return shareIdOf(r.data!);
    };
    const urlFor = (c: Client, uris: string[], extra: Record<string, unknown> = {}) => c.post('/file/url', { uris, ...extra });
    const shareInfo = async (id: string) => (await alice.get(`/share/info/${id}`)).data;

    beforeAll(async () => {
      ts = await startServer(backend, { now: () => clock });
      await newUser(ts, 'admin@example.com');
      ({ c: alice } = await newUser(ts, 'alice@example.com'));
      ({ c: bob } = await newUser(ts, 'bob@example.com'));
      anon = ts.client();
      await uploadFile(alice, 'cloudreve://my/docs/a.txt', body);
      await uploadFile(alice, 'cloudreve://my/docs/sub/b.txt', Buffer.from('bee'));
      await uploadFile(alice, 'cloudreve://my/outside.txt', Buffer.from('not shared'));
      const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();
      await uploadFile(alice, 'cloudreve://my/docs/pic.png', png);
    });
    afterAll(async () => ts?.close());

    it('serves a shared file to anonymous visitors, with Range support', async () => {
      const id = await share({ uri: 'cloudreve://my/docs' });
      const r = await urlFor(anon, [`cloudreve://${id}@share/a.txt`], { download: true });
      expect(r.code, r.msg).toBe(0);
      const full = await fetchBytes(ts, localPath(r.data.urls[0].url));
      expect(full.status).toBe(200);
      expect(full.body.equals(body)).toBe(true);
      expect(full.headers.get('content-disposition')).toMatch(/^attachment/);
      const part = await fetchBytes(ts, localPath(r.data.urls[0].url), { range: 'bytes=6-9' });
      expect(part.status).toBe(206);
      expect(part.body.toString()).toBe('from');
      // Folder shares do not count downloads (CE).
      expect((await shareInfo(id)).downloaded).toBeUndefined();
      // Nothing outside the root.
      const out = await urlFor(anon, [`cloudreve://${id}@share/../outside.txt`]);
      expect(out.code).toBe(40081);
      expect(Object.values(out.aggregated_error as Record<string, { code: number }>)[0]!.code).toBe(40016);
    });

    it('counts single-file share downloads and closes the link when they run out', async () => {
      const id = await share({ uri: 'cloudreve://my/docs/a.txt', downloads: 2 });
      const uri = `cloudreve://${id}@share/a.txt`;
      expect((await urlFor(anon, [uri])).code).toBe(0);
      expect(await shareInfo(id)).toMatchObject({ downloaded: 1, remain_downloads: 1 });
      const last = await urlFor(bob, [uri]);
      expect(last.code).toBe(0);
      // The link is exhausted: gone for everyone, but the URL already handed out still works.
      expect((await alice.get(`/share/info/${id}`)).code).toBe(404);
      const refused = await urlFor(anon, [uri]);
      expect(refused.code).toBe(40081);
      expect(Object.values(refused.aggregated_error as Record<string, { code: number }>)[0]!.code).toBe(404);
      expect((await anon.get(`/file?uri=${encodeURIComponent(`cloudreve://${id}@share`)}&page_size=10`)).code).toBe(404);
      expect((await fetchBytes(ts, localPath(last.data.urls[0].url))).status).toBe(200);
      const mine = await alice.get('/share?page_size=100');
      expect(mine.data.shares.find((s: { id: string }) => s.id === id)).toMatchObject({ expired: true, downloaded: 2, remain_downloads: 0 });
    });

    it('never lets concurrent downloads overdraw the limit', async () => {
      const id = await share({ uri: 'cloudreve://my/docs/a.txt', downloads: 3 });
      const uri = `cloudreve://${id}@share/a.txt`;
      const results = await Promise.all(Array.from({ length: 8 }, () => urlFor(anon, [uri], { no_cache: true })));
      expect(results.filter((r) => r.code === 0).length).toBe(3);
      const row = await ts.server.ctx.db.kysely.selectFrom('shares').selectAll().where('id', '=', ts.server.ctx.hashids.decode(id, 0)!).executeTakeFirstOrThrow();
      expect(Number(row.downloads)).toBe(3);
      expect(Number(row.remain_downloads)).toBe(0);
    });

    it('refuses downloads of an expired link', async () => {
      const id = await share({ uri: 'cloudreve://my/docs', expire: 5 });
      expect((await urlFor(anon, [`cloudreve://${id}@share/a.txt`])).code).toBe(0);
      clock += 6000;
      const r = await urlFor(anon, [`cloudreve://${id}@share/a.txt`]);
      expect(r.code).toBe(40081);
      expect(Object.values(r.aggregated_error as Record<string, { code: number }>)[0]!.code).toBe(404);
    });

    it('zips several shared files for groups allowed to, and never counts them twice', async () => {
      const id = await share({ uri: 'cloudreve://my/docs' });
      const uris = [`cloudreve://${id}@share/a.txt`, `cloudreve://${id}@share/sub`];
      // Anonymous and the default User group lack "archive download" (40007).
      expect((await urlFor(anon, uris, { archive: true })).code).toBe(40007);
      expect((await urlFor(bob, uris, { archive: true })).code).toBe(40007);
      const k = ts.server.ctx.db.kysely;
      const before = (await k.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow()).permissions;
      await k.updateTable('groups').set({ permissions: 'lAg=' }).where('id', '=', 2).execute(); // + bit 4
      try {
        const r = await urlFor(bob, uris, { archive: true });
        expect(r.code, r.msg).toBe(0);
        const zip = await fetchBytes(ts, localPath(r.data.urls[0].url));
        expect(zip.status).toBe(200);
        const entries = await unzip(zip.body);
        expect([...entries.keys()].sort()).toEqual(['a.txt', 'sub/b.txt']);
        expect(entries.get('a.txt')!.equals(body)).toBe(true);
        // Entries outside the share root are left out.
        const sneaky = await urlFor(bob, [`cloudreve://${id}@share/../outside.txt`, `cloudreve://${id}@share/sub`], { archive: true });
        const names = [...(await unzip((await fetchBytes(ts, localPath(sneaky.data.urls[0].url))).body)).keys()];
        expect(names).toEqual(['sub/b.txt']);
        // A single-file share counts each archive that includes it.
        const single = await share({ uri: 'cloudreve://my/docs/sub/b.txt', downloads: 1 });
        const z = await urlFor(bob, [`cloudreve://${single}@share/b.txt`], { archive: true });
        const first = await unzip((await fetchBytes(ts, localPath(z.data.urls[0].url))).body);
        expect([...first.keys()]).toEqual(['b.txt']);
        const again = await unzip((await fetchBytes(ts, localPath(z.data.urls[0].url))).body);
        expect([...again.keys()]).toEqual([]);
      } finally {
        await k.updateTable('groups').set({ permissions: before }).where('id', '=', 2).execute();
      }
    });

    it('[OURS] copies shared objects into my own files, not from my own share (40059)', async () => {
      const id = await share({ uri: 'cloudreve://my/docs' });
      const before = (await bob.get('/user/capacity')).data.used;
      const r = await bob.post('/share/save-copy', { uris: [`cloudreve://${id}@share/sub`, `cloudreve://${id}@share/a.txt`], dst: 'cloudreve://my/saved' });
      expect(r.code).toBe(40016); // the destination folder must exist
      await bob.post('/file/create', { uri: 'cloudreve://my/saved', type: 'folder' });
      const ok = await bob.post('/share/save-copy', { uris: [`cloudreve://${id}@share/sub`, `cloudreve://${id}@share/a.txt`], dst: 'cloudreve://my/saved' });
      expect(ok.code, ok.msg).toBe(0);
      const listed = await bob.get(`/file?uri=${encodeURIComponent('cloudreve://my/saved')}&page_size=50`);
      expect(listed.data.files.map((f: { name: string }) => f.name).sort()).toEqual(['a.txt', 'sub']);
      expect(listed.data.files.every((f: { owned: boolean }) => f.owned)).toBe(true);
      const u = await urlFor(bob, ['cloudreve://my/saved/a.txt']);
      expect((await fetchBytes(ts, localPath(u.data.urls[0].url))).body.equals(body)).toBe(true);
      expect((await bob.get('/user/capacity')).data.used).toBe(before + body.length + 3);
      // Copying again clashes by name (40004); the copy is independent of the share.
      expect((await bob.post('/share/save-copy', { uris: [`cloudreve://${id}@share/a.txt`], dst: 'cloudreve://my/saved' })).code).toBe(40004);
      await alice.delete(`/share/${id}`);
      expect((await bob.get(`/file/info?uri=${encodeURIComponent('cloudreve://my/saved/sub/b.txt')}`)).code).toBe(0);

      const own = await share({ uri: 'cloudreve://my/docs' });
      expect((await alice.post('/share/save-copy', { uris: [`cloudreve://${own}@share/a.txt`], dst: 'cloudreve://my' })).code).toBe(40059);
      expect((await anon.post('/share/save-copy', { uris: [`cloudreve://${own}@share/a.txt`], dst: 'cloudreve://my' })).code).toBe(401);
      expect((await bob.post('/share/save-copy', { uris: ['cloudreve://my/saved/a.txt'], dst: 'cloudreve://my' })).code).toBe(403);
      expect((await bob.post('/share/save-copy', { uris: [`cloudreve://${own}@share/a.txt`], dst: `cloudreve://${own}@share/sub` })).code).toBe(403);
      // A single-file share: the file can be saved (one download), its root cannot.
      const single = await share({ uri: 'cloudreve://my/docs/sub/b.txt', downloads: 1 });
      expect((await bob.post('/share/save-copy', { uris: [`cloudreve://${single}@share`], dst: 'cloudreve://my' })).code).toBe(403);
      expect((await bob.post('/share/save-copy', { uris: [`cloudreve://${single}@share/b.txt`], dst: 'cloudreve://my' })).code).toBe(0);
      expect((await bob.post('/share/save-copy', { uris: [`cloudreve://${single}@share/b.txt`], dst: 'cloudreve://my/saved/sub' })).code).toBe(404);
    });

    it('makes thumbnails of shared images, charged to the owner', async () => {
      const id = await share({ uri: 'cloudreve://my/docs' });
      const r = await anon.get(`/file/thumb?uri=${encodeURIComponent(`cloudreve://${id}@share/pic.png`)}`);
      expect(r.code, r.msg).toBe(0);
      const img = await fetchBytes(ts, localPath(r.data.url));
      expect(img.status).toBe(200);
      const meta = await sharp(img.body).metadata();
      expect(meta.width).toBeGreaterThan(0);
      const outside = await anon.get(`/file/thumb?uri=${encodeURIComponent(`cloudreve://${id}@share/../outside.txt`)}`);
      expect(outside.code).toBe(40016);
    });
  });
}
