import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { browserSkipReason, openSession, type Session } from './helpers/browser.ts';

/**
 * Keyboard only (issue #6): sign in, Tab to the file list, arrows, Enter into a folder, Backspace /
 * Alt+↑ / a breadcrumb back, F2 rename, Delete with the confirmation — and at every step the focused
 * element shows that it has the focus.
 */
const skip = browserSkipReason();
const EMAIL = 'kim@example.com';
const PASSWORD = 'kim-password';

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const grid = (page: Page) => page.getByTestId('file-list-grid');

interface FocusInfo { what: string; visible: boolean; testId: string | null }

/**
 * What has the focus and whether it is shown: a non-zero outline while `:focus-visible` matches
 * (our list and the browser's links), MUI's `Mui-focusVisible` (buttons: focus ripple) or
 * `Mui-focused` (text fields: the thick coloured border).
 */
function focused(page: Page): Promise<FocusInfo> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: 'body', visible: false, testId: null };
    const cs = getComputedStyle(el);
    const outline = el.matches(':focus-visible') && cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const mui = Boolean(el.closest('.Mui-focusVisible, .Mui-focused'));
    const name = el.getAttribute('aria-label') ?? el.getAttribute('data-testid') ?? (el.textContent ?? '').trim().slice(0, 40);
    return { what: `${el.tagName.toLowerCase()}[${name}]`, visible: outline || mui, testId: el.getAttribute('data-testid') };
  });
}

async function expectFocusVisible(page: Page, where: string): Promise<FocusInfo> {
  const f = await focused(page);
  expect(f.visible, `${where}: focus on ${f.what} is not visible`).toBe(true);
  return f;
}

/** Presses Tab (or Shift+Tab) until `done` holds, checking every stop on the way shows its focus. */
async function tabUntil(page: Page, done: (f: FocusInfo) => boolean | Promise<boolean>, back = false, max = 40): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    stops.push(f.what);
    expect(f.visible, `Tab stop ${i + 1} (${f.what}) shows no focus; stops so far: ${stops.join(' → ')}`).toBe(true);
    if (await done(f)) return stops;
  }
  throw new Error(`not reached after ${max} Tab presses: ${stops.join(' → ')}`);
}

const focusedRowName = (page: Page) => page.locator('[data-testid="file-row"][data-focused="true"]').getAttribute('data-name');

