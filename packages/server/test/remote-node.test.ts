import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { startChild, killAllChildren, type ChildServer } from './helpers/child-server.ts';
import type { Client } from './helpers/client.ts';
import { sha256, uploadFile } from './helpers/transfer.ts';
import { signRequest } from '../src/services/node-auth.ts';
import { recycleEntities } from '../src/transfer/recycler.ts';

/**
 * Master (in-process) + node (a real child process in slave mode) on loopback: a remote policy
 * bound to the User group, browser-style uploads straight to the node, node-served downloads and
 * thumbnails, deletes delegated to the node, callbacks, and a node killed mid-upload.
 */
const SECRET = randomBytes(32).toString('hex');
const enc = encodeURIComponent;

describe('remote storage node', () => {
  let master: TestServer;
  let node: ChildServer;
  let nodeDir: string;
  let admin: Client;
  let alice: Client;
  let nodeId: number;

  const k = () => master.server.ctx.db.kysely;
  const used = async (c: Client) => (await c.get('/user/capacity')).data.used as number;
  const list = async (c: Client, uri: string) => (await c.get(`/file?uri=${enc(uri)}`)).data?.files as any[];
  const startNode = () => startChild(nodeDir, {
    CR_CONF_System_Mode: 'slave', CR_CONF_Slave_Secret: SECRET, CR_CONF_Database_DBFile: path.join(nodeDir, 'node.db'),
  });
  const blobPath = (key: string) => path.join(nodeDir, 'uploads', key);

  /** POSTs a chunk to the node the way the web client does (credential from the session). */
  async function nodeChunk(s: any, index: number, body: Buffer, opts: { base?: string; auth?: string; length?: number } = {}) {
    const url = opts.base ? s.upload_urls[0].replace(/^https?:\/\/[^/]+/, opts.base) : s.upload_urls[0];
    const res = await fetch(`${url}?chunk=${index}`, {
      method: 'POST', body: new Uint8Array(body), headers: { authorization: opts.auth ?? s.credential, 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  }

  async function uploadViaNode(c: Client, uri: string, data: Buffer) {
    const s = await c.put('/file/upload', { uri, size: data.length });
    expect(s.code, s.msg).toBe(0);
    const cs = s.data.chunk_size || data.length;
    for (let i = 0; i * cs < Math.max(1, data.length); i++) {
      const r = await nodeChunk(s.data, i, data.subarray(i * cs, (i + 1) * cs));
      expect(r.code, r.msg).toBe(0);
    }
    return s.data;
  }

  beforeAll(async () => {
    nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-node-'));
    [master, node] = await Promise.all([startServer({ name: 'sqlite', db: 'sqlite', redis: false }), startNode()]);
    await master.server.ctx.settings.set({ siteURL: master.url });
    admin = master.client();
    await admin.signUpAndIn('admin@example.com');
    alice = master.client();
    await alice.signUpAndIn('alice@example.com');
    const now = Date.now();
    await k().insertInto('nodes').values({
      name: 'Node A', status: 'active', type: 'slave', server: node.url, slave_key: SECRET, capabilities: '', settings: '{}', weight: 1, created_at: now, updated_at: now,
    }).execute();
    nodeId = Number((await k().selectFrom('nodes').select('id').where('name', '=', 'Node A').executeTakeFirstOrThrow()).id);
    await k().insertInto('storage_policies').values({
      name: 'Remote', type: 'remote', server: node.url, bucket_name: '', is_private: 1, access_key: '', secret_key: '', max_size: 0,
      dir_name_rule: 'remote/{uid}/{path}', file_name_rule: '{randomkey8}_{originname}', settings: JSON.stringify({ chunk_size: 1000 }),
      node_id: nodeId, created_at: now, updated_at: now,
    }).execute();
    const policyId = Number((await k().selectFrom('storage_policies').select('id').where('name', '=', 'Remote').executeTakeFirstOrThrow()).id);
    await k().updateTable('groups').set({ storage_policy_id: policyId, updated_at: now }).where('id', '=', 2).execute();
  }, 180_000);
  afterAll(async () => {
    killAllChildren();
    await master?.close();
    fs.rmSync(nodeDir, { recursive: true, force: true });
  });

  it('admin connection test: the node pings the master back; a wrong key or a dead address is 40001', async () => {
    expect((await admin.post('/admin/node/test', { node: { server: node.url, slave_key: SECRET } })).code).toBe(0);
    const wrong = await admin.post('/admin/node/test', { node: { server: node.url, slave_key: 'nope' } });
    expect(wrong.code).toBe(40001);
    expect(wrong.msg).toMatch(/40071/);
    const dead = await admin.post('/admin/node/test', { node: { server: 'http://127.0.0.1:1', slave_key: SECRET } });
    expect(dead.code).toBe(40001);
    expect((await alice.post('/admin/node/test', { node: { server: node.url, slave_key: SECRET } })).code).not.toBe(0);
  });

  it('a node exposes only the node surface', async () => {
    expect((await fetch(`${node.url}/api/v4/site/ping`).then((r) => r.json())).data).toBe('4.0.0');
    expect((await fetch(`${node.url}/api/v4/session/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${node.url}/`)).status).toBe(404);
    // Unsigned / wrongly signed RPCs are refused.
    const unsigned = await fetch(`${node.url}/api/v4/slave/file`, { method: 'DELETE', body: '{"files":["x"]}' }).then((r) => r.json());
    expect(unsigned.code).toBe(403);
  });

  it('uploads straight to the node, commits through the callback, downloads from the node, makes node thumbnails, deletes on the node', async () => {
    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
    const s = await uploadViaNode(alice, 'cloudreve://my/pics/photo.png', png);
    expect(s.upload_urls[0]).toBe(`${node.url}/api/v4/slave/upload/${s.session_id}`);
    expect(s.credential).toMatch(/^Bearer Cr [A-Za-z0-9_=-]+:\d+$/);
    expect(s.storage_policy.type).toBe('remote');
    const f = (await list(alice, 'cloudreve://my/pics')).find((x) => x.name === 'photo.png');
    expect(f.size).toBe(png.length);
    expect(f.metadata?.['sys:upload_session_id']).toBeUndefined();
    expect(await used(alice)).toBe(png.length);
    const entity = await k().selectFrom('entities').selectAll().where('source', 'like', '%photo.png').executeTakeFirstOrThrow();
    expect(JSON.parse(entity.props!).sha256).toBe(sha256(png));
    expect(fs.readFileSync(blobPath(entity.source)).equals(png)).toBe(true);
    expect(fs.readdirSync(path.join(nodeDir, 'temp', 'slave-sessions'))).toEqual([]);

    // Download: a URL on the node, signed with the node key; ranges work; a tampered path is refused.
    const u = await alice.post('/file/url', { uris: ['cloudreve://my/pics/photo.png'], download: true });
    expect(u.code).toBe(0);
    const url: string = u.data.urls[0].url;
    expect(url.startsWith(`${node.url}/api/v4/slave/file/content/0/`)).toBe(true);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="photo.png"/);
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(png.subarray(10, 20))).toBe(true);
    const tampered = await fetch(url.replace('/photo.png?', '/other.png?'));
    expect([tampered.status, (await tampered.json()).code]).toEqual([403, 40071]);
    const expired = new URL(url);
    expired.searchParams.set('sign', `${expired.searchParams.get('sign')!.split(':')[0]}:1000`);
    const old = await fetch(expired);
    expect([old.status, (await old.json()).code]).toEqual([403, 40005]);
    expect((await fetch(url.replace(/\?.*$/, ''))).status).toBe(403);

    // Thumbnail rendered by the node and kept there as a sidecar.
    const t = await alice.get(`/file/thumb?uri=${enc('cloudreve://my/pics/photo.png')}`);
    expect(t.code, t.msg).toBe(0);
    expect(t.data.url.startsWith(`${node.url}/api/v4/slave/file/thumb/`)).toBe(true);
    const img = Buffer.from(await (await fetch(t.data.url)).arrayBuffer());
    const meta = await sharp(img).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeLessThanOrEqual(400);
    expect(fs.existsSync(blobPath(`${entity.source}._thumb_sidecar`))).toBe(true);

    // Permanent delete: the blob and its sidecar go on the node.
    expect((await alice.delete('/file', { uris: ['cloudreve://my/pics/photo.png'], skip_soft_delete: true })).code).toBe(0);
    await recycleEntities(master.server.ctx);
    expect(fs.existsSync(blobPath(entity.source))).toBe(false);
    expect(fs.existsSync(blobPath(`${entity.source}._thumb_sidecar`))).toBe(false);
    expect(await used(alice)).toBe(0);
  });

  it('with `relay` the master streams the upload to the node itself and commits on the last chunk', async () => {
    const row = await k().selectFrom('storage_policies').select(['id', 'settings']).where('name', '=', 'Remote').executeTakeFirstOrThrow();
    const setRelay = (relay: boolean) => k().updateTable('storage_policies').set({ settings: JSON.stringify({ ...JSON.parse(row.settings), relay }), updated_at: Date.now() })
      .where('id', '=', Number(row.id)).execute();
    await setRelay(true);
    try {
      const data = randomBytes(4321);
      const s = await uploadFile(alice, 'cloudreve://my/relayed.bin', data);
      expect(s.upload_urls).toBeUndefined();
      expect(s.chunk_size).toBe(0);
      const entity = await k().selectFrom('entities').selectAll().where('source', 'like', '%relayed.bin').executeTakeFirstOrThrow();
      expect(JSON.parse(entity.props!).sha256).toBe(sha256(data));
      expect(fs.readFileSync(blobPath(entity.source)).equals(data)).toBe(true);
      const u = await alice.post('/file/url', { uris: ['cloudreve://my/relayed.bin'] });
      expect(Buffer.from(await (await fetch(u.data.urls[0].url)).arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await setRelay(false);
    }
  });

  it('the node refuses bad chunks: tampered credential, another session\'s credential, wrong length, bad index', async () => {
    const data = randomBytes(2500);
    const a = (await alice.put('/file/upload', { uri: 'cloudreve://my/a.bin', size: data.length })).data;
    const b = (await alice.put('/file/upload', { uri: 'cloudreve://my/b.bin', size: data.length })).data;
    const flip = a.credential.replace(/Cr (.)/, (_m: string, c: string) => `Cr ${c === 'A' ? 'B' : 'A'}`);
    expect((await nodeChunk(a, 0, data.subarray(0, 1000), { auth: flip })).code).toBe(40071);
    expect((await nodeChunk(a, 0, data.subarray(0, 1000), { auth: b.credential })).code).toBe(40071);
    expect((await nodeChunk(a, 0, data.subarray(0, 999))).code).toBe(40013);
    expect((await nodeChunk(a, 3, data.subarray(0, 500))).code).toBe(40012);
    expect((await fetch(`${a.upload_urls[0]}?chunk=0`, { method: 'POST', body: new Uint8Array(data.subarray(0, 1000)) }).then((r) => r.json())).code).toBe(403);
    // Nothing was committed.
    expect((await list(alice, 'cloudreve://my')).find((x) => x.name === 'a.bin').size).toBe(0);
    for (const s of [a, b]) expect((await alice.delete('/file/upload', { id: s.session_id, uri: s.uri })).code).toBe(0);
  });

  it('the master refuses callbacks for unknown or expired sessions, with a wrong key, a bad signature, or replayed', async () => {
    const cb = async (sid: string, key: string, secret = SECRET, auth?: string) => {
      const p = `/api/v4/callback/remote/${sid}/${key}`;
      const body = Buffer.from('{}');
      const headers: Record<string, string> = { 'content-type': 'application/json', 'X-Cr-Node-Id': String(nodeId) };
      headers.authorization = auth ?? signRequest(secret, { method: 'POST', path: p, headers, body }, Math.floor(Date.now() / 1000) + 60);
      const res = await fetch(master.url + p, { method: 'POST', headers, body: new Uint8Array(body) });
      return { status: res.status, body: await res.json() as any, auth: headers.authorization };
    };
    const unknown = await cb('00000000-0000-4000-8000-000000000000', 'x');
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe(40011);

    const data = randomBytes(1500);
    const s = (await alice.put('/file/upload', { uri: 'cloudreve://my/cb.bin', size: data.length })).data;
    const wrongKey = await cb(s.session_id, 'not-the-secret');
    expect([wrongKey.status, wrongKey.body.code]).toEqual([401, 40071]);
    const badSig = await cb(s.session_id, s.callback_secret, 'another-secret');
    expect([badSig.status, badSig.body.code]).toEqual([401, 40071]);
    // The callback came before the bytes: the node has not published anything, so commit fails cleanly.
    const early = await cb(s.session_id, s.callback_secret);
    expect(early.status).toBe(200);
    expect(early.body.code).not.toBe(0);
    const replay = await cb(s.session_id, s.callback_secret, SECRET, early.auth);
    expect(replay.status).toBe(401);

    const s2 = (await alice.put('/file/upload', { uri: 'cloudreve://my/cb2.bin', size: data.length })).data;
    await k().updateTable('upload_sessions').set({ expires_at: Date.now() - 1000 }).where('id', '=', s2.session_id).execute();
    const expired = await cb(s2.session_id, s2.callback_secret);
    expect([expired.status, expired.body.code]).toEqual([401, 40011]);
    // A node finishing that upload now is told so, and drops what it received.
    expect((await nodeChunk(s2, 0, data.subarray(0, 1000))).code).toBe(0);
    const last = await nodeChunk(s2, 1, data.subarray(1000));
    expect(last.code).toBe(40011);
    expect((await list(alice, 'cloudreve://my')).find((x) => x.name === 'cb2.bin')?.size ?? 0).toBe(0);
  });

  it('a node killed mid-upload leaves no half-committed file; the session can be cancelled while it is down, or resumed after it restarts', async () => {
    const data = randomBytes(3500);
    const before = await used(alice);
    const s = await alice.put('/file/upload', { uri: 'cloudreve://my/kill/big.bin', size: data.length });
    expect((await nodeChunk(s.data, 0, data.subarray(0, 1000))).code).toBe(0);
    await node.kill();
    await expect(fetch(`${s.data.upload_urls[0]}?chunk=1`, { method: 'POST', body: new Uint8Array(data.subarray(1000, 2000)), headers: { authorization: s.data.credential } })).rejects.toThrow();
    const placeholder = (await list(alice, 'cloudreve://my/kill')).find((x) => x.name === 'big.bin');
    expect(placeholder.size).toBe(0);
    expect(placeholder.metadata['sys:upload_session_id']).toBe(s.data.session_id);
    const url = await alice.post('/file/url', { uris: ['cloudreve://my/kill/big.bin'] });
    expect(url.code).not.toBe(0);
    // A second upload is abandoned while the node is down: cancel works, capacity comes back.
    const gone = await alice.put('/file/upload', { uri: 'cloudreve://my/kill/gone.bin', size: 10 });
    expect(gone.code).toBe(50004); // the node cannot open a session: nothing is created
    expect((await list(alice, 'cloudreve://my/kill')).some((x) => x.name === 'gone.bin')).toBe(false);

    // The node comes back (new address, updated through the admin API): the session continues.
    node = await startNode();
    const row = await admin.get(`/admin/node/${nodeId}`);
    expect((await admin.put(`/admin/node/${nodeId}`, { node: { ...row.data, server: node.url } })).code).toBe(0);
    for (let i = 1; i < 4; i++) expect((await nodeChunk(s.data, i, data.subarray(i * 1000, (i + 1) * 1000), { base: node.url })).code).toBe(0);
    const done = (await list(alice, 'cloudreve://my/kill')).find((x) => x.name === 'big.bin');
    expect(done.size).toBe(data.length);
    expect(await used(alice)).toBe(before + data.length);

    // Killed again mid-upload, then cancelled while down: placeholder and reservation go away.
    const t = await alice.put('/file/upload', { uri: 'cloudreve://my/kill/half.bin', size: data.length });
    expect((await nodeChunk(t.data, 0, data.subarray(0, 1000), { base: node.url })).code).toBe(0);
    await node.kill();
    expect(await used(alice)).toBe(before + 2 * data.length);
    expect((await alice.delete('/file/upload', { id: t.data.session_id, uri: t.data.uri })).code).toBe(0);
    expect((await list(alice, 'cloudreve://my/kill')).some((x) => x.name === 'half.bin')).toBe(false);
    expect(await used(alice)).toBe(before + data.length);
    node = await startNode();
  }, 180_000);
});
