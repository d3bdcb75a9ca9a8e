import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'uma@example.com';
const PASSWORD = 'upload-password';
const CHUNK = 256 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const task = (page: Page, name: string) => page.locator(`[data-testid="upload-task"][data-name="${name}"]`);

async function download(api: Client, base: string, uri: string): Promise<Buffer> {
  const r = await api.post('/file/url', { uris: [uri], download: true });
  expect(r.code).toBe(0);
  const u = new URL(r.data.urls[0].url, base);
  return Buffer.from(await (await fetch(`${base}${u.pathname}${u.search}`)).arrayBuffer());
}

describe.skipIf(!!skip)(`web UI: upload control${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  let dir: string;
  let cdp: CDPSession;
  const chunks: string[] = [];
  const slow = () => cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 30, downloadThroughput: -1, uploadThroughput: 512 * 1024 });
  const fast = () => cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await s.server.server.ctx.db.kysely.updateTable('storage_policies').set({ settings: JSON.stringify({ chunk_size: CHUNK }) }).where('id', '=', 1).execute();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-upctl-'));
    s.page.on('requestfinished', async (r) => {
      const m = /\/api\/v4\/file\/upload\/[^/]+\/(\d+)$/.exec(r.url());
      if (r.method() === 'POST' && m && (await r.response())?.status() === 200) chunks.push(m[1]!);
    });
    await signInThroughUi(s.page, EMAIL, PASSWORD);
    cdp = await s.context.newCDPSession(s.page);
  }, 600_000);
  afterAll(async () => {
    await fast().catch(() => undefined);
    await s?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pauses and resumes a file from where it stopped', async () => {
    const { page } = s;
    const bytes = randomBytes(12 * CHUNK + 777);
    fs.writeFileSync(path.join(dir, 'big.bin'), bytes);
    await slow();
    chunks.length = 0;
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, 'big.bin'));
    await expect.poll(() => chunks.length, { timeout: 30_000 }).toBeGreaterThan(1);
    // Throttled to 512 KiB/s: the file row and the panel header show speed and time left.
    await task(page, 'big.bin').getByText(/ · [\d.]+ (KB|MB)\/s · \d+ (s|min) left$/).waitFor({ timeout: 15_000 });
    await page.getByTestId('upload-total-detail').filter({ hasText: /\/s · \d+ (s|min) left$/ }).waitFor();
    await s.screenshot('89-upload-speed');
    await task(page, 'big.bin').getByTestId('upload-pause').click();
    await task(page, 'big.bin').and(page.locator('[data-status="paused"]')).waitFor();
    await s.screenshot('90-upload-paused');
    const sentBeforeResume = chunks.length;
    expect(sentBeforeResume).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(chunks.length).toBe(sentBeforeResume);
    await fast();
    await task(page, 'big.bin').getByTestId('upload-resume').click();
    await task(page, 'big.bin').and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    // Resumed, not restarted: chunk 0 went up once and every chunk index is there.
    expect(chunks.filter((c) => c === '0')).toHaveLength(1);
    expect(new Set(chunks).size).toBe(13);
    expect(sha(await download(api, s.server.url, 'cloudreve://my/big.bin'))).toBe(sha(bytes));
    await page.getByTestId('upload-close').click();
  });

  it('survives a network drop and continues by itself when the browser is back online', async () => {
    const { page } = s;
    const bytes = randomBytes(10 * CHUNK + 5);
    fs.writeFileSync(path.join(dir, 'flaky.bin'), bytes);
    await slow();
    chunks.length = 0;
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, 'flaky.bin'));
    await expect.poll(() => chunks.length, { timeout: 30_000 }).toBeGreaterThan(1);
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.locator('[data-testid="upload-task"][data-offline="true"]').waitFor();
    await page.getByText('Connection lost').waitFor();
    await s.screenshot('91-upload-offline');
    const before = chunks.length;
    await fast();
    await task(page, 'flaky.bin').and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    expect(chunks.filter((c) => c === '0')).toHaveLength(1);
    expect(chunks.length).toBeGreaterThan(before);
    expect(sha(await download(api, s.server.url, 'cloudreve://my/flaky.bin'))).toBe(sha(bytes));
    await page.getByTestId('upload-close').click();
  });

  it('cancels one file while the others go on, and deletes its upload session', async () => {
    const { page } = s;
    fs.writeFileSync(path.join(dir, 'keep.bin'), randomBytes(3 * CHUNK));
    fs.writeFileSync(path.join(dir, 'drop.bin'), randomBytes(8 * CHUNK));
    await slow();
    await page.getByTestId('upload-input').setInputFiles([path.join(dir, 'drop.bin'), path.join(dir, 'keep.bin')]);
    await task(page, 'drop.bin').and(page.locator('[data-status="uploading"]')).waitFor();
    const deleted = page.waitForRequest((r) => r.method() === 'DELETE' && r.url().endsWith('/api/v4/file/upload'));
    await task(page, 'drop.bin').getByTestId('upload-cancel').click();
    await deleted;
    await task(page, 'drop.bin').and(page.locator('[data-status="canceled"]')).waitFor();
    await fast();
    await task(page, 'keep.bin').and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
    await s.screenshot('92-upload-canceled');
    const list = (await api.get('/file?page_size=100&uri=cloudreve%3A%2F%2Fmy')).data.files.map((f: { name: string }) => f.name);
    expect(list).toContain('keep.bin');
    expect(list).not.toContain('drop.bin');
    await page.getByTestId('upload-close').click();
  });

  it('explains quota, size and name refusals', async () => {
    const { page } = s;
    // Tiny group quota: the server refuses with 40051.
    await s.server.server.ctx.db.kysely.updateTable('groups').set({ max_storage: 1024 }).execute();
    fs.writeFileSync(path.join(dir, 'huge.bin'), randomBytes(4096));
    fs.writeFileSync(path.join(dir, 'bad:name.txt'), 'x');
    await page.getByTestId('upload-input').setInputFiles([path.join(dir, 'huge.bin'), path.join(dir, 'bad:name.txt')]);
    await task(page, 'huge.bin').getByText('Not enough storage space for this file (4.00 KB)').waitFor();
    await task(page, 'bad:name.txt').getByText('This file name is not allowed').waitFor();
    await page.setViewportSize({ width: 360, height: 740 });
    await s.screenshot('93-upload-errors-phone');
    expect(s.errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
  });
});
