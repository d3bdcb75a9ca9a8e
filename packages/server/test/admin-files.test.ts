import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { fetchBytes, localPath, uploadFile } from './helpers/transfer.ts';
import { recycleEntities } from '../src/transfer/recycler.ts';
import type { Client } from './helpers/client.ts';

const list = (body: Record<string, unknown> = {}) => ({ page: 1, page_size: 100, ...body });

/**
 * Admin views of files, blobs and shares across users (contract 60 §5), over real HTTP with real
 * uploads: edges, conditions, updates, download URLs, hard deletes and the storage accounting
 * they must keep right.
 */
for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`admin files, blobs and shares on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let bob: Client;
    let aliceId: number;
    let bobId: number;
    const db = () => ts.server.ctx.db.kysely;
    const fileId = async (ownerId: number, name: string) =>
      Number((await db().selectFrom('files').select('id').where('owner_id', '=', ownerId).where('name', '=', name).executeTakeFirstOrThrow()).id);
    const blobPath = async (entityId: number) => {
      const e = await db().selectFrom('entities').select('source').where('id', '=', entityId).executeTakeFirstOrThrow();
      return path.join(ts.dataDir, 'uploads', e.source);
    };
    const storage = async (id: number) => Number((await db().selectFrom('users').select('storage').where('id', '=', id).executeTakeFirstOrThrow()).storage);

    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin } = await newUser(ts, 'admin@example.com'));
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      ({ c: bob, id: bobId } = await newUser(ts, 'bob@example.com'));
      expect((await alice.post('/file/create', { uri: 'cloudreve://my/docs', type: 'folder', metadata: { 'tag:blue': '#0000ff' } })).code).toBe(0);
      await uploadFile(alice, 'cloudreve://my/docs/Report.TXT', Buffer.from('quarterly report'));
      await uploadFile(alice, 'cloudreve://my/docs/notes.md', Buffer.alloc(1000, 7));
      await uploadFile(alice, 'cloudreve://my/photo.jpg', Buffer.alloc(3000, 1));
      await uploadFile(bob, 'cloudreve://my/bob.bin', Buffer.alloc(500, 2));
    });
    afterAll(async () => ts?.close());

    it('is admin-only', async () => {
      for (const [m, p, b] of [['POST', '/admin/file', list()], ['GET', '/admin/file/1'], ['GET', '/admin/file/url/1'], ['POST', '/admin/file/batch/delete', { ids: [1] }],
        ['POST', '/admin/entity', list()], ['POST', '/admin/entity/batch/delete', { ids: [1] }], ['POST', '/admin/share', list()], ['POST', '/admin/share/batch/delete', { ids: [1] }]] as const) {
        expect((await alice.call(m, p, b)).code, `${m} ${p}`).toBe(403);
        expect((await ts.client().call(m, p, b)).code, `${m} ${p}`).toBe(401);
      }
    });

    it('lists files of every user with conditions and edges', async () => {
      const all = await admin.post('/admin/file', list());
      expect(all.code, all.msg).toBe(0);
      const owners = new Set(all.data.files.map((f: any) => f.owner_id));
      expect(owners).toEqual(new Set([aliceId, bobId]));
      const mine = await admin.post('/admin/file', list({ conditions: { file_user: String(aliceId) }, order_by: 'size', order_direction: 'desc' }));
      expect(mine.data.files.map((f: any) => f.name)).toEqual(['photo.jpg', 'notes.md', 'Report.TXT', 'docs', undefined]);
      expect(mine.data.files[4].file_children).toBeUndefined(); // the root folder: no name, no parent
      expect(mine.data.pagination.total_items).toBe(5);
      const photo = mine.data.files[0];
      expect(photo).toMatchObject({
        owner_id: aliceId, size: 3000, storage_policy_files: 1, user_hash_id: ts.server.ctx.hashids.encode(aliceId, 1),
        edges: { owner: { email: 'alice@example.com' }, storage_policies: { id: 1, type: 'local' } },
      });
      expect(photo.type).toBeUndefined(); // 0 (file) is omitted like CE
      expect(photo.edges.owner.password).toBeUndefined();
      expect(photo.edges.entities).toHaveLength(1);
      expect(photo.primary_entity).toBe(photo.edges.entities[0].id);
      const byName = await admin.post('/admin/file', list({ conditions: { file_name: 'report' } }));
      expect(byName.data.files.map((f: any) => f.name)).toEqual(['Report.TXT']);
      expect(byName.data.files[0].file_children).toBe(await fileId(aliceId, 'docs'));
      const none = await admin.post('/admin/file', list({ conditions: { file_policy: '999' } }));
      expect(none.data).toEqual({ files: [], pagination: { page: 0, page_size: 100 } });
      expect((await admin.post('/admin/file', list({ conditions: { file_user: 'abc' } }))).code).toBe(40001);
    });

    it('gets one file with metadata and direct-link URLs; 404 when missing', async () => {
      const link = await alice.put('/file/source', { uris: ['cloudreve://my/photo.jpg'] });
      expect(link.code, link.msg).toBe(0);
      const id = await fileId(aliceId, 'photo.jpg');
      const r = await admin.get(`/admin/file/${id}`);
      expect(r.code, r.msg).toBe(0);
      const [linkId, url] = Object.entries(r.data.direct_link_map)[0] as [string, string];
      expect(url).toBe(link.data[0].link);
      expect(r.data.edges.direct_links[0]).toMatchObject({ id: Number(linkId), name: 'photo.jpg', file_id: id });
      const docs = await admin.get(`/admin/file/${await fileId(aliceId, 'docs')}`);
      expect(docs.data).toMatchObject({ type: 1, name: 'docs' });
      expect(docs.data.edges.metadata).toEqual([expect.objectContaining({ name: 'tag:blue', value: '#0000ff', is_public: true })]);
      expect((await admin.get('/admin/file/999999')).code).toBe(404);
    });

    it('updates name, policy and metadata (authoritative list)', async () => {
      const id = await fileId(aliceId, 'docs');
      const cur = (await admin.get(`/admin/file/${id}`)).data;
      const r = await admin.put(`/admin/file/${id}`, {
        file: { ...cur, name: 'papers', storage_policy_files: 1, edges: { ...cur.edges, metadata: [{ name: 'tag:red', value: '#ff0000', is_public: true }] } },
      });
      expect(r.code, r.msg).toBe(0);
      expect(r.data.name).toBe('papers');
      expect(r.data.edges.metadata.map((m: any) => m.name)).toEqual(['tag:red']);
      const kept = r.data.edges.metadata[0];
      const again = await admin.put(`/admin/file/${id}`, { file: { id, name: 'papers', edges: { metadata: [{ ...kept, value: '#00ff00' }, { name: 'tag:x', value: '' }] } } });
      expect(again.data.edges.metadata).toEqual([expect.objectContaining({ id: kept.id, value: '#00ff00' }), expect.objectContaining({ name: 'tag:x' })]);
      // Alice sees the rename in her own tree.
      expect((await alice.get(`/file?uri=${encodeURIComponent('cloudreve://my/papers')}&page_size=50`)).code).toBe(0);
      expect((await admin.put(`/admin/file/${id}`, { file: { name: 'photo.jpg' } })).code).toBe(40004);
      expect((await admin.put(`/admin/file/${id}`, { file: { name: 'a/b' } })).code).toBe(40052);
      expect((await admin.put(`/admin/file/${id}`, { file: { name: 'papers', storage_policy_files: 4242 } })).code).toBe(40035);
      expect((await admin.put('/admin/file/999999', { file: { name: 'x' } })).code).toBe(404);
    });

    it('hands out a one-hour URL of the current content', async () => {
      const id = await fileId(aliceId, 'Report.TXT');
      const r = await admin.get(`/admin/file/url/${id}`);
      expect(r.code, r.msg).toBe(0);
      const got = await fetchBytes(ts, localPath(r.data));
      expect(got.status).toBe(200);
      expect(got.body.toString()).toBe('quarterly report');
      const expires = Number(decodeURIComponent(new URL(r.data).searchParams.get('sign')!).split(':').pop());
      expect(Math.abs(expires - (Math.floor(Date.now() / 1000) + 3600))).toBeLessThan(60);
      expect((await admin.get(`/admin/file/url/${await fileId(aliceId, 'papers')}`)).code).toBe(404);
    });

    it('lists, gets and serves blobs', async () => {
      const r = await admin.post('/admin/entity', list({ conditions: { entity_user: String(aliceId), entity_type: '0' }, order_by: 'size' }));
      expect(r.code, r.msg).toBe(0);
      expect(r.data.entities.map((e: any) => e.size)).toEqual([16, 1000, 3000]);
      expect(r.data.entities[0]).toMatchObject({ reference_count: 1, storage_policy_entities: 1, created_by: aliceId, edges: { storage_policy: { id: 1 }, user: { email: 'alice@example.com' } } });
      expect((await admin.post('/admin/entity', list({ conditions: { entity_policy: 'x' } }))).code).toBe(40001);
      const big = r.data.entities[2];
      const one = await admin.get(`/admin/entity/${big.id}`);
      expect(one.data.edges.file.map((f: any) => f.name)).toEqual(['photo.jpg']);
      expect(one.data.user_hash_id_map).toEqual({ [String(aliceId)]: ts.server.ctx.hashids.encode(aliceId, 1) });
      const url = await admin.get(`/admin/entity/url/${big.id}`);
      const got = await fetchBytes(ts, localPath(url.data));
      expect(got.status).toBe(200);
      expect(got.body.length).toBe(3000);
      expect((await admin.get('/admin/entity/999999')).code).toBe(404);
    });

    it('deletes a referenced blob only with force, freeing the owner\'s storage', async () => {
      const photo = await fileId(aliceId, 'photo.jpg');
      const entity = Number((await db().selectFrom('files').select('primary_entity').where('id', '=', photo).executeTakeFirstOrThrow()).primary_entity);
      const disk = await blobPath(entity);
      expect(fs.existsSync(disk)).toBe(true);
      const refused = await admin.post('/admin/entity/batch/delete', { ids: [entity] });
      expect(refused.code).toBe(40081);
      expect(refused.aggregated_error![String(entity)].code).toBe(40001);
      const before = await storage(aliceId);
      const forced = await admin.post('/admin/entity/batch/delete', { ids: [entity, 999999], force: true });
      expect(forced.code, forced.msg).toBe(0);
      expect(await storage(aliceId)).toBe(before - 3000);
      await assertCapacityConsistent(ts, aliceId);
      expect(await db().selectFrom('entities').select('id').where('id', '=', entity).executeTakeFirst()).toBeUndefined();
      expect(fs.existsSync(disk)).toBe(false);
      const f = await db().selectFrom('files').selectAll().where('id', '=', photo).executeTakeFirstOrThrow();
      expect([f.primary_entity, Number(f.size)]).toEqual([null, 0]);
      expect((await admin.get(`/admin/file/url/${photo}`)).code).toBe(404);
    });

    it('hard-deletes files and folders of any user with correct storage accounting', async () => {
      const folder = await fileId(aliceId, 'papers');
      const notes = await fileId(aliceId, 'notes.md');
      const noteBlob = await blobPath(Number((await db().selectFrom('files').select('primary_entity').where('id', '=', notes).executeTakeFirstOrThrow()).primary_entity));
      const share = await alice.put('/share', { uri: 'cloudreve://my/papers' });
      expect(share.code).toBe(0);
      const before = await storage(aliceId);
      const bobBefore = await storage(bobId);
      const r = await admin.post('/admin/file/batch/delete', { ids: [folder, notes, 999999] });
      expect(r.code, r.msg).toBe(0);
      expect(await storage(aliceId)).toBe(before - 1016);
      expect(await storage(bobId)).toBe(bobBefore);
      await assertCapacityConsistent(ts, aliceId);
      await assertCapacityConsistent(ts, bobId);
      expect(await db().selectFrom('files').select('id').where('id', 'in', [folder, notes]).execute()).toEqual([]);
      expect(await db().selectFrom('shares').select('id').where('file_id', '=', folder).execute()).toEqual([]);
      await recycleEntities(ts.server.ctx);
      expect(fs.existsSync(noteBlob)).toBe(false);
      const root = (await db().selectFrom('files').select('id').where('root_owner_id', '=', bobId).executeTakeFirstOrThrow()).id;
      const refused = await admin.post('/admin/file/batch/delete', { ids: [Number(root)] });
      expect(refused.code).toBe(40081);
      expect(refused.aggregated_error![String(root)].code).toBe(40053);
      expect((await admin.post('/admin/file/batch/delete', { ids: [] })).code).toBe(40001);
    });

    it('deletes trashed files too', async () => {
      await uploadFile(bob, 'cloudreve://my/trashme.bin', Buffer.alloc(200, 3));
      expect((await bob.delete('/file', { uris: ['cloudreve://my/trashme.bin'] })).code).toBe(0);
      const id = await fileId(bobId, 'trashme.bin').catch(async () => Number((await db().selectFrom('files').select('id')
        .where('owner_id', '=', bobId).where('parent_id', 'is', null).where('root_owner_id', 'is', null).executeTakeFirstOrThrow()).id));
      const before = await storage(bobId);
      expect((await admin.post('/admin/file/batch/delete', { ids: [id] })).code).toBe(0);
      expect(await storage(bobId)).toBe(before - 200);
      await assertCapacityConsistent(ts, bobId);
    });

    it('lists, gets and deletes share links', async () => {
      const s1 = await bob.put('/share', { uri: 'cloudreve://my/bob.bin', is_private: true, password: 'pw123' });
      const s2 = await bob.put('/share', { uri: 'cloudreve://my/bob.bin' });
      expect([s1.code, s2.code]).toEqual([0, 0]);
      const mine = await admin.post('/admin/share', list({ conditions: { share_user_id: String(bobId) } }));
      expect(mine.code, mine.msg).toBe(0);
      expect(mine.data.shares).toHaveLength(2);
      const priv = mine.data.shares.find((s: any) => s.password === 'pw123');
      expect(priv.share_link).toBe(s1.data);
      expect(priv).toMatchObject({ user_hash_id: ts.server.ctx.hashids.encode(bobId, 1), edges: { user: { email: 'bob@example.com' }, file: { name: 'bob.bin' } } });
      const ids = mine.data.shares.map((s: any) => s.id);
      const byIds = await admin.post('/admin/share', list({ conditions: { share_id: ids.join(',') } }));
      expect(byIds.data.shares.map((s: any) => s.id)).toEqual(ids);
      expect((await admin.post('/admin/share', list({ conditions: { share_id: '1,x' } }))).code).toBe(40001);
      const byFile = await admin.post('/admin/share', list({ conditions: { share_file_id: String(await fileId(bobId, 'bob.bin')) } }));
      expect(byFile.data.pagination.total_items).toBe(2);
      expect((await admin.get(`/admin/share/${ids[0]}`)).data.id).toBe(ids[0]);
      expect((await admin.get('/admin/share/999999')).code).toBe(404);
      expect((await admin.post('/admin/share/batch/delete', { ids: [...ids, 999999] })).code).toBe(0);
      expect((await admin.post('/admin/share', list({ conditions: { share_user_id: String(bobId) } }))).data.shares).toEqual([]);
    });
  });
}