describe.skipIf(!!skip)(`web UI: keyboard only${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    expect((await api.post('/file/create', { uri: 'cloudreve://my/Projects', type: 'folder' })).code).toBe(0);
    expect((await api.post('/file/create', { uri: 'cloudreve://my/Projects/Drafts', type: 'folder' })).code).toBe(0);
    await uploadFile(api, 'cloudreve://my/Projects/plan.txt', Buffer.from('plan\n'));
    await uploadFile(api, 'cloudreve://my/notes.txt', Buffer.from('notes\n'));
    await uploadFile(api, 'cloudreve://my/zeta.txt', Buffer.from('zeta\n'));
  }, 600_000);
  afterAll(async () => {
    await s?.close();
  });

  it('signs in with the keyboard', async () => {
    const { page } = s;
    await page.goto('/session');
    await page.getByTestId('email-input').waitFor();
    // The e-mail field has the focus on arrival.
    expect((await expectFocusVisible(page, 'sign-in')).testId).toBe('email-input');
    await page.keyboard.type(EMAIL);
    await tabUntil(page, (f) => f.testId === 'password-input');
    await page.keyboard.type(PASSWORD);
    await s.screenshot('kbd-01-sign-in');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/home/);
    await row(page, 'notes.txt').waitFor();
  });

  it('reaches the list with Tab; arrows move the focused row; Enter opens a folder', async () => {
    const { page } = s;
    await tabUntil(page, (f) => f.testId === 'file-list-grid');
    const ring = await grid(page).evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(ring).not.toBe('none');
    await page.keyboard.press('ArrowDown');
    expect(await focusedRowName(page)).toBe('Projects');
    const rowId = await row(page, 'Projects').getAttribute('id');
    expect(await grid(page).getAttribute('aria-activedescendant')).toBe(rowId);
    expect(await row(page, 'Projects').evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focusedRowName(page)).toBe('zeta.txt');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await focusedRowName(page)).toBe('Projects');
    await s.screenshot('kbd-02-list-focus');

    await page.keyboard.press('Enter');
    await row(page, 'plan.txt').waitFor();
    expect(decodeURIComponent(page.url())).toContain('cloudreve://my/Projects');
    // The list keeps the focus across the navigation.
    expect((await expectFocusVisible(page, 'after Enter')).testId).toBe('file-list-grid');
    await s.screenshot('kbd-03-in-folder');
  });

  it('goes back with Backspace, Alt+↑ and a breadcrumb, landing on the folder it came from', async () => {
    const { page } = s;
    await page.keyboard.press('Backspace');
    await row(page, 'notes.txt').waitFor();
    expect(decodeURIComponent(page.url())).not.toContain('Projects');
    await expect.poll(() => focusedRowName(page)).toBe('Projects');

    await page.keyboard.press('Enter');
    await row(page, 'plan.txt').waitFor();
    await page.keyboard.press('ArrowDown'); // Drafts
    expect(await focusedRowName(page)).toBe('Drafts');
    await page.keyboard.press('Enter');
    await page.getByTestId('empty-state').waitFor();
    await page.keyboard.press('Alt+ArrowUp');
    await row(page, 'plan.txt').waitFor();
    await expect.poll(() => focusedRowName(page)).toBe('Drafts');

    // Shift+Tab back from the list to the breadcrumb "My files".
    expect(await page.getByTestId('selection-bar').count()).toBe(0); // focused, not selected: breadcrumbs shown
    await tabUntil(page, async () => (await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="breadcrumbs"]')))), true);
    expect((await focused(page)).what).toContain('My files');
    await s.screenshot('kbd-04-breadcrumb-focus');
    await page.keyboard.press('Enter');
    await row(page, 'notes.txt').waitFor();
    // The used breadcrumb became the plain title; the list takes the focus, on "Projects".
    await expect.poll(() => focusedRowName(page)).toBe('Projects');
    expect((await expectFocusVisible(page, 'after the breadcrumb')).testId).toBe('file-list-grid');
  });

  it('renames with F2 and trashes with Delete after the confirmation', async () => {
    const { page } = s;
    expect((await focused(page)).testId).toBe('file-list-grid');
    await page.keyboard.press('ArrowDown');
    expect(await focusedRowName(page)).toBe('notes.txt');
    await page.keyboard.press('F2');
    // The field takes the focus (name selected up to the extension) once the dialog has opened.
    await expect.poll(async () => (await focused(page)).testId).toBe('name-input');
    await expectFocusVisible(page, 'rename dialog');
    // The name without the extension is selected: typing replaces it.
    await page.keyboard.type('minutes');
    await s.screenshot('kbd-05-rename');
    await page.keyboard.press('Enter');
    await row(page, 'minutes.txt').waitFor();
    const listed = await api.get('/file?uri=' + encodeURIComponent('cloudreve://my'));
    expect((listed.data.files as { name: string }[]).map((f) => f.name).sort()).toEqual(['Projects', 'minutes.txt', 'zeta.txt']);
    // The dialog gives the focus back to the list.
    await page.getByTestId('name-input').waitFor({ state: 'detached' });
    expect((await focused(page)).testId).toBe('file-list-grid');

    await page.keyboard.press('Delete');
    await expect.poll(async () => (await focused(page)).testId).toBe('confirm-submit');
    await expectFocusVisible(page, 'delete confirmation');
    await s.screenshot('kbd-06-delete-confirm');
    await page.keyboard.press('Enter');
    await row(page, 'minutes.txt').waitFor({ state: 'detached' });
    const trash = await api.get('/file?uri=' + encodeURIComponent('cloudreve://trash'));
    expect((trash.data.files as { name: string }[]).map((f) => f.name)).toEqual(['minutes.txt']);
    expect((await focused(page)).testId).toBe('file-list-grid');
  });

  it('works the same at 360 px', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/home');
    await row(page, 'zeta.txt').waitFor();
    await tabUntil(page, (f) => f.testId === 'file-list-grid');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await row(page, 'plan.txt').waitFor();
    await s.screenshot('kbd-07-phone');
    await page.keyboard.press('Backspace');
    await row(page, 'zeta.txt').waitFor();
    expect(s.errors).toEqual([]);
  });
});
