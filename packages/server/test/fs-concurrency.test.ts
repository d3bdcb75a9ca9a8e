import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { addVersion, newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';

const enc = encodeURIComponent;
const N = 20;

function tally(codes: number[]): Record<number, number> {
  const t: Record<number, number> = {};
  for (const c of codes) t[c] = (t[c] ?? 0) + 1;
  return t;
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs concurrency on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let uid: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      await newUser(ts, 'admin@example.com');
      ({ c, id: uid } = await newUser(ts, 'racer@example.com'));
    });
    afterAll(async () => ts?.close());

    const children = async (uri: string) => (await c.get(`/file?uri=${enc(uri)}&page_size=500`)).data.files.map((f: { name: string }) => f.name).sort();

    it(`${N} concurrent creates of one name: exactly one wins, the rest get 40004`, async () => {
      const res = await Promise.all(Array.from({ length: N }, (_, i) =>
        c.post('/file/create', { uri: 'cloudreve://my/race/same', type: i % 2 ? 'folder' : 'file', err_on_conflict: true })));
      expect(tally(res.map((r) => r.code))).toEqual({ 0: 1, 40004: N - 1 });
      expect(await children('cloudreve://my/race')).toEqual(['same']);
      await assertCapacityConsistent(ts, uid);
    });

    it(`${N} concurrent creates under one missing parent all succeed (mkdir -p race)`, async () => {
      const res = await Promise.all(Array.from({ length: N }, (_, i) =>
        c.post('/file/create', { uri: `cloudreve://my/fresh/a/b/f${i}.txt`, type: 'file' })));
      expect(res.map((r) => r.code)).toEqual(Array(N).fill(0));
      expect((await children('cloudreve://my/fresh/a/b')).length).toBe(N);
      expect(await children('cloudreve://my/fresh')).toEqual(['a']);
    });

    it(`${N} concurrent renames to one name: exactly one wins`, async () => {
      for (let i = 0; i < N; i++) await c.post('/file/create', { uri: `cloudreve://my/ren/f${i}`, type: 'file' });
      const res = await Promise.all(Array.from({ length: N }, (_, i) =>
        c.post('/file/rename', { uri: `cloudreve://my/ren/f${i}`, new_name: 'winner' })));
      expect(tally(res.map((r) => r.code))).toEqual({ 0: 1, 40004: N - 1 });
      const names = await children('cloudreve://my/ren');
      expect(names.length).toBe(N);
      expect(names.filter((n: string) => n === 'winner').length).toBe(1);
    });

    it(`${N} concurrent moves of same-named items into one folder: exactly one wins`, async () => {
      for (let i = 0; i < N; i++) {
        await c.post('/file/create', { uri: `cloudreve://my/mv/src${i}/item`, type: 'file' });
        await addVersion(ts, uid, `cloudreve://my/mv/src${i}/item`, 10);
      }
      await c.post('/file/create', { uri: 'cloudreve://my/mv/dst', type: 'folder' });
      const res = await Promise.all(Array.from({ length: N }, (_, i) =>
        c.post('/file/move', { uris: [`cloudreve://my/mv/src${i}/item`], dst: 'cloudreve://my/mv/dst' })));
      expect(tally(res.map((r) => r.code))).toEqual({ 0: 1, 40004: N - 1 });
      expect(await children('cloudreve://my/mv/dst')).toEqual(['item']);
      let remaining = 0;
      for (let i = 0; i < N; i++) remaining += (await children(`cloudreve://my/mv/src${i}`)).length;
      expect(remaining).toBe(N - 1);
      await assertCapacityConsistent(ts, uid);
    });

    it(`${N} concurrent copies into one folder: one wins, capacity charged once`, async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/cp/src/blob', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/cp/src/blob', 1234);
      const before = await assertCapacityConsistent(ts, uid);
      const res = await Promise.all(Array.from({ length: N }, () =>
        c.post('/file/move', { uris: ['cloudreve://my/cp/src'], dst: 'cloudreve://my/cp/dst', copy: true })));
      // The destination does not exist yet for anyone: 40016 for all.
      expect(tally(res.map((r) => r.code))).toEqual({ 40016: N });
      await c.post('/file/create', { uri: 'cloudreve://my/cp/dst', type: 'folder' });
      const res2 = await Promise.all(Array.from({ length: N }, () =>
        c.post('/file/move', { uris: ['cloudreve://my/cp/src'], dst: 'cloudreve://my/cp/dst', copy: true })));
      expect(tally(res2.map((r) => r.code))).toEqual({ 0: 1, 40004: N - 1 });
      expect(await assertCapacityConsistent(ts, uid)).toBe(before + 1234);
    });

    it(`${N} concurrent deletes of one file: one succeeds, the tree stays consistent`, async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/del/x', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/del/x', 77);
      const res = await Promise.all(Array.from({ length: N }, (_, i) =>
        c.delete('/file', { uris: ['cloudreve://my/del/x'], skip_soft_delete: i % 2 === 0 })));
      expect(res.filter((r) => r.code === 0).length).toBe(1);
      for (const r of res.filter((x) => x.code !== 0)) expect(r.aggregated_error!['cloudreve://my/del/x']!.code).toBe(40016);
      await assertCapacityConsistent(ts, uid);
    });
  });
}
