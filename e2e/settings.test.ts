import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import * as OTPAuth from 'otpauth';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const EMAIL = 'sam@example.com';
const PASSWORD = 'settings-password';
const NEW_PASSWORD = 'settings-password-2';

/** A real 8×8 PNG. */
const pngBytes = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#3366cc' } }).png().toBuffer();

describe.skipIf(!!skip)(`web UI: settings${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await signInThroughUi(s.page, EMAIL, PASSWORD);
    await s.page.getByTestId('user-menu-button').click();
    await s.page.getByTestId('menu-settings').click();
    await s.page.getByTestId('settings-page').waitFor();
  }, 600_000);
  afterAll(async () => {
    await s?.close();
  });

  it('changes the display name and the avatar', async () => {
    const { page } = s;
    await page.getByTestId('nick-input').fill('Samantha');
    await page.getByTestId('nick-save').click();
    await page.getByText('Saved').first().waitFor();
    expect((await api.get('/user/me')).data.nickname).toBe('Samantha');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-avatar-'));
    fs.writeFileSync(path.join(dir, 'me.png'), await pngBytes());
    await page.getByTestId('avatar-input').setInputFiles(path.join(dir, 'me.png'));
    await page.getByText('Profile picture updated').waitFor();
    await page.locator('[data-testid="settings-avatar"][data-has-avatar="true"] img').waitFor();
    expect((await api.get('/user/me')).data.avatar).toBe('file');
    const img = await fetch(`${s.server.url}/api/v4/user/avatar/${(await api.get('/user/me')).data.id}?nocache=1`);
    expect(img.headers.get('content-type')).toBe('image/png');
    await s.screenshot('70-settings-profile');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('changes the password (wrong current password is refused) and stays signed in', async () => {
    const { page } = s;
    await page.getByTestId('password-current').fill('not-my-password');
    await page.getByTestId('password-next').fill(NEW_PASSWORD);
    await page.getByTestId('password-confirm').fill(NEW_PASSWORD);
    await page.getByTestId('password-save').click();
    await page.getByText('The current password is not correct').waitFor();
    await page.getByTestId('password-current').fill(PASSWORD);
    await page.getByTestId('password-confirm').fill('mismatch-password');
    await page.getByTestId('password-save').click();
    await page.getByText('The passwords do not match').waitFor();
    await page.getByTestId('password-confirm').fill(NEW_PASSWORD);
    await page.getByTestId('password-save').click();
    await page.getByText('Password changed').waitFor();
    await expect(api.signIn(EMAIL, PASSWORD)).rejects.toThrow(/40080/);
    await api.signIn(EMAIL, NEW_PASSWORD);
    // Still signed in: a reload keeps the settings page.
    await page.reload();
    await page.getByTestId('settings-page').waitFor();
    expect(page.url()).toContain('/settings');
  });

  it('enables two-step verification with a QR code and a TOTP code', async () => {
    const { page } = s;
    await page.getByTestId('twofa-setup').click();
    await page.getByTestId('qr-code').waitFor();
    const secret = (await page.getByTestId('twofa-secret').textContent())!.trim();
    await page.getByTestId('settings-twofa').scrollIntoViewIfNeeded();
    await s.screenshot('71-settings-2fa-qr');
    await page.getByTestId('twofa-code').fill('000000');
    await page.getByTestId('twofa-submit').click();
    await page.getByText('That code is not correct').waitFor();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    await page.getByTestId('twofa-code').fill(totp.generate());
    await page.getByTestId('twofa-submit').click();
    await page.getByText('Two-step verification is on').waitFor();
    expect(await page.getByTestId('twofa-status').textContent()).toBe('On');
    expect((await api.get('/user/setting')).data.two_fa_enabled).toBe(true);
    // Signing in now needs the code.
    const r = await api.post('/session/token', { email: EMAIL, password: NEW_PASSWORD });
    expect(r.code).toBe(203);
  });

  it('creates a WebDAV account, shows the secret once with the mount URL, edits and deletes it', async () => {
    const { page } = s;
    expect((await api.post('/file/create', { uri: 'cloudreve://my/Docs', type: 'folder' })).code).toBe(0);
    await page.getByTestId('dav-create').click();
    await page.getByTestId('dav-name').fill('Laptop');
    await page.getByTestId('dav-pick-root').click();
    await page.locator('[data-testid="tree-node"][data-uri="cloudreve://my/Docs"]').click();
    await page.getByTestId('folder-pick-submit').click();
    expect(await page.getByTestId('dav-root').inputValue()).toBe('My files/Docs');
    await s.screenshot('72-settings-dav-dialog');
    await page.getByTestId('dav-submit').click();
    await page.getByTestId('dav-created').waitFor();
    const secret = await page.getByTestId('dav-secret').inputValue();
    expect(secret).toMatch(/^[0-9a-z]{32}$/);
    expect(await page.getByTestId('dav-mount-url').inputValue()).toBe(`${s.server.url}/dav/`);
    expect(await page.getByTestId('dav-username').inputValue()).toBe(EMAIL);
    await s.screenshot('73-settings-dav-secret');
    // The secret works for WebDAV.
    const res = await fetch(`${s.server.url}/dav/`, { method: 'PROPFIND', headers: { Depth: '0', Authorization: `Basic ${Buffer.from(`${EMAIL}:${secret}`).toString('base64')}` } });
    expect(res.status).toBe(207);
    await page.getByTestId('dav-created-done').click();
    await page.getByTestId('dav-created').waitFor({ state: 'detached' });
    // Shown once: the list does not show it.
    expect(await page.getByText(secret).count()).toBe(0);

    const r = page.locator('[data-testid="dav-row"][data-name="Laptop"]');
    await r.getByTestId('dav-row-edit').click();
    await page.getByTestId('dav-name').fill('Laptop (ro)');
    await page.getByText('Read-only', { exact: true }).click();
    await page.getByTestId('dav-submit').click();
    const edited = page.locator('[data-testid="dav-row"][data-name="Laptop (ro)"]');
    await edited.waitFor();
    const accounts = (await api.get('/devices/dav?page_size=10')).data.accounts;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ name: 'Laptop (ro)', uri: 'cloudreve://my/Docs' });
    await edited.getByTestId('dav-row-delete').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('dav-empty').waitFor();
    expect((await api.get('/devices/dav?page_size=10')).data.accounts).toHaveLength(0);
  });

  it('switches theme and language, remembered after a reload', async () => {
    const { page } = s;
    await page.getByTestId('theme-dark').check();
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await bg()).toBe('rgb(15, 17, 21)');
    await page.getByTestId('language-select').click();
    await page.getByRole('option', { name: '简体中文' }).click();
    await page.getByRole('heading', { name: '设置', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: '设置', level: 1 }).waitFor();
    expect(await bg()).toBe('rgb(15, 17, 21)');
    await s.screenshot('74-settings-dark-zh');
    expect((await api.get('/user/me')).data.language).toBe('zh-CN');
    await page.setViewportSize({ width: 360, height: 740 });
    await s.screenshot('75-settings-phone');
    await page.getByTestId('theme-system').check();
    expect(await bg()).toBe('rgb(245, 247, 251)');
    expect(s.errors).toEqual([]);
  });
});
