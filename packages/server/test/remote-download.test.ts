import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { newUser } from './helpers/fs.ts';
import { downloadPath, fetchBytes, sha256, uploadFile } from './helpers/transfer.ts';
import { toolAvailable } from './helpers/webdav.ts';
import { killDownloaders, makeTorrent, startAria2, startQbittorrent, startTracker, type Aria2Proc, type QbProc } from './helpers/torrent.ts';
import type { Client } from './helpers/client.ts';

const aria2 = toolAvailable('aria2c', ['--version']);
const qbit = toolAvailable('qbittorrent-nox', ['--version']);
const sqlite = (await backends()).find((b) => b.db === 'sqlite' && !b.redis)!;

afterAll(() => killDownloaders());

async function taskList(c: Client, category: 'downloading' | 'downloaded'): Promise<any[]> {
  const r = await c.get(`/workflow?page_size=100&category=${category}`);
  expect(r.code).toBe(0);
  return r.data.tasks;
}

async function findTask(c: Client, id: string): Promise<any> {
  for (const cat of ['downloading', 'downloaded'] as const) {
    const t = (await taskList(c, cat)).find((x) => x.id === id);
    if (t) return t;
  }
  throw new Error(`task ${id} not listed`);
}

async function waitTask(c: Client, id: string, until: (t: any) => boolean, ms = 60_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = await findTask(c, id);
    if (until(t)) return t;
    if (Date.now() > deadline) throw new Error(`task ${id} stuck: ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const finished = (t: any) => ['completed', 'error', 'canceled'].includes(t.status);

async function listNames(c: Client, uri: string): Promise<string[]> {
  const r = await c.get(`/file?uri=${encodeURIComponent(uri)}&page_size=100`);
  expect(r.code).toBe(0);
  return r.data.files.map((f: any) => f.name).sort();
}

async function content(ts: TestServer, c: Client, uri: string): Promise<Buffer> {
  return (await fetchBytes(ts, await downloadPath(c, uri))).body;
}

function fileServer(data: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
    res.end(data);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${port}/files/data.bin`, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) });
  }));
}

async function setNode(ts: TestServer, settings: Record<string, unknown>): Promise<void> {
  await ts.server.ctx.db.kysely.updateTable('nodes').set({ settings: JSON.stringify(settings) }).where('type', '=', 'master').execute();
}

