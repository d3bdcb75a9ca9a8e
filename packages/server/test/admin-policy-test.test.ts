import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetBucketCorsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import type { Client } from './helpers/client.ts';
import { createSession, uploadFile } from './helpers/transfer.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from './helpers/s3.ts';
import { insertReturningId } from '../src/db/insert.ts';

/**
 * POST /admin/policy/test and /admin/policy/cors over real HTTP: s3rver (signatures checked), a real
 * node server in slave mode, the local data dir; and what users get at use time from an S3 policy
 * whose credentials are wrong.
 */
const backend = (await backends())[0]!;
const SECRET = randomBytes(32).toString('hex');
const WRONG_SECRET = 'definitely-not-the-secret-0123456789';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe(`admin policy connection test and CORS (${backend.name})`, () => {
  let s3: S3Emulator;
  let bucket: string;
  let ts: TestServer;
  let node: TestServer;
  let admin: Client;
  let alice: Client;
  let deadPort: number;
  const k = () => ts.server.ctx.db.kysely;

  const s3Form = (over: Record<string, unknown> = {}) => ({
    name: 'Bucket', type: 's3', server: s3.endpoint, bucket_name: bucket, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
    dir_name_rule: 'uploads/{uid}/{path}', file_name_rule: '{uuid}_{originname}', settings: { s3_path_style: true, region: 'us-east-1' }, ...over,
  });
  const test = (policy: Record<string, unknown>) => admin.post('/admin/policy/test', { policy });
  const bucketKeys = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
  const addNode = async (name: string, server: string, secret: string) => {
    const now = Date.now();
    return insertReturningId(ts.server.ctx.db, 'nodes', {
      name, status: 'active', type: 'slave', server, slave_key: secret, capabilities: '', settings: '{}', weight: 1, created_at: now, updated_at: now,
    });
  };

  beforeAll(async () => {
    s3 = await startS3();
    bucket = await s3.createBucket();
    deadPort = await closedPort();
    [ts, node] = await Promise.all([
      startServer(backend),
      startServer({ name: 'sqlite', db: 'sqlite', redis: false }, { env: { CR_CONF_System_Mode: 'slave', CR_CONF_Slave_Secret: SECRET } }),
    ]);
    await ts.server.ctx.settings.set({ siteURL: ts.url });
    ({ c: admin } = await newUser(ts, 'admin@example.com'));
    ({ c: alice } = await newUser(ts, 'alice@example.com'));
  }, 120_000);
  afterAll(async () => {
    await ts?.close();
    await node?.close();
    await s3?.stop();
  });

  it('is admin only', async () => {
    expect((await ts.client().post('/admin/policy/test', { policy: s3Form() })).code).toBe(401);
    expect(await alice.post('/admin/policy/test', { policy: s3Form() })).toMatchObject({ code: 403, msg: '' });
  });

  it('S3 with the right credentials: ok, and the probe object is gone again', async () => {
    const r = await test(s3Form());
    expect(r.code, r.msg).toBe(0);
    expect(r.data.summary).toContain(`bucket "${bucket}"`);
    expect(await bucketKeys()).toEqual([]);
  });

  it('S3 with a wrong secret or access key: 50005 naming the access problem, never the secret', async () => {
    const r = await test(s3Form({ secret_key: WRONG_SECRET }));
    expect(r.code).toBe(50005);
    expect(r.msg).toMatch(/^S3: access denied \(SignatureDoesNotMatch/);
    expect(r.msg).toContain(`while writing the probe object to bucket "${bucket}" at endpoint ${s3.endpoint}`);
    expect(r.msg).not.toContain(WRONG_SECRET);
    const ak = await test(s3Form({ access_key: 'NOBODY' }));
    expect(ak.code).toBe(50005);
    expect(ak.msg).toMatch(/access denied \(InvalidAccessKeyId/);
  });

  it('S3 with a missing bucket or an unreachable endpoint: 50005, quickly', async () => {
    const missing = await test(s3Form({ bucket_name: 'no-such-bucket-here' }));
    expect(missing.code).toBe(50005);
    expect(missing.msg).toMatch(/bucket does not exist \(NoSuchBucket/);
    const started = Date.now();
    const dead = await test(s3Form({ server: `http://127.0.0.1:${deadPort}` }));
    expect(dead.code).toBe(50005);
    expect(dead.msg).toContain(`S3: endpoint unreachable (connect ECONNREFUSED 127.0.0.1:${deadPort}) while writing the probe object`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('bad form values → 40001', async () => {
    expect((await test(s3Form({ bucket_name: '' }))).code).toBe(40001);
    expect((await test(s3Form({ secret_key: '' }))).code).toBe(40001);
    expect((await test(s3Form({ type: 'floppy' }))).code).toBe(40001);
    expect((await test({ name: 'R', type: 'remote' })).code).toBe(40001);
    expect((await test({ name: 'R', type: 'remote', node_id: 999 })).code).toBe(40001);
  });

  it('local: the storage root is writable', async () => {
    const r = await test({ name: 'Default', type: 'local' });
    expect(r.code, r.msg).toBe(0);
    const root = path.join(ts.dataDir, 'uploads');
    expect(r.data.summary).toContain(root);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.cloudreve-probe'))).toEqual([]);
  });

  it('remote: the node answers the signed ping; a wrong secret or a dead node → 50005', async () => {
    const good = await addNode('Good', node.url, SECRET);
    const r = await test({ name: 'R', type: 'remote', node_id: good });
    expect(r.code, r.msg).toBe(0);
    expect(r.data.summary).toContain('answered the signed ping');

    const wrong = await addNode('Wrong key', node.url, WRONG_SECRET);
    const w = await test({ name: 'R', type: 'remote', node_id: wrong });
    expect(w.code).toBe(50005);
    expect(w.msg).toMatch(/rejected the signature .*check the node's secret/);
    expect(w.msg).not.toContain(WRONG_SECRET);

    const dead = await addNode('Dead', `http://127.0.0.1:${deadPort}`, SECRET);
    const d = await test({ name: 'R', type: 'remote', node_id: dead });
    expect(d.code).toBe(50005);
    expect(d.msg).toContain(`Remote: node "Dead" (http://127.0.0.1:${deadPort}) unreachable`);
    expect(d.msg).toContain('ECONNREFUSED');
  });

  it('sets the bucket CORS rule for the site origin; a browser preflight of a part PUT is then allowed', async () => {
    const b2 = `${bucket}-cors`;
    await s3.client.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: b2 }));
    const origin = new URL(ts.url).origin;
    const preflight = (o: string) => fetch(`${s3.endpoint}/${b2}/some/key?partNumber=1&uploadId=x`, {
      method: 'OPTIONS', headers: { origin: o, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect((await preflight(origin)).status).toBe(403); // no CORS configuration yet

    const r = await admin.post('/admin/policy/cors', { policy: s3Form({ bucket_name: b2 }) });
    expect(r.code, r.msg).toBe(0);
    const rules = (await s3.client.send(new GetBucketCorsCommand({ Bucket: b2 }))).CORSRules!;
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ AllowedOrigins: [origin], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] });
    expect([...rules[0]!.AllowedMethods!].sort()).toEqual(['GET', 'HEAD', 'POST', 'PUT']);
    const ok = await preflight(origin);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-methods')).toContain('PUT');
    expect((await preflight('http://evil.example')).status).toBe(403);

    expect((await admin.post('/admin/policy/cors', { policy: { type: 'local' } })).code).toBe(40001);
    const denied = await admin.post('/admin/policy/cors', { policy: s3Form({ bucket_name: b2, secret_key: WRONG_SECRET }) });
    expect(denied.code).toBe(50005);
    expect(denied.msg).toMatch(/access denied \(SignatureDoesNotMatch/);
    expect(denied.msg).not.toContain(WRONG_SECRET);
    expect((await alice.post('/admin/policy/cors', { policy: s3Form() })).code).toBe(403);
  });

  it('at use time, wrong credentials give contract codes: 50004 for a new upload session, 502 for a proxied download', async () => {
    const now = Date.now();
    const policyId = await insertReturningId(ts.server.ctx.db, 'storage_policies', {
      name: 'Use time', type: 's3', server: s3.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
      max_size: 0, dir_name_rule: 'uploads/{uid}/{path}', file_name_rule: '{uuid}_{originname}',
      settings: JSON.stringify({ s3_path_style: true, region: 'us-east-1', relay: true, internal_proxy: true }), node_id: null, created_at: now, updated_at: now,
    });
    await k().updateTable('groups').set({ storage_policy_id: policyId }).where('id', '=', 2).execute();
    await uploadFile(alice, 'cloudreve://my/use/a.txt', Buffer.from('hello'));
    await k().updateTable('storage_policies').set({ secret_key: WRONG_SECRET, updated_at: now + 1 }).where('id', '=', policyId).execute();

    const s = await createSession(alice, 'cloudreve://my/use/b.txt', 5);
    expect(s.code, s.msg).toBe(50004);

    const url = await alice.post('/file/url', { uris: ['cloudreve://my/use/a.txt'], download: true });
    expect(url.code, url.msg).toBe(0);
    const got = await fetch(url.data.urls[0].url.replace(/^https?:\/\/[^/]+/, ts.url));
    expect(got.status).toBe(502);
    expect(await got.text()).toBe('[Cloudreve] Bad Gateway');
  });
});
