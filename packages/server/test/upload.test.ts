import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { createSession, downloadPath, fetchBytes, putChunk, rawRequest, setPolicy, sha256, uploadFile } from './helpers/transfer.ts';
import { sweepUploads } from '../src/transfer/sweeper.ts';
import { drainEntities, recycleEntities } from '../src/transfer/recycler.ts';

const enc = encodeURIComponent;

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`uploads on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let admin: Client;
    let alice: Client;
    let bob: Client;
    const userId = async (email: string) => Number((await ts.server.ctx.db.kysely.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id);
    const used = async (c: Client) => (await c.get('/user/capacity')).data.used as number;
    const tempFiles = () => {
      const dir = path.join(ts.dataDir, 'temp', 'uploads');
      return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    };
    const list = async (c: Client, uri: string) => (await c.get(`/file?uri=${enc(uri)}`)).data?.files as any[];

    beforeAll(async () => {
      ts = await startServer(backend);
      admin = ts.client();
      await admin.signUpAndIn('admin@example.com');
      alice = ts.client();
      await alice.signUpAndIn('alice@example.com');
      bob = ts.client();
      await bob.signUpAndIn('bob@example.com');
      await setPolicy(ts, { chunk_size: 1000 });
    });
    afterAll(async () => ts?.close());

    it('uploads a file in chunks out of order, with a re-sent chunk, and commits when the last one arrives', async () => {
      const data = randomBytes(2500);
      const s = await createSession(alice, 'cloudreve://my/docs/new/report.bin', data.length, { last_modified: 1700000000000 });
      expect(s.code).toBe(0);
      expect(s.data).toMatchObject({ upload_id: '', chunk_size: 1000, uri: 'cloudreve://my/docs/new/report.bin' });
      expect(s.data.session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.data.callback_secret).toHaveLength(32);
      expect(s.data.expires).toBeGreaterThan(Date.now() / 1000);
      expect(s.data.storage_policy).toMatchObject({ type: 'local', max_size: 0 });
      // Placeholder: visible as uploading, size 0, quota already charged.
      const before = (await list(alice, 'cloudreve://my/docs/new')).find((f) => f.name === 'report.bin');
      expect(before).toMatchObject({ size: 0, metadata: { 'sys:upload_session_id': s.data.session_id } });
      expect(await used(alice)).toBe(2500);
      const sid = s.data.session_id;
      expect((await putChunk(alice, sid, 2, data.subarray(2000))).code).toBe(0);
      expect((await putChunk(alice, sid, 0, randomBytes(1000))).code).toBe(0);
      expect((await list(alice, 'cloudreve://my/docs/new')).find((f) => f.name === 'report.bin').size).toBe(0);
      expect((await putChunk(alice, sid, 0, data.subarray(0, 1000))).code).toBe(0);
      expect((await putChunk(alice, sid, 1, data.subarray(1000, 2000))).code).toBe(0);
      const after = (await list(alice, 'cloudreve://my/docs/new')).find((f) => f.name === 'report.bin');
      expect(after.size).toBe(2500);
      expect(after.metadata['sys:upload_session_id']).toBeUndefined();
      expect(after.updated_at).toMatch(/^2023-11-14/);
      const got = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/docs/new/report.bin'));
      expect(got.status).toBe(200);
      expect(got.body.equals(data)).toBe(true);
      expect(await used(alice)).toBe(2500);
      const entity = await ts.server.ctx.db.kysely.selectFrom('entities').selectAll().where('source', 'like', '%report.bin').executeTakeFirstOrThrow();
      expect(JSON.parse(entity.props!).sha256).toBe(sha256(data));
      expect(entity.upload_session_id).toBeNull();
      expect(await ts.server.ctx.db.kysely.selectFrom('upload_sessions').select('id').where('id', '=', sid).executeTakeFirst()).toBeUndefined();
      expect(tempFiles()).not.toContain(`${sid}.part`);
    });

    it('records the SHA-256 from the stream when chunks arrive in order, and accepts a matching Content-Digest', async () => {
      const data = randomBytes(1800);
      const s = await createSession(alice, 'cloudreve://my/ordered.bin', data.length);
      const digest = (b: Buffer) => `sha-256=:${Buffer.from(sha256(b), 'hex').toString('base64')}:`;
      expect((await putChunk(alice, s.data.session_id, 0, data.subarray(0, 1000), { 'content-digest': digest(data.subarray(0, 1000)) })).code).toBe(0);
      expect((await putChunk(alice, s.data.session_id, 1, data.subarray(1000), { 'content-digest': `md5=:AAAA:, ${digest(data.subarray(1000))}` })).code).toBe(0);
      const entity = await ts.server.ctx.db.kysely.selectFrom('entities').selectAll().where('source', 'like', '%ordered.bin').executeTakeFirstOrThrow();
      expect(JSON.parse(entity.props!).sha256).toBe(sha256(data));
    });

    it('refuses to commit chunks stored before an OS restart (they were never fsynced) and commits once they are sent again', async () => {
      const data = randomBytes(2500);
      const s = await createSession(alice, 'cloudreve://my/after-crash.bin', data.length);
      const sid = s.data.session_id;
      expect((await putChunk(alice, sid, 0, data.subarray(0, 1000))).code).toBe(0);
      expect((await putChunk(alice, sid, 1, data.subarray(1000, 2000))).code).toBe(0);
      // As if chunk 0 had been written during an earlier boot of the machine.
      await ts.server.ctx.db.kysely.updateTable('upload_chunks').set({ write_id: 'aaaaaaaaaaaa.earlier-boot' })
        .where('session_id', '=', sid).where('idx', '=', 0).execute();
      const last = await putChunk(alice, sid, 2, data.subarray(2000));
      expect(last.code).toBe(50004);
      expect(last.msg).toMatch(/chunks 0 .*upload them again/);
      expect((await list(alice, 'cloudreve://my')).find((f) => f.name === 'after-crash.bin').size).toBe(0);
      // The session is still open: re-sending the forgotten chunk completes the upload.
      expect((await putChunk(alice, sid, 0, data.subarray(0, 1000))).code).toBe(0);
      expect((await list(alice, 'cloudreve://my')).find((f) => f.name === 'after-crash.bin').size).toBe(2500);
      expect((await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/after-crash.bin'))).body.equals(data)).toBe(true);
    });

    it('refuses a chunk whose Content-Digest does not match (40055) and does not count it', async () => {
      const data = randomBytes(1500);
      const s = await createSession(alice, 'cloudreve://my/digest.bin', data.length);
      const wrong = `sha-256=:${Buffer.alloc(32).toString('base64')}:`;
      const r = await putChunk(alice, s.data.session_id, 1, data.subarray(1000), { 'content-digest': wrong });
      expect(r.code).toBe(40055);
      expect(r.msg).toMatch(/digest/i);
      expect((await putChunk(alice, s.data.session_id, 0, data.subarray(0, 1000))).code).toBe(0);
      expect((await list(alice, 'cloudreve://my')).find((f) => f.name === 'digest.bin').size).toBe(0); // not committed
      expect((await putChunk(alice, s.data.session_id, 1, data.subarray(1000), { 'content-digest': 'sha-256=:bad' })).code).toBe(40001);
      expect((await putChunk(alice, s.data.session_id, 1, data.subarray(1000))).code).toBe(0);
      const got = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/digest.bin'));
      expect(got.body.equals(data)).toBe(true);
    });

    it('refuses a bad chunk index (40012) and a wrong length (40013)', async () => {
      const s = await createSession(alice, 'cloudreve://my/idx.bin', 1500);
      const sid = s.data.session_id;
      expect((await putChunk(alice, sid, 2, Buffer.alloc(500))).code).toBe(40012);
      expect((await putChunk(alice, sid, 0, Buffer.alloc(999))).code).toBe(40013);
      const short = await putChunk(alice, sid, 1, Buffer.alloc(1000));
      expect(short).toMatchObject({ code: 40013, msg: 'Invalid Content-Length (expected: 500)' });
      const one = await createSession(alice, 'cloudreve://my/one.bin', 10);
      expect(one.data.chunk_size).toBe(0);
      expect((await putChunk(alice, one.data.session_id, 1, Buffer.alloc(10))).code).toBe(40012);
      // A streamed body longer than its X-Expected-Entity-Length is cut off and refused.
      const over = await rawRequest(ts, {
        method: 'POST', path: `/api/v4/file/upload/${sid}/1`,
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', 'x-expected-entity-length': '500' },
        chunks: [Buffer.alloc(400), Buffer.alloc(400)],
      });
      expect(JSON.parse(over.body).code).toBe(40013);
      const missing = await rawRequest(ts, {
        method: 'POST', path: `/api/v4/file/upload/${sid}/1`,
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        chunks: [Buffer.alloc(500)],
      });
      expect(JSON.parse(missing.body).code).toBe(40013);
      const fewer = await rawRequest(ts, {
        method: 'POST', path: `/api/v4/file/upload/${sid}/1`,
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', 'x-expected-entity-length': '500' },
        chunks: [Buffer.alloc(300)],
      });
      expect(JSON.parse(fewer.body).code).toBe(50004);
    });

    it('refuses chunks for an expired session, another user\'s session and an unknown session (40011)', async () => {
      const s = await createSession(alice, 'cloudreve://my/exp.bin', 10);
      expect((await putChunk(bob, s.data.session_id, 0, Buffer.alloc(10))).code).toBe(40011);
      const anon = ts.client();
      expect((await putChunk(anon, s.data.session_id, 0, Buffer.alloc(10))).code).toBe(40011);
      expect((await putChunk(alice, '6f1c0c4e-0000-4000-8000-000000000000', 0, Buffer.alloc(10))).code).toBe(40011);
      await ts.server.ctx.db.kysely.updateTable('upload_sessions').set({ expires_at: Date.now() - 1000 }).where('id', '=', s.data.session_id).execute();
      expect((await putChunk(alice, s.data.session_id, 0, Buffer.alloc(10))).code).toBe(40011);
    });

    it('validates the session request: name 40052, extension 40052, size 40049, login 401, metadata 40001, live photo 40016', async () => {
      expect((await createSession(alice, 'cloudreve://my/bad*name.txt', 1)).code).toBe(40052);
      expect((await createSession(alice, 'cloudreve://my/x.txt', 1, { policy_id: 'not-a-hashid' })).code).toBe(40001);
      expect((await createSession(alice, 'cloudreve://my/x.txt', 1, { metadata: { nokey: 'v' } })).code).toBe(40001);
      expect((await createSession(alice, 'cloudreve://my/x.txt', -1)).code).toBe(40001);
      expect((await createSession(alice, 'cloudreve://my/nothere.jpg', 1, { entity_type: 'live_photo' })).code).toBe(40016);
      expect((await createSession(ts.client(), 'cloudreve://my/x.txt', 1)).code).toBe(401);
      await setPolicy(ts, { file_type: ['jpg', 'png'] });
      try {
        const r = await createSession(alice, 'cloudreve://my/x.exe', 1);
        expect(r.code).toBe(40052);
        expect((await createSession(alice, 'cloudreve://my/ok.JPG', 1)).code).toBe(0);
      } finally {
        await setPolicy(ts, { file_type: [] });
      }
      await setPolicy(ts, {}, { max_size: 100 });
      try {
        expect((await createSession(alice, 'cloudreve://my/big.bin', 101)).code).toBe(40049);
        expect((await createSession(alice, 'cloudreve://my/fits.bin', 100)).code).toBe(0);
      } finally {
        await setPolicy(ts, {}, { max_size: 0 });
      }
    });

    it('refuses an upload over quota (40051) and never oversubscribes under concurrent session creation', async () => {
      const carol = ts.client();
      await carol.signUpAndIn('carol@example.com');
      const k = ts.server.ctx.db.kysely;
      const carolId = await userId('carol@example.com');
      // Carol gets her own group with a 10 000-byte quota.
      const g = await k.selectFrom('groups').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
      const { id: _id, ...rest } = g;
      await k.insertInto('groups').values({ ...rest, name: 'Small', max_storage: 10_000 }).execute();
      const small = await k.selectFrom('groups').select('id').where('name', '=', 'Small').executeTakeFirstOrThrow();
      await k.updateTable('users').set({ group_id: Number(small.id) }).where('id', '=', carolId).execute();
      expect((await createSession(carol, 'cloudreve://my/huge.bin', 10_001)).code).toBe(40051);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => createSession(carol, `cloudreve://my/c${i}.bin`, 3000)));
      const okCount = results.filter((r) => r.code === 0).length;
      expect(okCount).toBe(3);
      expect(results.filter((r) => r.code !== 0).every((r) => r.code === 40051)).toBe(true);
      expect(await used(carol)).toBe(9000);
      const files = await list(carol, 'cloudreve://my');
      expect(files.length).toBe(3); // refused sessions leave no placeholder behind
    });

    it('refuses a second upload of the same target while one is in flight (40054) and an existing file without overwrite (40004)', async () => {
      const s = await createSession(alice, 'cloudreve://my/same.txt', 5);
      expect(s.code).toBe(0);
      const again = await createSession(alice, 'cloudreve://my/same.txt', 5);
      expect(again.code).toBe(40054);
      const version = await createSession(alice, 'cloudreve://my/same.txt', 5, { entity_type: 'version' });
      expect(version.code).toBe(40054);
      const racers = await Promise.all(Array.from({ length: 5 }, () => createSession(alice, 'cloudreve://my/race.txt', 5)));
      expect(racers.filter((r) => r.code === 0)).toHaveLength(1);
      expect(racers.filter((r) => r.code !== 0).every((r) => r.code === 40054 || r.code === 40004)).toBe(true);
      await putChunk(alice, s.data.session_id, 0, Buffer.from('first'));
      expect((await createSession(alice, 'cloudreve://my/same.txt', 5)).code).toBe(40004);
      expect((await createSession(alice, 'cloudreve://my', 5)).code).toBe(40004);
      expect((await createSession(alice, 'cloudreve://my/docs', 5, { entity_type: 'version' })).code).toBe(40004);
    });

    it('overwrites as a new version, keeps old versions per retention, and can download the old one by entity', async () => {
      await uploadFile(alice, 'cloudreve://my/v.txt', Buffer.from('one'));
      const before = await used(alice);
      await uploadFile(alice, 'cloudreve://my/v.txt', Buffer.from('second'), { entity_type: 'version' });
      expect(await used(alice)).toBe(before + 6);
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/v.txt')}&extended=true`);
      expect(info.data.size).toBe(6);
      const versions = info.data.extended_info.entities.filter((e: any) => e.type === 0);
      expect(versions).toHaveLength(2);
      const old = versions.find((e: any) => e.size === 3);
      const got = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/v.txt', { entity: old.id }));
      expect(got.body.toString()).toBe('one');
      expect((await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/v.txt'))).body.toString()).toBe('second');
      // With retention off only the newest version is kept; the old blob is recycled.
      const uid = await userId('alice@example.com');
      const k = ts.server.ctx.db.kysely;
      const u = await k.selectFrom('users').select('settings').where('id', '=', uid).executeTakeFirstOrThrow();
      await k.updateTable('users').set({ settings: JSON.stringify({ ...JSON.parse(u.settings), version_retention: false }) }).where('id', '=', uid).execute();
      const usedBefore = await used(alice);
      await uploadFile(alice, 'cloudreve://my/v.txt', Buffer.from('third!!'), { entity_type: 'version' });
      const after = await alice.get(`/file/info?uri=${enc('cloudreve://my/v.txt')}&extended=true`);
      expect(after.data.extended_info.entities.filter((e: any) => e.type === 0)).toHaveLength(1);
      expect(await used(alice)).toBe(usedBefore - 3 - 6 + 7);
      await k.updateTable('users').set({ settings: u.settings }).where('id', '=', uid).execute();
    });

    it('cancels a session: placeholder file removed, quota returned, upload data deleted; another user gets 404', async () => {
      const start = await used(alice);
      const s = await createSession(alice, 'cloudreve://my/cancel/me.bin', 2000);
      await putChunk(alice, s.data.session_id, 0, Buffer.alloc(1000));
      expect(tempFiles()).toContain(`${s.data.session_id}.part`);
      expect(await used(alice)).toBe(start + 2000);
      expect((await bob.delete('/file/upload', { id: s.data.session_id, uri: 'cloudreve://my/cancel/me.bin' })).code).toBe(40016);
      expect((await alice.delete('/file/upload', { id: s.data.session_id, uri: 'cloudreve://my/cancel' })).code).toBe(404);
      expect((await alice.delete('/file/upload', { id: s.data.session_id, uri: 'cloudreve://my/cancel/me.bin' })).code).toBe(0);
      expect(await used(alice)).toBe(start);
      expect(await list(alice, 'cloudreve://my/cancel')).toEqual([]);
      expect(tempFiles()).not.toContain(`${s.data.session_id}.part`);
      expect((await putChunk(alice, s.data.session_id, 1, Buffer.alloc(1000))).code).toBe(40011);
      // Cancelling a new-version upload keeps the file and its current version.
      await uploadFile(alice, 'cloudreve://my/keep.txt', Buffer.from('keep'));
      const v = await createSession(alice, 'cloudreve://my/keep.txt', 10, { entity_type: 'version' });
      expect((await alice.delete('/file/upload', { id: v.data.session_id, uri: 'cloudreve://my/keep.txt' })).code).toBe(0);
      expect((await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/keep.txt'))).body.toString()).toBe('keep');
    });

    it('sweeps expired sessions with their upload data and reserved quota', async () => {
      const start = await used(bob);
      const s = await createSession(bob, 'cloudreve://my/stale.bin', 1500);
      await putChunk(bob, s.data.session_id, 0, Buffer.alloc(1000));
      expect(await used(bob)).toBe(start + 1500);
      await ts.server.ctx.db.kysely.updateTable('upload_sessions').set({ expires_at: Date.now() - 1 }).where('id', '=', s.data.session_id).execute();
      const r = await sweepUploads(ts.server.ctx);
      expect(r.expired).toBeGreaterThanOrEqual(1);
      expect(await used(bob)).toBe(start);
      expect(tempFiles()).not.toContain(`${s.data.session_id}.part`);
      expect((await list(bob, 'cloudreve://my')).find((f) => f.name === 'stale.bin')).toBeUndefined();
      // The same name can be uploaded again.
      await uploadFile(bob, 'cloudreve://my/stale.bin', Buffer.from('fresh'));
    });

    it('recycles the blob once a permanently deleted file\'s entity reaches reference count 0', async () => {
      await uploadFile(bob, 'cloudreve://my/gone.bin', Buffer.from('bye'));
      const k = ts.server.ctx.db.kysely;
      const e = await k.selectFrom('entities').selectAll().where('source', 'like', '%gone.bin').executeTakeFirstOrThrow();
      const blob = path.join(ts.dataDir, 'uploads', e.source);
      expect(fs.existsSync(blob)).toBe(true);
      expect((await bob.delete('/file', { uris: ['cloudreve://my/gone.bin'], skip_soft_delete: true })).code).toBe(0);
      await recycleEntities(ts.server.ctx);
      expect(fs.existsSync(blob)).toBe(false);
      expect(await k.selectFrom('entities').select('id').where('id', '=', e.id).executeTakeFirst()).toBeUndefined();
    });

    it('drains many unreferenced blobs in one background run, in batches, keeping a blob that is still linked', async () => {
      const k = ts.server.ctx.db.kysely;
      for (let i = 0; i < 12; i++) await uploadFile(bob, `cloudreve://my/drain/f${i}.bin`, Buffer.from(`blob ${i}`));
      // A copy links f0's blob from a second file, so it must survive the folder's deletion.
      expect((await bob.post('/file/move', { uris: ['cloudreve://my/drain/f0.bin'], dst: 'cloudreve://my', copy: true })).code).toBe(0);
      const rows = await k.selectFrom('entities').selectAll().where('source', 'like', '%/drain/%').execute();
      expect(rows).toHaveLength(12);
      expect((await bob.delete('/file', { uris: ['cloudreve://my/drain'], skip_soft_delete: true })).code).toBe(0);
      expect(await drainEntities(ts.server.ctx, 20_000, 5)).toBe(11);
      for (const e of rows) {
        const kept = e.source.endsWith('f0.bin');
        expect(fs.existsSync(path.join(ts.dataDir, 'uploads', e.source))).toBe(kept);
        expect(!!(await k.selectFrom('entities').select('id').where('id', '=', e.id).executeTakeFirst())).toBe(kept);
      }
      expect((await fetchBytes(ts, await downloadPath(bob, 'cloudreve://my/f0.bin'))).body.toString()).toBe('blob 0');
    });

    it('deleting a file that is being uploaded ends its session', async () => {
      const s = await createSession(bob, 'cloudreve://my/inflight.bin', 1500);
      await putChunk(bob, s.data.session_id, 0, Buffer.alloc(1000));
      // The upload's lock protects the target; the owner may force-unlock it (contract 20 §3.9) and delete.
      const locked = await bob.delete('/file', { uris: ['cloudreve://my/inflight.bin'], skip_soft_delete: true });
      expect(locked.code).toBe(40073);
      expect((locked.data as any[])[0].owner.application.type).toBe('upload');
      expect((await bob.delete('/file/lock', { tokens: [(locked.data as any[])[0].token] })).code).toBe(0);
      const del = await bob.delete('/file', { uris: ['cloudreve://my/inflight.bin'], skip_soft_delete: true });
      expect(del.code).toBe(0);
      await recycleEntities(ts.server.ctx);
      expect(await ts.server.ctx.db.kysely.selectFrom('upload_sessions').select('id').where('id', '=', s.data.session_id).executeTakeFirst()).toBeUndefined();
      expect(tempFiles()).not.toContain(`${s.data.session_id}.part`);
      expect((await putChunk(bob, s.data.session_id, 1, Buffer.alloc(500))).code).toBe(40011);
    });

    it('gives every blob its own key even when the policy rules have no random part, and refuses names the disk cannot hold', async () => {
      await setPolicy(ts, {}, { dir_name_rule: 'fixed/{uid}', file_name_rule: '{originname}' });
      try {
        await uploadFile(alice, 'cloudreve://my/keyed.txt', Buffer.from('v1'));
        await uploadFile(alice, 'cloudreve://my/keyed.txt', Buffer.from('v2!'), { entity_type: 'version' });
        const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/keyed.txt')}&extended=true`);
        const versions = info.data.extended_info.entities.filter((e: any) => e.type === 0);
        expect(versions).toHaveLength(2);
        for (const v of versions) {
          const body = (await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/keyed.txt', { entity: v.id }))).body.toString();
          expect(body).toBe(v.size === 2 ? 'v1' : 'v2!');
        }
        const r = await createSession(alice, `cloudreve://my/${enc('%2e%2e')}`, 1);
        expect(r.code).toBe(40052);
      } finally {
        await setPolicy(ts, {}, { dir_name_rule: 'uploads/{uid}/{path}', file_name_rule: '{uid}_{randomkey8}_{originname}' });
      }
    });

    it('stores an empty file', async () => {
      const s = await createSession(alice, 'cloudreve://my/empty.txt', 0);
      expect(s.data.chunk_size).toBe(0);
      expect((await putChunk(alice, s.data.session_id, 0, Buffer.alloc(0))).code).toBe(0);
      const got = await fetchBytes(ts, await downloadPath(alice, 'cloudreve://my/empty.txt'));
      expect(got.status).toBe(200);
      expect(got.body.length).toBe(0);
    });
  });
}
