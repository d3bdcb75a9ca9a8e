import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs access rules and bad input on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let bob: Client;
    let aliceId: number;
    let bobId: number;
    let aliceHash: string;
    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      ({ c: bob, id: bobId } = await newUser(ts, 'bob@example.com'));
      aliceHash = ts.server.ctx.hashids.encode(aliceId, 1);
      await alice.post('/file/create', { uri: 'cloudreve://my/private/secret.txt', type: 'file' });
    });
    afterAll(async () => ts?.close());

    it('answers anonymous requests on my/trash with 401', async () => {
      const anon = ts.client();
      expect((await anon.get(`/file?uri=${enc('cloudreve://my')}&page_size=10`)).code).toBe(401);
      expect((await anon.get(`/file?uri=${enc('cloudreve://trash')}&page_size=10`)).code).toBe(401);
      expect((await anon.post('/file/create', { uri: 'cloudreve://my/x', type: 'folder' })).code).toBe(401);
      expect((await anon.get(`/file/info?uri=${enc('cloudreve://my/private')}`)).code).toBe(401);
      expect((await anon.delete('/file', { uris: ['cloudreve://my/private'] })).code).toBe(401);
      expect((await anon.delete('/file/trash')).code).toBe(401);
    });

    it("keeps other users out of someone's tree (403) and their ids (40082)", async () => {
      const other = `cloudreve://${aliceHash}@my/private`;
      expect((await bob.get(`/file?uri=${enc(other)}&page_size=10`)).code).toBe(403);
      expect((await bob.post('/file/create', { uri: `${other}/x.txt`, type: 'file' })).code).toBe(403);
      expect((await bob.post('/file/rename', { uri: `${other}/secret.txt`, new_name: 'y' })).code).toBe(403);
      const del = await bob.delete('/file', { uris: [`${other}/secret.txt`] });
      expect(del.code).toBe(40081);
      expect(Object.values(del.aggregated_error!)[0]!.code).toBe(403);
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/private/secret.txt')}`);
      expect((await bob.get(`/file/info?id=${info.data.id}`)).code).toBe(40082);
      // bob's own "my" is his own tree: the same path does not exist there.
      expect((await bob.get(`/file/info?uri=${enc('cloudreve://my/private/secret.txt')}`)).code).toBe(40016);
      expect((await bob.post('/file/move', { uris: ['cloudreve://my'], dst: other })).code).toBe(403);
      await assertCapacityConsistent(ts, aliceId);
      await assertCapacityConsistent(ts, bobId);
    });

    it('lets admins read another tree through cloudreve://<uid>@my, but not change it', async () => {
      const r = await admin.get(`/file?uri=${enc(`cloudreve://${aliceHash}@my/private`)}&page_size=10`);
      expect(r.code).toBe(0);
      expect(r.data.files[0]).toMatchObject({ name: 'secret.txt', path: `cloudreve://${aliceHash}@my/private/secret.txt` });
      expect(r.data.files[0].owned).toBeUndefined();
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/private/secret.txt')}`);
      const byId = await admin.get(`/file/info?id=${info.data.id}`);
      expect(byId.code).toBe(0);
      expect(byId.data.path).toBe(`cloudreve://${aliceHash}@my/private/secret.txt`);
      expect((await admin.post('/file/rename', { uri: `cloudreve://${aliceHash}@my/private/secret.txt`, new_name: 'z' })).code).toBe(40082);
      expect((await admin.post('/file/create', { uri: `cloudreve://${aliceHash}@my/private/new`, type: 'folder' })).code).toBe(40082);
      const del = await admin.delete('/file', { uris: [`cloudreve://${aliceHash}@my/private/secret.txt`] });
      expect(del.aggregated_error![`cloudreve://${aliceHash}@my/private/secret.txt`]!.code).toBe(40082);
      expect((await admin.get(`/file/info?uri=${enc(`cloudreve://${aliceHash}@my/private`)}&folder_summary=true`)).code).toBe(40082);
    });

    it('refuses malformed URIs, unknown file systems and bad paths', async () => {
      for (const uri of ['', 'http://my/a', 'cloudreve://nowhere/a', 'cloudreve://my/%zz', 'Cloudreve://my', 'cloudreve://my/a\u0000b']) {
        const r = await alice.get(`/file?uri=${enc(uri)}&page_size=10`);
        expect(r.code, uri).toBe(40001);
      }
      expect((await alice.post('/file/create', { uri: 'not a uri', type: 'file' })).code).toBe(40001);
      expect((await alice.post('/file/create', { uri: 'cloudreve://my/a', type: 'symlink' })).code).toBe(40001);
      expect((await alice.get(`/file?uri=${enc('cloudreve://trash/a/b')}&page_size=10`)).code).toBe(40016);
      expect((await alice.get('/file/info')).code).toBe(40001);
      expect((await alice.get('/file/info?id=nothashid')).code).toBe(40001);
      expect((await alice.get(`/file/info?uri=${enc('cloudreve://my')}`)).code).toBe(403);
      expect((await alice.get(`/file/info?uri=${enc('cloudreve://my/private')}&extended=maybe`)).code).toBe(40001);
    });

    it('validates names on create with the contract codes', async () => {
      const bad = ['a:b', 'a*b', 'a?b', 'a|b', 'a<b', 'a"b', 'a\\b', 'é'.repeat(128)];
      for (const name of bad) {
        const r = await alice.post('/file/create', { uri: `cloudreve://my/${enc(name)}`, type: 'file' });
        expect(r.code, name).toBe(40052);
      }
      // "/" inside an encoded element is a separator after decoding: creates a/b (mkdir -p).
      const slash = await alice.post('/file/create', { uri: 'cloudreve://my/a%2Fb', type: 'folder' });
      expect(slash.data.path).toBe('cloudreve://my/a/b');
      // ".." is cleaned away by URI parsing and cannot climb above the root.
      const dots = await alice.post('/file/create', { uri: 'cloudreve://my/../../x', type: 'folder' });
      expect(dots.data.path).toBe('cloudreve://my/x');
      const upper = await alice.post('/file/create', { uri: 'cloudreve://my/Case.txt', type: 'file' });
      const lower = await alice.post('/file/create', { uri: 'cloudreve://my/case.txt', type: 'file' });
      expect(upper.code).toBe(0);
      expect(lower.code).toBe(0);
      expect(upper.data.id).not.toBe(lower.data.id);
      expect((await alice.post('/file/create', { uri: `cloudreve://my/${'b'.repeat(255)}`, type: 'file' })).code).toBe(0);
      expect((await alice.post('/file/create', { uri: `cloudreve://my/${'b'.repeat(256)}`, type: 'file' })).code).toBe(40052);
    });

    it('enforces max_batched_file with 40074 and unlink needs advanced delete', async () => {
      await ts.server.ctx.settings.set({ max_batched_file: '3' });
      try {
        const uris = ['cloudreve://my/1', 'cloudreve://my/2', 'cloudreve://my/3', 'cloudreve://my/4'];
        expect((await alice.delete('/file', { uris })).code).toBe(40074);
        expect((await alice.post('/file/move', { uris, dst: 'cloudreve://my' })).code).toBe(40074);
        expect((await alice.post('/file/restore', { uris })).code).toBe(40074);
        expect((await alice.patch('/file/metadata', { uris, patches: [{ key: 'tag:a', value: '' }] })).code).toBe(40074);
      } finally {
        await ts.server.ctx.settings.set({ max_batched_file: '3000' });
      }
      expect((await alice.delete('/file', { uris: ['cloudreve://my/x'], unlink: true })).code).toBe(403);
      expect((await alice.delete('/file', { uris: [] })).code).toBe(40001);
    });

    it('aggregates per-item failures and still processes the valid items', async () => {
      await alice.post('/file/create', { uri: 'cloudreve://my/batch/ok.txt', type: 'file' });
      const r = await alice.delete('/file', { uris: ['cloudreve://my/batch/ok.txt', 'cloudreve://my/batch/missing.txt', 'cloudreve://my'] });
      expect(r.code).toBe(40081);
      expect(r.msg).toBe('One or more operation failed');
      expect(r.aggregated_error!['cloudreve://my/batch/missing.txt']!.code).toBe(40016);
      expect(r.aggregated_error!['cloudreve://my']!.code).toBe(403);
      expect((await alice.get(`/file/info?uri=${enc('cloudreve://my/batch/ok.txt')}`)).code).toBe(40016);
      const one = await alice.delete('/file', { uris: ['cloudreve://my/batch/missing.txt'] });
      expect(one.code).toBe(40081);
      expect(one.msg).toBe('Path not exist');
      // Trash capabilities: no soft delete from trash, no restore in my.
      expect((await alice.post('/file/restore', { uris: ['cloudreve://my/batch'] })).aggregated_error!['cloudreve://my/batch']!.code).toBe(403);
      expect((await alice.post('/file/create', { uri: 'cloudreve://trash/x', type: 'folder' })).code).toBe(403);
      expect((await alice.post('/file/move', { uris: ['cloudreve://my/batch'], dst: 'cloudreve://my/x', copy: true })).code).toBe(0);
    });
  });
}
