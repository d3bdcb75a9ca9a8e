import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { childDatabase, killAllChildren, startChild } from './helpers/child-server.ts';
import { newUser } from './helpers/fs.ts';
import { assertCapacityConsistent } from './helpers/capacity.ts';
import { downloadPath, fetchBytes, sha256, uploadFile } from './helpers/transfer.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from './helpers/s3.ts';
import type { Client } from './helpers/client.ts';
import { insertReturningId } from '../src/db/insert.ts';
import { Boolset, GroupPermission } from '../src/util/boolset.ts';
import { HashType } from '../src/util/hashid.ts';

/**
 * POST /workflow/relocate (contract 50 §1.7): blobs move between real policies (local → local,
 * local → S3 on s3rver, S3 → local), shared entities move once, nothing is lost or duplicated,
 * capacity stays consistent, and a SIGKILL mid-run is resumed cleanly.
 */

const enc = encodeURIComponent;

async function waitTask(c: Client, id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.get('/workflow?page_size=100&category=general');
    const t = r.data.tasks.find((x: any) => x.id === id);
    if (t && ['completed', 'error', 'canceled'].includes(t.status)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} not finished: ${JSON.stringify(t)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Every file below `dir` (relative paths), for "no orphan blob" checks. */
function diskFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile()).map((d) => path.relative(dir, path.join(d.parentPath, d.name))).sort();
}

afterAll(() => killAllChildren());