describe.skipIf(!aria2.ok)(`remote download with aria2${aria2.ok ? '' : ` (skipped: ${aria2.why})`}`, () => {
  let ts: TestServer;
  let admin: Client;
  let dl: Aria2Proc;
  let seeder: Aria2Proc;
  let tracker: Awaited<ReturnType<typeof startTracker>>;
  let work: string;

  beforeAll(async () => {
    ts = await startServer(sqlite);
    admin = (await newUser(ts, 'admin@example.com')).c;
    [dl, seeder, tracker] = await Promise.all([startAria2(), startAria2({ seeder: true }), startTracker()]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-rd-'));
    await setNode(ts, { provider: 'aria2', aria2: { server: dl.rpc.replace('/jsonrpc', ''), token: dl.secret, temp_path: path.join(work, 'temp') }, interval: 1 });
  }, 60_000);
  afterAll(async () => {
    dl?.stop();
    seeder?.stop();
    await tracker?.close();
    await ts?.close();
  });

  it('downloads an http URL into dst after the outbound rules allow the host; loopback is refused by default', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const web = await fileServer(data);
    try {
      const refused = await admin.post('/workflow/download', { src: [web.url], dst: 'cloudreve://my/dl' });
      expect(refused.code).toBe(40001);
      expect(refused.msg).toMatch(/refused/);
      const meta = await admin.post('/workflow/download', { src: ['http://169.254.169.254/latest/meta-data'], dst: 'cloudreve://my/dl' });
      expect(meta.code).toBe(40001);

      await ts.server.ctx.settings.set({ outbound_allowed_hosts: '127.0.0.1' });
      const r = await admin.post('/workflow/download', { src: [web.url], dst: 'cloudreve://my/dl' });
      expect(r.code).toBe(0);
      expect(r.data).toHaveLength(1);
      const t = r.data[0];
      expect(t).toMatchObject({ status: 'queued', type: 'remote_download' });
      expect(t.summary.props).toEqual({ src_str: web.url, src: '', dst: 'cloudreve://my/dl', failed: 0, download: null });
      const done = await waitTask(admin, t.id, finished);
      expect(done.status).toBe('completed');
      expect(done.summary.props.download).toMatchObject({ name: 'data.bin', state: 'completed', total: data.length, downloaded: data.length });
      expect(done.summary.props.download.save_path).toBeUndefined();
      expect(sha256(await content(ts, admin, 'cloudreve://my/dl/data.bin'))).toBe(sha256(data));
      // Temp data and the aria2 job are gone.
      expect(fs.readdirSync(path.join(work, 'temp'))).toEqual([]);
      expect(await dl.call('aria2.tellStopped', 0, 100)).toEqual([]);
      // The same URL again: the file exists, so the transfer fails and counts it.
      await ts.server.ctx.settings.set({ queue_remote_download_max_retry: '0' });
      const again = await admin.post('/workflow/download', { src: [web.url], dst: 'cloudreve://my/dl' });
      const failed = await waitTask(admin, again.data[0].id, finished);
      expect(failed.status).toBe('error');
      expect(failed.summary.props.failed).toBe(1);
      expect(failed.error).toMatch(/could not be stored/);
      expect(await listNames(admin, 'cloudreve://my/dl')).toEqual(['data.bin']);
    } finally {
      await ts.server.ctx.settings.set({ outbound_allowed_hosts: '', queue_remote_download_max_retry: '5' });
      await web.close();
    }
  }, 90_000);

  it('a .torrent file (src_file): lists its files, keeps only the selected ones, and stores them under the torrent folder', async () => {
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const files = [
      { path: 'a.bin', data: randomBytes(200_000) },
      { path: 'sub/b.bin', data: randomBytes(150_000) },
      { path: 'skip.bin', data: randomBytes(120_000) },
    ];
    const t = makeTorrent(seedDir, 'pack', files, tracker.announce);
    await uploadFile(admin, 'cloudreve://my/torrents/pack.torrent', t.torrent);
    const r = await admin.post('/workflow/download', { src_file: 'cloudreve://my/torrents/pack.torrent', dst: 'cloudreve://my/bt' });
    expect(r.code).toBe(0);
    const id = r.data[0].id;
    expect(r.data[0].summary.props).toMatchObject({ src: 'cloudreve://my/torrents/pack.torrent', src_str: '' });
    // No peer yet: the task monitors, with the torrent's file list known.
    const mon = await waitTask(admin, id, (x) => x.summary?.phase === 'monitor' && x.summary.props.download?.files?.length === 3);
    expect(mon.summary.props.download).toMatchObject({ state: 'downloading', hash: t.infoHash, total: 470_000 });
    const skip = mon.summary.props.download.files.find((f: any) => f.name === 'pack/skip.bin');
    expect(skip).toMatchObject({ size: 120_000, selected: true });

    const sel = await admin.patch(`/workflow/download/${id}`, { files: [{ index: skip.index, download: false }] });
    expect(sel.code).toBe(0);
    await seeder.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir });
    const done = await waitTask(admin, id, finished);
    expect(done.status).toBe('completed');
    expect(done.summary.props.download.files.find((f: any) => f.name === 'pack/skip.bin').selected).toBe(false);
    expect(await listNames(admin, 'cloudreve://my/bt/pack')).toEqual(['a.bin', 'sub']);
    expect(sha256(await content(ts, admin, 'cloudreve://my/bt/pack/a.bin'))).toBe(sha256(files[0]!.data));
    expect(sha256(await content(ts, admin, 'cloudreve://my/bt/pack/sub/b.bin'))).toBe(sha256(files[1]!.data));
    expect(fs.readdirSync(path.join(work, 'temp'))).toEqual([]);
    // Selecting files of a finished task: 404.
    expect((await admin.patch(`/workflow/download/${id}`, { files: [{ index: 1, download: true }] })).code).toBe(404);
  }, 90_000);

  it('a magnet link: metadata from the swarm, then the data (aria2 followedBy)', async () => {
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const data = randomBytes(300_000);
    const t = makeTorrent(seedDir, 'single.bin', [{ path: '', data }], tracker.announce);
    await seeder.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir });
    const r = await admin.post('/workflow/download', { src: [t.magnet], dst: 'cloudreve://my/magnet' });
    expect(r.code).toBe(0);
    const done = await waitTask(admin, r.data[0].id, finished, 90_000);
    expect(done.status).toBe('completed');
    expect(done.summary.props.download.hash).toBe(t.infoHash);
    expect(sha256(await content(ts, admin, 'cloudreve://my/magnet/single.bin'))).toBe(sha256(data));
    expect(await dl.call('aria2.tellStopped', 0, 100)).toEqual([]);
  }, 120_000);

  it('cancel removes the aria2 job and the temp data; the task ends canceled', async () => {
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const t = makeTorrent(seedDir, 'never', [{ path: 'x.bin', data: randomBytes(50_000) }], tracker.announce);
    await uploadFile(admin, 'cloudreve://my/torrents/never.torrent', t.torrent);
    const r = await admin.post('/workflow/download', { src_file: 'cloudreve://my/torrents/never.torrent', dst: 'cloudreve://my/never' });
    const id = r.data[0].id;
    await waitTask(admin, id, (x) => x.summary?.phase === 'monitor' && !!x.summary.props.download);
    expect((await dl.call('aria2.tellActive')).length).toBe(1);
    const other = (await newUser(ts, 'other@example.com')).c;
    expect((await other.delete(`/workflow/download/${id}`)).code).toBe(404);
    expect((await admin.delete(`/workflow/download/${id}`)).code).toBe(0);
    const done = await waitTask(admin, id, finished);
    expect(done.status).toBe('canceled');
    expect(await dl.call('aria2.tellActive')).toEqual([]);
    expect(await dl.call('aria2.tellStopped', 0, 100)).toEqual([]);
    expect(fs.readdirSync(path.join(work, 'temp'))).toEqual([]);
    expect(await listNames(admin, 'cloudreve://my/never')).toEqual([]);
  }, 60_000);

  it('refuses with the contract codes: permission 40007, src/src_file 40001, batch and running limits 40015, bad dst 40001', async () => {
    const user = (await newUser(ts, 'plain@example.com')).c;
    expect((await user.post('/workflow/download', { src: ['magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567'], dst: 'cloudreve://my' })).code).toBe(40007);
    const magnet = (i: number) => `magnet:?xt=urn:btih:${i.toString(16).padStart(40, '0')}`;
    expect((await admin.post('/workflow/download', { dst: 'cloudreve://my' })).code).toBe(40001);
    expect((await admin.post('/workflow/download', { src: [magnet(1)], src_file: 'cloudreve://my/x.torrent', dst: 'cloudreve://my' })).code).toBe(40001);
    expect((await admin.post('/workflow/download', { src: ['ftp://example.com/a'], dst: 'cloudreve://my' })).code).toBe(40001);
    expect((await admin.post('/workflow/download', { src: [magnet(1)], dst: 'cloudreve://trash' })).code).toBe(40001);
    await uploadFile(admin, 'cloudreve://my/plain.txt', Buffer.from('x'));
    expect((await admin.post('/workflow/download', { src: [magnet(1)], dst: 'cloudreve://my/plain.txt' })).code).toBe(40001);

    const k = ts.server.ctx.db.kysely;
    const g = await k.selectFrom('groups').select('settings').where('id', '=', 1).executeTakeFirstOrThrow();
    await k.updateTable('groups').set({ settings: JSON.stringify({ ...JSON.parse(g.settings), aria2_batch: 2 }) }).where('id', '=', 1).execute();
    try {
      expect((await admin.post('/workflow/download', { src: [magnet(1), magnet(2), magnet(3)], dst: 'cloudreve://my' })).code).toBe(40015);
    } finally {
      await k.updateTable('groups').set({ settings: g.settings }).where('id', '=', 1).execute();
    }
    // Per-user running limit: two stalled magnets run, a third is refused, and nothing was queued for it.
    await ts.server.ctx.settings.set({ remote_download_max_running: '2' });
    try {
      const two = await admin.post('/workflow/download', { src: [magnet(11), magnet(12)], dst: 'cloudreve://my/limit' });
      expect(two.code).toBe(0);
      expect(two.data).toHaveLength(2);
      const third = await admin.post('/workflow/download', { src: [magnet(13)], dst: 'cloudreve://my/limit' });
      expect(third.code).toBe(40015);
      expect(await taskList(admin, 'downloading')).toHaveLength(2);
      for (const t of two.data) expect((await admin.delete(`/workflow/download/${t.id}`)).code).toBe(0);
      for (const t of two.data) expect((await waitTask(admin, t.id, finished)).status).toBe('canceled');
      expect((await admin.post('/workflow/download', { src: [magnet(14)], dst: 'cloudreve://my/limit' })).code).toBe(0);
      const last = (await taskList(admin, 'downloading'))[0];
      expect((await admin.delete(`/workflow/download/${last.id}`)).code).toBe(0);
      await waitTask(admin, last.id, finished);
    } finally {
      await ts.server.ctx.settings.set({ remote_download_max_running: '0' });
    }
  }, 60_000);

  it('selected files larger than the free quota, or refused by the policy name rules, end the task with an error and no leftovers', async () => {
    const k = ts.server.ctx.db.kysely;
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const t = makeTorrent(seedDir, 'huge', [{ path: 'h1.bin', data: randomBytes(150_000) }, { path: 'h2.bin', data: randomBytes(150_000) }], tracker.announce);
    await uploadFile(admin, 'cloudreve://my/torrents/huge.torrent', t.torrent);
    const used = Number((await k.selectFrom('users').select('storage').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow()).storage);
    const g = await k.selectFrom('groups').select('max_storage').where('id', '=', 1).executeTakeFirstOrThrow();
    await k.updateTable('groups').set({ max_storage: used + 200_000 }).where('id', '=', 1).execute();
    try {
      const r = await admin.post('/workflow/download', { src_file: 'cloudreve://my/torrents/huge.torrent', dst: 'cloudreve://my/huge' });
      expect(r.code).toBe(0);
      const done = await waitTask(admin, r.data[0].id, finished);
      expect(done.status).toBe('error');
      expect(done.error).toMatch(/Insufficient capacity/);
      expect(done.retry_count).toBeUndefined();
    } finally {
      await k.updateTable('groups').set({ max_storage: g.max_storage }).where('id', '=', 1).execute();
    }
    const p = await k.selectFrom('storage_policies').select('settings').where('id', '=', 1).executeTakeFirstOrThrow();
    await k.updateTable('storage_policies').set({ settings: JSON.stringify({ ...JSON.parse(p.settings), file_type: ['txt'] }) }).where('id', '=', 1).execute();
    try {
      const r = await admin.post('/workflow/download', { src_file: 'cloudreve://my/torrents/huge.torrent', dst: 'cloudreve://my/huge' });
      const done = await waitTask(admin, r.data[0].id, finished);
      expect(done.status).toBe('error');
      expect(done.error).toMatch(/extension is not allowed/);
    } finally {
      await k.updateTable('storage_policies').set({ settings: p.settings }).where('id', '=', 1).execute();
    }
    expect(await listNames(admin, 'cloudreve://my/huge')).toEqual([]);
    expect(await dl.call('aria2.tellActive')).toEqual([]);
    expect(fs.readdirSync(path.join(work, 'temp'))).toEqual([]);
  }, 60_000);

  it('admin downloader test: aria2 version, wrong secret → 40001', async () => {
    const okRes = await admin.post('/admin/node/test/downloader', { node: { settings: { provider: 'aria2', aria2: { server: dl.rpc, token: dl.secret } } } });
    expect(okRes.code).toBe(0);
    expect(okRes.data).toMatch(/^1\.\d+\.\d+$/);
    const bad = await admin.post('/admin/node/test/downloader', { node: { settings: { provider: 'aria2', aria2: { server: dl.rpc, token: 'wrong' } } } });
    expect(bad.code).toBe(40001);
    expect(bad.msg).toMatch(/Unauthorized/);
    const user = (await newUser(ts, 'nonadmin@example.com')).c;
    expect((await user.post('/admin/node/test/downloader', { node: { settings: {} } })).code).toBe(403);
  });
});

