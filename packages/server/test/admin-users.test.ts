import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { uploadFile } from './helpers/transfer.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import type { Client } from './helpers/client.ts';
import { recycleEntities } from '../src/transfer/recycler.ts';
import { HashType } from '../src/util/hashid.ts';

const shareIdOf = (url: string) => new URL(url).pathname.split('/')[2]!;
const list = (body: Record<string, unknown> = {}) => ({ page: 1, page_size: 50, ...body });

/** Contract 60 §4–5: admin users and groups over real HTTP. */
for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin users and groups on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let plain: Client;
    let plainId: number;

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: plain, id: plainId } = await newUser(ts, 'plain@example.com'));
    });
    afterAll(async () => ts?.close());

    it('refuses anonymous callers (401) and non-admins (403, empty msg, no data)', async () => {
      for (const [m, p, b] of [['POST', '/admin/user', list()], ['GET', '/admin/user/1', undefined], ['POST', '/admin/group', list()],
        ['PUT', '/admin/user/2', { user: { id: 2, email: 'x@y.z', group_users: 1 } }], ['POST', '/admin/user/batch/delete', { ids: [2] }],
        ['POST', '/admin/audit', list()]] as const) {
        const r = await plain.call(m, p, b);
        expect(r, `${m} ${p}`).toEqual({ code: 403, msg: '', correlation_id: expect.any(String) });
        expect((await ts.client().call(m, p, b)).code, `${m} ${p} anonymous`).toBe(401);
      }
      // The non-admin's attempt to promote themselves changed nothing.
      expect((await plain.get('/user/me')).data.group.name).toBe('User');
    });

    it('lists users with conditions, ordering and offset pagination', async () => {
      for (const e of ['Zed@Example.com', 'amy@other.org', 'bob@other.org']) await newUser(ts, e);
      const all = await admin.post('/admin/user', list());
      expect(all.code).toBe(0);
      expect(all.data.pagination).toEqual({ page: 0, page_size: 50, total_items: 5 });
      const u = all.data.users.find((x: any) => x.id === plainId);
      expect(u).toMatchObject({ email: 'plain@example.com', nick: 'plain', status: 'active', group_users: 2, hash_id: ts.server.ctx.hashids.encode(plainId, HashType.User) });
      expect(u.edges.group).toMatchObject({ id: 2, name: 'User' });
      for (const secret of ['password', 'two_factor_secret', 'capacity', 'group_id']) expect(u).not.toHaveProperty(secret);
      expect(u.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

      const other = await admin.post('/admin/user', list({ conditions: { user_email: 'OTHER.ORG' }, order_by: 'email', order_direction: 'desc' }));
      expect(other.data.users.map((x: any) => x.email)).toEqual(['bob@other.org', 'amy@other.org']);
      const page2 = await admin.post('/admin/user', { page: 2, page_size: 2, order_by: 'id' });
      expect(page2.data.pagination).toEqual({ page: 1, page_size: 2, total_items: 5 });
      expect(page2.data.users.map((x: any) => x.id)).toEqual([3, 4]);
      const admins = await admin.post('/admin/user', list({ conditions: { user_group: '1' } }));
      expect(admins.data.users.map((x: any) => x.id)).toEqual([1]);
      const none = await admin.post('/admin/user', list({ conditions: { user_nick: 'no-such-nick' } }));
      expect(none.data).toEqual({ users: [], pagination: { page: 0, page_size: 50 } });
      expect((await admin.post('/admin/user', list({ conditions: { user_group: 'abc' } }))).code).toBe(40001);
      expect((await admin.post('/admin/user', { page: 0, page_size: 10 })).code).toBe(40001);
      // Unknown order columns fall back to id (not an SQL error).
      expect((await admin.post('/admin/user', list({ order_by: 'password; drop table users' }))).data.users[0].id).toBe(1);
    });

    it('gets one user with capacity; bad ids are 40001, missing 40021', async () => {
      const r = await admin.get(`/admin/user/${plainId}`);
      expect(r.data).toMatchObject({ id: plainId, capacity: { total: 1024 ** 3, used: 0 }, edges: { group: { id: 2 } } });
      expect((await admin.get('/admin/user/abc')).code).toBe(40001);
      expect((await admin.get('/admin/user/999999')).code).toBe(40021);
    });

    it('creates users (password required, e-mail unique) who can then sign in', async () => {
      const body = { user: { email: 'made@example.com', nick: 'Made', status: 'active', group_users: 2 } };
      expect((await admin.put('/admin/user', body)).code).toBe(40001);
      expect((await admin.put('/admin/user', { ...body, user: { ...body.user, id: 7 }, password: 'secret123' })).msg).toBe('ID must be 0');
      expect((await admin.put('/admin/user', { ...body, user: { ...body.user, group_users: 999 }, password: 'secret123' })).code).toBe(40039);
      const r = await admin.put('/admin/user', { ...body, password: 'secret123' });
      expect(r.code, r.msg).toBe(0);
      expect(r.data).toMatchObject({ email: 'made@example.com', nick: 'Made', group_users: 2, capacity: { used: 0 } });
      expect((await admin.put('/admin/user', { ...body, password: 'secret123' })).code).toBe(40032);
      const c = ts.client();
      await c.signIn('made@example.com', 'secret123');
    });

    it('updates users: nick, group, password, 2FA reset and bans; the first admin is protected (40043)', async () => {
      const me = (await admin.get('/admin/user/1')).data;
      const base = { id: 1, email: me.email, nick: me.nick, status: 'active', group_users: 1 };
      expect((await admin.put('/admin/user/1', { user: { ...base, group_users: 2 } })).code).toBe(40043);
      expect((await admin.put('/admin/user/1', { user: { ...base, status: 'manual_banned' } })).code).toBe(40043);
      expect((await admin.put('/admin/user/1', { user: { ...base, id: 0 } })).msg).toBe('ID is required');
      expect((await admin.put('/admin/user/1', { user: base, password: 'x'.repeat(129) })).code).toBe(40001);
      expect((await admin.put('/admin/user/1', { user: { ...base, nick: 'Boss' } })).data.nick).toBe('Boss');

      const u = (await admin.get(`/admin/user/${plainId}`)).data;
      const ub = { id: plainId, email: u.email, nick: u.nick, status: 'active', group_users: 2 };
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, email: 'admin@example.com' } })).code).toBe(40032);
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, status: 'weird' } })).code).toBe(40001);
      await ts.server.ctx.db.kysely.updateTable('users').set({ two_factor_secret: 'JBSWY3DPEHPK3PXP' }).where('id', '=', plainId).execute();
      expect((await admin.get(`/admin/user/${plainId}`)).data.two_fa_enabled).toBe(true);
      const r = await admin.put(`/admin/user/${plainId}`, { user: { ...ub, nick: 'Plainer' }, password: 'newpass456', two_fa: 'reset' });
      expect(r.code, r.msg).toBe(0);
      expect(r.data.nick).toBe('Plainer');
      expect(r.data).not.toHaveProperty('two_fa_enabled');
      const again = ts.client();
      expect((await again.post('/session/token', { email: 'plain@example.com', password: 'password123' })).code).not.toBe(0);
      await again.signIn('plain@example.com', 'newpass456');
      plain = again;

      // Ban: the user's live access token stops working at once; unban restores it.
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, nick: 'Plainer', status: 'manual_banned' } })).code).toBe(0);
      expect((await plain.get('/user/me')).code).toBe(401);
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, nick: 'Plainer' } })).code).toBe(0);
      expect((await plain.get('/user/me')).code).toBe(0);

      // Promotion to the admin group gives admin access.
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, nick: 'Plainer', group_users: 1 } })).code).toBe(0);
      expect((await plain.post('/admin/user', list())).code).toBe(0);
      expect((await admin.put(`/admin/user/${plainId}`, { user: { ...ub, nick: 'Plainer', group_users: 2 } })).code).toBe(0);
      expect((await plain.post('/admin/user', list())).code).toBe(403);
    });

    it('groups: list, get with user count, create, update with guards, delete with guards', async () => {
      const all = await admin.post('/admin/group', list({ order_by: 'name' }));
      expect(all.data.groups.map((g: any) => g.name)).toEqual(['Admin', 'Anonymous', 'User']);
      expect(all.data.pagination.total_items).toBe(3);
      const g1 = all.data.groups[0];
      expect(g1).toMatchObject({ id: 1, permissions: expect.any(String), max_storage: 1024 ** 4, storage_policy_id: 1, total_users: 0 });
      expect(g1.settings).toMatchObject({ source_batch: expect.any(Number) });
      expect(g1.edges.storage_policies).toMatchObject({ id: 1, type: 'local' });

      const g2 = await admin.get('/admin/group/2?countUser=true');
      expect(g2.data.total_users).toBeGreaterThanOrEqual(4);
      expect((await admin.get('/admin/group/2')).data.total_users).toBe(0);
      expect((await admin.get('/admin/group/99')).code).toBe(40039);

      const body = { name: 'Team', max_storage: 5000, speed_limit: 0, permissions: 'BA==', settings: { source_batch: 5, trash_retention: 60 }, edges: { storage_policies: { id: 1 } } };
      expect((await admin.put('/admin/group', { group: { ...body, edges: {} } })).code).toBe(40001);
      expect((await admin.put('/admin/group', { group: { ...body, edges: { storage_policies: { id: 77 } } } })).code).toBe(40035);
      const made = await admin.put('/admin/group', { group: body });
      expect(made.code, made.msg).toBe(0);
      expect(made.data).toMatchObject({ name: 'Team', max_storage: 5000, permissions: 'BA==', settings: { source_batch: 5, trash_retention: 60 }, total_users: 0 });
      const id = made.data.id as number;

      const upd = await admin.put(`/admin/group/${id}`, { group: { ...body, id, name: 'Team 2', max_storage: 7000 } });
      expect(upd.data).toMatchObject({ id, name: 'Team 2', max_storage: 7000 });
      const g1body = { ...body, id: 1, name: 'Admin', permissions: 'BA==' };
      expect((await admin.put('/admin/group/1', { group: g1body })).code).toBe(40001);

      expect((await admin.delete('/admin/group/2')).code).toBe(40040);
      expect((await admin.delete('/admin/group/3')).code).toBe(40040);
      const member = (await admin.put('/admin/user', { user: { email: 'team@example.com', nick: 'T', status: 'active', group_users: id }, password: 'secret123' })).data;
      const inUse = await admin.delete(`/admin/group/${id}`);
      expect(inUse).toMatchObject({ code: 40041, msg: '1' });
      // A group member gets the group's quota.
      expect((await admin.get(`/admin/user/${member.id}`)).data.capacity.total).toBe(7000);
      expect((await admin.post('/admin/user/batch/delete', { ids: [member.id] })).code).toBe(0);
      expect((await admin.delete(`/admin/group/${id}`)).code).toBe(0);
      expect((await admin.get(`/admin/group/${id}`)).code).toBe(40039);
    });

    it('deletes users with files, shares, DAV accounts, passkeys and tasks; blobs shared with others survive; capacity stays exact', async () => {
      const k = ts.server.ctx.db.kysely;
      const { c: carol, id: carolId } = await newUser(ts, 'carol@example.com');
      const { c: dave, id: daveId } = await newUser(ts, 'dave@example.com');
      await carol.post('/file/create', { uri: 'cloudreve://my/docs', type: 'folder' });
      await uploadFile(carol, 'cloudreve://my/docs/shared.txt', Buffer.from('shared with dave'));
      await uploadFile(carol, 'cloudreve://my/own.bin', Buffer.alloc(3000, 7));
      const share = await carol.put<string>('/share', { uri: 'cloudreve://my/docs' });
      expect(share.code, share.msg).toBe(0);
      const shareId = shareIdOf(share.data!);
      const saved = await dave.post('/share/save-copy', { uris: [`cloudreve://${shareId}@share/shared.txt`], dst: 'cloudreve://my' });
      expect(saved.code, saved.msg).toBe(0);
      const now = Date.now();
      await k.insertInto('dav_accounts').values({ owner_id: carolId, name: 'x', uri: 'cloudreve://my', password: 'p'.repeat(32), options: '', props: '{}', created_at: now, updated_at: now }).execute();
      await k.insertInto('passkeys').values({ user_id: carolId, credential_id: 'cred', name: 'key', credential: '{}', used_at: null, created_at: now, updated_at: now }).execute();
      await k.insertInto('tasks').values({ type: 'archive', status: 'completed', public_state: '{}', private_state: '{}', correlation_id: null, owner_id: carolId, node_id: null, attempts: 0, lease_until: null, run_after: null, created_at: now, updated_at: now }).execute();
      const withKey = (await admin.get(`/admin/user/${carolId}`)).data;
      expect(withKey.edges.passkey).toEqual([expect.objectContaining({ name: 'key', credential_id: 'cred', user_id: carolId })]);
      expect(withKey.edges.passkey[0]).not.toHaveProperty('credential');

      const blobs = await k.selectFrom('entities').select(['id', 'source', 'reference_count']).where('created_by', '=', carolId).execute();
      expect(blobs).toHaveLength(2);
      const ownBlob = blobs.find((b) => b.source.endsWith('own.bin'))!;
      const sharedBlob = blobs.find((b) => b.source.endsWith('shared.txt'))!;
      const blobPath = (src: string) => path.join(ts.dataDir, 'uploads', src);
      expect(fs.existsSync(blobPath(ownBlob.source))).toBe(true);
      const daveBefore = await assertCapacityConsistent(ts, daveId);
      expect(daveBefore).toBe(16);

      // Self and the first admin are refused per id (40043 inside 40081); the rest is deleted.
      const selfDel = await admin.post('/admin/user/batch/delete', { ids: [1] });
      expect(selfDel.code).toBe(40081);
      expect(selfDel.aggregated_error?.['1']?.code).toBe(40043);
      const mixed = await admin.post('/admin/user/batch/delete', { ids: [carolId, 1, 999999] });
      expect(mixed.code).toBe(40081);
      expect(Object.keys(mixed.aggregated_error ?? {}).sort()).toEqual(['1', '999999']);
      expect(mixed.aggregated_error!['999999']!.code).toBe(40021);

      expect(await k.selectFrom('users').select('id').where('id', '=', carolId).executeTakeFirst()).toBeUndefined();
      for (const t of ['files', 'dav_accounts', 'shares', 'tasks'] as const) {
        expect(await k.selectFrom(t).select('id').where('owner_id', '=', carolId).execute(), t).toEqual([]);
      }
      expect(await k.selectFrom('passkeys').select('id').where('user_id', '=', carolId).execute()).toEqual([]);
      // The delete already started the recycler; run it again and wait for the blob to go.
      await recycleEntities(ts.server.ctx);
      const deadline = Date.now() + 5000;
      while (fs.existsSync(blobPath(ownBlob.source)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fs.existsSync(blobPath(ownBlob.source))).toBe(false);
      expect(await k.selectFrom('entities').select('id').where('id', '=', ownBlob.id).executeTakeFirst()).toBeUndefined();
      // Dave's copy still links the shared blob: it stays, and Dave's accounting is unchanged.
      expect(fs.existsSync(blobPath(sharedBlob.source))).toBe(true);
      expect(Number((await k.selectFrom('entities').select('reference_count').where('id', '=', sharedBlob.id).executeTakeFirstOrThrow()).reference_count)).toBe(1);
      expect(await assertCapacityConsistent(ts, daveId)).toBe(daveBefore);
      const info = await dave.get(`/file/info?uri=${encodeURIComponent('cloudreve://my/shared.txt')}`);
      expect(info.code).toBe(0);
      // Carol's token no longer works.
      expect((await carol.get('/user/me')).code).toBe(401);
    });

    it('calibrates a drifted storage counter', async () => {
      const { c: erin, id: erinId } = await newUser(ts, 'erin@example.com');
      await uploadFile(erin, 'cloudreve://my/a.bin', Buffer.alloc(1234, 1));
      await ts.server.ctx.db.kysely.updateTable('users').set({ storage: 99 }).where('id', '=', erinId).execute();
      const r = await admin.post(`/admin/user/${erinId}/calibrate`);
      expect(r.code, r.msg).toBe(0);
      expect(r.data).toMatchObject({ id: erinId, storage: 1234, capacity: { used: 1234 } });
      await assertCapacityConsistent(ts, erinId);
      expect((await admin.post('/admin/user/424242/calibrate')).code).toBe(40021);
    });

    it('records admin actions in the audit log, readable by admins only', async () => {
      const r = await admin.post('/admin/audit', list({ order_by: 'id', order_direction: 'desc' }));
      expect(r.code).toBe(0);
      const actions = r.data.logs.map((l: any) => l.action);
      for (const a of ['user.create', 'user.update', 'user.delete', 'user.calibrate', 'group.create', 'group.update', 'group.delete']) expect(actions).toContain(a);
      const upd = r.data.logs.find((l: any) => l.action === 'user.update' && l.detail.password_changed);
      expect(upd).toMatchObject({ actor_id: 1, target: `user:${plainId}`, edges: { user: { id: 1 } } });
      expect(JSON.stringify(r.data.logs)).not.toContain('newpass456');
      const users = await admin.post('/admin/audit', list({ conditions: { audit_action: 'group.' } }));
      expect(users.data.logs.length).toBeGreaterThan(0);
      expect(users.data.logs.every((l: any) => l.action.startsWith('group.'))).toBe(true);
      expect((await admin.post('/admin/audit', list({ conditions: { audit_actor: 'x' } }))).code).toBe(40001);
    });
  });
}
