import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { addVersion, newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';
import { runCli } from '../src/cli/cli.ts';
import { recalculate, reserve } from '../src/fs/capacity.ts';
import { collectTrash } from '../src/fs/trash-collector.ts';

const enc = encodeURIComponent;
const MB = 1024 * 1024;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`fs capacity on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let c: Client;
    let admin: Client;
    let uid: number;
    let adminId: number;
    beforeAll(async () => {
      ts = await startServer(backend);
      ({ c: admin, id: adminId } = await newUser(ts, 'admin@example.com'));
      ({ c, id: uid } = await newUser(ts, 'quota@example.com'));
    });
    afterAll(async () => ts?.close());

    const used = async (cl: Client) => (await cl.get('/user/capacity')).data.used as number;

    it('refuses a copy over quota with 40051 and changes nothing', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/big/movie.mkv', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/big/movie.mkv', 600 * MB);
      await c.post('/file/create', { uri: 'cloudreve://my/copies', type: 'folder' });
      const before = await assertCapacityConsistent(ts, uid);
      expect(await used(c)).toBe(before);
      const r = await c.post('/file/move', { uris: ['cloudreve://my/big'], dst: 'cloudreve://my/copies', copy: true });
      expect(r.code).toBe(40051);
      expect((await c.get(`/file?uri=${enc('cloudreve://my/copies')}&page_size=10`)).data.files).toEqual([]);
      expect(await assertCapacityConsistent(ts, uid)).toBe(before);
      // A direct reservation over the limit fails too, atomically.
      await expect(ts.server.ctx.db.kysely.transaction().execute((trx) => reserve(trx, uid, 500 * MB))).rejects.toMatchObject({ code: 40051 });
      await assertCapacityConsistent(ts, uid);
    });

    it('trash keeps the charge; permanent delete and version deletion free it', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/v/doc.txt', type: 'file' });
      const v1 = await addVersion(ts, uid, 'cloudreve://my/v/doc.txt', 1000);
      await addVersion(ts, uid, 'cloudreve://my/v/doc.txt', 2000);
      const base = await assertCapacityConsistent(ts, uid);
      const info = await c.get(`/file/info?uri=${enc('cloudreve://my/v/doc.txt')}&extended=true`);
      expect(info.data.size).toBe(2000);
      expect(info.data.extended_info.storage_used).toBe(3000);
      expect(info.data.extended_info.entities.map((e: { size: number }) => e.size)).toEqual([2000, 1000]);
      const v1Hash = ts.server.ctx.hashids.encode(v1, 8);
      // Current version cannot be deleted; an old one can.
      expect((await c.delete('/file/version', { uri: 'cloudreve://my/v/doc.txt', version: info.data.primary_entity })).code).toBe(403);
      expect((await c.post('/file/version/current', { uri: 'cloudreve://my/v/doc.txt', version: v1Hash })).code).toBe(0);
      expect((await c.get(`/file/info?uri=${enc('cloudreve://my/v/doc.txt')}`)).data.size).toBe(1000);
      expect((await c.post('/file/version/current', { uri: 'cloudreve://my/v/doc.txt', version: v1Hash })).code).toBe(0);
      const v2Hash = info.data.primary_entity;
      expect((await c.delete('/file/version', { uri: 'cloudreve://my/v/doc.txt', version: v2Hash })).code).toBe(0);
      expect(await assertCapacityConsistent(ts, uid)).toBe(base - 2000);
      expect((await c.delete('/file/version', { uri: 'cloudreve://my/v/doc.txt', version: v2Hash })).code).toBe(40077);
      expect((await c.delete('/file/version', { uri: 'cloudreve://my/v/doc.txt', version: 'zzz' })).code).toBe(40001);
      expect((await c.post('/file/version/current', { uri: 'cloudreve://my/v', version: v1Hash })).code).toBe(403);

      await c.delete('/file', { uris: ['cloudreve://my/v'] });
      expect(await assertCapacityConsistent(ts, uid)).toBe(base - 2000);
      const trash = await c.get(`/file?uri=${enc('cloudreve://trash')}&page_size=50`);
      const item = trash.data.files.find((f: { name: string }) => f.name === 'v');
      expect((await c.delete('/file', { uris: [item.path], skip_soft_delete: true })).code).toBe(0);
      expect(await assertCapacityConsistent(ts, uid)).toBe(base - 3000);
    });

    it('unlink (advanced delete) drops entity rows at once', async () => {
      await admin.post('/file/create', { uri: 'cloudreve://my/u/f.bin', type: 'file' });
      const id = await addVersion(ts, adminId, 'cloudreve://my/u/f.bin', 4321);
      expect((await admin.delete('/file', { uris: ['cloudreve://my/u'], unlink: true })).code).toBe(0);
      expect(await ts.server.ctx.db.kysely.selectFrom('entities').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
      await assertCapacityConsistent(ts, adminId);
    });

    it('enforces max_walked_files with 40079 on permanent delete and copy', async () => {
      for (let i = 0; i < 5; i++) await c.post('/file/create', { uri: `cloudreve://my/walk/f${i}`, type: 'file' });
      const k = ts.server.ctx.db.kysely;
      const group = await k.selectFrom('groups').select('settings').where('id', '=', 2).executeTakeFirstOrThrow();
      const s = JSON.parse(group.settings);
      await k.updateTable('groups').set({ settings: JSON.stringify({ ...s, max_walked_files: 3 }) }).where('id', '=', 2).execute();
      try {
        const del = await c.delete('/file', { uris: ['cloudreve://my/walk'], skip_soft_delete: true });
        expect(del.aggregated_error!['cloudreve://my/walk']!.code).toBe(40079);
        expect((await c.post('/file/move', { uris: ['cloudreve://my/walk'], dst: 'cloudreve://my/copies', copy: true })).code).toBe(40079);
        const sum = await c.get(`/file/info?uri=${enc('cloudreve://my/walk')}&folder_summary=true`);
        expect(sum.data.folder_summary).toMatchObject({ completed: false });
        // Soft delete does not walk.
        expect((await c.delete('/file', { uris: ['cloudreve://my/walk'] })).code).toBe(0);
      } finally {
        await k.updateTable('groups').set({ settings: group.settings }).where('id', '=', 2).execute();
      }
      await assertCapacityConsistent(ts, uid);
    });

    it('collects expired trash items and frees their space', async () => {
      await c.post('/file/create', { uri: 'cloudreve://my/old/x.bin', type: 'file' });
      await addVersion(ts, uid, 'cloudreve://my/old/x.bin', 999);
      await c.post('/file/create', { uri: 'cloudreve://my/fresh.bin', type: 'file' });
      await c.delete('/file', { uris: ['cloudreve://my/old', 'cloudreve://my/fresh.bin'] });
      const before = await assertCapacityConsistent(ts, uid);
      const k = ts.server.ctx.db.kysely;
      const trash = await c.get(`/file?uri=${enc('cloudreve://trash')}&page_size=50`);
      const old = trash.data.files.find((f: { name: string }) => f.name === 'old');
      const oldId = ts.server.ctx.hashids.decode(old.id, 2)!;
      await k.updateTable('metadata').set({ value: String(Math.floor(Date.now() / 1000) - 10) })
        .where('file_id', '=', oldId).where('name', '=', 'sys:expected_collect_time').execute();
      expect(await collectTrash(ts.server.ctx)).toBeGreaterThanOrEqual(1);
      const after = await c.get(`/file?uri=${enc('cloudreve://trash')}&page_size=50`);
      const names = after.data.files.map((f: { name: string }) => f.name);
      expect(names).not.toContain('old');
      expect(names).toContain('fresh.bin');
      expect(await assertCapacityConsistent(ts, uid)).toBe(before - 999);
    });

    it('recalculates drifted storage (user calibrate)', async () => {
      const real = await assertCapacityConsistent(ts, uid);
      await ts.server.ctx.db.kysely.updateTable('users').set({ storage: real + 12345 }).where('id', '=', uid).execute();
      if (backend.db === 'sqlite') {
        const lines: string[] = [];
        // Works with both CLI output signatures (a line callback, or an {out, err} object).
        const io = (sink: string[]) => Object.assign((l: string) => void sink.push(l), { out: (l: string) => void sink.push(l), err: (l: string) => void sink.push(l) });
        expect(await runCli(ts.cfg, ['user', 'calibrate', 'quota@example.com'], io(lines))).toBe(0);
        expect(lines.join('\n')).toContain(`${real + 12345} → ${real} bytes (drift +12345)`);
        const again: string[] = [];
        await runCli(ts.cfg, ['user', 'calibrate', 'quota@example.com'], io(again));
        expect(again.join('\n')).toContain('is consistent');
        expect(await runCli(ts.cfg, ['user', 'calibrate', 'nobody@example.com'], io([]))).toBe(1);
      } else {
        expect(await recalculate(ts.server.ctx, uid)).toEqual({ userId: uid, before: real + 12345, after: real, drift: 12345 });
      }
      await assertCapacityConsistent(ts, uid);
    });
  });
}
