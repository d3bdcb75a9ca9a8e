import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { addVersion, newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs operations on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let uid: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      await newUser(ts, 'admin@example.com'); // first account = admin
      ({ c, id: uid } = await newUser(ts, 'alice@example.com'));
    });
    afterAll(async () => ts?.close());

    const list = async (uri: string, extra = '') => c.get(`/file?uri=${enc(uri)}&page_size=100${extra}`);
    const names = async (uri: string) => (await list(uri)).data.files.map((f: { name: string }) => f.name);

    it('lists the lazily created root with the my capability and policy', async () => {
      const r = await list('cloudreve://my');
      expect(r.code).toBe(0);
      expect(r.data.files).toEqual([]);
      expect(r.data.parent).toMatchObject({ type: 1, name: '', path: 'cloudreve://my', owned: true, capability: 'w8edAQ==' });
      expect(r.data.props).toEqual({ capability: 'w8edAQ==', max_page_size: 2000, order_by_options: ['name', 'size', 'updated_at', 'created_at'], order_direction_options: ['asc', 'desc'] });
      expect(r.data.storage_policy).toMatchObject({ type: 'local', max_size: 0 });
      expect(r.data.mixed_type).toBe(false);
      expect(r.data.pagination).toEqual({ page: 0, page_size: 100, is_cursor: true });
      expect(typeof r.data.context_hint).toBe('string');
      await assertCapacityConsistent(ts, uid);
    });

    it('creates folders with missing parents and files; returns existing unless err_on_conflict', async () => {
      const f = await c.post('/file/create', { uri: 'cloudreve://my/Docs/Sub%20Dir', type: 'folder' });
      expect(f.code).toBe(0);
      expect(f.data).toMatchObject({ type: 1, name: 'Sub Dir', path: 'cloudreve://my/Docs/Sub%20Dir', size: 0, owned: true, metadata: {} });
      const file = await c.post('/file/create', { uri: 'cloudreve://my/Docs/a b.txt', type: 'file', metadata: { 'tag:work': '#ff0000' } });
      expect(file.code).toBe(0);
      expect(file.data).toMatchObject({ type: 0, name: 'a b.txt', path: 'cloudreve://my/Docs/a%20b.txt', metadata: { 'tag:work': '#ff0000' } });
      expect(file.data.primary_entity).toBe(ts.server.ctx.hashids.encode(0, 8));
      const again = await c.post('/file/create', { uri: 'cloudreve://my/Docs/a%20b.txt', type: 'file' });
      expect(again.code).toBe(0);
      expect(again.data.id).toBe(file.data.id);
      expect((await c.post('/file/create', { uri: 'cloudreve://my/Docs/a%20b.txt', type: 'file', err_on_conflict: true })).code).toBe(40004);
      expect((await c.post('/file/create', { uri: 'cloudreve://my/Docs/a%20b.txt', type: 'folder' })).code).toBe(40004);
      expect((await c.post('/file/create', { uri: 'cloudreve://my/Docs/a%20b.txt/inner', type: 'folder' })).code).toBe(40004);
      expect(await names('cloudreve://my/Docs')).toEqual(['Sub Dir', 'a b.txt']);
      await assertCapacityConsistent(ts, uid);
    });

    it('renames, refusing taken names and illegal names', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/R/one.txt', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/R/two.txt', type: 'file' });
      const r = await c.post('/file/rename', { uri: 'cloudreve://my/R/one.txt', new_name: 'uno.md' });
      expect(r.code).toBe(0);
      expect(r.data).toMatchObject({ name: 'uno.md', path: 'cloudreve://my/R/uno.md' });
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'two.txt' })).code).toBe(40004);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'a/b' })).code).toBe(40052);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: '..' })).code).toBe(40052);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'a\u0000b' })).code).toBe(40052);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'é'.repeat(128) })).code).toBe(40052);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'x'.repeat(256) })).code).toBe(40001);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/uno.md', new_name: 'TWO.txt' })).code).toBe(0);
      expect(await names('cloudreve://my/R')).toEqual(['TWO.txt', 'two.txt']);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my', new_name: 'x' })).code).toBe(403);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/R/missing', new_name: 'x' })).code).toBe(40016);
      await assertCapacityConsistent(ts, uid);
    });

    it('moves and copies; copies share entities and charge capacity', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/M/src/deep/f.bin', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/M/dst', type: 'folder' });
      await addVersion(ts, uid, 'cloudreve://my/M/src/deep/f.bin', 1000);
      const before = await assertCapacityConsistent(ts, uid);
      expect((await c.post('/file/move', { uris: ['cloudreve://my/M/src'], dst: 'cloudreve://my/M/dst', copy: true })).code).toBe(0);
      expect(await assertCapacityConsistent(ts, uid)).toBe(before + 1000);
      const copied = await ts.server.ctx.db.kysely.selectFrom('entities').select('reference_count').executeTakeFirstOrThrow();
      expect(Number(copied.reference_count)).toBe(2);
      expect(await names('cloudreve://my/M/dst/src/deep')).toEqual(['f.bin']);
      // Move: ids kept.
      const info = await c.get(`/file/info?uri=${enc('cloudreve://my/M/src')}`);
      expect((await c.post('/file/move', { uris: ['cloudreve://my/M/src'], dst: 'cloudreve://my' })).code).toBe(0);
      const moved = await c.get(`/file/info?uri=${enc('cloudreve://my/src')}`);
      expect(moved.data.id).toBe(info.data.id);
      // Conflict in dst aborts.
      expect((await c.post('/file/move', { uris: ['cloudreve://my/src'], dst: 'cloudreve://my/M/dst', copy: true })).code).toBe(40004);
      // Into itself / its descendant: per item → 40081.
      const self = await c.post('/file/move', { uris: ['cloudreve://my/src'], dst: 'cloudreve://my/src/deep' });
      expect(self.code).toBe(40081);
      expect(self.aggregated_error!['cloudreve://my/src'].code).toBe(403);
      expect((await c.post('/file/move', { uris: ['cloudreve://my/src'], dst: 'cloudreve://my/nope' })).code).toBe(40016);
      await assertCapacityConsistent(ts, uid);
    });

    it('soft-deletes to trash, lists trash, restores, and permanently deletes freeing capacity', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/T/keep.txt', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/T/keep.txt', 500);
      const used = await assertCapacityConsistent(ts, uid);
      expect((await c.delete('/file', { uris: ['cloudreve://my/T/keep.txt'] })).code).toBe(0);
      expect(await names('cloudreve://my/T')).toEqual([]);
      expect(await assertCapacityConsistent(ts, uid)).toBe(used);
      const trash = await list('cloudreve://trash');
      expect(trash.code).toBe(0);
      expect(trash.data.parent).toEqual({ type: 0, id: '', name: '', created_at: '0001-01-01T00:00:00Z', updated_at: '0001-01-01T00:00:00Z', size: 0, metadata: null });
      expect(trash.data.props.capability).toBe('AMIK');
      const item = trash.data.files.find((f: { name: string }) => f.name === 'keep.txt');
      expect(item.metadata['sys:restore_uri']).toBe('cloudreve://my/T/keep.txt');
      expect(Number(item.metadata['sys:expected_collect_time'])).toBeGreaterThan(Date.now() / 1000);
      expect(item.path).toMatch(/^cloudreve:\/\/trash\/[0-9a-f-]{36}$/);
      expect((await c.post('/file/restore', { uris: [item.path] })).code).toBe(0);
      const back = await c.get(`/file/info?uri=${enc('cloudreve://my/T/keep.txt')}`);
      expect(back.code).toBe(0);
      expect(back.data.metadata['sys:restore_uri']).toBeUndefined();
      // Permanent delete.
      expect((await c.delete('/file', { uris: ['cloudreve://my/T'], skip_soft_delete: true })).code).toBe(0);
      expect(await assertCapacityConsistent(ts, uid)).toBe(used - 500);
      const e = await ts.server.ctx.db.kysely.selectFrom('entities').select(['reference_count']).where('size', '=', 500).executeTakeFirstOrThrow();
      expect(Number(e.reference_count)).toBe(0);
    });

    it('empties the trash', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/E/x.txt', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/E/x.txt', 42);
      await c.delete('/file', { uris: ['cloudreve://my/E'] });
      const items = (await list('cloudreve://trash')).data.files;
      const folder = items.find((f: { name: string }) => f.name === 'E');
      // Trash items cannot be entered, and deeper trash paths do not exist.
      expect((await list(folder.path)).code).toBe(403);
      expect((await list(`${folder.path}/x.txt`)).code).toBe(40016);
      expect((await c.get(`/file/info?uri=${enc(folder.path)}`)).data).toMatchObject({ name: 'E', type: 1, path: folder.path, capability: 'AMIK' });
      expect((await c.delete('/file/trash')).code).toBe(0);
      expect((await list('cloudreve://trash')).data.files).toEqual([]);
      await assertCapacityConsistent(ts, uid);
    });
  });
}
