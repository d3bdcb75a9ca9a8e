/**
 * Listing a folder of 100,000 files and creating files through the API.
 *  1. A folder made through the API is filled with --files rows written straight into the
 *     server's SQLite database (seeding only; see lib/seed.ts).
 *  2. First page of 100 (GET /file?uri=…&page_size=100), repeated: median < 20 ms. Beside it the
 *     database floor: the same keyset query run in-process with better-sqlite3.
 *  3. Walking every page with next_page_token (default order): all --files items, no duplicates,
 *     < 5 s. Also shown: the same walk ordered by name, and both first pages.
 *  4. Creating --create files one by one through POST /file/create with --concurrency clients:
 *     ≥ 200 files/s (the rate this bench states). Beside it: nginx creating the same number of
 *     empty files by WebDAV PUT with the same concurrency.
 *   npx tsx bench/listing.ts [--files 100000] [--samples 200] [--create 10000] [--concurrency 4]
 */
import path from 'node:path';
import { Api, myUri } from './lib/api.ts';
import { parseArgs } from './lib/args.ts';
import { median, percentile } from './lib/data.ts';
import { request, runPool, sendFileRange } from './lib/http.ts';
import { cpuTimeMs, watchdog } from './lib/proc.ts';
import { Report, runBench } from './lib/report.ts';
import { Seeder } from './lib/seed.ts';
import { startOurServer, type OurServer } from './lib/server.ts';
import { nginxBinary, startNginx, type NginxPeer } from './peers/nginx.ts';

const args = parseArgs();
const files = args.int('files', 100_000);
const samples = Math.max(1, args.int('samples', 200));
const createCount = args.int('create', 10_000);
const concurrency = Math.max(1, args.int('concurrency', 4));
const cpuProf = args.raw.has('cpu-prof') ? path.resolve(args.str('cpu-prof', 'bench/out/prof-listing')) : undefined;
watchdog(args.int('timeout', 600), 'listing');

const PAGE = 100;
const FIRST_PAGE_MS = 20;
const WALK_MS = 5000;
const CREATE_RATE = 200;
const EMAIL = 'bench@example.com';

const report = new Report('listing', { files, samples, create: createCount, concurrency });
let ours: OurServer | undefined;
let nginx: NginxPeer | undefined;

