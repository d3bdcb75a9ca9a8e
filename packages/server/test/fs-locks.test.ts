import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';
import { fileManager } from '../src/fs/core.ts';
import { LockService } from '../src/fs/locks.ts';
import { RedisKV } from '../src/kv/redis.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs locks on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let bob: Client;
    let uid: number;
    let bobId: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      await newUser(ts, 'admin@example.com');
      ({ c, id: uid } = await newUser(ts, 'locker@example.com'));
      ({ c: bob, id: bobId } = await newUser(ts, 'bob@example.com'));
      await c.post('/file/create', { uri: 'cloudreve://my/lk/sub/a.txt', type: 'file' });
      await c.post('/file/create', { uri: 'cloudreve://my/lk/b.txt', type: 'file' });
    });
    afterAll(async () => ts?.close());

    const davLock = (path: string[], ttlSeconds = 60, depth: 0 | 'infinity' = 0) =>
      fileManager(ts.server.ctx).locks.acquire(uid, uid, [{ path, depth, app: 'dav', uri: `cloudreve://${path.map(enc).join('/')}`, innerXml: '<owner/>' }], { ttlSeconds, waitMs: 0 });

    it('a long-lived lock blocks rename, delete, move and descendant-covering operations with 40073', async () => {
      const lock = await davLock(['my', 'lk', 'sub', 'a.txt']);
      const rn = await c.post('/file/rename', { uri: 'cloudreve://my/lk/sub/a.txt', new_name: 'z.txt' });
      expect(rn.code).toBe(40073);
      expect(rn.data).toEqual([{ path: 'cloudreve://my/lk/sub/a.txt', token: lock.tokens[0], owner: { application: { type: 'dav', inner_xml: '<owner/>' } }, type: 0 }]);
      // Deleting / moving / renaming an ancestor covers the locked file.
      expect((await c.delete('/file', { uris: ['cloudreve://my/lk/sub'] })).code).toBe(40073);
      expect((await c.delete('/file', { uris: ['cloudreve://my/lk'], skip_soft_delete: true })).code).toBe(40073);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/lk/sub', new_name: 'sub2' })).code).toBe(40073);
      expect((await c.post('/file/move', { uris: ['cloudreve://my/lk/sub'], dst: 'cloudreve://my' })).code).toBe(40073);
      expect((await c.patch('/file/metadata', { uris: ['cloudreve://my/lk/sub/a.txt'], patches: [{ key: 'tag:x', value: '' }] })).code).toBe(40073);
      // Siblings are unaffected.
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/lk/b.txt', new_name: 'c.txt' })).code).toBe(0);
      expect((await c.post('/file/create', { uri: 'cloudreve://my/lk/sub/other.txt', type: 'file' })).code).toBe(0);

      // Someone else cannot release it; the owner can (force unlock).
      expect((await bob.delete('/file/lock', { tokens: lock.tokens })).code).toBe(40001);
      expect((await c.delete('/file/lock', { tokens: ['00000000-0000-0000-0000-000000000000'] })).code).toBe(40001);
      expect((await c.delete('/file/lock', { tokens: lock.tokens })).code).toBe(0);
      expect((await c.post('/file/rename', { uri: 'cloudreve://my/lk/sub/a.txt', new_name: 'z.txt' })).code).toBe(0);
      void bobId;
    });

    it('an infinite-depth folder lock blocks creates inside it; expiry frees it', async () => {
      await davLock(['my', 'lk', 'sub'], 1, 'infinity');
      const r = await c.post('/file/create', { uri: 'cloudreve://my/lk/sub/new.txt', type: 'file' });
      expect(r.code).toBe(40073);
      expect(r.data[0].owner.application.type).toBe('dav');
      await new Promise((res) => setTimeout(res, 1300));
      expect((await c.post('/file/create', { uri: 'cloudreve://my/lk/sub/new.txt', type: 'file' })).code).toBe(0);
    });

    it('waits for short-lived operation locks instead of failing', async () => {
      const locks = fileManager(ts.server.ctx).locks;
      const h = await locks.acquire(uid, uid, [{ path: ['my', 'lk', 'sub', 'z.txt'], depth: 0, app: 'rename' }], { ttlSeconds: 30 });
      const started = Date.now();
      setTimeout(() => void h.release(), 300);
      const r = await c.post('/file/rename', { uri: 'cloudreve://my/lk/sub/z.txt', new_name: 'y.txt' });
      expect(r.code).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('lock service: hierarchy, shared locks, tokens, refresh and listing', async () => {
      const locks = fileManager(ts.server.ctx).locks;
      const ns = 987654;
      const a = await locks.acquire(ns, 1, [{ path: ['my', 'x'], depth: 'infinity', app: 'dav', shared: true }], { ttlSeconds: 30, waitMs: 0 });
      const b = await locks.acquire(ns, 2, [{ path: ['my', 'x'], depth: 0, app: 'dav', shared: true }], { ttlSeconds: 30, waitMs: 0 });
      await expect(locks.acquire(ns, 3, [{ path: ['my', 'x', 'y'], depth: 0, app: 'dav' }], { ttlSeconds: 30, waitMs: 0 })).rejects.toMatchObject({ code: 40073 });
      // Holding the conflicting tokens lifts the conflict.
      const c2 = await locks.acquire(ns, 1, [{ path: ['my', 'x', 'y'], depth: 0, app: 'upload' }], { ttlSeconds: 30, waitMs: 0, tokens: [...a.tokens, ...b.tokens] });
      expect((await locks.list(ns, ['my', 'x'])).length).toBe(3);
      await expect(locks.confirm(ns, 9, [{ path: ['my', 'x', 'y'], depth: 0, app: 'rename' }])).rejects.toMatchObject({ code: 40073 });
      await locks.confirm(ns, 9, [{ path: ['my', 'other'], depth: 0, app: 'rename' }]);
      const refreshed = await locks.refresh(a.tokens[0]!, 120);
      expect(refreshed.expiresAt).toBeGreaterThan(Date.now() + 100_000);
      await a.release();
      await b.release();
      await c2.release();
      expect(await locks.list(ns)).toEqual([]);
      await expect(locks.refresh(a.tokens[0]!, 10)).rejects.toMatchObject({ code: 40075 });
    });

    // Only meaningful where the KV is Redis; the other backends do not define it.
    if (backend.redis) it('holds across instances sharing Redis', async () => {
      const ns = (ts.server.ctx.kv as unknown as { ns: string }).ns;
      const other = await RedisKV.connect({ server: '127.0.0.1:6379', namespace: ns });
      try {
        const locks2 = new LockService(other);
        const h = await locks2.acquire(uid, uid, [{ path: ['my', 'lk', 'sub'], depth: 'infinity', app: 'dav' }], { ttlSeconds: 30, waitMs: 0 });
        expect((await c.delete('/file', { uris: ['cloudreve://my/lk/sub'] })).code).toBe(40073);
        await h.release();
        expect((await c.delete('/file', { uris: ['cloudreve://my/lk/sub'] })).code).toBe(0);
      } finally {
        await other.close();
      }
    });
  });
}
