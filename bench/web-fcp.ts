/**
 * First contentful paint of the file browser on loopback, in headless Chromium.
 *  1. The built UI's first-load JavaScript (the entry script and its modulepreloads in
 *     dist/index.html), gzipped: ≤ 350 KB.
 *  2. A signed-in user opens /home (a folder of --files files) in a fresh browser context each run
 *     (empty cache): median first-contentful-paint < 1000 ms. Also shown: the time until the first
 *     file row is on screen, and both again with a warm cache (a second load in the same context).
 *   npx tsx bench/web-fcp.ts [--runs 7] [--files 200]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext } from 'playwright-core';
import { Api, myUri } from './lib/api.ts';
import { parseArgs } from './lib/args.ts';
import { median } from './lib/data.ts';
import { runPool } from './lib/http.ts';
import { watchdog } from './lib/proc.ts';
import { Report, runBench } from './lib/report.ts';
import { REPO_ROOT, startOurServer, type OurServer } from './lib/server.ts';

const args = parseArgs();
const runs = Math.max(1, args.int('runs', 7));
const files = args.int('files', 200);
watchdog(args.int('timeout', 300), 'web-fcp');

const FCP_MS = 1000;
const INITIAL_JS_KB = 350;
const CHROMIUM = '/usr/bin/chromium';
const EMAIL = 'fcp@example.com';
const DIST = path.join(REPO_ROOT, 'packages/web/dist');

/** Gzipped bytes of the JavaScript a first visit loads before any lazy chunk: the entry and its preloads. */
export function initialJsGzip(dist = DIST): { bytes: number; files: string[] } {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]!);
  const unique = [...new Set(refs)];
  const bytes = unique.reduce((sum, ref) => sum + gzipSync(fs.readFileSync(path.join(dist, ref.replace(/^\//, '')))).length, 0);
  return { bytes, files: unique };
}

interface Timing { fcp: number; firstRow: number }

async function measure(context: BrowserContext, url: string): Promise<Timing> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.locator('[data-testid="file-row"], [data-testid="file-card"]').first().waitFor({ timeout: 30_000 });
    const firstRow = await page.evaluate(() => performance.now());
    const fcp = await page.evaluate(() => new Promise<number>((resolve) => {
      const seen = performance.getEntriesByName('first-contentful-paint')[0];
      if (seen) return resolve(seen.startTime);
      new PerformanceObserver((list) => resolve(list.getEntries()[0]!.startTime)).observe({ type: 'paint', buffered: true });
    }));
    return { fcp, firstRow };
  } finally {
    await page.close();
  }
}

const report = new Report('web-fcp', { runs, files });
let ours: OurServer | undefined;

await runBench(report, async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'packages/web/scripts/ensure-built.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
  const js = initialJsGzip();
  report.below('first-load JS (gzip)', js.bytes / 1024, INITIAL_JS_KB, 'KB');
  report.note(`first-load scripts: ${js.files.join(', ')}`);

  ours = await startOurServer();
  const api = new Api(ours.url);
  await api.signUpAndIn(EMAIL, 'fcp-password-1');
  const login = await api.call<{ user: unknown; token: unknown }>('POST', '/session/token', { email: EMAIL, password: 'fcp-password-1' });
  await runPool(files, 4, (i) => api.call('POST', '/file/create', { uri: myUri(`file-${String(i).padStart(4, '0')}.txt`), type: 'file' }).then(() => undefined));
  const session = JSON.stringify({ user: login.user, token: login.token });
  const url = `${ours.url}/home`;

  const cold: Timing[] = [];
  const warm: Timing[] = [];
  // Run 0 is a discarded warm-up: the first Chromium launch of a bench pays for loading the
  // browser binary and the server's first requests, which no user's page load does.
  for (let i = -1; i < runs; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-fcp-'));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      await context.addInitScript((s) => localStorage.setItem('cr_session', s), session);
      const first = await measure(context, url);
      const second = await measure(context, url);
      if (i >= 0) {
        cold.push(first);
        warm.push(second);
      }
    } finally {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  report.below('first contentful paint, empty cache, median', median(cold.map((t) => t.fcp)), FCP_MS, 'ms');
  report.info('first file row on screen, empty cache, median', `${median(cold.map((t) => t.firstRow)).toFixed(0)} ms`);
  report.info('first contentful paint, warm cache, median', `${median(warm.map((t) => t.fcp)).toFixed(0)} ms`);
  report.info('first file row on screen, warm cache, median', `${median(warm.map((t) => t.firstRow)).toFixed(0)} ms`);
  report.note(`cold FCP samples (ms): ${cold.map((t) => t.fcp.toFixed(0)).join(', ')}`);
});
await ours?.stop();