const all = await backends();
for (const backend of all) {
  const withS3 = backend === all[0];
  describe.skipIf(!!backend.skip)(`relocate on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let ts: TestServer;
    let s3: S3Emulator | undefined;
    let bucket = '';
    let alice: Client;
    let aliceId: number;
    let groupId: number;
    let local2 = 0;
    let s3Policy = 0;
    const k = () => ts.server.ctx.db.kysely;
    const hash = (id: number) => ts.server.ctx.hashids.encode(id, HashType.Policy);
    const uploadsDir = () => path.join(ts.dataDir, 'uploads');
    const usePolicy = (id: number) => k().updateTable('groups').set({ storage_policy_id: id }).where('id', '=', groupId).execute();
    /** Bytes through the download URL the server hands out (presigned S3 URL or our own signed path). */
    const content = async (uri: string) => {
      const r = await alice.post('/file/url', { uris: [uri] });
      expect(r.code, r.msg).toBe(0);
      const url: string = r.data.urls[0].url;
      if (s3 && url.startsWith(s3.endpoint)) return Buffer.from(await (await fetch(url)).arrayBuffer());
      return (await fetchBytes(ts, await downloadPath(alice, uri))).body;
    };
    const entitiesOf = async (uri: string) => {
      const info = await alice.get(`/file/info?uri=${enc(uri)}&extended=true`);
      expect(info.code, info.msg).toBe(0);
      return info.data.extended_info.entities as any[];
    };
    const bucketKeys = async () => ((await s3!.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
    const liveSources = async (policy: number) => (await k().selectFrom('entities').select('source').where('storage_policy_id', '=', policy).execute()).map((e) => e.source).sort();

    const files: Record<string, Buffer> = {
      'a/x.bin': randomBytes(70_000),
      'a/sub/y.txt': Buffer.from('hello relocation'),
      'keep.txt': Buffer.from('not selected'),
    };

    beforeAll(async () => {
      ts = await startServer(backend, { env: { CR_SETTING_task_poll_interval: '100' } });
      ({ c: alice, id: aliceId } = await newUser(ts, 'alice@example.com'));
      const u = await k().selectFrom('users').select('group_id').where('id', '=', aliceId).executeTakeFirstOrThrow();
      groupId = Number(u.group_id);
      const g = await k().selectFrom('groups').select('permissions').where('id', '=', groupId).executeTakeFirstOrThrow();
      await k().updateTable('groups').set({ permissions: Boolset.decode(g.permissions).set(GroupPermission.Relocate, true).encode() }).where('id', '=', groupId).execute();
      const now = Date.now();
      local2 = await insertReturningId(ts.server.ctx.db, 'storage_policies', {
        name: 'Second local', type: 'local', server: '', bucket_name: '', is_private: 1, access_key: '', secret_key: '', max_size: 0,
        dir_name_rule: 'second/{uid}/{path}', file_name_rule: '{uuid}_{originname}', settings: '{}', node_id: null, created_at: now, updated_at: now,
      });
      if (withS3) {
        s3 = await startS3();
        bucket = await s3.createBucket();
        s3Policy = await insertReturningId(ts.server.ctx.db, 'storage_policies', {
          name: 'Emulated S3', type: 's3', server: s3.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
          max_size: 0, dir_name_rule: 'moved/{uid}', file_name_rule: '{uuid}_{originname}',
          settings: JSON.stringify({ chunk_size: 5 * 1024 * 1024, s3_path_style: true, region: 'us-east-1' }), node_id: null, created_at: now, updated_at: now,
        });
      }
      for (const [name, data] of Object.entries(files)) await uploadFile(alice, `cloudreve://my/${name}`, data);
      // A second version of x.bin and a copy of y.txt outside the selection (shares its entity).
      await uploadFile(alice, 'cloudreve://my/a/x.bin', files['a/x.bin']!.subarray(0, 1000), { entity_type: 'version' });
      expect((await alice.post('/file/move', { uris: ['cloudreve://my/a/sub/y.txt'], dst: 'cloudreve://my', copy: true })).code).toBe(0);
    });
    afterAll(async () => {
      await ts?.close();
      await s3?.stop();
    });

    it('refuses a policy the user may not use (40006), a bad id (40001), groups without the permission (40007)', async () => {
      expect((await alice.post('/workflow/relocate', { src: ['cloudreve://my/a'], dst_policy_id: hash(local2) })).code).toBe(40006);
      expect((await alice.post('/workflow/relocate', { src: ['cloudreve://my/a'], dst_policy_id: 'nope' })).code).toBe(40001);
      const { c: bob } = await newUser(ts, 'bob@example.com');
      await uploadFile(bob, 'cloudreve://my/b.txt', Buffer.from('b'));
      // bob is in the same group: take the permission away from a fresh group of his.
      const gid = await insertReturningId(ts.server.ctx.db, 'groups', { name: 'NoRelocate', max_storage: 1e9, speed_limit: 0, permissions: '', settings: '{}', storage_policy_id: 1, created_at: Date.now(), updated_at: Date.now() });
      await k().updateTable('users').set({ group_id: gid }).where('email', '=', 'bob@example.com').execute();
      expect((await bob.post('/workflow/relocate', { src: ['cloudreve://my/b.txt'], dst_policy_id: hash(1) })).code).toBe(40007);
      expect((await ts.client().post('/workflow/relocate', { src: ['cloudreve://my/b.txt'], dst_policy_id: hash(1) })).code).toBe(401);
    });

    it('moves every entity of the selection between two local policies; shared entities move once; old blobs are deleted', async () => {
      const beforeEntities = await k().selectFrom('entities').select('id').execute();
      const shared = (await entitiesOf('cloudreve://my/y.txt'))[0];
      await usePolicy(local2);
      const r = await alice.post('/workflow/relocate', { src: ['cloudreve://my/a'], dst_policy_id: hash(local2) });
      expect(r.code, r.msg).toBe(0);
      expect(r.data).toMatchObject({ type: 'relocate', status: 'queued', summary: { props: { src_multiple: ['cloudreve://my/a'], dst_policy_id: hash(local2), failed: 0 } } });
      const t = await waitTask(alice, r.data.id);
      expect(t.status, t.error).toBe('completed');
      // Same entity rows (moved, not re-created), now all on the second policy except the unselected file.
      expect((await k().selectFrom('entities').select('id').execute()).length).toBe(beforeEntities.length);
      for (const f of ['a/x.bin', 'a/sub/y.txt', 'y.txt']) {
        for (const e of await entitiesOf(`cloudreve://my/${f}`)) expect(e.storage_policy.id, f).toBe(hash(local2));
      }
      expect((await entitiesOf('cloudreve://my/y.txt'))[0].id).toBe(shared.id); // the copy followed
      expect((await entitiesOf('cloudreve://my/keep.txt'))[0].storage_policy.id).toBe(hash(1));
      expect(await entitiesOf('cloudreve://my/a/x.bin')).toHaveLength(2); // both versions moved
      const info = await alice.get(`/file/info?uri=${enc('cloudreve://my/a/x.bin')}&extended=true`);
      expect(info.data.extended_info.storage_policy.id).toBe(hash(local2));
      expect((await content('cloudreve://my/a/x.bin')).equals(files['a/x.bin']!.subarray(0, 1000))).toBe(true);
      expect((await content('cloudreve://my/a/sub/y.txt')).toString()).toBe('hello relocation');
      expect((await content('cloudreve://my/y.txt')).toString()).toBe('hello relocation');
      // The disk holds exactly the live blobs: old ones gone, nothing duplicated.
      const live = [...await liveSources(1), ...await liveSources(local2)].sort();
      expect(diskFiles(uploadsDir())).toEqual(live);
      expect((await liveSources(local2)).every((s) => s.startsWith(`second/${aliceId}/`))).toBe(true);
      await assertCapacityConsistent(ts, aliceId);
    });

    // S3 runs against the first backend only (the driver path does not depend on the database).
    if (withS3) it('moves local → S3 and back S3 → local with identical bytes and no leftovers', async () => {
      await usePolicy(s3Policy);
      const r = await alice.post('/workflow/relocate', { src: ['cloudreve://my/a', 'cloudreve://my/keep.txt'], dst_policy_id: hash(s3Policy) });
      expect(r.code, r.msg).toBe(0);
      const t = await waitTask(alice, r.data.id);
      expect(t.status, t.error).toBe('completed');
      expect(await bucketKeys()).toEqual(await liveSources(s3Policy));
      expect((await liveSources(s3Policy)).length).toBe(4); // x.bin ×2, y.txt (shared by two files), keep.txt
      expect(diskFiles(uploadsDir())).toEqual(await liveSources(1)); // only other users' files stay on disk
      expect(await liveSources(local2)).toEqual([]);
      expect((await content('cloudreve://my/keep.txt')).toString()).toBe('not selected');
      expect((await content('cloudreve://my/a/sub/y.txt')).toString()).toBe('hello relocation');
      await assertCapacityConsistent(ts, aliceId);

      await usePolicy(1);
      const back = await alice.post('/workflow/relocate', { src: ['cloudreve://my/a', 'cloudreve://my/keep.txt', 'cloudreve://my/y.txt'], dst_policy_id: hash(1) });
      const tb = await waitTask(alice, back.data.id);
      expect(tb.status, tb.error).toBe('completed');
      expect(await bucketKeys()).toEqual([]);
      expect(diskFiles(uploadsDir())).toEqual(await liveSources(1));
      expect((await content('cloudreve://my/a/x.bin')).equals(files['a/x.bin']!.subarray(0, 1000))).toBe(true);
      const versions = await entitiesOf('cloudreve://my/a/x.bin');
      const older = versions.find((e: any) => e.size === files['a/x.bin']!.length);
      expect(older.storage_policy.id).toBe(hash(1));
      await assertCapacityConsistent(ts, aliceId);
    });
  });
}

