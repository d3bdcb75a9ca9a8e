import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Seeder } from '../bench/lib/seed.ts';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'dave@example.com';
const PASSWORD = 'dave-password';

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const rowNames = (page: Page) => page.locator('[data-testid="file-row"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
const selectionCount = (page: Page) => page.getByTestId('selection-count').textContent();
const myUri = (...names: string[]) => ['cloudreve://my', ...names.map(encodeURIComponent)].join('/');

async function nameDialog(page: Page, name: string): Promise<void> {
  const input = page.getByTestId('name-input');
  await input.waitFor();
  await input.fill(name);
  await page.getByTestId('name-submit').click();
}

/** Waits until the name dialog (and its closing backdrop) is gone, so clicks reach the page. */
const dialogClosed = (page: Page) => page.getByTestId('name-input').waitFor({ state: 'detached' });

/**
 * Right-clicks the empty space under the rows until the menu is open: on a loaded machine a
 * closing dialog's backdrop can still take the first click.
 */
async function contextMenuOnBackground(page: Page): Promise<void> {
  const box = (await page.getByTestId('file-list').boundingBox())!;
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.mouse.click(box.x + box.width / 2, box.y + box.height - 20, { button: 'right' });
    const opened = await page.getByRole('menu').waitFor({ timeout: 3000 }).then(() => true, () => false);
    if (opened) return;
  }
  throw new Error('context menu did not open');
}

