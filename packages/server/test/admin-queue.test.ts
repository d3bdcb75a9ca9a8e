import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { uploadFile } from './helpers/transfer.ts';
import { taskQueueOf } from '../src/tasks/queue.ts';
import { Boolset, GroupPermission as P } from '../src/util/boolset.ts';
import type { Client } from './helpers/client.ts';

const list = (body: Record<string, unknown> = {}) => ({ page: 1, page_size: 100, ...body });
const CID = '5f0c1b2a-3d4e-4f60-8a7b-9c0d1e2f3a4b';

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin tasks and queues on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let aliceId: number;
    let archiveTask: number;
    let oldTask: number;

    const insertTask = async (values: Record<string, unknown>) => {
      const now = Date.now();
      await ts.server.ctx.db.kysely.insertInto('tasks').values({
        type: 'relocate', status: 'error', public_state: '{}', private_state: '{"secret":1}', correlation_id: null, owner_id: null, node_id: null,
        attempts: 1, lease_until: null, run_after: null, created_at: now, updated_at: now, ...values,
      } as never).execute();
      return Number((await ts.server.ctx.db.kysely.selectFrom('tasks').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id);
    };

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      const perms = Boolset.fromFlags([P.Share, P.ShareDownload, P.RedirectedSource, P.ArchiveTask]).encode();
      await ts.server.ctx.db.kysely.updateTable('groups').set({ permissions: perms }).where('id', '=', 2).execute();
      await uploadFile(alice, 'cloudreve://my/a.txt', Buffer.from('archive me'));
      const t = await alice.post('/workflow/archive', { src: ['cloudreve://my/a.txt'], dst: 'cloudreve://my/a.zip' });
      expect(t.code, t.msg).toBe(0);
      archiveTask = ts.server.ctx.hashids.decode(t.data.id, 11)!;
      const q = taskQueueOf(ts.server.ctx)!;
      for (let i = 0; i < 100; i++) {
        await q.tick();
        await q.idle();
        const row = await ts.server.ctx.db.kysely.selectFrom('tasks').select('status').where('id', '=', archiveTask).executeTakeFirstOrThrow();
        if (row.status === 'completed') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      oldTask = await insertTask({
        created_at: Date.parse('2020-01-01T00:00:00Z'), correlation_id: CID,
        public_state: JSON.stringify({ error: 'boom', executed_duration: 1500, slave_task_props: { node_id: 2, master_site_u_rl: 'https://m.example', master_site_id: 's', master_site_version: '4' } }),
      });
    });
    afterAll(async () => ts?.close());

    it('is admin-only', async () => {
      for (const [m, p, b] of [['GET', '/admin/queue/metrics'], ['POST', '/admin/queue', list()], ['GET', '/admin/queue/1'],
        ['POST', '/admin/queue/batch/delete', { ids: [1] }], ['POST', '/admin/queue/cleanup', { not_after: '2030-01-01T00:00:00Z' }]] as const) {
        expect(await alice.call(m, p, b), `${m} ${p}`).toMatchObject({ code: 403, msg: '' });
        expect((await ts.client().call(m, p, b)).code, `${m} ${p}`).toBe(401);
      }
    });

    it('reports five queue metrics in the contract order', async () => {
      const r = await admin.get('/admin/queue/metrics');
      expect(r.code, r.msg).toBe(0);
      expect(r.data.map((m: any) => m.name)).toEqual(['media_meta', 'recycle', 'io_intense', 'remote_download', 'thumb']);
      const io = r.data[2];
      // The archive task completed and the inserted relocate task failed since the process started.
      expect(io).toMatchObject({ busy_workers: 0, success_tasks: 1, failure_tasks: 1 });
      expect(r.data[0]).toMatchObject({ success_tasks: 0, failure_tasks: 0, submitted_tasks: 0 });
      expect(io.submitted_tasks).toBeGreaterThanOrEqual(1);
      for (const m of r.data) expect(Object.keys(m).sort()).toEqual(['busy_workers', 'failure_tasks', 'name', 'submitted_tasks', 'success_tasks', 'suspending_tasks']);
    });

    it('lists tasks with conditions, owner edges, hashids, summary and node', async () => {
      const r = await admin.post('/admin/queue', list({ conditions: { task_user_id: String(aliceId) } }));
      expect(r.code, r.msg).toBe(0);
      expect(r.data.tasks.map((t: any) => t.id)).toContain(archiveTask);
      const t = r.data.tasks.find((x: any) => x.id === archiveTask);
      expect(t).toMatchObject({
        type: 'create_archive', status: 'completed', user_tasks: aliceId, user_hash_id: ts.server.ctx.hashids.encode(aliceId, 1),
        task_hash_id: ts.server.ctx.hashids.encode(archiveTask, 11), edges: { user: { email: 'alice@example.com' } }, node: { type: 'master' },
      });
      expect(typeof t.private_state).toBe('string');
      expect(t.summary).toBeDefined();
      expect(t.public_state.summary).toBeUndefined();
      const byType = await admin.post('/admin/queue', list({ conditions: { task_type: 'relocate', task_status: 'error' } }));
      expect(byType.data.tasks.map((x: any) => x.id)).toEqual([oldTask]);
      const byCid = await admin.post('/admin/queue', list({ conditions: { task_correlation_id: CID.toUpperCase() } }));
      expect(byCid.data.tasks.map((x: any) => x.id)).toEqual([oldTask]);
      expect((await admin.post('/admin/queue', list({ conditions: { task_correlation_id: 'nope' } }))).code).toBe(40001);
      expect((await admin.post('/admin/queue', list({ conditions: { task_user_id: 'x' } }))).code).toBe(40001);
      const page = await admin.post('/admin/queue', list({ page_size: 1, order_by: 'created_at', order_direction: 'asc' }));
      expect(page.data.tasks.map((x: any) => x.id)).toEqual([oldTask]);
      expect(page.data.pagination.total_items).toBeGreaterThanOrEqual(2);
    });

    it('gets one task with its state in CE units and both spellings of the master URL', async () => {
      const r = await admin.get(`/admin/queue/${oldTask}`);
      expect(r.code, r.msg).toBe(0);
      expect(r.data.public_state).toMatchObject({ error: 'boom', executed_duration: 1_500_000_000 });
      expect(r.data.public_state.slave_task_props).toMatchObject({ master_site_u_rl: 'https://m.example', master_site_url: 'https://m.example' });
      expect(r.data.correlation_id).toBe(CID);
      expect(r.data.edges).toEqual({});
      expect((await admin.get('/admin/queue/999999')).code).toBe(404);
    });

    it('cleans up old records by time and filters, and batch-deletes', async () => {
      expect((await admin.post('/admin/queue/cleanup', { not_after: 'yesterday' })).code).toBe(40001);
      expect((await admin.post('/admin/queue/cleanup', {})).code).toBe(40001);
      // Filters that do not match keep the old record.
      expect((await admin.post('/admin/queue/cleanup', { not_after: '2021-01-01T00:00:00Z', types: ['create_archive'] })).code).toBe(0);
      expect((await admin.get(`/admin/queue/${oldTask}`)).code).toBe(0);
      expect((await admin.post('/admin/queue/cleanup', { not_after: '2021-01-01T00:00:00Z', status: ['completed'] })).code).toBe(0);
      expect((await admin.get(`/admin/queue/${oldTask}`)).code).toBe(0);
      expect((await admin.post('/admin/queue/cleanup', { not_after: '2021-01-01T00:00:00+08:00', types: ['relocate'], status: ['error'] })).code).toBe(0);
      expect((await admin.get(`/admin/queue/${oldTask}`)).code).toBe(404);
      expect((await admin.get(`/admin/queue/${archiveTask}`)).code).toBe(0);
      expect((await admin.post('/admin/queue/batch/delete', { ids: [archiveTask, 999999] })).code).toBe(0);
      expect((await admin.get(`/admin/queue/${archiveTask}`)).code).toBe(404);
      expect((await admin.post('/admin/queue/batch/delete', { ids: [] })).code).toBe(40001);
      const audit = await ts.server.ctx.db.kysely.selectFrom('admin_audit_logs').select('action').where('action', 'like', 'task.%').execute();
      expect(audit.length).toBeGreaterThanOrEqual(4);
    });
  });
}
