import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';
import { Boolset } from '../src/util/boolset.ts';
import { HashType } from '../src/util/hashid.ts';

/** Contract 60 §1: /devices/dav list/create/update/delete. */
for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`DAV accounts on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let user: Client;
    let userId: number;

    /** Gives group 2 (User) the WebDAV bit, keeping its other bits. */
    async function grantWebdavToUsers(on: boolean) {
      const k = ts.server.ctx.db.kysely;
      const g = await k.selectFrom('groups').select('permissions').where('id', '=', 2).executeTakeFirstOrThrow();
      await k.updateTable('groups').set({ permissions: Boolset.decode(g.permissions).set(3, on).encode() }).where('id', '=', 2).execute();
    }

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: user, id: userId } = await newUser(ts, 'user@example.com'));
    });
    afterAll(async () => ts?.close());

    it('creates an account with a generated secret; options follow the group', async () => {
      const r = await admin.put('/devices/dav', { uri: 'cloudreve://my/Documents', name: 'Laptop', readonly: true, proxy: true, disable_sys_files: true });
      expect(r.code).toBe(0);
      const a = r.data;
      expect(Object.keys(a).sort()).toEqual(['created_at', 'id', 'name', 'options', 'password', 'uri']);
      expect(ts.server.ctx.hashids.decode(a.id, HashType.DavAccount)).toBeGreaterThan(0);
      expect(a.password).toMatch(/^[0-9a-z]{32}$/);
      expect(a.uri).toBe('cloudreve://my/Documents');
      expect(a.name).toBe('Laptop');
      expect(Boolset.decode(a.options).flags()).toEqual([0, 1, 2]);
      expect(a.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      const b = (await admin.put('/devices/dav', { uri: 'cloudreve://my', name: 'Phone' })).data;
      expect(b.options).toBe('');
      expect(b.password).not.toBe(a.password);
    });

    it('refuses groups without the WebDAV permission (40007) and drops proxy without the proxy permission', async () => {
      const denied = await user.put('/devices/dav', { uri: 'cloudreve://my', name: 'x' });
      expect(denied).toMatchObject({ code: 40007, msg: 'WebDAV is not enabled for this user group' });
      await grantWebdavToUsers(true);
      const r = await user.put('/devices/dav', { uri: 'cloudreve://my', name: 'x', proxy: true, readonly: true });
      expect(r.code).toBe(0);
      expect(Boolset.decode(r.data.options).flags()).toEqual([0]);
      await user.delete(`/devices/dav/${r.data.id}`);
    });

    it('validates the root URI and the name (40001)', async () => {
      const other = ts.server.ctx.hashids.encode(userId, HashType.User);
      for (const uri of ['cloudreve://trash', 'cloudreve://shared_with_me', 'cloudreve://my?name=a', 'https://example.com/',
        'not a uri', `cloudreve://${other}@my`, 'cloudreve://share', 'cloudreve://nonsense@share']) {
        const r = await admin.put('/devices/dav', { uri, name: 'x' });
        expect(r, uri).toMatchObject({ code: 40001 });
      }
      expect((await admin.put('/devices/dav', { uri: 'cloudreve://my', name: '' })).code).toBe(40001);
      expect((await admin.put('/devices/dav', { uri: 'cloudreve://my', name: 'n'.repeat(256) })).code).toBe(40001);
      expect((await admin.put('/devices/dav', { uri: 'cloudreve://my' })).code).toBe(40001);
      expect((await admin.put('/devices/dav', { uri: 'cloudreve://my', name: 'x', readonly: 'yes' })).code).toBe(40001);
      // A share root is accepted as a URI (contract: my or share).
      const share = ts.server.ctx.hashids.encode(1, HashType.Share);
      const ok = await admin.put('/devices/dav', { uri: `cloudreve://${share}:pw@share/sub`, name: 'shared' });
      expect(ok.code).toBe(0);
      await admin.delete(`/devices/dav/${ok.data.id}`);
    });

    it('updates name, root and the whole option set but never the secret', async () => {
      const a = (await admin.put('/devices/dav', { uri: 'cloudreve://my', name: 'Old', readonly: true })).data;
      const u = await admin.patch(`/devices/dav/${a.id}`, { uri: 'cloudreve://my/New%20Root', name: 'New', disable_sys_files: true });
      expect(u.code).toBe(0);
      expect(u.data).toMatchObject({ id: a.id, name: 'New', uri: 'cloudreve://my/New%20Root', password: a.password, created_at: a.created_at });
      expect(Boolset.decode(u.data.options).flags()).toEqual([2]);
      const listed = (await admin.get('/devices/dav?page_size=100')).data.accounts.find((x: { id: string }) => x.id === a.id);
      expect(listed).toEqual(u.data);
      expect((await admin.patch(`/devices/dav/${a.id}`, { uri: 'cloudreve://trash', name: 'x' })).code).toBe(40001);
      expect(await admin.patch('/devices/dav/%20', { uri: 'cloudreve://my', name: 'x' })).toMatchObject({ code: 40001, msg: 'Failed to parse object ID' });
      // Another user's account looks like a missing one.
      expect(await user.patch(`/devices/dav/${a.id}`, { uri: 'cloudreve://my', name: 'steal' })).toMatchObject({ code: 404, msg: 'Account not exist' });
      expect(await user.delete(`/devices/dav/${a.id}`)).toMatchObject({ code: 404 });
    });

    it('deletes; a second delete is 404', async () => {
      const a = (await admin.put('/devices/dav', { uri: 'cloudreve://my', name: 'Temp' })).data;
      expect(await admin.delete(`/devices/dav/${a.id}`)).toEqual({ code: 0, msg: '' });
      expect(await admin.delete(`/devices/dav/${a.id}`)).toMatchObject({ code: 404, msg: 'Account not exist' });
      const ids = (await admin.get('/devices/dav?page_size=100')).data.accounts.map((x: { id: string }) => x.id);
      expect(ids).not.toContain(a.id);
    });

    it('lists newest first with cursor pages; page_size 10–100; forged tokens are 40001', async () => {
      const { c } = await newUser(ts, 'lister@example.com');
      expect((await c.get('/devices/dav?page_size=10')).data).toEqual({ accounts: [], pagination: { page: 0, page_size: 10, is_cursor: true } });
      const made: string[] = [];
      for (let i = 0; i < 12; i++) made.push((await c.put('/devices/dav', { uri: 'cloudreve://my', name: `a${i}` })).data.id);
      const p1 = (await c.get('/devices/dav?page_size=10')).data;
      expect(p1.accounts.map((a: { id: string }) => a.id)).toEqual(made.slice().reverse().slice(0, 10));
      expect(p1.pagination).toMatchObject({ page: 0, page_size: 10, is_cursor: true });
      expect(typeof p1.pagination.next_token).toBe('string');
      const p2 = (await c.get(`/devices/dav?page_size=10&next_page_token=${encodeURIComponent(p1.pagination.next_token)}`)).data;
      expect(p2.accounts.map((a: { id: string }) => a.id)).toEqual(made.slice(0, 2).reverse());
      expect(p2.pagination.next_token).toBeUndefined();
      // Someone else sees none of them.
      expect((await admin.get('/devices/dav?page_size=100')).data.accounts.map((a: { id: string }) => a.id)).not.toContain(made[0]);

      for (const q of ['page_size=9', 'page_size=101', '', 'page_size=abc']) expect((await c.get(`/devices/dav?${q}`)).code, q).toBe(40001);
      const forged = Buffer.from(JSON.stringify({ id: made[5] })).toString('base64');
      expect((await c.get(`/devices/dav?page_size=10&next_page_token=${encodeURIComponent(forged)}`)).code).toBe(40001);
      expect((await c.get('/devices/dav?page_size=10&next_page_token=%%%')).code).toBe(40001);
    });

    it('requires a signed-in user (401)', async () => {
      const anon = ts.client();
      expect((await anon.get('/devices/dav?page_size=10')).code).toBe(401);
      expect((await anon.put('/devices/dav', { uri: 'cloudreve://my', name: 'x' })).code).toBe(401);
      expect((await anon.patch('/devices/dav/xJH2', { uri: 'cloudreve://my', name: 'x' })).code).toBe(401);
      expect((await anon.delete('/devices/dav/xJH2')).code).toBe(401);
    });
  });
}
