import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { pdf, wav } from './helpers/media.ts';
import { browserSkipReason, CHROMIUM, openSession, SCREENSHOT_DIR, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const OWNER = 'olga@example.com';
const VISITOR = 'victor@example.com';
const PASSWORD = 'share-password';

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);

/** A second browser with its own profile: a visitor who has never been here. */
async function freshContext(baseURL: string, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const dir = fs.mkdtempSync('/tmp/crts-visitor-');
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    headless: true, locale: 'en-US', viewport, baseURL, acceptDownloads: true,
  });
}

/** A real 8×8 PNG. */
const pngBytes = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366cc' } }).png().toBuffer();

describe.skipIf(!!skip)(`web UI: share links${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let owner: Client;
  let link = '';
  beforeAll(async () => {
    s = await openSession();
    owner = s.server.client();
    await owner.signUpAndIn(OWNER, PASSWORD);
    expect((await owner.post('/file/create', { uri: 'cloudreve://my/Trip', type: 'folder' })).code).toBe(0);
    expect((await owner.post('/file/create', { uri: 'cloudreve://my/Trip/Day 1', type: 'folder' })).code).toBe(0);
    await uploadFile(owner, 'cloudreve://my/Trip/notes.txt', Buffer.from('trip notes\n'));
    await uploadFile(owner, 'cloudreve://my/Trip/Day 1/photo.png', await pngBytes());
    await uploadFile(owner, 'cloudreve://my/Trip/Day 1/route.md', Buffer.from('# Route plan\n\n- north *first*\n'));
    await uploadFile(owner, 'cloudreve://my/Trip/Day 1/birds.wav', wav(2));
    await uploadFile(owner, 'cloudreve://my/Trip/Day 1/tickets.pdf', pdf('Tickets'));
    await s.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signInThroughUi(s.page, OWNER, PASSWORD);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
  });

  it('owner creates a password link with expiry and download limit from the file menu', async () => {
    const { page } = s;
    await row(page, 'Trip').click({ button: 'right' });
    await page.getByTestId('menu-share').click();
    await page.getByTestId('share-dialog').waitFor();
    await page.getByTestId('share-private').check();
    await page.getByTestId('share-password').fill('bad pass!');
    await page.getByText('Use up to 32 letters and digits only').waitFor();
    expect(await page.getByTestId('share-submit').isDisabled()).toBe(true);
    await page.getByTestId('share-password').fill('secret42');
    await page.getByTestId('share-expire').check();
    await page.getByTestId('share-limit').check();
    await page.getByTestId('share-downloads').fill('3');
    await page.getByTestId('share-readme').check();
    await s.screenshot('60-share-dialog');
    await page.getByTestId('share-submit').click();
    const input = page.getByTestId('share-link');
    await input.waitFor();
    link = await input.inputValue();
    expect(link).toMatch(/\/s\/[A-Za-z0-9]+\/secret42$/);
    await page.getByTestId('share-copy').click();
    await page.getByText('Copied to the clipboard').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await s.screenshot('61-share-created');
    await page.getByTestId('share-done').click();

    const list = await owner.get('/share?page_size=10');
    expect(list.data.shares).toHaveLength(1);
    const share = list.data.shares[0];
    expect(share).toMatchObject({ name: 'Trip', is_private: true, password: 'secret42', remain_downloads: 3, show_readme: true });
    expect(Date.parse(share.expires) - Date.now()).toBeGreaterThan(6 * 86400_000);
  });

  it('"My shares" lists, edits and deletes links', async () => {
    const { page } = s;
    await page.getByTestId('nav-shares').click();
    const r = page.locator('[data-testid="share-row"][data-name="Trip"]');
    await r.waitFor();
    await s.screenshot('62-my-shares');
    await r.getByTestId('share-row-edit').click();
    await page.getByTestId('share-dialog').waitFor();
    expect(await page.getByTestId('share-password').inputValue()).toBe('secret42');
    await page.getByTestId('share-limit').uncheck();
    await page.getByTestId('share-submit').click();
    await page.getByTestId('share-link').waitFor();
    await page.getByTestId('share-done').click();
    await page.getByText('downloads left').waitFor({ state: 'detached' });
    const after = (await owner.get('/share?page_size=10')).data.shares[0];
    expect(after.remain_downloads).toBeUndefined();

    // A second link, deleted from the list; the view follows the server.
    expect((await owner.put('/share', { uri: 'cloudreve://my/Trip/notes.txt' })).code).toBe(0);
    await page.reload();
    const notes = page.locator('[data-testid="share-row"][data-name="notes.txt"]');
    await notes.waitFor();
    await notes.getByTestId('share-row-delete').click();
    await page.getByTestId('confirm-submit').click();
    await notes.waitFor({ state: 'detached' });
    expect((await owner.get('/share?page_size=10')).data.shares).toHaveLength(1);
  });

  it('a visitor in a fresh browser opens the link, needs the password, browses, previews and downloads', async () => {
    const visitor = await freshContext(s.server.url);
    try {
      const page = visitor.pages()[0] ?? (await visitor.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const bare = new URL(link.replace(/\/secret42$/, ''));
      await page.goto(bare.pathname);
      await page.getByTestId('share-locked').waitFor();
      await page.screenshot({ path: `${SCREENSHOT_DIR}/63-share-locked.png` });
      await page.getByTestId('share-password-input').fill('wrong');
      await page.getByTestId('share-unlock').click();
      await page.getByText('The password is not correct').waitFor();
      await page.getByTestId('share-password-input').fill('secret42');
      await page.getByTestId('share-unlock').click();
      await row(page, 'Day 1').waitFor();
      await row(page, 'notes.txt').waitFor();
      expect(await page.getByTestId('share-name').textContent()).toBe('Trip');
      await page.screenshot({ path: `${SCREENSHOT_DIR}/64-share-browse.png` });

      await row(page, 'Day 1').dblclick();
      await row(page, 'photo.png').waitFor();
      // The file browser's viewers, fed through the share URI.
      await row(page, 'photo.png').dblclick();
      await page.getByTestId('preview-image').waitFor();
      if (await page.getByTestId('preview-original').isVisible()) await page.getByTestId('preview-original').click();
      await page.waitForFunction(() => {
        const img = document.querySelector('[data-testid="preview-image"][data-variant="original"]') as HTMLImageElement | null;
        return img?.complete && img.naturalWidth === 8;
      });
      await page.screenshot({ path: `${SCREENSHOT_DIR}/65-share-preview.png` });
      await page.keyboard.press('Escape');
      await page.getByTestId('preview').waitFor({ state: 'detached' });

      await row(page, 'route.md').dblclick();
      await page.getByTestId('markdown-view').getByRole('heading', { name: 'Route plan' }).waitFor();
      await page.getByTestId('preview-read-only').waitFor();
      expect(await page.getByTestId('preview-save').count()).toBe(0);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/65b-share-preview-markdown.png` });
      await page.getByTestId('preview-close').click();

      await row(page, 'birds.wav').dblclick();
      await page.waitForFunction(() => ((document.querySelector('[data-testid="preview-audio"]') as HTMLAudioElement | null)?.duration ?? 0) > 1.5);
      await page.getByTestId('preview-close').click();

      await row(page, 'tickets.pdf').dblclick();
      await page.getByTestId('preview-pdf').waitFor();
      expect(await page.getByTestId('preview-pdf').getAttribute('src')).toMatch(/^blob:/);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/65c-share-preview-pdf.png` });
      await page.getByTestId('preview-close').click();
      await page.getByTestId('preview').waitFor({ state: 'detached' });
      await page.getByTestId('share-breadcrumbs').getByRole('link', { name: 'Trip' }).click();
      await row(page, 'notes.txt').dblclick();
      await page.getByTestId('code-editor').getByText('trip notes').waitFor();
      expect(await page.getByTestId('code-editor').getAttribute('contenteditable')).toBe('false');
      await page.getByTestId('preview-close').click();
      await page.getByTestId('preview').waitFor({ state: 'detached' });
      await row(page, 'notes.txt').click();
      const downloading = page.waitForEvent('download');
      await page.getByTestId('share-download').click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe('notes.txt');
      expect(fs.readFileSync(await download.path()).toString()).toBe('trip notes\n');
      // Keyboard: the list is a Tab stop; arrows, Enter into a folder, Backspace back up.
      await page.getByTestId('file-list-grid').focus();
      await page.keyboard.press('Escape');
      await page.keyboard.press('ArrowDown');
      expect(await page.locator('[data-testid="file-row"][data-focused="true"]').getAttribute('data-name')).toBe('Day 1');
      await page.keyboard.press('Enter');
      await row(page, 'photo.png').waitFor();
      await page.keyboard.press('Backspace');
      await row(page, 'notes.txt').waitFor();
      // Anonymous visitors are offered to sign in to save.
      await page.getByTestId('share-sign-in').waitFor();

      // Phone width.
      await page.setViewportSize({ width: 360, height: 740 });
      await page.screenshot({ path: `${SCREENSHOT_DIR}/66-share-phone.png` });
      expect(errors).toEqual([]);
    } finally {
      await visitor.close();
    }
  });

  it('a signed-in visitor saves the shared folder into their own files', async () => {
    const api = s.server.client();
    await api.signUpAndIn(VISITOR, PASSWORD);
    const visitor = await freshContext(s.server.url);
    try {
      const page = visitor.pages()[0] ?? (await visitor.newPage());
      await signInThroughUi(page, VISITOR, PASSWORD);
      await page.goto(new URL(link).pathname);
      await row(page, 'notes.txt').waitFor();
      await page.getByTestId('share-save').click();
      await page.getByTestId('folder-pick-dialog').waitFor();
      await page.screenshot({ path: `${SCREENSHOT_DIR}/67-share-save-dialog.png` });
      await page.getByTestId('folder-pick-submit').click();
      await page.getByText('“Trip” saved to “My files”').waitFor();
      const mine = await api.get('/file?uri=' + encodeURIComponent('cloudreve://my/Trip'));
      expect(mine.code).toBe(0);
      expect(mine.data.files.map((f: { name: string }) => f.name).sort()).toEqual(['Day 1', 'notes.txt']);
      await page.goto('/home');
      await row(page, 'Trip').waitFor();
    } finally {
      await visitor.close();
    }
  });

  it('a deleted or unknown link shows a clear message', async () => {
    const { page } = s;
    await page.goto('/s/zzzzzz');
    await page.getByTestId('share-gone').waitFor();
    await s.screenshot('68-share-gone');
    expect(s.errors.filter((e) => !/404|Failed to load resource/.test(e))).toEqual([]);
  });
});
