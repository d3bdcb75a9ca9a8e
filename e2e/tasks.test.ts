import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { downloadPath, fetchBytes, sha256, uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { killDownloaders, makeTorrent, startAria2, startTracker, type Aria2Proc } from '../packages/server/test/helpers/torrent.ts';
import { toolAvailable } from '../packages/server/test/helpers/webdav.ts';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const aria2 = toolAvailable('aria2c', ['--version']);
if (!aria2.ok && process.env.CR_TEST_REQUIRE_ALL === '1') throw new Error(`aria2c missing (${aria2.why}) but CR_TEST_REQUIRE_ALL=1`);
const EMAIL = 'tara@example.com';
const PASSWORD = 'tasks-password';

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const card = (page: Page, status?: string) => page.locator(`[data-testid="task-card"]${status ? `[data-status="${status}"]` : ''}`);
const names = async (api: Client, uri: string) =>
  ((await api.get('/file?page_size=100&uri=' + encodeURIComponent(uri))).data?.files as { name: string }[] | undefined ?? []).map((f) => f.name).sort();

/** One file served over plain HTTP on loopback (the remote download's source). */
function fileServer(data: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
    res.end(data);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${port}/files/data.bin`, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) });
  }));
}

/** Lets an opening dialog finish its fade-in before a screenshot. */
const settle = (page: Page) => page.waitForTimeout(400);

async function openMenuOn(page: Page, name: string): Promise<void> {
  await row(page, name).click({ button: 'right' });
  await page.getByTestId('context-menu').getByRole('menu').waitFor();
}

describe.skipIf(!!skip)(`web UI: background tasks${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  let dl: Aria2Proc | undefined;
  let seeder: Aria2Proc | undefined;
  let tracker: Awaited<ReturnType<typeof startTracker>> | undefined;
  let work: string;
  const a = randomBytes(40_000);
  const b = Buffer.from('second file, plain text\n'.repeat(200));

  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await uploadFile(api, 'cloudreve://my/a.bin', a);
    await uploadFile(api, 'cloudreve://my/b.txt', b);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-e2e-tasks-'));
    if (aria2.ok) {
      [dl, seeder, tracker] = await Promise.all([startAria2(), startAria2({ seeder: true }), startTracker()]);
      const settings = { provider: 'aria2', aria2: { server: dl.rpc.replace('/jsonrpc', ''), token: dl.secret, temp_path: path.join(work, 'temp') }, interval: 1 };
      await s.server.server.ctx.db.kysely.updateTable('nodes').set({ settings: JSON.stringify(settings) }).where('type', '=', 'master').execute();
    }
    await signInThroughUi(s.page, EMAIL, PASSWORD);
  }, 600_000);
  afterAll(async () => {
    dl?.stop();
    seeder?.stop();
    killDownloaders();
    await tracker?.close();
    await s?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('compresses two files into a zip from the file menu and watches the task complete', async () => {
    const { page } = s;
    await row(page, 'a.bin').click();
    await row(page, 'b.txt').click({ modifiers: ['Control'] });
    await openMenuOn(page, 'b.txt');
    await settle(page);
    await s.screenshot('tasks-01-file-menu');
    await page.getByTestId('menu-compress').click();
    const name = page.getByTestId('compress-name');
    await name.waitFor();
    expect(await name.inputValue()).toBe('archive.zip');
    expect(await page.getByTestId('compress-dst').inputValue()).toBe('/');
    await name.fill('pair.tar');
    await page.getByTestId('compress-dialog-submit').click();
    await page.getByText('The name must end in .zip').waitFor();
    await name.fill('pair.zip');
    await settle(page);
    await s.screenshot('tasks-02-compress-dialog');
    await page.getByTestId('compress-dialog-submit').click();
    await page.getByTestId('task-toast').getByText('Compressing into “pair.zip”').waitFor();
    await page.getByTestId('task-toast-view').click();
    await page.waitForURL(/\/tasks\?tab=general/);
    const done = card(page, 'completed').filter({ hasText: 'pair.zip' });
    await done.waitFor({ timeout: 60_000 });
    expect(await done.getByTestId('task-to').textContent()).toBe('/pair.zip');
    expect(await done.getByTestId('task-from').textContent()).toBe('2 items');
    await s.screenshot('tasks-03-compress-done');
    expect(await names(api, 'cloudreve://my')).toEqual(['a.bin', 'b.txt', 'pair.zip']);

    // The same name again: the server's 40004 shows in the dialog.
    await page.getByTestId('nav-my').click();
    await row(page, 'a.bin').click();
    await openMenuOn(page, 'a.bin');
    await page.getByTestId('menu-compress').click();
    expect(await page.getByTestId('compress-name').inputValue()).toBe('a.zip');
    await page.getByTestId('compress-name').fill('pair.zip');
    await page.getByTestId('compress-dialog-submit').click();
    await page.getByTestId('compress-error').getByText('already exists').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('compress-dialog').waitFor({ state: 'detached' });
  });

  it('extracts the zip to a new folder (and "Extract here" fails visibly where the files exist)', async () => {
    const { page } = s;
    await page.goto('/home');
    await openMenuOn(page, 'pair.zip');
    await settle(page);
    await s.screenshot('tasks-04a-archive-menu');
    await page.getByTestId('menu-extract-to').click();
    const dst = page.getByTestId('extract-dst');
    await dst.waitFor();
    expect(await dst.inputValue()).toBe('/pair');
    await page.getByTestId('extract-encoding').waitFor();
    await settle(page);
    await s.screenshot('tasks-04-extract-dialog');
    await dst.fill('no-slash');
    await page.getByTestId('extract-dialog-submit').click();
    await page.getByText('Enter a folder path that starts with /').waitFor();
    await dst.fill('/unpacked');
    await page.getByTestId('extract-dialog-submit').click();
    await page.getByTestId('task-toast').getByText('Extracting “pair.zip”').waitFor();
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('tasks-tab-general').click();
    const done = card(page, 'completed').filter({ hasText: 'Extract' }).filter({ hasText: '/unpacked' });
    await done.waitFor({ timeout: 60_000 });
    await s.screenshot('tasks-05-extract-done');
    expect(await names(api, 'cloudreve://my/unpacked')).toEqual(['a.bin', 'b.txt']);
    const got = await fetchBytes(s.server, await downloadPath(api, 'cloudreve://my/unpacked/a.bin'));
    expect(sha256(got.body)).toBe(sha256(a));

    // "Open folder" goes to the destination in the file browser.
    await done.getByTestId('task-open-folder').click();
    await page.waitForURL(/path=cloudreve%3A%2F%2Fmy%2Funpacked$/);
    await row(page, 'b.txt').waitFor();

    // Extract here, into the root where a.bin and b.txt exist: the task ends with an error.
    await page.getByTestId('nav-my').click();
    await openMenuOn(page, 'pair.zip');
    await page.getByTestId('menu-extract-here').click();
    await page.getByTestId('task-toast-view').click();
    const failed = card(page, 'error');
    await failed.waitFor({ timeout: 90_000 });
    expect(await failed.getByTestId('task-error').textContent()).toBeTruthy();
    await s.screenshot('tasks-06-extract-error');
  });

  it('remote download dialog: checks links and destination, then shows the server refusals (40001, 40007, 40015)', async () => {
    const { page } = s;
    await page.goto('/tasks');
    await page.getByTestId('tasks-new-download').click();
    await page.getByTestId('rd-links').waitFor();
    await page.getByTestId('rd-submit').click();
    await page.getByText('Enter at least one link').waitFor();
    await page.getByTestId('rd-links').fill('https://example.com/a.iso\n\nftp://example.com/b.iso');
    await page.getByTestId('rd-submit').click();
    await page.getByText('Line 3 is not an http(s) URL or magnet link').waitFor();
    await settle(page);
    await s.screenshot('tasks-07-rd-validation');

    // Loopback sources are refused until the outbound rules allow them.
    await page.getByTestId('rd-links').fill('http://127.0.0.1:9/file.bin');
    await page.getByTestId('rd-dst').fill('/downloads');
    await page.getByTestId('rd-submit').click();
    const error = page.getByTestId('rd-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^The server refused this request: .*refused/);
    await s.screenshot('tasks-08-rd-refused');

    const k = s.server.server.ctx.db.kysely;
    const g = await k.selectFrom('groups').select(['settings', 'permissions']).where('id', '=', 1).executeTakeFirstOrThrow();
    try {
      await k.updateTable('groups').set({ settings: JSON.stringify({ ...JSON.parse(g.settings), aria2_batch: 1 }) }).where('id', '=', 1).execute();
      await page.getByTestId('rd-links').fill('magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\nmagnet:?xt=urn:btih:1123456789abcdef0123456789abcdef01234567');
      await page.getByTestId('rd-submit').click();
      await error.getByText('Limit reached: too many links at once').waitFor();

      // The group loses the permission while the page is open: the server's 40007 is explained.
      const perms = Buffer.from(g.permissions, 'base64');
      perms[1]! &= ~(1 << 1);
      await k.updateTable('groups').set({ permissions: perms.toString('base64') }).where('id', '=', 1).execute();
      await page.getByTestId('rd-submit').click();
      await error.getByText('Your user group is not allowed to use remote download.').waitFor();
      await s.screenshot('tasks-09-rd-permission');
    } finally {
      await k.updateTable('groups').set({ settings: g.settings, permissions: g.permissions }).where('id', '=', 1).execute();
    }
    await page.keyboard.press('Escape');
  });

  it.skipIf(!aria2.ok)('downloads an http URL with aria2 from the explorer menu, shown live in the Tasks page', async () => {
    const { page } = s;
    const data = randomBytes(2 * 1024 * 1024 + 5);
    const web = await fileServer(data);
    await s.server.server.ctx.settings.set({ outbound_allowed_hosts: '127.0.0.1' });
    try {
      await page.goto('/home');
      await page.getByTestId('action-upload').click();
      await page.getByTestId('menu-remote-download').click();
      await page.getByTestId('rd-links').fill(web.url);
      expect(await page.getByTestId('rd-dst').inputValue()).toBe('/');
      // The folder picker of move/copy fills the destination.
      await page.getByTestId('rd-dst-browse').click();
      await page.getByTestId('folder-pick-dialog').locator('[data-testid="tree-node"][data-uri="cloudreve://my/unpacked"]').click();
      await page.getByTestId('folder-pick-submit').click();
      await page.getByTestId('folder-pick-dialog').waitFor({ state: 'detached' });
      expect(await page.getByTestId('rd-dst').inputValue()).toBe('/unpacked');
      await page.getByTestId('rd-dst').fill('/web');
      await page.getByTestId('rd-submit').click();
      await page.getByTestId('task-toast').getByText('Download started').waitFor();
      await page.getByTestId('task-toast-view').click();
      await page.waitForURL(/\/tasks\?tab=downloading/);
      await page.getByTestId('tasks-tab-downloaded').click();
      const done = card(page, 'completed').filter({ hasText: 'data.bin' });
      await done.waitFor({ timeout: 60_000 });
      await s.screenshot('tasks-10-download-done');
      expect(await done.getByTestId('task-from').textContent()).toBe(web.url);
      const got = await fetchBytes(s.server, await downloadPath(api, 'cloudreve://my/web/data.bin'));
      expect(sha256(got.body)).toBe(sha256(data));
    } finally {
      await s.server.server.ctx.settings.set({ outbound_allowed_hosts: '' });
      await web.close();
    }
  });

  it.skipIf(!aria2.ok)('a .torrent from my files: choose the files to keep while it waits, then cancel another one', async () => {
    const { page } = s;
    const seedDir = fs.mkdtempSync(path.join(work, 'seed-'));
    const files = [
      { path: 'keep.bin', data: randomBytes(120_000) },
      { path: 'sub/also.bin', data: randomBytes(90_000) },
      { path: 'skip.bin', data: randomBytes(100_000) },
    ];
    const t = makeTorrent(seedDir, 'pack', files, tracker!.announce);
    await uploadFile(api, 'cloudreve://my/pack.torrent', t.torrent);
    await page.goto('/home');
    await openMenuOn(page, 'pack.torrent');
    await page.getByTestId('menu-torrent-download').click();
    expect(await page.getByTestId('rd-torrent').inputValue()).toBe('/pack.torrent');
    await page.getByTestId('rd-dst').fill('/bt');
    await settle(page);
    await s.screenshot('tasks-11-rd-torrent');
    await page.getByTestId('rd-submit').click();
    await page.getByTestId('task-toast-view').click();

    // No peer yet: the task waits in "monitor" with the file list known.
    const waiting = card(page).filter({ hasText: 'pack' });
    await waiting.getByTestId('task-files-toggle').waitFor({ timeout: 60_000 });
    await waiting.getByTestId('task-files-toggle').click();
    const skipBox = waiting.locator('[data-testid="torrent-file"][data-name="pack/skip.bin"] input[type="checkbox"]');
    await skipBox.waitFor();
    await skipBox.uncheck();
    await s.screenshot('tasks-12-torrent-files');
    await waiting.getByTestId('torrent-apply').click();
    await page.getByText('Selection saved').waitFor();

    await seeder!.call('aria2.addTorrent', t.torrent.toString('base64'), [], { dir: seedDir });
    await page.getByTestId('tasks-tab-downloaded').click();
    await card(page, 'completed').filter({ hasText: 'pack' }).waitFor({ timeout: 90_000 }).catch(async (e) => {
      console.log(JSON.stringify((await api.get('/workflow?page_size=100&category=downloading')).data), JSON.stringify((await api.get('/workflow?page_size=100&category=downloaded')).data));
      throw e;
    });
    expect(await names(api, 'cloudreve://my/bt/pack')).toEqual(['keep.bin', 'sub']);

    // A second torrent nobody seeds: cancel it from its card.
    const t2 = makeTorrent(fs.mkdtempSync(path.join(work, 'seed-')), 'never', [{ path: 'x.bin', data: randomBytes(30_000) }], tracker!.announce);
    await uploadFile(api, 'cloudreve://my/never.torrent', t2.torrent);
    expect((await api.post('/workflow/download', { src_file: 'cloudreve://my/never.torrent', dst: 'cloudreve://my/never' })).code).toBe(0);
    await page.getByTestId('tasks-tab-downloading').click();
    const running = card(page).filter({ hasText: 'never' });
    await running.getByTestId('task-files-toggle').waitFor({ timeout: 60_000 });
    await running.getByTestId('task-cancel').click();
    await page.getByTestId('task-cancel-confirm').click();
    await running.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId('tasks-tab-downloaded').click();
    await card(page, 'canceled').filter({ hasText: 'never' }).waitFor({ timeout: 30_000 });
    await s.screenshot('tasks-13-canceled');
  });

  it('pages through more tasks than one page with "Load more"', async () => {
    const { page } = s;
    for (let i = 0; i < 21; i++) expect((await api.post('/workflow/archive', { src: ['cloudreve://my/b.txt'], dst: `cloudreve://my/many/z${i}.zip` })).code).toBe(0);
    const total = (await api.get('/workflow?page_size=100&category=general')).data.tasks.length;
    expect(total).toBeGreaterThan(21);
    await page.goto('/tasks?tab=general');
    await card(page).first().waitFor();
    expect(await card(page).count()).toBe(20);
    await page.getByTestId('tasks-load-more').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="task-card"]').length === n, total);
    expect(await page.getByTestId('tasks-load-more').count()).toBe(0);
  });

  it('works at phone width', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/tasks?tab=general');
    await card(page).first().waitFor();
    await s.screenshot('tasks-14-phone-list');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByTestId('tasks-new-download').click();
    await page.getByTestId('rd-links').waitFor();
    await settle(page);
    await s.screenshot('tasks-15-phone-dialog');
    await page.keyboard.press('Escape');
    await page.goto('/home');
    await openMenuOn(page, 'pair.zip');
    await settle(page);
    await s.screenshot('tasks-16a-phone-archive-menu');
    await page.getByTestId('menu-extract-to').click();
    await page.getByTestId('extract-dst').waitFor();
    await settle(page);
    await s.screenshot('tasks-16-phone-extract');
    await page.keyboard.press('Escape');

    // Chinese UI.
    await page.evaluate(() => localStorage.setItem('cr_language', 'zh-CN'));
    await page.goto('/tasks?tab=downloaded');
    await page.getByRole('heading', { name: '任务' }).waitFor();
    await card(page, 'completed').first().getByText('已完成').waitFor();
    await s.screenshot('tasks-17-phone-zh');
    expect(s.errors).toEqual([]);
  });
});
