/**
 * Remote storage node: a large upload and download through a `remote` storage policy (master +
 * node, both cloudreve-ts processes on loopback) against the same transfer straight to a plain
 * Node stream-to-disk server standing in for "the node's disk".
 *  - upload, ours:     PUT /file/upload on the master → POST every chunk to the node with the
 *                      session credential (in order, like the web client with chunk_concurrency 1);
 *                      the last chunk makes the node publish the blob and call the master back,
 *                      which commits — all inside the timing
 *  - upload, straight: one PUT of the whole file to the plain Node server (no fsync, no hashing)
 *  - download, ours:   POST /file/url on the master → GET the node-signed URL from the node
 *  - download, straight: GET from the plain Node server
 * Targets: download ≥ 0.8× straight; master and node peak RSS < 200 MB. The upload ratio is
 * reported (ours fsyncs every chunk, hashes and links into place; the peer does none of that).
 *   npx tsx bench/remote-node.ts [--size 1G] [--runs 1] [--chunk 25M] [--timeout 1800]
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Api, myUri } from './lib/api.ts';
import { formatBytes, parseArgs } from './lib/args.ts';
import { makeTestFile, median, mibPerSec } from './lib/data.ts';
import { download, sendFileRange } from './lib/http.ts';
import { SideStats, watchdog } from './lib/proc.ts';
import { Report, runBench } from './lib/report.ts';
import { benchTemp, startOurServer, type OurServer } from './lib/server.ts';
import { startNodeDisk, type NodeDiskPeer } from './peers/node-disk.ts';

const args = parseArgs();
const size = args.size('size', 1024 ** 3);
const runs = Math.max(1, args.int('runs', 1));
const chunk = args.size('chunk', 25 * 1024 * 1024);
watchdog(args.int('timeout', 1800), 'remote-node');
const DOWNLOAD_TARGET = 0.8;
const RSS_LIMIT_MB = 200;
const SECRET = randomBytes(32).toString('hex');

const report = new Report('remote-node', { size, runs, chunk });
const work = benchTemp('remote-node');
let master: OurServer | undefined;
let node: OurServer | undefined;
let peer: NodeDiskPeer | undefined;

await runBench(report, async () => {
  console.log(`remote-node bench: ${formatBytes(size)}, ${runs} run(s), chunks of ${formatBytes(chunk)}`);
  const file = path.join(work, 'payload.bin');
  await makeTestFile(file, size);
  [master, node, peer] = await Promise.all([
    startOurServer(),
    startOurServer({ env: { CR_CONF_System_Mode: 'slave', CR_CONF_Slave_Secret: SECRET } }),
    startNodeDisk(),
  ]);
  const api = new Api(master.url);
  await api.signUpAndIn('bench@example.com', 'bench-password-1'); // first user: administrator
  await api.call('PATCH', '/admin/settings', { settings: { siteURL: master.url } });

  // Node and remote policy straight into the master's database, policy bound to every group.
  const db = new Database(master.dbFile);
  const now = Date.now();
  const nodeRow = db.prepare(`insert into nodes (name, status, type, server, slave_key, capabilities, settings, weight, created_at, updated_at)
    values ('bench-node', 'active', 'slave', ?, ?, '', '{}', 1, ?, ?)`).run(node.url, SECRET, now, now);
  const policyRow = db.prepare(`insert into storage_policies (name, type, server, bucket_name, is_private, access_key, secret_key, max_size, dir_name_rule, file_name_rule, settings, node_id, created_at, updated_at)
    values ('bench-remote', 'remote', ?, '', 1, '', '', 0, 'uploads/{uid}', '{uuid}_{originname}', ?, ?, ?, ?)`)
    .run(node.url, JSON.stringify({ chunk_size: chunk }), Number(nodeRow.lastInsertRowid), now, now);
  db.prepare('update groups set storage_policy_id = ?').run(Number(policyRow.lastInsertRowid));
  db.close();
  const policy = await api.policyFor(myUri());

  const oursUpload = async (name: string) => {
    const t0 = performance.now();
    const s = await api.call('PUT', '/file/upload', { uri: myUri('remote', name), size, policy_id: policy });
    if (!s.upload_urls?.[0]?.startsWith(node!.url)) throw new Error(`upload not directed to the node: ${JSON.stringify(s.upload_urls)}`);
    const cs = s.chunk_size > 0 ? s.chunk_size : size;
    for (let i = 0; i * cs < size; i++) {
      const r = await sendFileRange('POST', `${s.upload_urls[0]}?chunk=${i}`, file, i * cs, Math.min(size, (i + 1) * cs), { authorization: s.credential });
      const env = r.status === 200 ? JSON.parse(r.body) : undefined;
      if (env?.code !== 0) throw new Error(`chunk ${i}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    }
    return performance.now() - t0;
  };
  const straightUpload = async (name: string) => {
    const r = await sendFileRange('PUT', `${peer!.url}/${name}`, file, 0, size);
    if (r.status !== 201) throw new Error(`straight upload: HTTP ${r.status}`);
    return r.ms;
  };
  const oursDownload = async (name: string) => {
    const t0 = performance.now();
    const r = await api.call<{ urls: { url: string }[] }>('POST', '/file/url', { uris: [myUri('remote', name)], download: true });
    const url = r.urls[0]!.url;
    if (!url.startsWith(node!.url)) throw new Error(`download not served by the node: ${url}`);
    const got = await download(url);
    if (got.status !== 200 || got.bytes !== size) throw new Error(`download: HTTP ${got.status}, ${got.bytes} bytes`);
    return performance.now() - t0;
  };
  const straightDownload = async (name: string) => {
    const got = await download(`${peer!.url}/${name}`);
    if (got.status !== 200 || got.bytes !== size) throw new Error(`straight download: HTTP ${got.status}, ${got.bytes} bytes`);
    return got.ms;
  };

  const stats = { master: new SideStats(master.pid), node: new SideStats(node.pid) };
  const both = <T>(fn: () => Promise<T>) => stats.master.measure(() => stats.node.measure(fn));
  const t = { up: [] as number[], upStraight: [] as number[], down: [] as number[], downStraight: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const name = `run-${i}.bin`;
    t.upStraight.push(await straightUpload(name));
    t.up.push(await both(() => oursUpload(name)));
    t.downStraight.push(await straightDownload(name));
    t.down.push(await both(() => oursDownload(name)));
    const f = (ms: number) => `${mibPerSec(size, ms).toFixed(0)} MiB/s`;
    console.log(`  run ${i + 1}: upload ours ${f(t.up[i]!)} / straight ${f(t.upStraight[i]!)}; download ours ${f(t.down[i]!)} / straight ${f(t.downStraight[i]!)}`);
  }
  const tp = (xs: number[]) => mibPerSec(size, median(xs));
  report.ratioAtLeast(`download ${formatBytes(size)} from the node (signed URL), median throughput`, tp(t.down), tp(t.downStraight), 'MiB/s', 'plain Node server', DOWNLOAD_TARGET);
  report.info(`upload ${formatBytes(size)} to the node (chunks + callback commit), median throughput`, `${tp(t.up).toFixed(2)} MiB/s`, `${tp(t.upStraight).toFixed(2)} MiB/s (plain Node server)`, tp(t.up) / tp(t.upStraight), 'ours/plain');
  report.below('master peak RSS', stats.master.peakRss / 1e6, RSS_LIMIT_MB, 'MB');
  report.below('node peak RSS', stats.node.peakRss / 1e6, RSS_LIMIT_MB, 'MB');
  report.note('the bytes never pass through the master; the node fsyncs each chunk, hashes in stream order and links the blob into place');
});

await master?.stop().catch(() => undefined);
await node?.stop().catch(() => undefined);
await peer?.stop().catch(() => undefined);
fs.rmSync(work, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
