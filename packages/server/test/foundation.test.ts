import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`foundation on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    beforeAll(async () => {
      ts = await startServer(backend);
    });
    afterAll(async () => ts?.close());

    it('answers ping with a version', async () => {
      const r = await ts.client().get('/site/ping');
      expect(r).toEqual({ code: 0, data: '4.0.0', msg: '' });
    });

    it('makes the first account an administrator and the second a normal user', async () => {
      const c = ts.client();
      const first = await c.post('/user', { email: 'First@Example.com', password: 'secret123' });
      expect(first.code).toBe(0);
      expect(first.data.email).toBe('first@example.com');
      expect(first.data.group.name).toBe('Admin');
      const second = await c.post('/user', { email: 'second@example.com', password: 'secret123' });
      expect(second.data.group.name).toBe('User');
      const dup = await c.post('/user', { email: 'second@example.com', password: 'secret123' });
      expect(dup.code).toBe(40032);
    });

    it('stores names that differ only by case side by side', async () => {
      const k = ts.server.ctx.db.kysely;
      const now = Date.now();
      const row = { type: 0, owner_id: 1, parent_id: 999, size: 0, primary_entity: null, storage_policy_id: 1, props: null, created_at: now, updated_at: now };
      await k.insertInto('files').values({ ...row, name: 'A.txt' }).execute();
      await k.insertInto('files').values({ ...row, name: 'a.txt' }).execute();
      await k.insertInto('files').values({ ...row, name: 'Ä.txt' }).execute();
      await expect(k.insertInto('files').values({ ...row, name: 'A.txt' }).execute()).rejects.toThrow();
      const names = (await k.selectFrom('files').select('name').where('parent_id', '=', 999).where('name', '=', 'a.txt').execute()).map((r) => r.name);
      expect(names).toEqual(['a.txt']);
    });
  });
}
