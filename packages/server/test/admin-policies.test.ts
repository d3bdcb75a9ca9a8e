import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { uploadFile } from './helpers/transfer.ts';
import type { Client } from './helpers/client.ts';

const list = (body: Record<string, unknown> = {}) => ({ page: 1, page_size: 50, ...body });

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin storage policies on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let clock = Date.now();
    let admin: Client;
    let alice: Client;
    let s3Id: number;

    beforeAll(async () => {
      ts = await startServer(backend, { now: () => clock });
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice } = await newUser(ts, 'alice@example.com'));
    });
    afterAll(async () => ts?.close());

    it('refuses anonymous callers (401) and normal users (403, empty msg)', async () => {
      expect((await ts.client().post('/admin/policy', list())).code).toBe(401);
      const r = await alice.post('/admin/policy', list());
      expect(r).toMatchObject({ code: 403, msg: '' });
      expect((await alice.get('/admin/policy/1')).code).toBe(403);
      expect((await alice.delete('/admin/policy/1')).code).toBe(403);
    });

    it('lists the seeded local policy with its groups and the always-present settings keys', async () => {
      const r = await admin.post('/admin/policy', list());
      expect(r.code, r.msg).toBe(0);
      expect(r.data.pagination).toEqual({ page: 0, page_size: 50, total_items: 1 });
      const p = r.data.policies[0];
      expect(p).toMatchObject({ id: 1, type: 'local', is_private: true, dir_name_rule: '{uid}/{path}' });
      expect(p.settings).toMatchObject({ token: '', file_type: null, s3_path_style: false, native_media_processing: false, chunk_size: 25 * 1024 * 1024 });
      expect(p.edges.groups.map((g: any) => g.id).sort()).toEqual([1, 2, 3]);
      expect(p.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it('creates policies: local gets the data-dir rule, other types keep the form as sent', async () => {
      const local = await admin.put('/admin/policy', { policy: { id: 99, name: 'Second local', type: 'local', dir_name_rule: '/etc/{uid}', file_name_rule: '{originname}', is_private: true } });
      expect(local.code, local.msg).toBe(0);
      expect(local.data.id).not.toBe(99);
      expect(local.data).toMatchObject({ name: 'Second local', type: 'local', dir_name_rule: '{uid}/{path}', file_name_rule: '{originname}', is_private: true, edges: {} });
      const s3 = await admin.put('/admin/policy', {
        policy: {
          name: 'Bucket', type: 's3', server: 'https://s3.example.com', bucket_name: 'b1', access_key: 'AK', secret_key: 'SK', max_size: 1024,
          dir_name_rule: 'u/{uid}', file_name_rule: '{uuid}', settings: { region: 'us-east-1', s3_path_style: true, chunk_size: 5242880 },
          edges: {}, created_at: '2024-01-01T00:00:00Z',
        },
      });
      expect(s3.code, s3.msg).toBe(0);
      s3Id = s3.data.id;
      expect(s3.data).toMatchObject({
        type: 's3', server: 'https://s3.example.com', bucket_name: 'b1', access_key: 'AK', secret_key: 'SK', max_size: 1024, dir_name_rule: 'u/{uid}',
        settings: { region: 'us-east-1', s3_path_style: true, chunk_size: 5242880, token: '', native_media_processing: false },
      });
      expect(s3.data.is_private).toBeUndefined();
      const audit = await ts.server.ctx.db.kysely.selectFrom('admin_audit_logs').selectAll().where('action', '=', 'policy.create').execute();
      expect(audit.map((a) => a.target)).toEqual(expect.arrayContaining([`policy:${s3Id}`]));
      expect(audit.find((a) => a.target === `policy:${s3Id}`)!.detail).not.toContain('SK');
    });

    it('refuses bad policy forms with 40001', async () => {
      expect((await admin.put('/admin/policy', { policy: { name: 'x', type: 'floppy' } })).code).toBe(40001);
      expect((await admin.put('/admin/policy', { policy: { type: 'local' } })).code).toBe(40001);
      expect((await admin.put('/admin/policy', { policy: { name: 'x', type: 's3', node_id: 424242 } })).code).toBe(40001);
      expect((await admin.put('/admin/policy', {})).code).toBe(40001);
      expect((await admin.get('/admin/policy/abc')).code).toBe(40001);
    });

    it('filters by policy_type and orders by updated_at', async () => {
      const s3 = await admin.post('/admin/policy', list({ conditions: { policy_type: 's3' } }));
      expect(s3.data.policies.map((p: any) => p.id)).toEqual([s3Id]);
      expect(s3.data.pagination.total_items).toBe(1);
      const none = await admin.post('/admin/policy', list({ conditions: { policy_type: 'cos' } }));
      expect(none.data).toEqual({ policies: [], pagination: { page: 0, page_size: 50 } });
      const desc = await admin.post('/admin/policy', list({ order_by: 'updated_at', order_direction: 'desc', page_size: 1 }));
      expect(desc.data.policies).toHaveLength(1);
      expect(desc.data.pagination).toEqual({ page: 0, page_size: 1, total_items: 3 });
      const second = await admin.post('/admin/policy', list({ page: 3, page_size: 1 }));
      expect(second.data.policies.map((p: any) => p.id)).toEqual([s3Id]);
      expect(second.data.pagination.page).toBe(2);
    });

    it('updates a policy by the path id and drops cached entity URLs', async () => {
      await uploadFile(alice, 'cloudreve://my/a.txt', Buffer.from('hello admin'));
      const url = async () => (await alice.post('/file/url', { uris: ['cloudreve://my/a.txt'] })).data.urls[0].url as string;
      const first = await url();
      clock += 5000;
      expect(await url()).toBe(first); // served from the cache
      const got = await admin.get('/admin/policy/1');
      const upd = await admin.put('/admin/policy/1', { policy: { ...got.data, id: 12345, name: 'Renamed default' } });
      expect(upd.code, upd.msg).toBe(0);
      expect(upd.data).toMatchObject({ id: 1, name: 'Renamed default', type: 'local', dir_name_rule: '{uid}/{path}' });
      expect(await url()).not.toBe(first);
      expect((await admin.put('/admin/policy/987654', { policy: { name: 'x', type: 'local' } })).code).toBe(40035);
    });

    it('counts blobs only when asked', async () => {
      const plain = await admin.get('/admin/policy/1');
      expect(plain.data.entities_count).toBeUndefined();
      const counted = await admin.get('/admin/policy/1?countEntity=true');
      expect(counted.data.entities_count).toBe(1);
      expect(counted.data.entities_size).toBe(11);
      const empty = await admin.get(`/admin/policy/${s3Id}?countEntity=true`);
      expect(empty.data.entities_count).toBeUndefined();
      expect((await admin.get('/admin/policy/987654')).code).toBe(40035);
    });

    it('guards deletes: default 40036, missing 40035, groups 40038 (msg = count), blobs 40037', async () => {
      const db = ts.server.ctx.db.kysely;
      expect((await admin.delete('/admin/policy/1')).code).toBe(40036);
      expect((await admin.delete('/admin/policy/987654')).code).toBe(40035);
      await db.updateTable('groups').set({ storage_policy_id: s3Id }).where('id', 'in', [2, 3]).execute();
      const used = await admin.delete(`/admin/policy/${s3Id}`);
      expect(used).toMatchObject({ code: 40038, msg: '2' });
      await db.updateTable('groups').set({ storage_policy_id: 1 }).where('id', 'in', [2, 3]).execute();
      const now = Date.now();
      await db.insertInto('entities').values({
        type: 0, source: 'x/y', size: 5, reference_count: 0, storage_policy_id: s3Id, created_by: null, upload_session_id: null,
        recycle_options: null, props: null, created_at: now, updated_at: now,
      }).execute();
      expect((await admin.delete(`/admin/policy/${s3Id}`)).code).toBe(40037);
      await db.deleteFrom('entities').where('storage_policy_id', '=', s3Id).execute();
      expect((await admin.delete(`/admin/policy/${s3Id}`)).code).toBe(0);
      expect((await admin.get(`/admin/policy/${s3Id}`)).code).toBe(40035);
    });

    it('answers CORS requests with the contract codes', async () => {
      expect((await admin.post('/admin/policy/cors', { policy: { type: 'local' } })).code).toBe(40001);
      // Without a bucket the form is incomplete; provider round trips are in admin-policy-test.test.ts.
      const s3 = await admin.post('/admin/policy/cors', { policy: { type: 's3', server: 'https://s3.example.com' } });
      expect(s3.code).toBe(40001);
      expect(s3.msg).toMatch(/Bucket name is required/);
    });
  });
}
