import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'erin@example.com';
const PASSWORD = 'erin-password';
const CHUNK = 1024 * 1024;

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The bytes the server serves for a file, through POST /file/url and the signed URL. */
async function downloadViaApi(api: Client, baseUrl: string, uri: string): Promise<Buffer> {
  const r = await api.post('/file/url', { uris: [uri], download: true });
  expect(r.code).toBe(0);
  const url = new URL(r.data.urls[0].url, baseUrl);
  const res = await fetch(`${baseUrl}${url.pathname}${url.search}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe.skipIf(!!skip)(`web UI: upload and download${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  let s: Session;
  let api: Client;
  let dir: string;
  const chunkPosts: string[] = [];
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    // Small chunks so a few-MB file goes up in several requests.
    await s.server.server.ctx.db.kysely.updateTable('storage_policies').set({ settings: JSON.stringify({ chunk_size: CHUNK }) }).where('id', '=', 1).execute();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-upload-'));
    s.page.on('request', (r) => {
      if (r.method() === 'POST' && /\/api\/v4\/file\/upload\/[^/]+\/\d+$/.test(r.url())) chunkPosts.push(r.url());
    });
    await signInThroughUi(s.page, EMAIL, PASSWORD);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads picked files in policy-sized chunks with per-file and total progress', async () => {
    const { page } = s;
    const big = randomBytes(3 * CHUNK + 12345);
    const files = { 'hello.txt': Buffer.from('hello, cloudreve\n'), 'data.bin': big, 'empty.txt': Buffer.alloc(0) };
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);

    // Slow the network so the panel can be seen mid-way.
    const cdp = await s.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
    await page.getByTestId('upload-input').setInputFiles(Object.keys(files).map((n) => path.join(dir, n)));
    await page.getByTestId('upload-panel').waitFor();
    await page.locator('[data-testid="upload-task"][data-status="uploading"]').first().waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="upload-total-progress"]')?.getAttribute('aria-valuenow')) > 10);
    await s.screenshot('20-upload-progress');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    await page.getByText('Uploads complete').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="upload-task"][data-status="done"]').count()).toBe(3);
    for (const name of Object.keys(files)) await row(page, name).waitFor();
    await s.screenshot('21-upload-done');
    expect(chunkPosts.filter((u) => u.includes('/file/upload/')).length).toBe(4 + 1 + 1);
    for (const [name, bytes] of Object.entries(files)) {
      expect(sha(await downloadViaApi(api, s.server.url, `cloudreve://my/${name}`)), name).toBe(sha(bytes));
    }
    await page.getByTestId('upload-close').click();
    await page.getByTestId('upload-panel').waitFor({ state: 'detached' });
  });

  it('offers to overwrite a file that already exists, keeping the new content', async () => {
    const { page } = s;
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'second version\n');
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, 'hello.txt'));
    await page.getByText('A file with this name already exists').waitFor();
    await s.screenshot('22-upload-conflict');
    await page.getByTestId('upload-overwrite').click();
    await page.getByText('Uploads complete').waitFor();
    expect((await downloadViaApi(api, s.server.url, 'cloudreve://my/hello.txt')).toString()).toBe('second version\n');
    await page.getByTestId('upload-close').click();
  });

  it('uploads files dropped on the list, into the folder shown', async () => {
    const { page } = s;
    expect((await api.post('/file/create', { uri: 'cloudreve://my/Dropbox', type: 'folder' })).code).toBe(0);
    await page.goto('/home?path=cloudreve%3A%2F%2Fmy%2FDropbox');
    await page.getByTestId('empty-state').waitFor();
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped content'], 'dropped.txt', { type: 'text/plain' }));
      return dt;
    });
    await page.getByTestId('file-list').dispatchEvent('dragenter', { dataTransfer });
    await page.getByTestId('drop-overlay').waitFor();
    await s.screenshot('23-drop-overlay');
    await page.getByTestId('file-list').dispatchEvent('drop', { dataTransfer });
    await page.getByTestId('drop-overlay').waitFor({ state: 'detached' });
    await row(page, 'dropped.txt').waitFor();
    expect((await downloadViaApi(api, s.server.url, 'cloudreve://my/Dropbox/dropped.txt')).toString()).toBe('dropped content');
    await page.getByTestId('upload-close').click();
  });

  it('downloads a file from the browser with its name', async () => {
    const { page } = s;
    await page.goto('/home');
    await row(page, 'data.bin').click();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('data.bin');
    const saved = await download.path();
    expect(fs.statSync(saved).size).toBe(3 * CHUNK + 12345);

    // Enter opens a previewable file (text here) in the preview, which has its own Download
    // button; the selection bar downloads it too.
    await row(page, 'hello.txt').click();
    await page.keyboard.press('Enter');
    await page.getByTestId('preview').waitFor();
    const fromPreview = page.waitForEvent('download');
    await page.getByTestId('preview-download').click();
    expect((await fromPreview).suggestedFilename()).toBe('hello.txt');
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
    const fromBar = page.waitForEvent('download');
    await row(page, 'hello.txt').click();
    await page.getByTestId('selection-bar').getByRole('button', { name: 'Download' }).click();
    expect((await fromBar).suggestedFilename()).toBe('hello.txt');
  });

  it('sorts by size with folders first', async () => {
    const { page } = s;
    await page.getByTestId('sort-size').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-row"]')[1]?.getAttribute('data-name') === 'empty.txt');
    const names = await page.locator('[data-testid="file-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    expect(names).toEqual(['Dropbox', 'empty.txt', 'hello.txt', 'data.bin']);
    await page.getByTestId('sort-size').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-row"]')[1]?.getAttribute('data-name') === 'data.bin');
    await page.getByTestId('sort-name').click();
  });

  it('logs no page or console errors', () => {
    expect(s.errors).toEqual([]);
  });
});