describe.skipIf(!aria2.ok || !qbit.ok)(`remote download with qBittorrent${aria2.ok && qbit.ok ? '' : ` (skipped: ${aria2.why ?? qbit.why})`}`, () => {
  let ts: TestServer;
  let admin: Client;
  let qb: QbProc;
  let seeder: Aria2Proc;
  let tracker: Awaited<ReturnType<typeof startTracker>>;
  let work: string;

  beforeAll(async () => {
    ts = await startServer(sqlite);
    admin = (await newUser(ts, 'admin@example.com')).c;
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-qb-'));
    [qb, seeder, tracker] = await Promise.all([startQbittorrent(path.join(work, 'profile')), startAria2({ seeder: true }), startTracker()]);
    await setNode(ts, { provider: 'qbittorrent', qbittorrent: { server: qb.url, user: qb.user, password: qb.password, temp_path: path.join(work, 'temp') }, interval: 1 });
  }, 60_000);
  afterAll(async () => {
    qb?.stop();
    seeder?.stop();
    await tracker?.close();
    await ts?.close();
  });

  it('admin downloader test returns the qBittorrent version; a wrong password → 40001', async () => {
    const r = await admin.post('/admin/node/test/downloader', { node: { settings: { provider: 'qbittorrent', qbittorrent: { server: qb.url, user: qb.user, password: qb.password } } } });
    expect(r.code).toBe(0);
    expect(r.data).toMatch(/^v\d+\.\d+/);
    const bad = await admin.post('/admin/node/test/downloader', { node: { settings: { provider: 'qbittorrent', qbittorrent: { server: qb.url, user: qb.user, password: 'nope' } } } });
    expect(bad.code).toBe(40001);
  });

  it('torrent file: select files through filePrio, seeding counts as done, files stored, torrent and data removed', async () => {
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const files = [{ path: 'one.bin', data: randomBytes(100_000) }, { path: 'two.bin', data: randomBytes(90_000) }];
    const t = makeTorrent(seedDir, 'qpack', files, tracker.announce);
    await uploadFile(admin, 'cloudreve://my/q.torrent', t.torrent);
    const r = await admin.post('/workflow/download', { src_file: 'cloudreve://my/q.torrent', dst: 'cloudreve://my/q' });
    expect(r.code).toBe(0);
    const id = r.data[0].id;
    const mon = await waitTask(admin, id, (x) => x.summary?.phase === 'monitor' && x.summary.props.download?.files?.length === 2);
    expect(mon.summary.props.download).toMatchObject({ hash: t.infoHash, state: 'downloading' });
    const two = mon.summary.props.download.files.find((f: any) => f.name === 'qpack/two.bin');
    expect((await admin.patch(`/workflow/download/${id}`, { files: [{ index: two.index, download: false }] })).code).toBe(0);
    await seeder.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir });
    const done = await waitTask(admin, id, finished, 90_000);
    expect(done.status).toBe('completed');
    expect(await listNames(admin, 'cloudreve://my/q/qpack')).toEqual(['one.bin']);
    expect(sha256(await content(ts, admin, 'cloudreve://my/q/qpack/one.bin'))).toBe(sha256(files[0]!.data));
    const left = await (await fetch(`${qb.url}/api/v2/torrents/info`, { headers: { cookie: await qbCookie(qb) } })).json();
    expect(left).toEqual([]);
    expect(fs.existsSync(path.join(work, 'temp', 'qbittorrent')) ? fs.readdirSync(path.join(work, 'temp', 'qbittorrent')) : []).toEqual([]);
  }, 120_000);

  it('magnet link and cancel', async () => {
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const data = randomBytes(120_000);
    const t = makeTorrent(seedDir, 'mag.bin', [{ path: '', data }], tracker.announce);
    await seeder.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir });
    const r = await admin.post('/workflow/download', { src: [t.magnet], dst: 'cloudreve://my/qm' });
    expect(r.code).toBe(0);
    const done = await waitTask(admin, r.data[0].id, finished, 90_000);
    expect(done.status).toBe('completed');
    expect(sha256(await content(ts, admin, 'cloudreve://my/qm/mag.bin'))).toBe(sha256(data));

    const lonely = `magnet:?xt=urn:btih:${'ab'.repeat(20)}&tr=${encodeURIComponent(tracker.announce)}`;
    const c = await admin.post('/workflow/download', { src: [lonely], dst: 'cloudreve://my/qc' });
    const id = c.data[0].id;
    await waitTask(admin, id, (x) => x.summary?.phase === 'monitor');
    expect((await admin.delete(`/workflow/download/${id}`)).code).toBe(0);
    expect((await waitTask(admin, id, finished)).status).toBe('canceled');
    const left = await (await fetch(`${qb.url}/api/v2/torrents/info`, { headers: { cookie: await qbCookie(qb) } })).json();
    expect(left).toEqual([]);
  }, 120_000);
});

