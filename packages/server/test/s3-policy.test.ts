import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import type { Client } from './helpers/client.ts';
import { createSession, fetchBytes, localPath, putChunk } from './helpers/transfer.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from './helpers/s3.ts';
import { recycleEntities } from '../src/transfer/recycler.ts';
import { insertReturningId } from '../src/db/insert.ts';

const enc = encodeURIComponent;
const MiB = 1024 * 1024;
const ORIGIN = 'http://app.example.test';

/** Full API round trips against a real S3 emulator (signatures checked) on one database backend. */
const backend = (await backends())[0]!;

describe(`S3 storage policy (${backend.name})`, () => {
  let s3: S3Emulator;
  let bucket: string;
  let ts: TestServer;
  let alice: Client;
  let policyId: number;

  const k = () => ts.server.ctx.db.kysely;
  const bucketKeys = async () => {
    const out = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  };
  const setSettings = async (patch: Record<string, unknown>, columns: Record<string, unknown> = {}) => {
    const row = await k().selectFrom('storage_policies').select('settings').where('id', '=', policyId).executeTakeFirstOrThrow();
    await k().updateTable('storage_policies').set({ settings: JSON.stringify({ ...JSON.parse(row.settings), ...patch }), ...columns, updated_at: Date.now() })
      .where('id', '=', policyId).execute();
  };
  const list = async (uri: string) => (await alice.get(`/file?uri=${enc(uri)}`)).data?.files as any[];
  const used = async () => (await alice.get('/user/capacity')).data.used as number;

  /** What a browser does: preflight, PUT each part reading ETag, POST the completion XML, call back. */
  async function browserUpload(session: any, data: Buffer, opts: { callback?: boolean } = {}): Promise<Response | undefined> {
    const partSize = session.chunk_size > 0 ? session.chunk_size : data.length;
    const etags: string[] = [];
    for (let i = 0; i < session.upload_urls.length; i++) {
      const res = await fetch(session.upload_urls[i], {
        method: 'PUT', headers: { origin: ORIGIN, 'content-type': 'application/octet-stream' },
        body: new Uint8Array(data.subarray(i * partSize, Math.min(data.length, (i + 1) * partSize))),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
      etags.push(res.headers.get('etag')!);
    }
    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const done = await fetch(session.completeURL, { method: 'POST', body: xml, headers: { origin: ORIGIN, 'content-type': 'application/xml' } });
    expect(done.status, await done.clone().text()).toBe(200);
    if (opts.callback === false) return undefined;
    return fetch(`${ts.url}/api/v4/callback/s3/${session.session_id}/${session.callback_secret}`);
  }

  beforeAll(async () => {
    s3 = await startS3();
    bucket = await s3.createBucket();
    ts = await startServer(backend);
    alice = ts.client();
    await alice.signUpAndIn('alice@example.com');
    const now = Date.now();
    policyId = await insertReturningId(ts.server.ctx.db, 'storage_policies', {
      name: 'Emulated S3', type: 's3', server: s3.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
      max_size: 0, dir_name_rule: 'uploads/{uid}/{path}', file_name_rule: '{uuid}_{originname}',
      settings: JSON.stringify({ chunk_size: 5 * MiB, s3_path_style: true, region: 'us-east-1' }), node_id: null, created_at: now, updated_at: now,
    });
    await k().updateTable('groups').set({ storage_policy_id: policyId }).execute();
  });
  afterAll(async () => {
    await ts?.close();
    await s3?.stop();
  });

  it('uploads from the browser to presigned part URLs, commits on the callback and downloads through a presigned URL', async () => {
    const data = randomBytes(11 * MiB + 77);
    const s = await createSession(alice, 'cloudreve://my/s3/big.bin', data.length, { mime_type: 'application/octet-stream' });
    expect(s.code, s.msg).toBe(0);
    expect(s.data).toMatchObject({ chunk_size: 5 * MiB, storage_policy: { type: 's3' } });
    expect(s.data.upload_id).toBeTruthy();
    expect(s.data.upload_urls).toHaveLength(3);
    expect(s.data.upload_urls[0]).toContain(`${s3.endpoint}/${bucket}/uploads/`);
    expect(s.data.upload_urls[0]).toMatch(/partNumber=1&/);
    expect(s.data.completeURL).toContain(`uploadId=${s.data.upload_id}`);
    expect(await used()).toBe(data.length); // charged at session creation

    // CORS preflight of a part PUT, as a browser on the site's origin sends it.
    const pre = await fetch(s.data.upload_urls[0], { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-methods')).toContain('PUT');

    // Nothing in the bucket yet → the callback refuses without destroying the session.
    const early = await fetch(`${ts.url}/api/v4/callback/s3/${s.data.session_id}/${s.data.callback_secret}`);
    expect(early.status).toBe(400);
    expect((await early.json()).code).toBe(50004);

    const cb = (await browserUpload(s.data, data))!;
    expect(cb.status).toBe(200);
    expect((await cb.json()).code).toBe(0);
    const file = (await list('cloudreve://my/s3')).find((f) => f.name === 'big.bin');
    expect(file.size).toBe(data.length);
    expect(file.metadata?.['sys:upload_session_id']).toBeUndefined();
    expect(await used()).toBe(data.length);
    const entity = await k().selectFrom('entities').selectAll().where('source', 'like', '%_big.bin').executeTakeFirstOrThrow();
    expect(JSON.parse(entity.props ?? '{}').sha256).toBeUndefined(); // not read back from the bucket

    const url = await alice.post('/file/url', { uris: ['cloudreve://my/s3/big.bin'], download: true });
    expect(url.code).toBe(0);
    expect(url.data.urls[0].url.startsWith(`${s3.endpoint}/${bucket}/`)).toBe(true);
    const got = await fetch(url.data.urls[0].url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="big.bin"');
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

    const redirect = await alice.raw('POST', '/api/v4/file/url', { body: { uris: ['cloudreve://my/s3/big.bin'], redirect: true } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')!.startsWith(`${s3.endpoint}/${bucket}/`)).toBe(true);

    // A completed session is gone: calling back again is refused.
    const again = await fetch(`${ts.url}/api/v4/callback/s3/${s.data.session_id}/${s.data.callback_secret}`);
    expect(again.status).toBe(401);
    expect((await again.json()).code).toBe(40011);
  });

  it('refuses callbacks for unknown, expired, mistyped or wrongly keyed sessions', async () => {
    const s = await createSession(alice, 'cloudreve://my/s3/cb.bin', 10);
    const sid = s.data.session_id;
    const call = async (path: string, method = 'GET') => {
      const r = await fetch(`${ts.url}/api/v4${path}`, { method });
      return { status: r.status, code: (await r.json()).code };
    };
    expect(await call(`/callback/s3/${sid}/wrong-secret`)).toEqual({ status: 401, code: 40011 });
    expect(await call(`/callback/s3/00000000-0000-0000-0000-000000000000/${s.data.callback_secret}`)).toEqual({ status: 401, code: 40011 });
    expect(await call(`/callback/cos/${sid}/${s.data.callback_secret}`)).toEqual({ status: 401, code: 40006 });
    expect(await call(`/callback/obs/${sid}/${s.data.callback_secret}`, 'POST')).toEqual({ status: 401, code: 40006 });
    await k().updateTable('upload_sessions').set({ expires_at: Date.now() - 1000 }).where('id', '=', sid).execute();
    expect(await call(`/callback/s3/${sid}/${s.data.callback_secret}`)).toEqual({ status: 401, code: 40011 });
  });

  it('refuses an upload whose size differs from the session, deleting the object and the placeholder', async () => {
    const before = await used();
    const s = await createSession(alice, 'cloudreve://my/s3/liar.bin', 5000);
    expect(s.data.upload_urls).toHaveLength(1);
    const cb = (await browserUpload(s.data, randomBytes(3000)))!;
    expect(cb.status).toBe(400);
    expect((await cb.json()).code).toBe(40055);
    expect((await bucketKeys()).some((key) => key.endsWith('_liar.bin'))).toBe(false);
    expect((await list('cloudreve://my/s3')).find((f) => f.name === 'liar.bin')).toBeUndefined();
    expect(await used()).toBe(before);
  });

  it('cancelling a session removes an object the client completed without calling back', async () => {
    const s = await createSession(alice, 'cloudreve://my/s3/cancelled.bin', 100);
    await browserUpload(s.data, randomBytes(100), { callback: false });
    expect((await bucketKeys()).some((key) => key.endsWith('_cancelled.bin'))).toBe(true);
    expect((await alice.delete('/file/upload', { id: s.data.session_id, uri: 'cloudreve://my/s3/cancelled.bin' })).code).toBe(0);
    expect((await bucketKeys()).some((key) => key.endsWith('_cancelled.bin'))).toBe(false);
  });

  it('copies, renames and moves without touching the bucket; versions and deletes recycle blobs', async () => {
    const v1 = randomBytes(2000);
    const s = await createSession(alice, 'cloudreve://my/s3/doc.txt', v1.length);
    expect((await (await browserUpload(s.data, v1))!.json()).code).toBe(0);
    const keysBefore = await bucketKeys();
    expect((await alice.post('/file/create', { uri: 'cloudreve://my/copies', type: 'folder' })).code).toBe(0);
    expect((await alice.post('/file/move', { uris: ['cloudreve://my/s3/doc.txt'], dst: 'cloudreve://my/copies', copy: true })).code).toBe(0);
    expect((await alice.post('/file/rename', { uri: 'cloudreve://my/copies/doc.txt', new_name: 'renamed.txt' })).code).toBe(0);
    expect(await bucketKeys()).toEqual(keysBefore);
    const copyUrl = (await alice.post('/file/url', { uris: ['cloudreve://my/copies/renamed.txt'] })).data.urls[0].url;
    expect(Buffer.from(await (await fetch(copyUrl)).arrayBuffer()).equals(v1)).toBe(true);

    // A new version of the original: the copy keeps the old blob (shared by reference).
    const v2 = randomBytes(3000);
    const s2 = await createSession(alice, 'cloudreve://my/s3/doc.txt', v2.length, { entity_type: 'version' });
    expect(s2.code, s2.msg).toBe(0);
    expect((await (await browserUpload(s2.data, v2))!.json()).code).toBe(0);
    const cur = (await alice.post('/file/url', { uris: ['cloudreve://my/s3/doc.txt'] })).data.urls[0].url;
    expect(Buffer.from(await (await fetch(cur)).arrayBuffer()).equals(v2)).toBe(true);
    await recycleEntities(ts.server.ctx);
    expect((await bucketKeys()).filter((x) => keysBefore.includes(x))).toEqual(keysBefore); // still used by the copy
    expect((await bucketKeys()).length).toBe(keysBefore.length + 1);

    // Deleting both files for good releases both blobs (recycled once nothing links them).
    expect((await alice.delete('/file', { uris: ['cloudreve://my/copies/renamed.txt', 'cloudreve://my/s3/doc.txt'], skip_soft_delete: true })).code).toBe(0);
    await recycleEntities(ts.server.ctx);
    const after = await bucketKeys();
    expect(after.filter((x) => x.endsWith('_doc.txt'))).toEqual([]);
    expect(after).toEqual(keysBefore.filter((x) => !x.endsWith('_doc.txt')));
  });

  it('generates a thumbnail by fetching the object and stores it in the bucket', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
    const s = await createSession(alice, 'cloudreve://my/s3/pic.png', png.length);
    expect((await (await browserUpload(s.data, png))!.json()).code).toBe(0);
    const thumb = await alice.get(`/file/thumb?uri=${enc('cloudreve://my/s3/pic.png')}`);
    expect(thumb.code, thumb.msg).toBe(0);
    const res = await fetch(thumb.data.url);
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta.width).toBeGreaterThan(0);
    expect((await bucketKeys()).filter((x) => x.includes('_pic.png')).length).toBe(2); // source + thumbnail
  });

  it('relays uploads through the server when the policy says so', async () => {
    await setSettings({ relay: true });
    try {
      const data = randomBytes(20 * MiB + 5);
      const s = await createSession(alice, 'cloudreve://my/s3/relayed.bin', data.length);
      expect(s.code, s.msg).toBe(0);
      expect(s.data.upload_urls).toBeUndefined();
      expect(s.data.storage_policy.relay).toBe(true);
      const size = s.data.chunk_size || data.length;
      for (let i = 0; i * size < data.length; i++) {
        const r = await putChunk(alice, s.data.session_id, i, data.subarray(i * size, (i + 1) * size));
        expect(r.code, r.msg).toBe(0);
      }
      const key = (await bucketKeys()).find((x) => x.endsWith('_relayed.bin'))!;
      const obj = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await obj.Body!.transformToByteArray()).equals(data)).toBe(true);
      const entity = await k().selectFrom('entities').selectAll().where('source', '=', key).executeTakeFirstOrThrow();
      expect(JSON.parse(entity.props!).sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await setSettings({ relay: false });
    }
  });

  it('proxies downloads through the server with internal_proxy, and rewrites hosts to the CDN with custom_proxy', async () => {
    const data = randomBytes(4000);
    const s = await createSession(alice, 'cloudreve://my/s3/proxied.bin', data.length);
    expect((await (await browserUpload(s.data, data))!.json()).code).toBe(0);
    await setSettings({ internal_proxy: true });
    try {
      const url = (await alice.post('/file/url', { uris: ['cloudreve://my/s3/proxied.bin'], no_cache: true })).data.urls[0].url as string;
      expect(localPath(url).startsWith('/api/v4/file/content/')).toBe(true);
      const got = await fetchBytes(ts, localPath(url), { range: 'bytes=100-199' });
      expect(got.status).toBe(206);
      expect(got.body.equals(data.subarray(100, 200))).toBe(true);
    } finally {
      await setSettings({ internal_proxy: false });
    }
    await setSettings({ custom_proxy: true, proxy_server: 'https://cdn.example.test/files' });
    try {
      const url = (await alice.post('/file/url', { uris: ['cloudreve://my/s3/proxied.bin'], no_cache: true })).data.urls[0].url as string;
      expect(url.startsWith(`https://cdn.example.test/files/${bucket}/uploads/`)).toBe(true);
      expect(url).toContain('X-Amz-Signature=');
    } finally {
      await setSettings({ custom_proxy: false });
    }
  });
});
