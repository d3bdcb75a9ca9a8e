import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { addVersion, newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs listing and search on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let uid: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      await newUser(ts, 'admin@example.com');
      ({ c, id: uid } = await newUser(ts, 'lister@example.com'));
      // 5 folders and 7 files with distinct sizes in /L.
      for (const n of ['f-c', 'f-a', 'f-e', 'f-b', 'f-d']) await c.post('/file/create', { uri: `cloudreve://my/L/${n}`, type: 'folder' });
      const files = ['b.txt', 'G.jpg', 'a.png', 'e.md', 'c.JPG', 'd.txt', 'f.pdf'];
      for (const [i, n] of files.entries()) {
        await c.post('/file/create', { uri: `cloudreve://my/L/${n}`, type: 'file' });
        await addVersion(ts, uid, `cloudreve://my/L/${n}`, (i + 1) * 100);
      }
      await c.post('/file/create', { uri: 'cloudreve://my/L/f-a/deep/photo.jpg', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/L/f-b/notes.txt', type: 'file', metadata: { 'tag:urgent': '' } });
    });
    afterAll(async () => ts?.close());

    async function walk(uri: string, pageSize: number, extra = ''): Promise<{ names: string[]; pages: number }> {
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const r = await c.get(`/file?uri=${enc(uri)}&page_size=${pageSize}${extra}${token ? `&next_page_token=${enc(token)}` : ''}`);
        expect(r.code, r.msg).toBe(0);
        expect(r.data.files.length).toBeLessThanOrEqual(pageSize);
        names.push(...r.data.files.map((f: { name: string }) => f.name));
        token = r.data.pagination.next_token;
        pages++;
      } while (token && pages < 100);
      return { names, pages };
    }

    it('pages by name with folders first, every row exactly once', async () => {
      const { names, pages } = await walk('cloudreve://my/L', 3, '&order_by=name&order_direction=asc');
      expect(names).toEqual(['f-a', 'f-b', 'f-c', 'f-d', 'f-e', 'G.jpg', 'a.png', 'b.txt', 'c.JPG', 'd.txt', 'e.md', 'f.pdf']);
      expect(pages).toBe(4);
      const desc = await walk('cloudreve://my/L', 5, '&order_by=name&order_direction=desc');
      expect(desc.names).toEqual(['f-e', 'f-d', 'f-c', 'f-b', 'f-a', 'f.pdf', 'e.md', 'd.txt', 'c.JPG', 'b.txt', 'a.png', 'G.jpg']);
    });

    it('orders by size, updated_at and created_at (id)', async () => {
      const bySize = await walk('cloudreve://my/L', 4, '&order_by=size&order_direction=desc');
      expect(bySize.names.slice(5)).toEqual(['f.pdf', 'd.txt', 'c.JPG', 'e.md', 'a.png', 'G.jpg', 'b.txt']);
      const byCreated = await walk('cloudreve://my/L', 2, '&order_by=created_at');
      expect(byCreated.names).toEqual(['f-c', 'f-a', 'f-e', 'f-b', 'f-d', 'b.txt', 'G.jpg', 'a.png', 'e.md', 'c.JPG', 'd.txt', 'f.pdf']);
      const byUpdated = await walk('cloudreve://my/L', 5, '&order_by=updated_at');
      expect(byUpdated.names.length).toBe(12);
      expect(new Set(byUpdated.names).size).toBe(12);
    });

    it('caps page_size at max_page_size, refuses 0 and bad tokens', async () => {
      const r = await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=999999`);
      expect(r.data.pagination.page_size).toBe(2000);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=0`)).code).toBe(40001);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=2&next_page_token=garbage`)).code).toBe(40001);
      const first = await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=2&order_by=name`);
      const token = first.data.pagination.next_token;
      // A token is bound to its listing: another folder or order refuses it.
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L/f-a')}&page_size=2&order_by=name&next_page_token=${enc(token)}`)).code).toBe(40001);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=2&order_by=size&next_page_token=${enc(token)}`)).code).toBe(40001);
      const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(token, 'base64').toString()), string: 'a' })).toString('base64');
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=2&order_by=name&next_page_token=${enc(tampered)}`)).code).toBe(40001);
    });

    it('refuses listing a file or a missing folder with 40016', async () => {
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L/b.txt')}&page_size=10`)).code).toBe(40016);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/nope')}&page_size=10`)).code).toBe(40016);
    });

    it('supports offset pagination when cursor pagination is off', async () => {
      await ts.server.ctx.settings.set({ use_cursor_pagination: '0' });
      try {
        const r = await c.get(`/file?uri=${enc('cloudreve://my/L')}&page_size=5&page=2&order_by=name`);
        expect(r.data.pagination).toEqual({ page: 2, page_size: 5, total_items: 12 });
        expect(r.data.files.map((f: { name: string }) => f.name)).toEqual(['e.md', 'f.pdf']);
      } finally {
        await ts.server.ctx.settings.set({ use_cursor_pagination: '1' });
      }
    });

    it('searches recursively by name, type, size, metadata and category', async () => {
      const search = async (q: string, pageSize = 50) => {
        const { names } = await walk(`cloudreve://my/L?${q}`, pageSize);
        return names.sort();
      };
      const r = await c.get(`/file?uri=${enc('cloudreve://my/L?name=txt')}&page_size=50`);
      expect(r.data.mixed_type).toBe(true);
      expect(r.data.props.order_by_options).toBeNull();
      expect(r.data.files.find((f: { name: string }) => f.name === 'notes.txt').path).toBe('cloudreve://my/L/f-b/notes.txt');
      expect(await search('name=txt')).toEqual(['b.txt', 'd.txt', 'notes.txt']);
      expect(await search('name=txt', 1)).toEqual(['b.txt', 'd.txt', 'notes.txt']);
      expect(await search('name=jpg')).toEqual(['G.jpg', 'photo.jpg']);
      expect(await search('name=JPG')).toEqual(['c.JPG']);
      expect(await search('name=jpg&case_folding')).toEqual(['G.jpg', 'c.JPG', 'photo.jpg']);
      expect(await search('name=*.JPG')).toEqual(['c.JPG']);
      expect(await search('name=a*&case_folding')).toEqual(['a.png']);
      expect(await search('name=%22.jpg%22')).toEqual(['G.jpg', 'photo.jpg']);
      expect(await search('name=b&name=txt')).toEqual(['b.txt']);
      expect(await search('name=b.txt&name=d.txt&use_or')).toEqual(['b.txt', 'd.txt']);
      expect(await search('type=folder')).toEqual(['deep', 'f-a', 'f-b', 'f-c', 'f-d', 'f-e']);
      expect(await search('size_gte=300&size_lte=500')).toEqual(['a.png', 'c.JPG', 'e.md']);
      expect(await search('size_gte=600')).toEqual(['d.txt', 'f.pdf']);
      expect(await search('meta_tag:urgent=')).toEqual(['notes.txt']);
      expect(await search('category=image')).toEqual(['G.jpg', 'a.png', 'c.JPG', 'photo.jpg']);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L?category=nope')}&page_size=10`)).code).toBe(40001);
      expect(await search('name=100%25')).toEqual([]);
      expect(await search('name=_')).toEqual([]);
    });

    it('reports recursion_limit_reached when the folder walk is bounded', async () => {
      await ts.server.ctx.settings.set({ max_recursive_searched_folder: '2' });
      try {
        const r = await c.get(`/file?uri=${enc('cloudreve://my/L?name=o')}&page_size=50`);
        expect(r.data.recursion_limit_reached).toBe(true);
      } finally {
        await ts.server.ctx.settings.set({ max_recursive_searched_folder: '65535' });
      }
    });

    it('searches the trash by restore URI', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/S/report 2024.pdf', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/S/other.pdf', type: 'file' });
      await c.delete('/file', { uris: ['cloudreve://my/S/report%202024.pdf', 'cloudreve://my/S/other.pdf'] });
      const r = await c.get(`/file?uri=${enc(`cloudreve://trash?meta_sys:restore_uri=${encodeURI('report%202024')}`)}&page_size=10`);
      expect(r.code).toBe(0);
      expect(r.data.files.map((f: { name: string }) => f.name)).toEqual(['report 2024.pdf']);
      expect(r.data.props.order_by_options).toEqual(['created_at']);
      await assertCapacityConsistent(ts, uid);
    });

    it('returns the effective view and stores per-folder views', async () => {
      const r = await c.get(`/file?uri=${enc('cloudreve://my/L')}`);
      expect(r.data.view).toMatchObject({ page_size: 100, view: 'grid', thumbnail: true, order_direction: 'asc' });
      expect((await c.patch('/file/view', { uri: 'cloudreve://my/L', view: { page_size: 50, order: 'size', order_direction: 'desc', view: 'list' } })).code).toBe(0);
      const child = await c.get(`/file?uri=${enc('cloudreve://my/L/f-a')}`);
      expect(child.data.view).toMatchObject({ page_size: 50, order: 'size', order_direction: 'desc', view: 'list' });
      const l = await c.get(`/file?uri=${enc('cloudreve://my/L')}`);
      expect(l.data.pagination.page_size).toBe(50);
      expect(l.data.files.slice(5).map((f: { name: string }) => f.name)[0]).toBe('f.pdf');
      expect((await c.patch('/file/view', { uri: 'cloudreve://my/L', view: { page_size: 10 } })).code).toBe(40001);
      expect((await c.patch('/file/view', { uri: 'cloudreve://my/L', view: { view: 'tiles' } })).code).toBe(40001);
      expect((await c.patch('/file/view', { uri: 'cloudreve://my/L', view: null })).code).toBe(0);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/L')}`)).data.view.page_size).toBe(100);
      // Trash root: stored in the user's fs_view_map.
      expect((await c.get(`/file?uri=${enc('cloudreve://trash')}`)).data.view).toMatchObject({ view: 'list' });
      expect((await c.patch('/file/view', { uri: 'cloudreve://trash', view: { view: 'grid', page_size: 60 } })).code).toBe(0);
      expect((await c.get(`/file?uri=${enc('cloudreve://trash')}`)).data.view).toMatchObject({ view: 'grid', page_size: 60 });
    });
  });
}