async function qbCookie(qb: QbProc): Promise<string> {
  const res = await fetch(`${qb.url}/api/v2/auth/login`, { method: 'POST', body: new URLSearchParams({ username: qb.user, password: qb.password }) });
  return `SID=${/SID=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]}`;
}

describe.skipIf(!aria2.ok)(`remote download survives a server crash${aria2.ok ? '' : ` (skipped: ${aria2.why})`}`, () => {
  it('SIGKILL mid-download: after a restart the task picks up the same aria2 job and stores every file exactly once', async () => {
    const { childDatabase, killAllChildren, startChild } = await import('./helpers/child-server.ts');
    const Database = (await import('better-sqlite3')).default;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-rdk-'));
    const [dl, seeder, tracker] = await Promise.all([startAria2(), startAria2({ seeder: true }), startTracker()]);
    try {
      const db = await childDatabase(sqlite, work);
      const env = { ...db.env, CR_SETTING_task_poll_interval: '100', CR_SETTING_task_lease_seconds: '2', CR_SETTING_outbound_allowed_hosts: '127.0.0.1' };
      const a = await startChild(work, env);
      const ca = a.client();
      await ca.signUpAndIn('admin@example.com');
      const sq = new Database(path.join(work, 'cloudreve.db'));
      sq.prepare("update nodes set settings = ? where type = 'master'").run(JSON.stringify({
        provider: 'aria2', aria2: { server: dl.rpc, token: dl.secret, temp_path: path.join(work, 'rd-temp') }, interval: 1,
      }));
      sq.close();

      const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
      const files = [{ path: 'x.bin', data: randomBytes(700_000) }, { path: 'y/z.bin', data: randomBytes(500_000) }];
      const t = makeTorrent(seedDir, 'crash', files, tracker.announce);
      await uploadFile(ca, 'cloudreve://my/crash.torrent', t.torrent);
      const r = await ca.post('/workflow/download', { src_file: 'cloudreve://my/crash.torrent', dst: 'cloudreve://my/crash' });
      expect(r.code).toBe(0);
      const id = r.data[0].id;
      await waitTask(ca, id, (x) => x.summary?.phase === 'monitor');
      // A slow seeder, so the server dies while data is flowing.
      await seeder.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir, 'max-upload-limit': '150K' });
      for (let i = 0; ; i++) {
        const [job] = await dl.call('aria2.tellActive', ['completedLength', 'totalLength']);
        if (job && Number(job.completedLength) > 0) {
          expect(Number(job.completedLength)).toBeLessThan(1_200_000);
          break;
        }
        if (i > 300) throw new Error('download never started');
        await new Promise((res) => setTimeout(res, 50));
      }
      await a.kill();

      const b = await startChild(work, env);
      const cb = b.client();
      await cb.signIn('admin@example.com');
      const done = await waitTask(cb, id, finished, 120_000);
      expect(done.status).toBe('completed');
      expect(done.error_history).toBeUndefined();
      expect(await listNames(cb, 'cloudreve://my/crash/crash')).toEqual(['x.bin', 'y']);
      for (const [uri, data] of [['cloudreve://my/crash/crash/x.bin', files[0]!.data], ['cloudreve://my/crash/crash/y/z.bin', files[1]!.data]] as const) {
        const info = await cb.get(`/file/info?uri=${encodeURIComponent(uri)}&extended=true`);
        expect(info.data.extended_info.entities).toHaveLength(1);
        const body = Buffer.from(await (await fetch(new URL(await downloadPath(cb, uri), b.url))).arrayBuffer());
        expect(sha256(body)).toBe(sha256(data));
      }
      // One job only ever existed, and it is gone with its data.
      expect(await dl.call('aria2.tellActive')).toEqual([]);
      expect(await dl.call('aria2.tellStopped', 0, 100)).toEqual([]);
      expect(fs.readdirSync(path.join(work, 'rd-temp'))).toEqual([]);
      expect((await taskList(cb, 'downloaded')).map((x) => x.id)).toEqual([id]);

      // Killed while moving the finished download into dst: the restarted task stores it once.
      const big = randomBytes(64 * 1024 * 1024);
      const web = await fileServer(big);
      try {
        const r2 = await cb.post('/workflow/download', { src: [web.url], dst: 'cloudreve://my/big' });
        expect(r2.code).toBe(0);
        await waitTask(cb, r2.data[0].id, (x) => x.summary?.phase === 'transfer' || finished(x), 60_000);
        await b.kill();
        const third = await startChild(work, env);
        const c3 = third.client();
        await c3.signIn('admin@example.com');
        const done2 = await waitTask(c3, r2.data[0].id, finished, 120_000);
        expect(done2.status).toBe('completed');
        expect(await listNames(c3, 'cloudreve://my/big')).toEqual(['data.bin']);
        const info = await c3.get(`/file/info?uri=${encodeURIComponent('cloudreve://my/big/data.bin')}&extended=true`);
        expect(info.data.extended_info.entities).toHaveLength(1);
        const body = Buffer.from(await (await fetch(new URL(await downloadPath(c3, 'cloudreve://my/big/data.bin'), c3.base))).arrayBuffer());
        expect(sha256(body)).toBe(sha256(big));
        expect(fs.readdirSync(path.join(work, 'rd-temp'))).toEqual([]);
      } finally {
        await web.close();
      }
      await db.drop();
    } finally {
      killAllChildren();
      dl.stop();
      seeder.stop();
      await tracker.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);
});