await runBench(report, async () => {
  console.log(`listing bench: folder of ${files} files, ${samples} first-page samples, ${createCount} creates × ${concurrency} clients`);
  ours = await startOurServer({ cpuProfDir: cpuProf, keep: !!cpuProf });
  const api = new Api(ours.url);
  await api.signUpAndIn(EMAIL, 'bench-password-1');
  await api.call('POST', '/file/create', { uri: myUri('big'), type: 'folder' });

  const seeder = new Seeder(ours.dbFile, EMAIL);
  const bigId = seeder.folderId('big');
  let t = performance.now();
  seeder.addFiles(bigId, files);
  report.note(`seeded ${files} files into the database directly in ${((performance.now() - t) / 1000).toFixed(1)} s (seeding only)`);

  const base = `/file?uri=${encodeURIComponent(myUri('big'))}&page_size=${PAGE}`;
  const headers = { authorization: `Bearer ${api.token}` };
  const firstPage = async () => {
    const start = performance.now();
    const r = await request('GET', `${ours!.url}/api/v4${base}`, undefined, headers);
    const ms = performance.now() - start;
    const env = JSON.parse(r.body) as { code: number; msg: string; data?: { files: unknown[] } };
    if (env.code !== 0 || env.data?.files.length !== Math.min(PAGE, files)) throw new Error(`first page: code ${env.code} ${env.msg}, ${env.data?.files.length} items`);
    return ms;
  };
  for (let i = 0; i < 20; i++) await firstPage();
  const lat: number[] = [];
  let cpu0 = cpuTimeMs(ours.pid);
  for (let i = 0; i < samples; i++) lat.push(await firstPage());
  const pageCpu = (cpuTimeMs(ours.pid) - cpu0) / samples;
  const floorQuery = seeder.firstPageQuery(bigId, PAGE);
  for (let i = 0; i < 20; i++) floorQuery();
  const floor: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = performance.now();
    floorQuery();
    floor.push(performance.now() - s);
  }
  report.below(`first page of ${PAGE} of ${files}, median`, median(lat), FIRST_PAGE_MS, 'ms', { value: median(floor), name: 'db query' });
  report.info('first page p95', `${percentile(lat, 95).toFixed(2)} ms`, `${percentile(floor, 95).toFixed(2)} ms (db query)`);
  report.info('server CPU per first page', `${pageCpu.toFixed(2)} ms`);
  const byName: number[] = [];
  for (let i = 0; i < Math.min(samples, 50); i++) {
    const start = performance.now();
    await api.call('GET', `${base}&order_by=name&order_direction=asc`);
    byName.push(performance.now() - start);
  }
  report.info('first page ordered by name, median', `${median(byName).toFixed(2)} ms`);

  // Walk every page.
  const walk = async (uri: string, expectCount: number, order = '') => {
    const seen = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    const start = performance.now();
    do {
      const q = `/file?uri=${encodeURIComponent(uri)}&page_size=${PAGE}${order}${token ? `&next_page_token=${encodeURIComponent(token)}` : ''}`;
      const d = await api.call<{ files: { id: string }[]; pagination: { next_token?: string } }>('GET', q);
      for (const f of d.files) {
        if (seen.has(f.id)) throw new Error(`walk: item ${f.id} returned twice`);
        seen.add(f.id);
      }
      token = d.pagination.next_token;
      pages++;
    } while (token && pages <= expectCount / PAGE + 2);
    const ms = performance.now() - start;
    if (seen.size !== expectCount) throw new Error(`walk: got ${seen.size} items, expected ${expectCount}`);
    return { ms, pages };
  };
  const w = await walk(myUri('big'), files);
  report.below(`walk all ${w.pages} pages of ${files}`, w.ms, WALK_MS, 'ms');
  const wn = await walk(myUri('big'), files, '&order_by=name&order_direction=asc');
  report.info('walk all pages ordered by name', `${wn.ms.toFixed(0)} ms`, undefined, wn.ms / WALK_MS, 'ours/target');

  // Create through the API.
  if (createCount > 0) {
    await api.call('POST', '/file/create', { uri: myUri('created'), type: 'folder' });
    const width = String(createCount).length;
    const name = (i: number) => `new-${String(i).padStart(width, '0')}.txt`;
    cpu0 = cpuTimeMs(ours.pid);
    const ms = await runPool(createCount, concurrency, async (i) => {
      await api.call('POST', '/file/create', { uri: myUri('created', name(i)), type: 'file', err_on_conflict: true });
    });
    const rate = createCount / (ms / 1000);
    const createCpu = (cpuTimeMs(ours.pid) - cpu0) / createCount;
    let peer: { value: number; name: string } | undefined;
    if (nginxBinary()) {
      nginx = await startNginx();
      const nms = await runPool(createCount, concurrency, async (i) => {
        const r = await sendFileRange('PUT', `${nginx!.url}/created/${name(i)}`, undefined, 0, 0);
        if (r.status !== 201 && r.status !== 204) throw new Error(`nginx PUT: HTTP ${r.status}`);
      });
      peer = { value: createCount / (nms / 1000), name: 'nginx PUT' };
    }
    report.atLeast(`create ${createCount} files via API (${concurrency} clients)`, rate, CREATE_RATE, 'files/s', peer);
    report.info('server CPU per create (→ rate one idle core could sustain)', `${createCpu.toFixed(2)} ms`, undefined, 1000 / createCpu, 'files/s');
    if (peer) report.info('create rate vs nginx creating empty files', `${rate.toFixed(0)} files/s`, `${peer.value.toFixed(0)} files/s (nginx)`, rate / peer.value, 'ours/nginx');
    const cw = await walk(myUri('created'), createCount);
    report.info(`walk the ${createCount} created files`, `${cw.ms.toFixed(0)} ms`);
  }
  seeder.close();
  if (cpuProf) report.note(`CPU profile of the server in ${cpuProf}`);
});

await ours?.stop().catch(() => undefined);
await nginx?.stop().catch(() => undefined);
process.exit(process.exitCode ?? 0);
