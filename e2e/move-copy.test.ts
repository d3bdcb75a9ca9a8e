import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'mona@example.com';
const PASSWORD = 'move-password';

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const names = async (api: Client, uri: string) =>
  ((await api.get('/file?page_size=100&uri=' + encodeURIComponent(uri))).data.files as { name: string }[]).map((f) => f.name).sort();

/** Drags one element onto another with real HTML5 drag events sharing one DataTransfer. */
async function dragOnto(page: Page, from: string, to: string): Promise<void> {
  const dt = await page.evaluateHandle(() => new DataTransfer());
  await page.locator(from).dispatchEvent('dragstart', { dataTransfer: dt });
  await page.locator(to).dispatchEvent('dragenter', { dataTransfer: dt });
  await page.locator(to).dispatchEvent('dragover', { dataTransfer: dt });
  await page.locator(to).dispatchEvent('drop', { dataTransfer: dt });
  // The dragged row is usually gone by now (moved away): do not wait for it.
  await page.locator(from).dispatchEvent('dragend', { dataTransfer: dt }, { timeout: 500 }).catch(() => undefined);
}

describe.skipIf(!!skip)(`web UI: move and copy${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  let s: Session;
  let api: Client;
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    for (const f of ['Archive', 'Archive/2024', 'Archive/2024/Q1', 'Inbox']) {
      expect((await api.post('/file/create', { uri: `cloudreve://my/${f}`, type: 'folder' })).code).toBe(0);
    }
    for (const n of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) await uploadFile(api, `cloudreve://my/${n}`, Buffer.from(n));
    await uploadFile(api, 'cloudreve://my/Archive/2024/Q1/a.txt', Buffer.from('older a'));
    await signInThroughUi(s.page, EMAIL, PASSWORD);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
  });

  it('moves the selection with the dialog and its lazily loaded folder tree', async () => {
    const { page } = s;
    await row(page, 'a.txt').click();
    await row(page, 'b.txt').click({ modifiers: ['Control'] });
    await row(page, 'b.txt').click({ button: 'right' });
    await page.getByTestId('menu-move').click();
    await page.getByTestId('folder-pick-dialog').waitFor();
    // Only the root level is loaded; "2024" appears after opening "Archive".
    const node = (uri: string) => page.locator(`[data-testid="tree-node"][data-uri="${uri}"]`);
    await node('cloudreve://my/Archive').waitFor();
    expect(await node('cloudreve://my/Archive/2024').count()).toBe(0);
    await node('cloudreve://my/Archive').getByTestId('tree-toggle').click();
    await node('cloudreve://my/Archive/2024').waitFor();
    // Keyboard: → opens the focused folder, ↓ moves, Enter picks.
    await node('cloudreve://my/Archive/2024').focus();
    await page.keyboard.press('ArrowRight');
    await node('cloudreve://my/Archive/2024/Q1').waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('folder-pick-target').textContent()).toContain('/Archive/2024/Q1');
    await s.screenshot('80-move-dialog');
    // a.txt exists there: the server refuses with 40004 and the list keeps both files.
    await page.getByTestId('folder-pick-submit').click();
    await page.getByTestId('folder-pick-error').waitFor();
    expect(await page.getByTestId('folder-pick-error').textContent()).toContain('already exists');
    await node('cloudreve://my/Archive/2024').click();
    await page.getByTestId('folder-pick-submit').click();
    await page.getByTestId('folder-pick-dialog').waitFor({ state: 'detached' });
    await page.getByText('2 items moved to “2024”').waitFor();
    await row(page, 'a.txt').waitFor({ state: 'detached' });
    await row(page, 'b.txt').waitFor({ state: 'detached' });
    expect(await names(api, 'cloudreve://my/Archive/2024')).toEqual(['Q1', 'a.txt', 'b.txt']);
  });

  it('copies with the dialog; the source stays', async () => {
    const { page } = s;
    await row(page, 'c.txt').click();
    await page.getByTestId('action-copy').click();
    await page.locator('[data-testid="tree-node"][data-uri="cloudreve://my/Inbox"]').click();
    await page.getByTestId('folder-pick-submit').click();
    await page.getByText('“c.txt” copied to “Inbox”').waitFor();
    await row(page, 'c.txt').waitFor();
    expect(await names(api, 'cloudreve://my/Inbox')).toEqual(['c.txt']);
  });

  it('drags a file onto a folder row, and a file onto a breadcrumb', async () => {
    const { page } = s;
    await dragOnto(page, '[data-testid="file-row"][data-name="d.txt"]', '[data-testid="file-row"][data-name="Inbox"]');
    await row(page, 'd.txt').waitFor({ state: 'detached' });
    expect(await names(api, 'cloudreve://my/Inbox')).toEqual(['c.txt', 'd.txt']);
    await s.screenshot('81-drag-moved');

    await row(page, 'Inbox').dblclick();
    await row(page, 'd.txt').waitFor();
    await dragOnto(page, '[data-testid="file-row"][data-name="d.txt"]', '[data-testid="breadcrumbs"] a[data-drop-uri="cloudreve://my"]');
    await row(page, 'd.txt').waitFor({ state: 'detached' });
    expect(await names(api, 'cloudreve://my')).toContain('d.txt');
    await s.screenshot('82-drag-breadcrumb');
  });

  it('drags a card onto a folder card in the grid view', async () => {
    const { page } = s;
    await page.goto('/home');
    await row(page, 'd.txt').waitFor();
    await page.getByTestId('layout-grid').click();
    await page.getByTestId('file-grid').waitFor();
    await dragOnto(page, '[data-testid="file-card"][data-name="d.txt"]', '[data-testid="file-card"][data-name="Inbox"]');
    await page.locator('[data-testid="file-card"][data-name="d.txt"]').waitFor({ state: 'detached' });
    expect(await names(api, 'cloudreve://my/Inbox')).toContain('d.txt');
    await s.screenshot('82b-drag-grid');
    await page.getByTestId('layout-list').click();
    await page.locator('[data-testid="file-row"]').first().waitFor();
    // Back where the next test expects it.
    expect((await api.post('/file/move', { uris: ['cloudreve://my/Inbox/d.txt'], dst: 'cloudreve://my' })).code).toBe(0);
  });

  it('works at phone width', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/home');
    await row(page, 'd.txt').click();
    await page.getByTestId('action-move').click();
    await page.getByTestId('folder-pick-dialog').waitFor();
    await s.screenshot('83-move-phone');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(s.errors).toEqual([]);
  });
});
