import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;
const shareIdOf = (url: string) => new URL(url).pathname.split('/')[2]!;
const passwordOf = (url: string) => new URL(url).pathname.split('/')[3];

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`share links on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let clock = Date.now();
    let admin: Client;
    let alice: Client;
    let bob: Client;
    let anon: Client;
    let aliceId: number;
    let bobId: number;
    const list = (c: Client, uri: string, extra = '') => c.get(`/file?uri=${enc(uri)}&page_size=50${extra}`);
    const names = (r: { data?: { files: { name: string }[] } }) => r.data!.files.map((f) => f.name).sort();
    const share = async (c: Client, body: Record<string, unknown>) => {
      const r = await c.put<string>('/share', body);
      expect(r.code, r.msg).toBe(0);
      return r.data!;
    };
    const setDb = (table: 'users' | 'groups', id: number, values: Record<string, unknown>) =>
      ts.server.ctx.db.kysely.updateTable(table).set(values as never).where('id', '=', id).execute();

    beforeAll(async () => {
      ts = await startServer(backend, { now: () => clock });
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      ({ c: bob, id: bobId } = await newUser(ts, 'bob@example.com'));
      anon = ts.client();
      for (const uri of ['cloudreve://my/docs/sub/deep.txt', 'cloudreve://my/docs/readme.md', 'cloudreve://my/docs/a b.txt',
        'cloudreve://my/outside/secret.txt', 'cloudreve://my/single.txt']) {
        expect((await alice.post('/file/create', { uri, type: 'file' })).code).toBe(0);
      }
    });
    afterAll(async () => ts?.close());

    it('creates public and private links and returns their URL string', async () => {
      const pub = await share(alice, { uri: 'cloudreve://my/docs' });
      expect(pub).toMatch(/^http:\/\/localhost:5212\/s\/[A-Za-z0-9]+$/);
      const given = await share(alice, { uri: 'cloudreve://my/docs', is_private: true, password: 'Secret42' });
      expect(passwordOf(given)).toBe('Secret42');
      const generated = await share(alice, { uri: 'cloudreve://my/single.txt', is_private: true });
      expect(passwordOf(generated)).toMatch(/^[0-9a-z]{8}$/);
      // Several links per object; the owner's listing marks the object shared.
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/docs')}&extended=true`);
      expect(info.data.shared).toBe(true);
      expect(info.data.extended_info.shares.length).toBe(2);
    });

    it('refuses bad create requests with the contract codes', async () => {
      expect((await anon.put('/share', { uri: 'cloudreve://my/docs' })).code).toBe(401);
      expect((await alice.put('/share', { uri: 'cloudreve://my/docs', is_private: true, password: 'not-alnum!' })).code).toBe(40001);
      expect((await alice.put('/share', { uri: 'cloudreve://my/docs', is_private: true, password: 'a'.repeat(33) })).code).toBe(40001);
      expect((await alice.put('/share', { uri: 'not a uri' })).code).toBe(40001);
      expect((await alice.put('/share', { uri: 'cloudreve://my/missing' })).code).toBe(404);
      expect((await alice.put('/share', { uri: 'cloudreve://my' })).code).toBe(403);
      expect((await alice.put('/share', { uri: 'cloudreve://trash' })).code).toBe(403);
      // Bob cannot share Alice's object, even knowing its id.
      const aliceHash = ts.server.ctx.hashids.encode(aliceId, 1);
      expect((await bob.put('/share', { uri: `cloudreve://${aliceHash}@my/docs` })).code).toBe(403);
      // A shortcut cannot be shared.
      const link = await share(alice, { uri: 'cloudreve://my/outside' });
      const shortcut = await bob.post('/file/create', {
        uri: 'cloudreve://my/saved-outside', type: 'folder', err_on_conflict: true,
        metadata: { 'sys:shared_redirect': `cloudreve://${shareIdOf(link)}@share`, 'sys:shared_owner': ts.server.ctx.hashids.encode(aliceId, 1) },
      });
      expect(shortcut.code).toBe(0);
      expect((await bob.put('/share', { uri: 'cloudreve://my/saved-outside' })).code).toBe(403);
      // Group without the share permission → 40007.
      await setDb('groups', 2, { permissions: 'gAg=' }); // bits 7, 11
      try {
        expect((await bob.put('/share', { uri: 'cloudreve://my/saved-outside' })).code).toBe(40007);
      } finally {
        await setDb('groups', 2, { permissions: 'hAg=' });
      }
    });

    it('shows share info to anonymous and signed-in visitors, locked until the password is given', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs', is_private: true, password: 'pw123', downloads: 5, expire: 3600 });
      const id = shareIdOf(url);
      const locked = await anon.get(`/share/info/${id}`);
      expect(locked.code).toBe(0);
      expect(locked.data).toMatchObject({ id, name: 'docs', unlocked: false, source_type: 1, password_protected: true, expired: false });
      expect(locked.data.owner.nickname).toBeDefined();
      expect(locked.data.owner.email).toBeUndefined();
      for (const k of ['password', 'remain_downloads', 'expires', 'is_private', 'share_view']) expect(locked.data[k]).toBeUndefined();
      expect(locked.data.url).toBe(`http://localhost:5212/s/${id}`);

      const wrong = await anon.get(`/share/info/${id}?password=nope`);
      expect(wrong.data.unlocked).toBe(false);
      const right = await bob.get(`/share/info/${id}?password=pw123&count_views=true`);
      expect(right.data).toMatchObject({ unlocked: true, password: 'pw123', remain_downloads: 5, visited: 1 });
      expect(right.data.owner.email).toBe('alice@example.com');
      expect(right.data.is_private).toBeUndefined();
      expect(right.data.url).toBe(`http://localhost:5212/s/${id}/pw123`);

      const mine = await alice.get(`/share/info/${id}?count_views=1`);
      expect(mine.data).toMatchObject({ unlocked: true, is_private: true, visited: 2 });
      // source_uri needs the password (resolved through the share file system).
      expect((await alice.get(`/share/info/${id}?owner_extended=true`)).code).toBe(404);
      const ext = await alice.get(`/share/info/${id}?owner_extended=true&password=pw123`);
      expect(ext.data.source_uri).toBe('cloudreve://my/docs');
      // Non-owners never get source_uri.
      expect((await bob.get(`/share/info/${id}?owner_extended=true&password=pw123`)).data.source_uri).toBeUndefined();

      expect((await anon.get('/share/info/not-a-hashid')).code).toBe(40001);
      expect((await anon.get(`/share/info/${ts.server.ctx.hashids.encode(99999, 0)}`)).code).toBe(404);
      expect((await anon.get(`/share/info/${id}?count_views=maybe`)).code).toBe(40001);
    });

    it('lets visitors list and navigate a shared folder, with share URIs and the share capability', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs' });
      const id = shareIdOf(url);
      const root = `cloudreve://${id}@share`;
      for (const c of [anon, bob, alice]) {
        const r = await list(c, root);
        expect(r.code, r.msg).toBe(0);
        expect(names(r)).toEqual(['a b.txt', 'readme.md', 'sub']);
        expect(r.data.props.capability).toBe('gIaYAQ==');
        expect(r.data.files.every((f: { path: string }) => f.path.startsWith(`${root}/`))).toBe(true);
        expect(r.data.files.find((f: { name: string }) => f.name === 'a b.txt').path).toBe(`${root}/a%20b.txt`);
        const owned = r.data.files.every((f: { owned?: boolean }) => f.owned === true);
        expect(owned).toBe(c === alice);
      }
      const sub = await list(anon, `${root}/sub`);
      expect(names(sub)).toEqual(['deep.txt']);
      const info = await anon.get(`/file/info?uri=${enc(`${root}/sub/deep.txt`)}`);
      expect(info.code).toBe(0);
      expect(info.data.path).toBe(`${root}/sub/deep.txt`);
      // Search stays below the share root.
      const found = await list(bob, `${root}?name=secret`);
      expect(found.code).toBe(0);
      expect(found.data.files).toEqual([]);
      const deep = await list(bob, `${root}?name=deep`);
      expect(names(deep)).toEqual(['deep.txt']);
    });

    it('never reaches outside the shared root', async () => {
      const id = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs' }));
      const root = `cloudreve://${id}@share`;
      // `..` and encoded slashes are cleaned at the share root.
      for (const uri of [`${root}/../outside`, `${root}/..%2Foutside`, `${root}/sub/..%2F..%2F..%2Foutside/secret.txt`, `${root}/%2E%2E/outside`]) {
        const r = await anon.get(`/file/info?uri=${enc(uri)}`);
        expect(r.code, uri).toBe(40016);
      }
      const up = await list(anon, `${root}/../..`);
      expect(names(up)).toEqual(['a b.txt', 'readme.md', 'sub']);
      // Another user id, another file system, or a file id do not open Alice's tree.
      const aliceHash = ts.server.ctx.hashids.encode(aliceId, 1);
      expect((await list(anon, `cloudreve://${aliceHash}@share`)).code).toBe(404);
      expect((await list(anon, `cloudreve://${aliceHash}@my`)).code).toBe(401);
      expect((await list(bob, `cloudreve://${aliceHash}@my`)).code).toBe(403);
      expect((await list(anon, 'cloudreve://share')).code).toBe(404);
      const fileHash = ts.server.ctx.hashids.encode(1, 2);
      expect((await list(anon, `cloudreve://${fileHash}@share`)).code).toBe(404);
      expect((await anon.get(`/file/info?id=${fileHash}`)).code).toBe(401);
      // The share file system is read-only, for the owner too.
      expect((await alice.post('/file/create', { uri: `${root}/new.txt`, type: 'file' })).code).toBe(403);
      expect((await alice.post('/file/rename', { uri: `${root}/readme.md`, new_name: 'x.md' })).code).toBe(403);
      expect((await bob.delete('/file', { uris: [`${root}/readme.md`] })).code).toBe(40081);
      expect((await bob.post('/file/move', { uris: [`${root}/readme.md`], dst: 'cloudreve://my', copy: true })).code).toBe(40081);
      expect((await bob.patch('/file/view', { uri: `${root}/sub`, view: { view: 'list' } })).code).toBe(40082);
      expect((await bob.patch('/file/metadata', { uris: [`${root}/readme.md`], patches: [{ key: 'tag:x', value: '' }] })).code).not.toBe(0);
      expect((await list(alice, 'cloudreve://my/docs')).data.files.length).toBe(3);
    });

    it('shows a single-file share as exactly that file', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs/readme.md' });
      const id = shareIdOf(url);
      const root = `cloudreve://${id}@share`;
      const r = await list(anon, root);
      expect(r.code).toBe(0);
      expect(names(r)).toEqual(['readme.md']);
      expect(r.data.single_file_view).toBe(true);
      expect(r.data.pagination).toEqual({ page: 0, page_size: 0 });
      expect(r.data.files[0].path).toBe(`${root}/readme.md`);
      expect((await anon.get(`/file/info?uri=${enc(`${root}/readme.md`)}`)).code).toBe(0);
      // Siblings of the shared file are not reachable.
      expect((await anon.get(`/file/info?uri=${enc(`${root}/a b.txt`)}`)).code).toBe(40016);
      expect((await list(anon, `${root}/sub`)).code).toBe(40016);
      // Renames are followed at once.
      await alice.post('/file/rename', { uri: 'cloudreve://my/docs/readme.md', new_name: 'README.md' });
      expect(names(await list(anon, root))).toEqual(['README.md']);
      expect((await anon.get(`/file/info?uri=${enc(`${root}/README.md`)}`)).code).toBe(0);
      expect((await anon.get(`/file/info?uri=${enc(`${root}/readme.md`)}`)).code).toBe(40016);
      await alice.post('/file/rename', { uri: 'cloudreve://my/docs/README.md', new_name: 'readme.md' });
      const info = await alice.get(`/share/info/${id}?owner_extended=true`);
      expect(info.data.source_uri).toBe('cloudreve://my/docs');
      expect(info.data.source_type).toBe(0);
    });

    it('asks for the password on every content access (40069), the owner included', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs', is_private: true, password: 'abc123' });
      const id = shareIdOf(url);
      for (const c of [anon, bob, alice]) {
        expect((await list(c, `cloudreve://${id}@share`)).code).toBe(40069);
        expect((await list(c, `cloudreve://${id}:wrong@share`)).code).toBe(40069);
        const ok = await list(c, `cloudreve://${id}:abc123@share`);
        expect(ok.code).toBe(0);
        expect(ok.data.files[0].path.startsWith(`cloudreve://${id}:abc123@share/`)).toBe(true);
      }
    });

    it('honours share_view: non-owners see the folder view only when it is on', async () => {
      await alice.patch('/file/view', { uri: 'cloudreve://my/docs', view: { view: 'list', page_size: 100 } });
      const off = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs' }));
      const on = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs', share_view: true, show_readme: true }));
      expect((await list(bob, `cloudreve://${off}@share`)).data.view).toBeUndefined();
      expect((await list(alice, `cloudreve://${off}@share`)).data.view.view).toBe('list');
      expect((await list(bob, `cloudreve://${on}@share`)).data.view.view).toBe('list');
      const info = await alice.get(`/share/info/${on}`);
      expect(info.data).toMatchObject({ share_view: true, show_readme: true });
    });

    it('edits limits, props and password without resetting counters', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs' });
      const id = shareIdOf(url);
      await anon.get(`/share/info/${id}?count_views=true`);
      const edited = await alice.post<string>(`/share/${id}`, { uri: 'cloudreve://my/docs', downloads: 3, expire: 60, share_view: true, is_private: true, password: 'newpw1' });
      expect(edited.code).toBe(0);
      expect(edited.data).toBe(`http://localhost:5212/s/${id}/newpw1`);
      const info = await alice.get(`/share/info/${id}`);
      expect(info.data).toMatchObject({ visited: 1, remain_downloads: 3, share_view: true, password: 'newpw1' });
      expect(Date.parse(info.data.expires) - clock).toBeGreaterThan(59_000);
      const cleared = await alice.post<string>(`/share/${id}`, { uri: 'cloudreve://my/docs' });
      expect(cleared.data).toBe(`http://localhost:5212/s/${id}`);
      const after = await alice.get(`/share/info/${id}`);
      expect(after.data.remain_downloads).toBeUndefined();
      expect(after.data.expires).toBeUndefined();
      expect(after.data.password_protected).toBeUndefined();
      // The uri must be the link's own source; others cannot edit it.
      expect((await alice.post(`/share/${id}`, { uri: 'cloudreve://my/outside' })).code).toBe(404);
      expect((await bob.post(`/share/${id}`, { uri: 'cloudreve://my/docs' })).code).toBe(404);
      expect((await alice.post('/share/xyz', { uri: 'cloudreve://my/docs' })).code).toBe(40001);
      expect((await alice.post(`/share/${ts.server.ctx.hashids.encode(88888, 0)}`, { uri: 'cloudreve://my/docs' })).code).toBe(404);
    });

    it('invalidates links when expired, trashed, the owner is banned, or the source deleted', async () => {
      await alice.post('/file/create', { uri: 'cloudreve://my/validity/f.txt', type: 'file' });
      const expiring = shareIdOf(await share(alice, { uri: 'cloudreve://my/validity', expire: 10 }));
      const trashed = shareIdOf(await share(alice, { uri: 'cloudreve://my/validity/f.txt' }));
      const gone = shareIdOf(await share(alice, { uri: 'cloudreve://my/validity' }));
      expect((await anon.get(`/share/info/${expiring}`)).code).toBe(0);

      clock += 11_000;
      expect((await anon.get(`/share/info/${expiring}`))).toMatchObject({ code: 404, msg: 'Share link expired' });
      expect((await list(anon, `cloudreve://${expiring}@share`)).code).toBe(404);

      expect((await alice.delete('/file', { uris: ['cloudreve://my/validity/f.txt'] })).code).toBe(0);
      expect((await anon.get(`/share/info/${trashed}`)).code).toBe(404);
      expect((await list(bob, `cloudreve://${trashed}@share`)).code).toBe(404);
      // The owner's list still shows it, as expired, under its original name.
      const mine = await alice.get('/share?page_size=100');
      const entry = mine.data.shares.find((s: { id: string }) => s.id === trashed);
      expect(entry).toMatchObject({ expired: true, name: 'f.txt' });
      // Restoring revives it.
      const trashList = await list(alice, 'cloudreve://trash');
      await alice.post('/file/restore', { uris: [trashList.data.files.find((f: { name: string }) => f.name === 'f.txt').path] });
      expect((await anon.get(`/share/info/${trashed}`)).code).toBe(0);

      // A banned owner's links are gone for everyone.
      await setDb('users', aliceId, { status: 'manual_banned' });
      try {
        expect((await anon.get(`/share/info/${gone}`)).code).toBe(404);
        expect((await list(bob, `cloudreve://${gone}@share`)).code).toBe(404);
      } finally {
        await setDb('users', aliceId, { status: 'active' });
      }
      expect((await anon.get(`/share/info/${gone}`)).code).toBe(0);

      // Permanently deleting the source deletes its links.
      expect((await alice.delete('/file', { uris: ['cloudreve://my/validity'], skip_soft_delete: true })).code).toBe(0);
      expect((await anon.get(`/share/info/${gone}`))).toMatchObject({ code: 404, msg: 'Share not found' });
      expect((await anon.get(`/share/info/${trashed}`)).code).toBe(404);
    });

    it('a folder inside a trashed folder cannot be browsed through its link', async () => {
      await alice.post('/file/create', { uri: 'cloudreve://my/parent/child/x.txt', type: 'file' });
      const id = shareIdOf(await share(alice, { uri: 'cloudreve://my/parent/child' }));
      expect((await list(anon, `cloudreve://${id}@share`)).code).toBe(0);
      await alice.delete('/file', { uris: ['cloudreve://my/parent'] });
      expect((await list(anon, `cloudreve://${id}@share`)).code).toBe(404);
      expect((await anon.get(`/share/info/${id}`)).code).toBe(404);
    });

    it("refuses content to groups without 'download shares' (403), but not to the owner", async () => {
      const id = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs' }));
      await setDb('groups', 3, { permissions: 'Ag==' }); // anonymous: bit 1 only
      await setDb('groups', 2, { permissions: 'BAg=' }); // users: bits 2, 11
      try {
        expect((await list(anon, `cloudreve://${id}@share`))).toMatchObject({ code: 403 });
        expect((await list(bob, `cloudreve://${id}@share`)).code).toBe(403);
        expect((await list(alice, `cloudreve://${id}@share`)).code).toBe(0);
        // Share info itself stays visible.
        expect((await anon.get(`/share/info/${id}`)).code).toBe(0);
      } finally {
        await setDb('groups', 3, { permissions: 'gg==' });
        await setDb('groups', 2, { permissions: 'hAg=' });
      }
      expect((await list(anon, `cloudreve://${id}@share`)).code).toBe(0);
    });

    it('lists my shares with cursor pagination and ordering', async () => {
      const fresh = await newUser(ts, 'lister@example.com');
      await fresh.c.post('/file/create', { uri: 'cloudreve://my/l', type: 'folder' });
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(shareIdOf(await share(fresh.c, { uri: 'cloudreve://my/l', downloads: i + 1 })));
      const p1 = await fresh.c.get('/share?page_size=10');
      expect(p1.code).toBe(0);
      expect(p1.data.shares.length).toBe(10);
      expect(p1.data.pagination).toMatchObject({ page: 0, page_size: 10, is_cursor: true });
      expect(p1.data.shares[0]).toMatchObject({ unlocked: true, name: 'l', source_type: 1, expired: false, remain_downloads: 1 });
      const p2 = await fresh.c.get(`/share?page_size=10&next_page_token=${enc(p1.data.pagination.next_token)}`);
      expect(p2.data.shares.length).toBe(2);
      expect(p2.data.pagination.next_token).toBeUndefined();
      expect([...p1.data.shares, ...p2.data.shares].map((s: { id: string }) => s.id)).toEqual(ids);
      const desc = await fresh.c.get('/share?page_size=10&order_by=remain_downloads&order_direction=desc');
      expect(desc.data.shares[0].remain_downloads).toBe(12);
      expect((await fresh.c.get('/share?page_size=5')).code).toBe(40001);
      expect((await fresh.c.get('/share?page_size=10&next_page_token=garbage')).code).toBe(40001);
      expect((await anon.get('/share?page_size=10')).code).toBe(401);
    });

    it("shows only password-less links, locked, on a user's profile", async () => {
      const u = await newUser(ts, 'profile@example.com');
      await u.c.post('/file/create', { uri: 'cloudreve://my/p', type: 'folder' });
      const open = shareIdOf(await share(u.c, { uri: 'cloudreve://my/p', downloads: 4, expire: 1000 }));
      await share(u.c, { uri: 'cloudreve://my/p', is_private: true });
      const hash = ts.server.ctx.hashids.encode(u.id, 1);
      const r = await anon.get(`/user/shares/${hash}?page_size=10`);
      expect(r.code).toBe(0);
      expect(r.data.shares.map((s: { id: string }) => s.id)).toEqual([open]);
      const s = r.data.shares[0];
      expect(s.unlocked).toBe(false);
      for (const k of ['password', 'remain_downloads', 'downloaded', 'expires', 'is_private']) expect(s[k]).toBeUndefined();
      expect(s.url).toBe(`http://localhost:5212/s/${open}`);
    });

    it('deletes links: the owner or an admin, otherwise 404', async () => {
      const a = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs' }));
      const b = shareIdOf(await share(alice, { uri: 'cloudreve://my/docs' }));
      expect((await bob.delete(`/share/${a}`)).code).toBe(404);
      expect((await anon.delete(`/share/${a}`)).code).toBe(401);
      expect((await alice.delete(`/share/${a}`)).code).toBe(0);
      expect((await alice.delete(`/share/${a}`)).code).toBe(404);
      expect((await anon.get(`/share/info/${a}`)).code).toBe(404);
      expect((await admin.delete(`/share/${b}`)).code).toBe(0);
      expect((await alice.delete('/share/%%%')).code).toBe(40001);
    });

    it('saves a share as a shortcut listed in shared_with_me, but not your own (40059)', async () => {
      const url = await share(alice, { uri: 'cloudreve://my/docs' });
      const id = shareIdOf(url);
      const owner = ts.server.ctx.hashids.encode(aliceId, 1);
      const save = (c: Client, name: string) => c.post('/file/create', {
        uri: `cloudreve://my/${name}`, type: 'folder', err_on_conflict: true,
        metadata: { 'sys:shared_redirect': `cloudreve://${id}@share`, 'sys:shared_owner': owner },
      });
      const saved = await save(bob, 'Saved docs');
      expect(saved.code, saved.msg).toBe(0);
      expect(saved.data.metadata['sys:shared_redirect']).toBe(`cloudreve://${id}@share`);
      expect((await save(alice, 'Mine'))).toMatchObject({ code: 40059 });

      const swm = await list(bob, 'cloudreve://shared_with_me');
      expect(swm.code).toBe(0);
      expect(swm.data.props.capability).toBe('gAKA');
      const item = swm.data.files.find((f: { name: string }) => f.name === 'Saved docs');
      expect(item.path).toBe(`cloudreve://shared_with_me/${saved.data.id}`);
      expect(item.metadata['sys:shared_redirect']).toBe(`cloudreve://${id}@share`);
      // The shortcut cannot be entered; the redirect opens the share.
      expect((await list(bob, 'cloudreve://my/Saved docs')).code).toBe(403);
      expect(names(await list(bob, item.metadata['sys:shared_redirect']))).toEqual(['a b.txt', 'readme.md', 'sub']);
      expect((await list(bob, `cloudreve://shared_with_me/${saved.data.id}`)).code).toBe(40016);
      expect((await list(anon, 'cloudreve://shared_with_me')).code).toBe(401);
      expect((await list(alice, 'cloudreve://shared_with_me')).data.files).toEqual([]);
      // Deleting the shortcut never affects the share.
      expect((await bob.delete('/file', { uris: ['cloudreve://my/Saved docs'], skip_soft_delete: true })).code).toBe(0);
      expect((await anon.get(`/share/info/${id}`)).code).toBe(0);
      expect((await list(bob, 'cloudreve://shared_with_me')).data.files.find((f: { name: string }) => f.name === 'Saved docs')).toBeUndefined();
    });

    it('short links redirect to the share page without looking the share up', async () => {
      const r1 = await anon.raw('GET', '/s/AbCd');
      expect(r1.status).toBe(302);
      expect(r1.headers.get('location')).toBe('/home?path=cloudreve%3A%2F%2FAbCd%40share');
      const r2 = await anon.raw('GET', '/s/AbCd/pass123');
      expect(r2.status).toBe(302);
      expect(r2.headers.get('location')).toBe('/home?path=cloudreve%3A%2F%2FAbCd%3Apass123%40share');
      const hostile = await anon.raw('GET', '/s/a%0d%0aSet-Cookie:x/%22%3E');
      expect(hostile.status).toBe(302);
      expect(hostile.headers.get('set-cookie')).toBeNull();
      expect(hostile.headers.get('location')!.startsWith('/home?path=cloudreve%3A%2F%2F')).toBe(true);
      expect(hostile.headers.get('location')).not.toMatch(/[\r\n"<>]/);
    });
  });
}
