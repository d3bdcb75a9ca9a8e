import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { addVersion, newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs metadata, info, pins on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let uid: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      await newUser(ts, 'admin@example.com');
      ({ c, id: uid } = await newUser(ts, 'meta@example.com'));
      await c.post('/file/create', { uri: 'cloudreve://my/m/a.txt', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/m/b.txt', type: 'file' });
    });
    afterAll(async () => ts?.close());

    const meta = async (uri: string) => (await c.get(`/file/info?uri=${enc(uri)}`)).data.metadata;

    it('patches user-writable metadata on several files in one call', async () => {
      const r = await c.patch('/file/metadata', {
        uris: ['cloudreve://my/m/a.txt', 'cloudreve://my/m/b.txt'],
        patches: [{ key: 'tag:work', value: '#ff0000' }, { key: 'customize:icon_color', value: 'rgb(1, 2, 3)' }, { key: 'customize:emoji', value: '😀' }, { key: 'dav:prop', value: '<x/>' }],
      });
      expect(r.code).toBe(0);
      expect(await meta('cloudreve://my/m/b.txt')).toEqual({ 'tag:work': '#ff0000', 'customize:icon_color': 'rgb(1, 2, 3)', 'customize:emoji': '😀', 'dav:prop': '<x/>' });
      expect((await c.patch('/file/metadata', { uris: ['cloudreve://my/m/a.txt'], patches: [{ key: 'tag:work', remove: true }] })).code).toBe(0);
      expect((await meta('cloudreve://my/m/a.txt'))['tag:work']).toBeUndefined();
      await assertCapacityConsistent(ts, uid);
    });

    it('refuses metadata users may not write with 40001', async () => {
      const bad: { key: string; value?: string; remove?: boolean }[] = [
        { key: 'nonamespace', value: 'x' },
        { key: 'other:key', value: 'x' },
        { key: 'sys:restore_uri', value: 'cloudreve://my/x' },
        { key: 'sys:expected_collect_time', value: '0' },
        { key: 'sys:shared_owner', value: 'nothashid' },
        { key: 'sys:shared_redirect', value: 'cloudreve://my/x' },
        { key: 'sys:shared_redirect', remove: true },
        { key: 'customize:icon_color', value: 'red; background:url(x)' },
        { key: 'customize:emoji', value: 'not-an-emoji' },
        { key: 'tag:', value: '' },
        { key: 'tag:x', value: 'javascript:alert(1)' },
        { key: 'tag:big', value: 'x'.repeat(70000) },
      ];
      for (const p of bad) {
        const r = await c.patch('/file/metadata', { uris: ['cloudreve://my/m/a.txt'], patches: [p] });
        expect(r.code, JSON.stringify(p).slice(0, 80)).toBe(40001);
      }
      expect((await c.post('/file/create', { uri: 'cloudreve://my/m/c.txt', type: 'file', metadata: { 'sys:restore_uri': 'x' } })).code).toBe(40001);
      expect((await c.patch('/file/metadata', { uris: ['cloudreve://my'], patches: [{ key: 'tag:a', value: '' }] })).code).toBe(403);
      expect((await c.patch('/file/metadata', { uris: ['cloudreve://my/m/none'], patches: [{ key: 'tag:a', value: '' }] })).code).toBe(40016);
    });

    it('symbolic shortcuts (sys:shared_redirect) cannot be walked into', async () => {
      const owner = ts.server.ctx.hashids.encode(1, 1);
      const r = await c.post('/file/create', { uri: 'cloudreve://my/shortcut', type: 'folder', metadata: { 'sys:shared_redirect': 'cloudreve://abc@share', 'sys:shared_owner': owner } });
      expect(r.code).toBe(0);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/shortcut')}&page_size=10`)).code).toBe(403);
      expect((await c.post('/file/create', { uri: 'cloudreve://my/shortcut/inside', type: 'folder' })).code).toBe(403);
      expect((await c.post('/file/move', { uris: ['cloudreve://my/m/a.txt'], dst: 'cloudreve://my/shortcut' })).code).toBe(403);
    });

    it('returns info with extended info and a cached folder summary', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/sum/x/y.bin', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/sum/z.bin', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/sum/x/y.bin', 300);
      await addVersion(ts, uid, 'cloudreve://my/sum/z.bin', 200);
      const r = await c.get(`/file/info?uri=${enc('cloudreve://my/sum')}&folder_summary=true&extended=1`);
      expect(r.code).toBe(0);
      expect(r.data.folder_summary).toMatchObject({ size: 500, files: 2, folders: 1, completed: true });
      expect(r.data.capability).toBe('w8edAQ==');
      expect(r.data.extended_info).toMatchObject({ storage_used: 0, direct_links: [] });
      // Cached for folder_props_timeout: a new file does not show up at once.
      await c.post('/file/create', { uri: 'cloudreve://my/sum/new.txt', type: 'file' });
      const again = await c.get(`/file/info?uri=${enc('cloudreve://my/sum')}&folder_summary=t`);
      expect(again.data.folder_summary.files).toBe(2);
      const f = await c.get(`/file/info?uri=${enc('cloudreve://my/sum/z.bin')}&extended=true`);
      expect(f.data.extended_info.storage_policy).toMatchObject({ type: 'local' });
      expect(f.data.extended_info.entities[0]).toMatchObject({ size: 200, type: 0, created_by: { nickname: 'meta' } });
      const byId = await c.get(`/file/info?id=${f.data.id}`);
      expect(byId.data.path).toBe('cloudreve://my/sum/z.bin');
    });

    it('pins and unpins URIs in the user settings', async () => {
      expect((await c.put('/file/pin', { uri: 'cloudreve://my/m', name: 'M' })).code).toBe(0);
      expect((await c.put('/file/pin', { uri: 'cloudreve://my/m', name: 'M' })).code).toBe(0);
      expect((await c.put('/file/pin', { uri: 'cloudreve://my/m', name: 'Other' })).code).toBe(40004);
      expect((await c.put('/file/pin', { uri: 'cloudreve://my?category=image' })).code).toBe(0);
      expect((await c.put('/file/pin', { uri: 'not a uri' })).code).toBe(40001);
      expect((await c.get('/user/me')).data.pined).toEqual([{ uri: 'cloudreve://my/m', name: 'M' }, { uri: 'cloudreve://my?category=image' }]);
      expect((await c.delete('/file/pin', { uri: 'cloudreve://my/m' })).code).toBe(0);
      expect((await c.get('/user/me')).data.pined).toEqual([{ uri: 'cloudreve://my?category=image' }]);
      expect((await ts.client().put('/file/pin', { uri: 'cloudreve://my/m' })).code).toBe(401);
    });

    it('renaming to another extension drops thumb:disabled', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/t/pic.xyz', type: 'file' });
      const k = ts.server.ctx.db.kysely;
      const info = await c.get(`/file/info?uri=${enc('cloudreve://my/t/pic.xyz')}`);
      const id = ts.server.ctx.hashids.decode(info.data.id, 2)!;
      await k.insertInto('metadata').values({ file_id: id, name: 'thumb:disabled', value: '', is_public: 1, created_at: 0, updated_at: 0 }).execute();
      await c.post('/file/rename', { uri: 'cloudreve://my/t/pic.xyz', new_name: 'pic2.xyz' });
      expect((await meta('cloudreve://my/t/pic2.xyz'))['thumb:disabled']).toBe('');
      await c.post('/file/rename', { uri: 'cloudreve://my/t/pic2.xyz', new_name: 'pic2.png' });
      expect((await meta('cloudreve://my/t/pic2.png'))['thumb:disabled']).toBeUndefined();
    });

    it('restores into a missing folder with 40016 and onto a taken name with 40004', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/r1/item.txt', type: 'file' });
      await c.delete('/file', { uris: ['cloudreve://my/r1/item.txt'] });
      await c.post('/file/create', { uri: 'cloudreve://my/r1/item.txt', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/r2/gone.txt', type: 'file' });
      await c.delete('/file', { uris: ['cloudreve://my/r2/gone.txt'] });
      await c.delete('/file', { uris: ['cloudreve://my/r2'], skip_soft_delete: true });
      const trash = (await c.get(`/file?uri=${enc('cloudreve://trash')}&page_size=50`)).data.files;
      const item = trash.find((f: { name: string }) => f.name === 'item.txt');
      const gone = trash.find((f: { name: string }) => f.name === 'gone.txt');
      const r = await c.post('/file/restore', { uris: [item.path, gone.path] });
      expect(r.code).toBe(40081);
      expect(r.aggregated_error![item.path]!.code).toBe(40004);
      expect(r.aggregated_error![gone.path]!.code).toBe(40016);
      // Move out of trash restores the original name too.
      await c.post('/file/create', { uri: 'cloudreve://my/r3', type: 'folder' });
      expect((await c.post('/file/move', { uris: [gone.path], dst: 'cloudreve://my/r3' })).code).toBe(0);
      expect((await meta('cloudreve://my/r3/gone.txt'))['sys:restore_uri']).toBeUndefined();
      await assertCapacityConsistent(ts, uid);
    });
  });
}