describe('relocate survives a SIGKILL of the server', () => {
  it('resumes after a restart: every blob once on the new policy, none lost, capacity unchanged', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-relk-'));
    const db = await childDatabase({ name: 'sqlite', db: 'sqlite', redis: false }, dataDir);
    try {
      const env = { ...db.env, CR_SETTING_task_poll_interval: '50', CR_SETTING_task_lease_seconds: '2' };
      let child = await startChild(dataDir, env);
      let c = child.client();
      await c.signUpAndIn('admin@example.com');
      const files: Record<string, Buffer> = {};
      for (let i = 0; i < 30; i++) files[`f${String(i).padStart(2, '0')}.bin`] = randomBytes(1024 * 1024);
      for (const [n, d] of Object.entries(files)) await uploadFile(c, `cloudreve://my/big/${n}`, d);
      const usedBefore = (await c.get('/user/capacity')).data.used;
      const blobsBefore = diskFiles(path.join(dataDir, 'uploads'));
      expect(blobsBefore).toHaveLength(30);
      // Admin API: a second local policy, the admin group on it and allowed to relocate.
      const pol = await c.put('/admin/policy', { policy: { name: 'Two', type: 'local', dir_name_rule: 'two/{uid}', file_name_rule: '{uuid}_{originname}', settings: {}, max_size: 0, is_private: true } });
      expect(pol.code, pol.msg).toBe(0);
      const policyId: number = pol.data.id;
      const group = (await c.get('/admin/group/1')).data;
      const perms = Boolset.decode(group.permissions).set(GroupPermission.Relocate, true).encode();
      const upd = await c.put('/admin/group/1', { group: { ...group, permissions: perms, edges: { storage_policies: { id: policyId } } } });
      expect(upd.code, upd.msg).toBe(0);
      const policies = (await c.get('/user/setting/policies')).data;
      const r = await c.post('/workflow/relocate', { src: ['cloudreve://my/big'], dst_policy_id: policies[0].id });
      expect(r.code, r.msg).toBe(0);
      for (let i = 0; ; i++) {
        const p = (await c.get(`/workflow/progress/${r.data.id}`)).data;
        if (p.relocate && p.relocate.current >= 3) {
          expect(p.relocate.current).toBeLessThan(30);
          break;
        }
        if (i > 3000) throw new Error('relocation never progressed');
        await new Promise((res) => setTimeout(res, 10));
      }
      await child.kill();
      child = await startChild(dataDir, env);
      c = child.client();
      await c.signIn('admin@example.com');
      const t = await waitTask(c, r.data.id);
      expect(t.status, t.error).toBe('completed');
      expect(t.summary.props.failed).toBe(0);
      for (const [n, d] of Object.entries(files)) {
        const info = await c.get(`/file/info?uri=${enc(`cloudreve://my/big/${n}`)}&extended=true`);
        expect(info.data.extended_info.entities).toHaveLength(1);
        expect(info.data.extended_info.entities[0].storage_policy.id).toBe(policies[0].id);
        const body = Buffer.from(await (await fetch(new URL(await downloadPath(c, `cloudreve://my/big/${n}`), child.url))).arrayBuffer());
        expect(sha256(body), n).toBe(sha256(d));
      }
      // Exactly one blob per file left on disk (no orphan copy, no undeleted original).
      const blobs = diskFiles(path.join(dataDir, 'uploads'));
      expect(blobs).toHaveLength(30);
      expect(blobs.filter((b) => blobsBefore.includes(b))).toEqual([]);
      expect((await c.get('/user/capacity')).data.used).toBe(usedBefore);
      await child.kill();
    } finally {
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
