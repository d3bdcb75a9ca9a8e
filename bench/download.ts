/**
 * Download throughput of a large file over loopback: our server (POST /file/url, then GET the
 * signed URL) against nginx serving the same bytes with sendfile, alternating runs in one process.
 * Targets (file-system issue): median throughput ≥ 0.8× nginx; server RSS < 200 MB throughout.
 *   npx tsx bench/download.ts [--size 1G] [--runs 3] [--verify] [--cpu-prof DIR] [--timeout 900]
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Api, myUri } from './lib/api.ts';
import { formatBytes, parseArgs } from './lib/args.ts';
import { makeTestFile, mibPerSec, sha256File } from './lib/data.ts';
import { download } from './lib/http.ts';
import { SideStats, watchdog } from './lib/proc.ts';
import { Report, reportTransfer, runBench } from './lib/report.ts';
import { benchTemp, startOurServer, type OurServer } from './lib/server.ts';
import { startNginx, type NginxPeer } from './peers/nginx.ts';
import { startNodeDisk, type NodeDiskPeer } from './peers/node-disk.ts';

const args = parseArgs();
const size = args.size('size', 1024 ** 3);
const runs = Math.max(1, args.int('runs', 3));
const verify = args.flag('verify');
const cpuProf = args.raw.has('cpu-prof') ? path.resolve(args.str('cpu-prof', 'bench/out/prof-download')) : undefined;
watchdog(args.int('timeout', 900), 'download');

const RATIO_TARGET = 0.8;
const RSS_LIMIT_MB = 200;

const report = new Report('download', { size, runs });
const work = benchTemp('download');
let ours: OurServer | undefined;
let nginx: NginxPeer | undefined;
let nodePeer: NodeDiskPeer | undefined;

await runBench(report, async () => {
  console.log(`download bench: ${formatBytes(size)}, ${runs} run(s) each`);
  const file = path.join(work, 'payload.bin');
  await makeTestFile(file, size);
  const expected = verify ? await sha256File(file) : undefined;

  nginx = await startNginx();
  fs.linkSync(file, path.join(nginx.root, 'payload.bin'));
  nodePeer = await startNodeDisk();
  fs.linkSync(file, path.join(nodePeer.root, 'payload.bin'));
  ours = await startOurServer({ cpuProfDir: cpuProf, keep: !!cpuProf });
  const api = new Api(ours.url);
  await api.signUpAndIn('bench@example.com', 'bench-password-1');
  const uri = myUri('bench', 'payload.bin');
  const policy = await api.policyFor(myUri());
  const t0 = performance.now();
  await api.upload(uri, file, size, policy);
  console.log(`  seeded our server by chunked upload in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const check = (who: string, r: { status: number; bytes: number }) => {
    if (r.status !== 200 || r.bytes !== size) throw new Error(`${who}: HTTP ${r.status}, ${r.bytes} of ${size} bytes`);
  };
  const oursOnce = async (hash?: ReturnType<typeof createHash>) => {
    const start = performance.now();
    const url = await api.downloadUrl(uri);
    const r = await download(url, {}, hash);
    check('ours', r);
    return performance.now() - start;
  };
  const nginxOnce = async () => {
    const r = await download(`${nginx!.url}/payload.bin`);
    check('nginx', r);
    return r.ms;
  };
  const nodeOnce = async () => {
    const r = await download(`${nodePeer!.url}/payload.bin`);
    check('node', r);
    return r.ms;
  };

  if (expected) {
    const h = createHash('sha256');
    await oursOnce(h);
    if (h.digest('hex') !== expected) throw new Error('downloaded bytes differ from the uploaded file');
    report.note('verified: downloaded bytes are identical (sha-256)');
  }
  // Warm-up: one untimed request each (page cache, JIT, sockets).
  await nginxOnce();
  await nodeOnce();
  await oursOnce();

  const stats = { nginx: new SideStats(nginx.pid), node: new SideStats(nodePeer.pid), ours: new SideStats(ours.pid) };
  const times = { nginx: [] as number[], node: [] as number[], ours: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.nginx.push(await stats.nginx.measure(nginxOnce));
    times.ours.push(await stats.ours.measure(() => oursOnce()));
    times.node.push(await stats.node.measure(nodeOnce));
    console.log(`  run ${i + 1}: nginx ${mibPerSec(size, times.nginx[i]!).toFixed(0)} MiB/s, ours ${mibPerSec(size, times.ours[i]!).toFixed(0)} MiB/s, node ${mibPerSec(size, times.node[i]!).toFixed(0)} MiB/s`);
  }
  reportTransfer(report, { verb: 'GET', size, runs, times, stats, ratioTarget: RATIO_TARGET, rssLimitMb: RSS_LIMIT_MB, gate: 'nginx' });
  if (cpuProf) report.note(`CPU profile of the server in ${cpuProf} (open in Chrome DevTools)`);
});

await ours?.stop().catch(() => undefined);
await nginx?.stop().catch(() => undefined);
await nodePeer?.stop().catch(() => undefined);
fs.rmSync(work, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
