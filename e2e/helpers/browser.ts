import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../../packages/server/test/helpers/server.ts';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = path.join(ROOT, '.tmp/screenshots');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Why the browser suites cannot run here, or undefined. Without Chromium they are skipped with
 * this message, except under CR_TEST_REQUIRE_ALL=1 (CI), where a missing browser is an error.
 */
export function browserSkipReason(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return undefined;
  const why = `${CHROMIUM} not found (apt-get install chromium fonts-wqy-microhei)`;
  if (process.env.CR_TEST_REQUIRE_ALL === '1') throw new Error(`${why} but CR_TEST_REQUIRE_ALL=1`);
  return why;
}

/** Builds packages/web/dist when missing or stale (the script serialises parallel callers). */
export function ensureWebBuilt(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, 'packages/web/scripts/ensure-built.mjs')], { cwd: ROOT, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`building the web UI failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

export interface Session {
  server: TestServer;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (favicon misses filtered out). */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface SessionOptions {
  env?: Record<string, string>;
  locale?: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Reuse a running server instead of starting one. */
  server?: TestServer;
}

/** The real server (SQLite, temp data dir) serving the built UI, and a fresh headless Chromium. */
export async function openSession(opts: SessionOptions = {}): Promise<Session> {
  await ensureWebBuilt();
  const server = opts.server ?? (await startServer({ name: 'sqlite+memory', db: 'sqlite', redis: false }, { env: opts.env }));
  // Download URLs are built on the site URL; make it the address the browser uses.
  await server.server.ctx.settings.set({ siteURL: server.url });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    locale: opts.locale ?? 'en-US',
    colorScheme: opts.colorScheme ?? 'light',
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    baseURL: server.url,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/i.test(m.text() + (m.location().url ?? ''))) errors.push(`console: ${m.text()}`);
  });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    server,
    context,
    page,
    errors,
    async screenshot(name) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
      if (!opts.server) await server.close();
    },
  };
}

/** Signs up through the API and signs the page in through the UI's own form. */
export async function signInThroughUi(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/session');
  await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('sign-in-submit').click();
  await page.waitForURL(/\/home/);
}
