import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Seeder } from '../bench/lib/seed.ts';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';
import { png } from './helpers/media.ts';

const skip = browserSkipReason();
const EMAIL = 'sam@example.com';
const PASSWORD = 'sam-password';
const myUri = (...names: string[]) => ['cloudreve://my', ...names.map(encodeURIComponent)].join('/');
const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const card = (page: Page, name: string) => page.locator(`[data-testid="file-card"][data-name="${name}"]`);
const rowNames = (page: Page) => page.locator('[data-testid="file-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')).sort());
const BIG = 5000;

describe.skipIf(!!skip)(`web UI: search and grid${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;

  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await uploadFile(api, myUri('Photos', 'beach.png'), await png(900, 600, [30, 120, 200]));
    await uploadFile(api, myUri('Photos', 'forest.png'), await png(900, 600, [30, 140, 60]));
    await uploadFile(api, myUri('Photos', 'sunset.png'), await png(600, 900, [230, 120, 40]));
    await uploadFile(api, myUri('Docs', 'report-2024.txt'), Buffer.from('annual report'));
    await uploadFile(api, myUri('Docs', 'notes.md'), Buffer.from('# notes'));
    await uploadFile(api, myUri('report-final.pdf'), Buffer.from('%PDF-1.4'));
    expect((await api.post('/file/create', { uri: myUri('Reports archive'), type: 'folder' })).code).toBe(0);
    expect((await api.post('/file/create', { uri: myUri('Many'), type: 'folder' })).code).toBe(0);
    const seeder = new Seeder(s.server.cfg.database.dbFile, EMAIL);
    seeder.addFiles(seeder.folderId('Many'), BIG, { prefix: 'item-', fileSize: 10 });
    seeder.close();
    await signInThroughUi(s.page, EMAIL, PASSWORD);
    await row(s.page, 'Photos').waitFor();
  }, 600_000);
  afterAll(async () => s?.close());

  it('searches names below the folder and shows where each result is', async () => {
    const { page } = s;
    await page.getByTestId('search-input').fill('report');
    await page.keyboard.press('Enter');
    await page.getByTestId('search-title').filter({ hasText: 'Results for “report” in My files' }).waitFor();
    expect(page.url()).toContain(encodeURIComponent('cloudreve://my?name=report&case_folding='));
    await row(page, 'report-2024.txt').waitFor();
    await expect.poll(() => rowNames(page)).toEqual(['Reports archive', 'report-2024.txt', 'report-final.pdf']);
    expect(await row(page, 'report-2024.txt').getByText('/Docs').count()).toBe(1);
    await s.screenshot('search-01-results');

    // Case-insensitive, every word must match; the type filter narrows to folders.
    await page.getByTestId('search-input').fill('REPORTS');
    await page.getByTestId('search-filters').click();
    await page.getByTestId('search-type-folder').click();
    await page.getByTestId('search-title').filter({ hasText: 'Folders only' }).waitFor();
    await expect.poll(() => rowNames(page)).toEqual(['Reports archive']);

    // A result opens like any file (here: the text preview).
    await page.getByTestId('search-input').fill('2024');
    await page.getByTestId('search-filters').click();
    await page.getByTestId('search-type-any').click();
    await row(page, 'report-2024.txt').dblclick();
    await page.locator('.cm-content').filter({ hasText: 'annual report' }).waitFor();
    await page.getByTestId('preview-close').click();
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('searches by category and goes back to the folder', async () => {
    const { page } = s;
    await page.keyboard.press('Escape'); // the opened result stays selected; the search field shows without a selection
    await page.getByTestId('search-filters').click();
    await page.getByTestId('search-category-image').click();
    await page.getByTestId('search-title').filter({ hasText: 'Images' }).waitFor();
    await expect.poll(() => rowNames(page)).toEqual(['beach.png', 'forest.png', 'sunset.png']);
    await page.getByTestId('search-clear').click();
    await page.getByTestId('breadcrumbs').waitFor();
    await row(page, 'Photos').waitFor();
    expect(await page.getByTestId('search-input').inputValue()).toBe('');
  });

  it('grid view: thumbnails, keyboard, remembered after reload', async () => {
    const { page } = s;
    await row(page, 'Photos').dblclick();
    await row(page, 'beach.png').waitFor();
    await page.getByTestId('layout-grid').click();
    await page.getByTestId('file-grid').waitFor();
    for (const name of ['beach.png', 'forest.png', 'sunset.png']) {
      await card(page, name).locator('[data-testid="card-thumb"]').evaluate((img: HTMLImageElement) => img.decode());
    }
    await s.screenshot('grid-01-thumbnails');

    await page.reload();
    await card(page, 'beach.png').waitFor();
    expect(await page.getByTestId('layout-grid').getAttribute('aria-pressed')).toBe('true');

    await card(page, 'beach.png').click();
    await page.keyboard.press('ArrowRight');
    expect(await card(page, 'forest.png').getAttribute('data-selected')).toBe('true');
    await page.keyboard.press('Shift+ArrowRight');
    expect(await page.getByTestId('selection-count').textContent()).toBe('2 items selected');
    await page.keyboard.press('Escape');
    await card(page, 'sunset.png').dblclick();
    await page.getByTestId('preview').and(page.locator('[data-kind="image"]')).waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('grid view of 5,000 files keeps the DOM small and pages on demand', async () => {
    const { page } = s;
    await page.keyboard.press('Escape');
    await page.getByTestId('breadcrumbs').getByText('My files').click();
    await card(page, 'Many').dblclick();
    await page.locator('[data-testid="file-card"]').first().waitFor();
    const grid = page.getByTestId('file-grid');
    expect(await page.locator('[data-testid="file-card"]').count()).toBeLessThan(200);
    for (let i = 0; i < 40 && !(await page.getByTestId('item-count').textContent())?.startsWith(`${BIG} `); i++) {
      await grid.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForTimeout(250);
    }
    expect(await page.getByTestId('item-count').textContent()).toBe(`${BIG} items`);
    expect(await page.locator('[data-testid="file-card"]').count()).toBeLessThan(200);
    await s.screenshot('grid-02-many');
  });

  it('works on a 360 px phone', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await page.goto(`/home?path=${encodeURIComponent(myUri())}`);
      await card(page, 'Photos').dblclick();
      await card(page, 'beach.png').locator('[data-testid="card-thumb"]').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await s.screenshot('grid-03-phone');
      await page.getByTestId('search-input').fill('sun');
      await page.keyboard.press('Enter');
      await card(page, 'sunset.png').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await s.screenshot('search-02-phone');
      await page.getByTestId('layout-list').click();
      await row(page, 'sunset.png').waitFor();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    expect(s.errors).toEqual([]);
  });
});
