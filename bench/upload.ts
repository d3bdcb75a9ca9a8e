/**
 * Upload throughput of a large file over loopback: our chunked upload (PUT /file/upload, then
 * POST /file/upload/:session/:index per chunk in order; the last chunk commits) against a plain
 * PUT of the same bytes to nginx (dav module) and to a plain Node stream-to-disk server.
 * Targets (file-system issue): median throughput ≥ 0.7× "nginx's (or a plain Node stream-to-disk
 * server's)" PUT — gated on the Node server, the peer that pays the same runtime costs; nginx is
 * reported beside it, once as it is and once with an fdatasync of what it stored, because our
 * upload answers only after the blob is on disk and the SHA-256 recorded, while neither peer syncs
 * or hashes. Server RSS < 200 MB throughout.
 *   npx tsx bench/upload.ts [--size 1G] [--runs 5] [--verify] [--cpu-prof DIR] [--timeout 900]
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Api, ApiError, myUri } from './lib/api.ts';
import { formatBytes, parseArgs } from './lib/args.ts';
import { makeTestFile, median, mibPerSec, sha256File } from './lib/data.ts';
import { download, sendFileRange } from './lib/http.ts';
import { SideStats, watchdog } from './lib/proc.ts';
import { Report, reportTransfer, runBench } from './lib/report.ts';
import { benchTemp, startOurServer, type OurServer } from './lib/server.ts';
import { nginxBinary, startNginx, type NginxPeer } from './peers/nginx.ts';
import { startNodeDisk, type NodeDiskPeer } from './peers/node-disk.ts';

const args = parseArgs();
const size = args.size('size', 1024 ** 3);
const runs = Math.max(1, args.int('runs', 5));
const verify = args.flag('verify');
const cpuProf = args.raw.has('cpu-prof') ? path.resolve(args.str('cpu-prof', 'bench/out/prof-upload')) : undefined;
watchdog(args.int('timeout', 900), 'upload');

const RATIO_TARGET = 0.7;
const RSS_LIMIT_MB = 200;

const report = new Report('upload', { size, runs });
const work = benchTemp('upload');
let ours: OurServer | undefined;
let nginx: NginxPeer | undefined;
let nodePeer: NodeDiskPeer | undefined;

await runBench(report, async () => {
  console.log(`upload bench: ${formatBytes(size)}, ${runs} run(s) each`);
  const file = path.join(work, 'payload.bin');
  await makeTestFile(file, size);
  const expected = verify ? await sha256File(file) : undefined;

  if (nginxBinary()) nginx = await startNginx();
  nodePeer = await startNodeDisk();
  ours = await startOurServer({ cpuProfDir: cpuProf, keep: !!cpuProf });
  const api = new Api(ours.url);
  await api.signUpAndIn('bench@example.com', 'bench-password-1');
  const policy = await api.policyFor(myUri());

  const put = async (who: string, base: string, name: string) => {
    const r = await sendFileRange('PUT', `${base}/${name}`, file, 0, size);
    if (r.status !== 201 && r.status !== 204 && r.status !== 200) throw new Error(`${who} PUT: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return r.ms;
  };
  const cleanPeer = async (root: string, name: string) => fs.promises.rm(path.join(root, name), { force: true });
  let chunkInfo = '';
  const oursOnce = async (name: string) => {
    const start = performance.now();
    const r = await api.upload(myUri('bench-upload', name), file, size, policy);
    chunkInfo = `${r.chunks} chunk(s) of ${formatBytes(r.chunkSize)}`;
    return performance.now() - start;
  };
  const cleanOurs = async (name: string) => {
    try {
      await api.call('DELETE', '/file', { uris: [myUri('bench-upload', name)], skip_soft_delete: true });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e; // delete not available: the data dir is removed at the end anyway
    }
  };

  // Warm-up: one untimed small-ish upload each (JIT, sockets, directories).
  const warm = Math.min(size, 8 * 1024 * 1024);
  await sendFileRange('PUT', `${nodePeer.url}/warm.bin`, file, 0, warm);
  if (nginx) await sendFileRange('PUT', `${nginx.url}/warm.bin`, file, 0, warm);
  await api.upload(myUri('bench-upload', 'warm.bin'), file, warm, policy).catch((e) => { throw new Error(`warm-up upload failed: ${(e as Error).message}`); });

  const stats = { nginx: nginx ? new SideStats(nginx.pid) : undefined, node: new SideStats(nodePeer.pid), ours: new SideStats(ours.pid) };
  const times = { nginx: [] as number[], node: [] as number[], ours: [] as number[] };
  const nginxDurable: number[] = [];
  const syncMs = async (file: string) => {
    const t0 = performance.now();
    const fh = await fs.promises.open(file, 'r+');
    await fh.datasync();
    await fh.close();
    return performance.now() - t0;
  };
  const sides = {
    nginx: async (name: string) => {
      if (!nginx) return;
      times.nginx.push(await stats.nginx!.measure(() => put('nginx', nginx!.url, name)));
      nginxDurable.push(times.nginx.at(-1)! + await syncMs(path.join(nginx.root, name)));
      await cleanPeer(nginx.root, name);
    },
    ours: async (name: string, first: boolean) => {
      times.ours.push(await stats.ours.measure(() => oursOnce(name)));
      if (expected && first) {
        const h = createHash('sha256');
        const r = await download(await api.downloadUrl(myUri('bench-upload', name)), {}, h);
        if (r.bytes !== size || h.digest('hex') !== expected) throw new Error('stored bytes differ from the uploaded file');
        report.note('verified: stored bytes are identical (sha-256, downloaded back)');
      }
      await cleanOurs(name);
    },
    node: async (name: string) => {
      times.node.push(await stats.node.measure(() => put('node', nodePeer!.url, name)));
      await cleanPeer(nodePeer!.root, name);
    },
  };
  const order = ['nginx', 'ours', 'node'] as const;
  for (let i = 0; i < runs; i++) {
    const name = `run-${i}.bin`;
    // Rotate who goes first: a side that follows another meets its writeback on the same disk.
    for (let k = 0; k < order.length; k++) await sides[order[(i + k) % order.length]!](name, i === 0);
    const f = (ms?: number) => (ms === undefined ? 'n/a' : `${mibPerSec(size, ms).toFixed(0)} MiB/s`);
    console.log(`  run ${i + 1}: nginx ${f(times.nginx[i])}, ours ${f(times.ours[i])}, node ${f(times.node[i])}`);
  }
  if (!nginx) report.note('nginx not installed: only the Node stream-to-disk server is compared');
  reportTransfer(report, { verb: `PUT (${chunkInfo})`, size, runs, times, stats, ratioTarget: RATIO_TARGET, rssLimitMb: RSS_LIMIT_MB, gate: 'node' });
  if (nginxDurable.length) {
    const ours = mibPerSec(size, median(times.ours));
    const peer = mibPerSec(size, median(nginxDurable));
    report.info('throughput vs nginx PUT + fdatasync (same durability)', `${ours.toFixed(2)} MiB/s`, `${peer.toFixed(2)} MiB/s (nginx+sync)`, ours / peer, 'ours/nginx+sync');
  }
  if (cpuProf) report.note(`CPU profile of the server in ${cpuProf} (open in Chrome DevTools)`);
});

await ours?.stop().catch(() => undefined);
await nginx?.stop().catch(() => undefined);
await nodePeer?.stop().catch(() => undefined);
fs.rmSync(work, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
