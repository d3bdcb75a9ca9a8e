import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'ines@example.com';
const PASSWORD = 'ines-password';
const myUri = (...names: string[]) => ['cloudreve://my', ...names.map(encodeURIComponent)].join('/');
const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);

async function putContent(api: Client, uri: string, text: string): Promise<void> {
  const res = await api.raw('PUT', `/api/v4/file/content?uri=${encodeURIComponent(uri)}`, { rawBody: text, headers: { 'content-type': 'application/octet-stream' } });
  expect((await res.json()).code).toBe(0);
}

async function info(api: Client, uri: string): Promise<any> {
  const r = await api.get(`/file/info?uri=${encodeURIComponent(uri)}&extended=true`);
  expect(r.code).toBe(0);
  return r.data;
}

describe.skipIf(!!skip)(`web UI: info panel${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  let s: Session;
  let api: Client;

  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await uploadFile(api, myUri('Reports', 'q1.txt'), Buffer.from('one'));
    await putContent(api, myUri('Reports', 'q1.txt'), 'two two');
    await uploadFile(api, myUri('Reports', 'q2.txt'), Buffer.from('second file'));
    await uploadFile(api, myUri('Reports', 'Old', 'q0.txt'), Buffer.from('zero'));
    await signInThroughUi(s.page, EMAIL, PASSWORD);
    await row(s.page, 'Reports').waitFor();
  }, 600_000);
  afterAll(async () => s?.close());

  it('shows size, dates, location, policy and the folder summary', async () => {
    const { page } = s;
    await page.getByTestId('action-info').click();
    await page.getByTestId('info-empty').waitFor();
    await row(page, 'Reports').click();
    const panel = page.getByTestId('info-panel');
    await panel.and(page.locator('[data-name="Reports"]')).waitFor();
    // The whole subtree: q1.txt, q2.txt and Old/q0.txt.
    await page.getByTestId('info-size').filter({ hasText: 'Files: 3 · Folders: 1' }).waitFor();
    expect(await page.getByTestId('info-location').textContent()).toBe('My files');
    await s.screenshot('info-01-folder');

    await row(page, 'Reports').dblclick();
    await row(page, 'q1.txt').click();
    await panel.and(page.locator('[data-name="q1.txt"]')).waitFor();
    await page.getByTestId('info-size').filter({ hasText: '7 B' }).waitFor();
    expect(await page.getByTestId('info-location').textContent()).toBe('/Reports');
    expect(await page.getByTestId('info-policy').textContent()).toBe((await info(api, myUri('Reports', 'q1.txt'))).extended_info.storage_policy.name);
    expect(await page.getByTestId('info-created').textContent()).not.toBe('');
    await s.screenshot('info-02-file');
  });

  it('lists versions, makes an older one current and deletes one; the list follows the server', async () => {
    const { page } = s;
    const uri = myUri('Reports', 'q1.txt');
    const versions = page.getByTestId('info-version');
    await expect.poll(() => versions.count()).toBe(2);
    expect(await page.locator('[data-testid="info-version"][data-current="true"]').count()).toBe(1);
    const before = await info(api, uri);
    const older = before.extended_info.entities.find((e: { id: string; type: number }) => e.type === 0 && e.id !== before.primary_entity);

    await page.locator(`[data-testid="info-version"][data-entity="${older.id}"] [data-testid="info-version-menu"]`).click();
    await page.getByTestId('version-set-current').click();
    await page.getByText('Version made current').waitFor();
    await page.locator(`[data-testid="info-version"][data-entity="${older.id}"][data-current="true"]`).waitFor();
    expect((await info(api, uri)).primary_entity).toBe(older.id);
    // The row shows the size of the version that is now current ("one" = 3 bytes).
    await row(page, 'q1.txt').getByText('3 B').waitFor();
    await s.screenshot('info-03-version-current');

    await page.locator(`[data-testid="info-version"][data-entity="${before.primary_entity}"] [data-testid="info-version-menu"]`).click();
    await page.getByTestId('version-delete').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByText('Version deleted').waitFor();
    await expect.poll(() => versions.count()).toBe(1);
    expect((await info(api, uri)).extended_info.entities.filter((e: { type: number }) => e.type === 0)).toHaveLength(1);
  });

  it('adds and removes tags; a refused change is rolled back with a message', async () => {
    const { page } = s;
    const uri = myUri('Reports', 'q1.txt');
    await page.getByTestId('info-tag-input').fill('work');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="info-tag"][data-tag="work"]').waitFor();
    await expect.poll(async () => (await info(api, uri)).metadata).toHaveProperty(['tag:work']);
    await s.screenshot('info-04-tag');

    await page.locator('[data-testid="info-tag"][data-tag="work"] [data-testid="info-tag-remove"]').click();
    await page.locator('[data-testid="info-tag"]').first().waitFor({ state: 'detached' });
    await expect.poll(async () => Object.keys((await info(api, uri)).metadata ?? {})).not.toContain('tag:work');

    // The file goes to the trash behind the panel's back: the server refuses, the chip goes away again.
    expect((await api.delete('/file', { uris: [uri] })).code).toBe(0);
    await page.getByTestId('info-tag-input').fill('late');
    await page.getByTestId('info-tag-add').click();
    await page.getByTestId('toast').filter({ hasText: /not|exist/i }).waitFor();
    await page.locator('[data-testid="info-tag"][data-tag="late"]').waitFor({ state: 'detached' });
    await s.screenshot('info-05-rollback');
  });

  it('opens from the keyboard and as a drawer on a 360 px phone', async () => {
    const { page } = s;
    await page.getByTestId('info-close').click();
    await page.getByTestId('info-panel').waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await page.getByTestId('action-refresh').click();
      await row(page, 'q2.txt').click();
      await page.getByTestId('action-info').focus();
      await page.keyboard.press('Enter');
      const panel = page.getByTestId('info-panel');
      await panel.and(page.locator('[data-name="q2.txt"]')).waitFor();
      await page.getByTestId('info-size').filter({ hasText: '11 B' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await s.screenshot('info-06-phone');
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    expect(s.errors).toEqual([]);
  });
});
