import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { onNodeChanged } from '../src/services/node-events.ts';
import type { Client } from './helpers/client.ts';

const list = (body: Record<string, unknown> = {}) => ({ page: 1, page_size: 50, ...body });

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin nodes on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let slaveId: number;
    const changed: number[] = [];

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice } = await newUser(ts, 'alice@example.com'));
      onNodeChanged(ts.server.ctx, (id) => changed.push(id));
    });
    afterAll(async () => ts?.close());

    it('is admin-only', async () => {
      expect((await ts.client().post('/admin/node', list())).code).toBe(401);
      expect(await alice.post('/admin/node', list())).toMatchObject({ code: 403, msg: '' });
      expect((await alice.put('/admin/node', { node: { name: 'x' } })).code).toBe(403);
    });

    it('lists the seeded master node', async () => {
      const r = await admin.post('/admin/node', list());
      expect(r.code, r.msg).toBe(0);
      expect(r.data.pagination).toEqual({ page: 0, page_size: 50, total_items: 1 });
      expect(r.data.nodes[0]).toMatchObject({ type: 'master', status: 'active', edges: {} });
    });

    it('creates slave nodes (id must be 0) and announces them', async () => {
      expect((await admin.put('/admin/node', { node: { id: 7, name: 'n' } })).msg).toBe('ID must be 0');
      const r = await admin.put('/admin/node', {
        node: {
          name: 'Slave A', type: 'master', status: 'suspended', server: 'http://10.0.0.2:5212', slave_key: 'k'.repeat(64), capabilities: 'Bg==', weight: 3,
          settings: { provider: 'aria2', aria2: { server: 'http://127.0.0.1:6800', token: 't' }, interval: 10 },
        },
      });
      expect(r.code, r.msg).toBe(0);
      slaveId = r.data.id;
      expect(r.data).toMatchObject({
        type: 'slave', status: 'suspended', server: 'http://10.0.0.2:5212', slave_key: 'k'.repeat(64), capabilities: 'Bg==', weight: 3,
        settings: { provider: 'aria2', aria2: { server: 'http://127.0.0.1:6800', token: 't' }, interval: 10 }, edges: {},
      });
      expect(changed).toContain(slaveId);
      expect((await admin.put('/admin/node', { node: { name: 'bad', status: 'broken' } })).code).toBe(40001);
    });

    it('filters by node_status and orders by weight', async () => {
      const s = await admin.post('/admin/node', list({ conditions: { node_status: 'suspended' } }));
      expect(s.data.nodes.map((n: any) => n.id)).toEqual([slaveId]);
      const w = await admin.post('/admin/node', list({ order_by: 'weight', order_direction: 'desc' }));
      expect(w.data.nodes[0].id).toBe(slaveId);
    });

    it('updates a node without changing its type; GET shows the policies it serves', async () => {
      const u = await admin.put(`/admin/node/${slaveId}`, { node: { id: slaveId, name: 'Slave B', status: 'active', type: 'master', weight: 1 } });
      expect(u.code, u.msg).toBe(0);
      expect(u.data).toMatchObject({ name: 'Slave B', status: 'active', type: 'slave' });
      const p = await admin.put('/admin/policy', { policy: { name: 'Remote', type: 'remote', server: 'http://10.0.0.2:5212', node_id: slaveId } });
      expect(p.code, p.msg).toBe(0);
      const g = await admin.get(`/admin/node/${slaveId}`);
      expect(g.data.edges.storage_policy.map((x: any) => x.name)).toEqual(['Remote']);
      const policy = await admin.get(`/admin/policy/${p.data.id}`);
      expect(policy.data.edges.node.id).toBe(slaveId);
      expect((await admin.get('/admin/node/99999')).code).toBe(404);
      expect((await admin.put('/admin/node/99999', { node: { name: 'x' } })).code).toBe(404);
    });

    it('guards deletes: master 40046, used by policies 40086 with their names', async () => {
      const master = (await admin.post('/admin/node', list({ conditions: { node_status: 'active' }, order_by: 'id' }))).data.nodes.find((n: any) => n.type === 'master');
      expect((await admin.delete(`/admin/node/${master.id}`)).code).toBe(40046);
      const used = await admin.delete(`/admin/node/${slaveId}`);
      expect(used).toMatchObject({ code: 40086, msg: 'Remote' });
      await ts.server.ctx.db.kysely.updateTable('storage_policies').set({ node_id: null }).where('node_id', '=', slaveId).execute();
      changed.length = 0;
      expect((await admin.delete(`/admin/node/${slaveId}`)).code).toBe(0);
      expect(changed).toEqual([slaveId]);
      expect((await admin.get(`/admin/node/${slaveId}`)).code).toBe(404);
      const audit = await ts.server.ctx.db.kysely.selectFrom('admin_audit_logs').select(['action', 'detail']).where('target', '=', `node:${slaveId}`).execute();
      expect(audit.map((a) => a.action)).toEqual(['node.create', 'node.update', 'node.delete']);
      expect(audit.map((a) => a.detail).join()).not.toContain('kkkk');
    });
  });
}
