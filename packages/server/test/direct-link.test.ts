import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { fetchBytes, localPath, uploadFile } from './helpers/transfer.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`direct links on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let bob: Client;
    let anon: Client;
    let aliceId: number;
    const body = Buffer.from('direct link content: abcdefghijklmnopqrstuvwxyz');
    const groupSettings = async (id: number, patch: Record<string, unknown>) => {
      const k = ts.server.ctx.db.kysely;
      const row = await k.selectFrom('groups').select('settings').where('id', '=', id).executeTakeFirstOrThrow();
      const before = row.settings;
      await k.updateTable('groups').set({ settings: JSON.stringify({ ...JSON.parse(before), ...patch }) }).where('id', '=', id).execute();
      return () => k.updateTable('groups').set({ settings: before }).where('id', '=', id).execute();
    };
    const source = async (c: Client, uris: string[]) => c.put('/file/source', { uris });
    /** Follows a direct link the way a browser does: 302, then the signed content URL. */
    const follow = async (link: string, headers: Record<string, string> = {}) => {
      const first = await fetchBytes(ts, localPath(link));
      if (first.status !== 302) return { ...first, redirect: undefined };
      return { ...(await fetchBytes(ts, localPath(first.headers.get('location')!), headers)), redirect: first };
    };

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      ({ c: bob } = await newUser(ts, 'bob@example.com'));
      anon = ts.client();
      await uploadFile(alice, 'cloudreve://my/files/report 1.txt', body);
      await uploadFile(alice, 'cloudreve://my/files/other.txt', Buffer.from('other'));
      await alice.post('/file/create', { uri: 'cloudreve://my/files/empty.txt', type: 'file' });
    });
    afterAll(async () => ts?.close());

    it('creates a stable link that anyone can fetch, with Range, counting downloads', async () => {
      const r = await source(alice, ['cloudreve://my/files/report 1.txt']);
      expect(r.code, r.msg).toBe(0);
      expect(r.data).toHaveLength(1);
      expect(r.data[0].file_url).toBe('cloudreve://my/files/report%201.txt');
      const link: string = r.data[0].link;
      expect(link).toMatch(/^http:\/\/localhost:5212\/f\/[A-Za-z0-9]+\/report%201\.txt$/);
      // The same file gets the same link again.
      expect((await source(alice, ['cloudreve://my/files/report 1.txt'])).data[0].link).toBe(link);

      const got = await follow(link);
      expect(got.redirect!.status).toBe(302);
      expect(got.redirect!.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      expect(got.headers.get('content-disposition') ?? '').not.toMatch(/^attachment/);
      const part = await follow(link, { range: 'bytes=0-5' });
      expect(part.status).toBe(206);
      expect(part.body.toString()).toBe('direct');
      const dl = await follow(link.replace('/f/', '/f/d/'));
      expect(dl.headers.get('content-disposition')).toMatch(/^attachment/);

      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/files/report 1.txt')}&extended=true`);
      const links = info.data.extended_info.direct_links;
      expect(links).toHaveLength(1);
      expect(links[0]).toMatchObject({ url: link, downloaded: 3 });
      // Others do not see them.
      const hash = link.split('/')[4];
      expect(hash).toBe(links[0].id);
    });

    it('answers unknown, renamed or mistyped links with HTTP 404 and an error envelope', async () => {
      const link: string = (await source(alice, ['cloudreve://my/files/other.txt'])).data[0].link;
      const id = link.split('/')[4]!;
      for (const path of [`/f/${id}/wrong-name.txt`, `/f/${ts.server.ctx.hashids.encode(999, 6)}/other.txt`, '/f/zzz/other.txt', `/f/${ts.server.ctx.hashids.encode(1, 2)}/other.txt`]) {
        const res = await fetchBytes(ts, path);
        expect(res.status, path).toBe(404);
        expect(JSON.parse(res.body.toString()).code).toBe(404);
      }
    });

    it('refuses groups without the permission, too many URIs, folders, empty files and other users', async () => {
      const restore = await groupSettings(2, { source_batch: 0 });
      try {
        expect((await source(alice, ['cloudreve://my/files/other.txt'])).code).toBe(40007);
      } finally {
        await restore();
      }
      const restore2 = await groupSettings(2, { source_batch: 1 });
      try {
        expect((await source(alice, ['cloudreve://my/files/other.txt', 'cloudreve://my/files/report 1.txt'])).code).toBe(40014);
      } finally {
        await restore2();
      }
      expect((await source(anon, ['cloudreve://my/files/other.txt'])).code).toBe(401);
      const mixed = await source(alice, ['cloudreve://my/files', 'cloudreve://my/files/other.txt', 'cloudreve://my/files/empty.txt', 'cloudreve://my/nope']);
      expect(mixed.code).toBe(40081);
      const agg = mixed.aggregated_error!;
      expect(agg['cloudreve://my/files']!.code).toBe(40077);
      expect(agg['cloudreve://my/files/empty.txt']!.code).toBe(40077);
      expect(agg['cloudreve://my/nope']!.code).toBe(40016);
      expect(mixed.data).toHaveLength(1);
      expect(mixed.data[0].file_url).toBe('cloudreve://my/files/other.txt');
      // Bob cannot make links of Alice's files; an admin can.
      const aliceHash = ts.server.ctx.hashids.encode(aliceId, 1);
      expect((await source(bob, [`cloudreve://${aliceHash}@my/files/other.txt`])).aggregated_error).toBeDefined();
      const byAdmin = await source(admin, [`cloudreve://${aliceHash}@my/files/other.txt`]);
      expect(byAdmin.code, byAdmin.msg).toBe(0);
    });

    it('without redirected sources the link is a signed URL', async () => {
      const k = ts.server.ctx.db.kysely;
      const perms = (await k.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow()).permissions;
      const restore = await groupSettings(2, { redirected_source: false });
      await k.updateTable('groups').set({ permissions: 'hAA=' }).where('id', '=', 2).execute(); // bits 2, 7
      try {
        const r = await source(alice, ['cloudreve://my/files/other.txt']);
        expect(r.code).toBe(0);
        expect(r.data[0].link).toContain('/api/v4/file/content/');
        expect((await fetchBytes(ts, localPath(r.data[0].link))).body.toString()).toBe('other');
      } finally {
        await restore();
        await k.updateTable('groups').set({ permissions: perms }).where('id', '=', 2).execute();
      }
    });

    it('is gone when the link or the file is deleted, and while the file is in the trash', async () => {
      await uploadFile(alice, 'cloudreve://my/files/temp.txt', Buffer.from('temp'));
      const link: string = (await source(alice, ['cloudreve://my/files/temp.txt'])).data[0].link;
      const id = link.split('/')[4]!;
      expect((await follow(link)).status).toBe(200);
      // Trash: 404; restored: back.
      await alice.delete('/file', { uris: ['cloudreve://my/files/temp.txt'] });
      expect((await fetchBytes(ts, localPath(link))).status).toBe(404);
      const trash = await alice.get(`/file?uri=${enc('cloudreve://trash')}&page_size=50`);
      await alice.post('/file/restore', { uris: [trash.data.files.find((f: { name: string }) => f.name === 'temp.txt').path] });
      expect((await follow(link)).status).toBe(200);
      // Banned owner: 404.
      await ts.server.ctx.db.kysely.updateTable('users').set({ status: 'manual_banned' }).where('id', '=', aliceId).execute();
      try {
        expect((await fetchBytes(ts, localPath(link))).status).toBe(404);
      } finally {
        await ts.server.ctx.db.kysely.updateTable('users').set({ status: 'active' }).where('id', '=', aliceId).execute();
      }
      // Deleting the link: only the owner (or an admin).
      expect((await bob.delete(`/file/source/${id}`)).code).toBe(404);
      expect((await anon.delete(`/file/source/${id}`)).code).toBe(401);
      expect((await alice.delete('/file/source/not-an-id')).code).toBe(40001);
      expect((await alice.delete(`/file/source/${id}`)).code).toBe(0);
      expect((await fetchBytes(ts, localPath(link))).status).toBe(404);
      // A new link, then the file is deleted for good.
      const again: string = (await source(alice, ['cloudreve://my/files/temp.txt'])).data[0].link;
      expect((await follow(again)).status).toBe(200);
      await alice.delete('/file', { uris: ['cloudreve://my/files/temp.txt'], skip_soft_delete: true });
      expect((await fetchBytes(ts, localPath(again))).status).toBe(404);
    });

    it('a link created through a single-file share counts as a share download', async () => {
      const url = (await alice.put<string>('/share', { uri: 'cloudreve://my/files/other.txt', downloads: 5 })).data!;
      const sid = new URL(url).pathname.split('/')[2]!;
      const r = await source(alice, [`cloudreve://${sid}@share/other.txt`]);
      expect(r.code, r.msg).toBe(0);
      expect((await alice.get(`/share/info/${sid}`)).data).toMatchObject({ downloaded: 1, remain_downloads: 4 });
      // Non-owners cannot make direct links of someone else's shared file.
      const byBob = await source(bob, [`cloudreve://${sid}@share/other.txt`]);
      expect(byBob.code).toBe(40081);
      expect(Object.values(byBob.aggregated_error as Record<string, { code: number }>)[0]!.code).toBe(40082);
    });
  });
}