describe.skipIf(!!skip)(`web UI: file browser${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  let s: Session;
  let api: Client;
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await signInThroughUi(s.page, EMAIL, PASSWORD);
  }, 600_000);
  afterAll(async () => s?.close());

  it('creates folders from the toolbar and the context menu; refuses bad and taken names', async () => {
    const { page } = s;
    await page.getByTestId('action-new-folder').click();
    await nameDialog(page, 'Projects');
    await row(page, 'Projects').waitFor();
    await page.getByText('Folder “Projects” created').waitFor();
    await dialogClosed(page);

    await contextMenuOnBackground(page);
    await page.getByTestId('menu-new-folder').click();
    await nameDialog(page, 'Archive');
    await row(page, 'Archive').waitFor();

    await page.getByTestId('action-new-folder').click();
    await nameDialog(page, 'a/b');
    await page.getByText('Names cannot contain').waitFor();
    await page.getByTestId('name-input').fill('Projects');
    await page.getByTestId('name-submit').click();
    await page.getByText('An item with this name already exists here.').waitFor();
    await s.screenshot('10-new-folder-conflict');
    await page.keyboard.press('Escape');
    await page.getByTestId('name-input').waitFor({ state: 'detached' });
    expect(await rowNames(page)).toEqual(['Archive', 'Projects']);
  });

  it('opens folders by double click and Enter, and goes back through the breadcrumbs', async () => {
    const { page } = s;
    await row(page, 'Projects').dblclick();
    await page.waitForURL(/path=cloudreve%3A%2F%2Fmy%2FProjects$/);
    // The URL changes first; the breadcrumbs follow on the next render.
    await page.getByTestId('breadcrumbs').getByText('Projects').waitFor();
    expect(await page.getByTestId('breadcrumbs').textContent()).toBe('My filesProjects');
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('breadcrumbs').getByText('My files').click();
    await page.waitForURL(/\/home\?path=cloudreve%3A%2F%2Fmy$/);
    await row(page, 'Archive').click();
    await page.keyboard.press('Enter');
    await page.waitForURL(/Archive$/);
    await page.goBack();
    await row(page, 'Archive').waitFor();
  });

  it('renames with F2 (the extension stays unselected) and from the context menu', async () => {
    const { page } = s;
    for (const name of ['notes.txt', 'b.txt']) expect((await api.post('/file/create', { uri: myUri(name), type: 'file' })).code).toBe(0);
    await page.getByTestId('action-refresh').click();
    await row(page, 'notes.txt').click();
    await page.keyboard.press('F2');
    const input = page.getByTestId('name-input');
    await input.waitFor();
    await page.waitForFunction(() => (document.activeElement as HTMLInputElement | null)?.selectionEnd === 5);
    await page.keyboard.type('todo');
    expect(await input.inputValue()).toBe('todo.txt');
    await page.keyboard.press('Enter');
    await row(page, 'todo.txt').waitFor();
    await page.getByText('Renamed to “todo.txt”').waitFor();

    await row(page, 'b.txt').click({ button: 'right' });
    await page.getByTestId('menu-rename').click();
    await nameDialog(page, 'c.txt');
    await row(page, 'c.txt').waitFor();
    expect(await rowNames(page)).toEqual(['Archive', 'Projects', 'c.txt', 'todo.txt']);
  });

  it('selects with click, Ctrl+click, Shift+click, Ctrl+A and arrow keys', async () => {
    const { page } = s;
    await row(page, 'Archive').click();
    expect(await selectionCount(page)).toBe('1 item selected');
    await row(page, 'todo.txt').click({ modifiers: ['Control'] });
    expect(await selectionCount(page)).toBe('2 items selected');
    await row(page, 'Projects').click({ modifiers: ['Shift'] });
    expect(await selectionCount(page)).toBe('3 items selected');
    expect(await row(page, 'Archive').getAttribute('data-selected')).toBe('false');
    await row(page, 'c.txt').click({ button: 'right' });
    await page.getByTestId('menu-delete').waitFor();
    await s.screenshot('11-selection-context-menu');
    await page.keyboard.press('Escape');
    await page.getByTestId('menu-delete').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+a');
    await expect.poll(() => selectionCount(page)).toBe('4 items selected');
    await page.keyboard.press('Escape');
    await page.getByTestId('selection-bar').waitFor({ state: 'detached' });
    await row(page, 'Archive').click();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    expect(await selectionCount(page)).toBe('2 items selected');
    expect(await row(page, 'Projects').getAttribute('data-selected')).toBe('true');
    expect(await row(page, 'c.txt').getAttribute('data-selected')).toBe('true');
    await page.keyboard.press('Escape');
  });

  it('sorts by name both ways, folders staying first, and remembers the order', async () => {
    const { page } = s;
    await page.getByTestId('sort-name').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="file-row"]')?.getAttribute('data-name') === 'Projects');
    expect(await rowNames(page)).toEqual(['Projects', 'Archive', 'todo.txt', 'c.txt']);
    await page.reload();
    await row(page, 'todo.txt').waitFor();
    expect(await rowNames(page)).toEqual(['Projects', 'Archive', 'todo.txt', 'c.txt']);
    await page.getByTestId('sort-name').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="file-row"]')?.getAttribute('data-name') === 'Archive');
    expect(await rowNames(page)).toEqual(['Archive', 'Projects', 'c.txt', 'todo.txt']);
  });

  it('moves to trash with Delete, then restores and deletes forever in the trash view', async () => {
    const { page } = s;
    await row(page, 'c.txt').click();
    await page.keyboard.press('Delete');
    await page.getByText('“c.txt” will be moved to the trash.', { exact: false }).waitFor();
    await page.getByTestId('confirm-submit').click();
    await page.getByText('“c.txt” moved to trash').waitFor();
    await row(page, 'c.txt').waitFor({ state: 'detached' });

    await row(page, 'todo.txt').click();
    await row(page, 'Archive').click({ modifiers: ['Control'] });
    await page.getByTestId('action-delete').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByText('2 items moved to trash').waitFor();
    expect(await rowNames(page)).toEqual(['Projects']);

    await page.getByTestId('nav-trash').click();
    await row(page, 'c.txt').waitFor();
    expect((await rowNames(page))!.sort()).toEqual(['Archive', 'c.txt', 'todo.txt']);
    expect(await row(page, 'c.txt').textContent()).toContain('My files');
    await s.screenshot('12-trash');

    await row(page, 'c.txt').click({ button: 'right' });
    await page.getByTestId('menu-restore').click();
    await page.getByText('“c.txt” restored').waitFor();
    await row(page, 'c.txt').waitFor({ state: 'detached' });

    await row(page, 'todo.txt').click();
    await page.keyboard.press('Delete');
    await page.getByText('will be deleted permanently').waitFor();
    await page.getByTestId('confirm-submit').click();
    await page.getByText('“todo.txt” deleted permanently').waitFor();
    expect(await rowNames(page)).toEqual(['Archive']);

    await page.getByTestId('action-empty-trash').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('empty-state').waitFor();
    await page.getByText('Trash is empty').waitFor();

    await page.getByTestId('nav-my').click();
    await row(page, 'c.txt').waitFor();
    expect(await rowNames(page)).toEqual(['Projects', 'c.txt']);
  });

  it('scrolls a folder of 100,000 files with a bounded number of rows, loading pages on demand', async () => {
    const { page, server } = s;
    expect((await api.post('/file/create', { uri: myUri('big'), type: 'folder' })).code).toBe(0);
    const seeder = new Seeder(server.cfg.database.dbFile, EMAIL);
    seeder.addFiles(seeder.folderId('big'), 100_000);
    seeder.close();

    await page.goto(`/home?path=${encodeURIComponent(myUri('big'))}`);
    await page.getByText('500+ items').waitFor();
    const list = page.getByTestId('file-list');
    const domRows = () => page.locator('[data-testid="file-row"]').count();
    expect(await domRows()).toBeLessThan(60);

    // Scroll smoothly through the first pages: frame times measured in the page itself.
    const frames = await list.evaluate(async (el) => {
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 120; i++) {
        el.scrollTop += 400;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]! };
    });
    console.log(`100,000-file folder: scroll frame median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms`);
    const loaded = async () => Number((await page.getByTestId('item-count').textContent())!.replace(/\D/g, ''));
    await expect.poll(loaded, { timeout: 30_000 }).toBeGreaterThanOrEqual(1000);
    expect(await domRows()).toBeLessThan(60);

    const before = await loaded();
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(loaded, { timeout: 30_000 }).toBeGreaterThan(before);
    expect(await domRows()).toBeLessThan(60);
    await s.screenshot('13-big-folder');
    await page.keyboard.press('Control+a');
    expect(Number((await selectionCount(page))!.replace(/\D/g, ''))).toBeGreaterThanOrEqual(1000);
    await page.keyboard.press('Escape');
  });

  it('shows a clear message for a folder that does not exist', async () => {
    const { page } = s;
    await page.goto(`/home?path=${encodeURIComponent(myUri('nope'))}`);
    expect(await page.getByTestId('list-error').textContent()).toContain('This folder no longer exists.');
  });

  it('looks right in the dark theme and on a phone', async () => {
    const { page } = s;
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/home');
    await row(page, 'Projects').waitFor();
    await row(page, 'c.txt').click();
    await s.screenshot('14-files-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 780 });
    await page.reload();
    await row(page, 'Projects').waitFor();
    await s.screenshot('15-files-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logs no page or console errors', () => {
    expect(s.errors).toEqual([]);
  });
});
