import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { downloadPath, fetchBytes, uploadFile } from './helpers/transfer.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from './helpers/s3.ts';
import type { Client } from './helpers/client.ts';
import { insertReturningId } from '../src/db/insert.ts';
import { HashType } from '../src/util/hashid.ts';

/**
 * POST /workflow/import (contract 50 §1.8): an admin turns blobs already in a policy's storage
 * (a local folder, an S3 prefix) into files of a user without copying bytes.
 */

const enc = encodeURIComponent;

async function waitTask(c: Client, id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.get('/workflow?page_size=100&category=general');
    const t = r.data.tasks.find((x: any) => x.id === id);
    if (t && ['completed', 'error', 'canceled'].includes(t.status)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} not finished: ${JSON.stringify(t)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const all = await backends();
for (const backend of all) {
  const withS3 = backend === all[0];
  describe.skipIf(!!backend.skip)(`import on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let s3: S3Emulator | undefined;
    let bucket = '';
    let s3Policy = 0;
    let admin: Client;
    let bob: Client;
    let bobId: number;
    let bobHash: string;
    const k = () => ts.server.ctx.db.kysely;
    const list = async (c: Client, uri: string) => {
      const r = await c.get(`/file?uri=${enc(uri)}&page_size=100`);
      if (r.code !== 0) throw new Error(`list ${uri}: ${r.code} ${r.msg}`);
      return (r.data.files as any[]).map((f) => f.name).sort();
    };
    const content = async (c: Client, uri: string) => {
      const r = await c.post('/file/url', { uris: [uri] });
      expect(r.code, r.msg).toBe(0);
      const url: string = r.data.urls[0].url;
      if (s3 && url.startsWith(s3.endpoint)) return Buffer.from(await (await fetch(url)).arrayBuffer());
      return (await fetchBytes(ts, await downloadPath(c, uri))).body;
    };
    const used = async (c: Client) => (await c.get('/user/capacity')).data.used as number;
    const ext: Record<string, Buffer> = {
      'ext/a.txt': Buffer.from('alpha'),
      'ext/sub/b.bin': randomBytes(30_000),
      'ext/sub/deep/c.txt': Buffer.from('gamma'),
      'ext/bad\\name.txt': Buffer.from('refused name'),
    };

    beforeAll(async () => {
      ts = await startServer(backend, { env: { CR_SETTING_task_poll_interval: '100' } });
      admin = (await newUser(ts, 'admin@example.com')).c;
      ({ c: bob, id: bobId } = await newUser(ts, 'bob@example.com'));
      bobHash = ts.server.ctx.hashids.encode(bobId, HashType.User);
      for (const [key, data] of Object.entries(ext)) {
        const p = path.join(ts.dataDir, 'uploads', key);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, data);
      }
      if (withS3) {
        s3 = await startS3();
        bucket = await s3.createBucket();
        const now = Date.now();
        s3Policy = await insertReturningId(ts.server.ctx.db, 'storage_policies', {
          name: 'Emulated S3', type: 's3', server: s3.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
          max_size: 0, dir_name_rule: 'u/{uid}', file_name_rule: '{uuid}_{originname}',
          settings: JSON.stringify({ s3_path_style: true, region: 'us-east-1' }), node_id: null, created_at: now, updated_at: now,
        });
      }
    });
    afterAll(async () => {
      await ts?.close();
      await s3?.stop();
    });

    const body = (extra: Record<string, unknown>) => ({ src: 'ext', dst: '/imported', user_id: bobHash, policy_id: 1, ...extra });

    it('is admin only (403 for users, 401 anonymous) and validates user, policy and path', async () => {
      expect((await bob.post('/workflow/import', body({}))).code).toBe(403);
      expect((await ts.client().post('/workflow/import', body({}))).code).toBe(401);
      expect((await admin.post('/workflow/import', body({ user_id: 'zzz' }))).code).toBe(40001);
      expect((await admin.post('/workflow/import', body({ user_id: ts.server.ctx.hashids.encode(999, HashType.User) }))).code).toBe(40021);
      expect((await admin.post('/workflow/import', body({ policy_id: 999 }))).code).toBe(40035);
      expect((await admin.post('/workflow/import', body({ src: '../../etc' }))).code).toBe(40001);
      expect((await admin.post('/workflow/import', body({ src: '/etc' }))).code).toBe(40001);
      expect((await admin.post('/workflow/import', body({ dst: '/a/../b' }))).code).toBe(40052);
    });

    it('imports the top level only, then recursively, pointing at the existing blobs and charging capacity', async () => {
      const r = await admin.post('/workflow/import', body({ recursive: false }));
      expect(r.code, r.msg).toBe(0);
      expect(r.data).toMatchObject({
        type: 'import', status: 'queued',
        summary: { phase: '', props: { dst: `cloudreve://${bobHash}@my/imported`, src_str: 'ext', failed: 0, dst_policy_id: ts.server.ctx.hashids.encode(1, HashType.Policy) } },
      });
      const t = await waitTask(admin, r.data.id);
      expect(t.status, t.error).toBe('completed');
      expect(t.summary.props.failed).toBe(1); // bad\name.txt
      expect(await list(bob, 'cloudreve://my/imported')).toEqual(['a.txt']);
      expect(await used(bob)).toBe(5);

      const r2 = await admin.post('/workflow/import', body({ recursive: true }));
      const t2 = await waitTask(admin, r2.data.id);
      expect(t2.status, t2.error).toBe('completed');
      expect(t2.summary.props.failed).toBe(1);
      expect(await list(bob, 'cloudreve://my/imported')).toEqual(['a.txt', 'sub']);
      expect(await list(bob, 'cloudreve://my/imported/sub')).toEqual(['b.bin', 'deep']);
      expect((await content(bob, 'cloudreve://my/imported/sub/b.bin')).equals(ext['ext/sub/b.bin']!)).toBe(true);
      expect((await content(bob, 'cloudreve://my/imported/sub/deep/c.txt')).toString()).toBe('gamma');
      // No copy: the entity's source is the blob's own key, and a.txt was not imported twice.
      const sources = (await k().selectFrom('entities').select('source').execute()).map((e) => e.source).sort();
      expect(sources).toEqual(['ext/a.txt', 'ext/sub/b.bin', 'ext/sub/deep/c.txt']);
      expect(await used(bob)).toBe(5 + 30_000 + 5);
      await assertCapacityConsistent(ts, bobId);
    });

    it('skips names that exist, refuses blobs that already belong to files, and counts quota failures', async () => {
      await uploadFile(bob, 'cloudreve://my/other/a.txt', Buffer.from('mine'));
      const r = await admin.post('/workflow/import', body({ dst: '/other', recursive: true }));
      const t = await waitTask(admin, r.data.id);
      expect(t.status, t.error).toBe('completed');
      // a.txt: name exists (skipped); b.bin and c.txt already belong to bob's imported files; bad name.
      expect(t.summary.props.failed).toBe(3);
      expect((await content(bob, 'cloudreve://my/other/a.txt')).toString()).toBe('mine');
      expect(await list(bob, 'cloudreve://my/other')).toEqual(['a.txt', 'sub']);

      fs.mkdirSync(path.join(ts.dataDir, 'uploads', 'quota'), { recursive: true });
      fs.writeFileSync(path.join(ts.dataDir, 'uploads', 'quota', 'huge.bin'), Buffer.alloc(4096));
      fs.writeFileSync(path.join(ts.dataDir, 'uploads', 'quota', 'small.txt'), Buffer.from('s'));
      const u = await k().selectFrom('users').select('group_id').where('id', '=', bobId).executeTakeFirstOrThrow();
      const g = await k().selectFrom('groups').select('max_storage').where('id', '=', u.group_id).executeTakeFirstOrThrow();
      await k().updateTable('groups').set({ max_storage: (await used(bob)) + 100 }).where('id', '=', u.group_id).execute();
      try {
        const q = await admin.post('/workflow/import', { src: path.join(ts.dataDir, 'uploads', 'quota'), dst: '/q', user_id: bobHash, policy_id: 1 });
        expect(q.code, q.msg).toBe(0); // absolute path inside the storage root
        const tq = await waitTask(admin, q.data.id);
        expect(tq.status).toBe('completed');
        expect(tq.summary.props.failed).toBe(1);
        expect(await list(bob, 'cloudreve://my/q')).toEqual(['small.txt']);
      } finally {
        await k().updateTable('groups').set({ max_storage: g.max_storage }).where('id', '=', u.group_id).execute();
      }
      await assertCapacityConsistent(ts, bobId);
    });

    // S3 runs against the first backend only (the driver path does not depend on the database).
    if (withS3) it('imports an S3 prefix through the driver listing', async () => {
      const objs: Record<string, Buffer> = { 'legacy/photos/p1.jpg': randomBytes(2000), 'legacy/photos/2020/p2.jpg': randomBytes(3000), 'legacy/other.txt': Buffer.from('x') };
      for (const [Key, Body] of Object.entries(objs)) await s3!.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
      const before = await used(bob);
      const r = await admin.post('/workflow/import', { src: '/legacy/photos/', dst: '/photos', user_id: bobHash, policy_id: s3Policy, recursive: true, extract_media_meta: true });
      expect(r.code, r.msg).toBe(0);
      const t = await waitTask(admin, r.data.id);
      expect(t.status, t.error).toBe('completed');
      expect(t.summary.props.failed).toBe(0);
      expect(await list(bob, 'cloudreve://my/photos')).toEqual(['2020', 'p1.jpg']);
      expect((await content(bob, 'cloudreve://my/photos/2020/p2.jpg')).equals(objs['legacy/photos/2020/p2.jpg']!)).toBe(true);
      const info = await bob.get(`/file/info?uri=${enc('cloudreve://my/photos/p1.jpg')}&extended=true`);
      expect(info.data.extended_info.storage_policy.id).toBe(ts.server.ctx.hashids.encode(s3Policy, HashType.Policy));
      expect(await used(bob)).toBe(before + 5000);
      await assertCapacityConsistent(ts, bobId);
    });
  });
}
