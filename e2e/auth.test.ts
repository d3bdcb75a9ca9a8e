import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const totp = (secret: string) => TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

/**
 * Rewrites the stored session in the page (to age or break its tokens), once the page's own calls
 * are done: an answer arriving later would store the session again.
 */
async function editStoredToken(page: Page, change: Record<string, string>): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.evaluate((c) => {
    const s = JSON.parse(localStorage.getItem('cr_session')!);
    Object.assign(s.token, c);
    localStorage.setItem('cr_session', JSON.stringify(s));
  }, change);
}

describe.skipIf(!!skip)(`web UI: sign-in, sign-up, sign-out${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession();
  }, 600_000);
  afterAll(async () => s?.close());

  it('sends a visitor to the sign-in page and back to where they were going', async () => {
    const { page } = s;
    await page.goto('/home?path=cloudreve%3A%2F%2Fmy%2FDocs');
    await page.waitForURL(/\/session\?redirect=/);
    expect(new URL(page.url()).searchParams.get('redirect')).toBe('/home?path=cloudreve%3A%2F%2Fmy%2FDocs');
    // waitFor, not isVisible: the redirect lands before the lazy sign-in page has rendered.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByTestId('to-sign-up').waitFor();
    await s.screenshot('01-sign-in');
  });

  it('signs up: checks the form, refuses a taken address, then creates the account', async () => {
    const { page } = s;
    await page.goto('/session/signup');
    await page.getByTestId('email-input').fill('not-an-email');
    await page.getByTestId('sign-up-submit').click();
    await page.getByText('Enter a valid email address').waitFor();
    await page.getByTestId('email-input').fill('alice@example.com');
    await page.getByTestId('password-input').fill('abc');
    await page.getByTestId('confirm-input').fill('abd');
    await page.getByTestId('sign-up-submit').click();
    await page.getByText('Password must be 6–128 characters').first().waitFor();
    await page.getByText('The passwords do not match').waitFor();
    await s.screenshot('02-sign-up-validation');
    await page.getByTestId('password-input').fill('alice-password');
    await page.getByTestId('confirm-input').fill('alice-password');
    await page.getByTestId('sign-up-submit').click();
    await page.waitForURL(/\/session$/);
    await page.getByText('Your account is ready. Sign in to continue.').waitFor();
    expect(await page.getByTestId('email-input').inputValue()).toBe('alice@example.com');

    await page.goto('/session/signup');
    await page.getByTestId('email-input').fill('alice@example.com');
    await page.getByTestId('password-input').fill('alice-password');
    await page.getByTestId('confirm-input').fill('alice-password');
    await page.getByTestId('sign-up-submit').click();
    expect(await page.getByTestId('auth-error').textContent()).toBe('This email address is already registered.');
  });

  it('shows the contract message for a wrong password and for a banned account', async () => {
    const { page, server } = s;
    await page.goto('/session');
    await page.getByTestId('email-input').fill('alice@example.com');
    await page.getByTestId('password-input').fill('wrong-password');
    await page.getByTestId('sign-in-submit').click();
    expect(await page.getByTestId('auth-error').textContent()).toBe('The email or password is incorrect.');
    await s.screenshot('03-sign-in-error');

    await server.client().post('/user', { email: 'banned@example.com', password: 'banned-password' });
    await server.server.ctx.db.kysely.updateTable('users').set({ status: 'manual_banned' }).where('email', '=', 'banned@example.com').execute();
    await page.getByTestId('email-input').fill('banned@example.com');
    await page.getByTestId('password-input').fill('banned-password');
    await page.getByTestId('sign-in-submit').click();
    await page.getByText('This account has been blocked.').waitFor();
  });

  it('signs in, shows the file browser, and signs out', async () => {
    const { page } = s;
    await signInThroughUi(page, 'alice@example.com', 'alice-password');
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('breadcrumbs').textContent()).toBe('My files');
    await page.getByTestId('capacity').waitFor();
    await s.screenshot('04-files-empty');

    await page.getByTestId('user-menu-button').click();
    expect(await page.getByTestId('user-email').textContent()).toBe('alice@example.com');
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/session$/);
    await page.getByText('You have signed out.').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('cr_session'))).toBeNull();
    await page.goto('/home');
    await page.waitForURL(/\/session\?redirect=%2Fhome/);
  });

  it('returns to the page asked for after signing in', async () => {
    const { page, server } = s;
    const c = server.client();
    await c.signIn('alice@example.com', 'alice-password');
    await c.post('/file/create', { uri: 'cloudreve://my/Docs', type: 'folder' });
    await page.goto('/home?path=cloudreve%3A%2F%2Fmy%2FDocs');
    await page.waitForURL(/\/session\?redirect=/);
    await page.getByTestId('email-input').fill('alice@example.com');
    await page.getByTestId('password-input').fill('alice-password');
    await page.getByTestId('sign-in-submit').click();
    await page.waitForURL(/\/home\?path=cloudreve%3A%2F%2Fmy%2FDocs$/);
    await page.getByText('Docs', { exact: true }).first().waitFor();
  });

  it('refreshes an access token that is about to expire without the user noticing', async () => {
    const { page } = s;
    await page.goto('/home');
    await page.getByTestId('breadcrumbs').waitFor();
    const soon = new Date(Date.now() + 5 * 60_000).toISOString();
    await editStoredToken(page, { access_expires: soon });
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v4/session/token/refresh'));
    await page.reload();
    const body = await (await refreshed).json();
    expect(body.code).toBe(0);
    await page.getByTestId('breadcrumbs').waitFor();
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('cr_session')!).token);
    expect(Date.parse(stored.access_expires)).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(stored.access_token).toBe(body.data.access_token);
    expect(page.url()).toMatch(/\/home$/);
  });

  it('signs out when the server refuses the token (401) or the refresh (40020)', async () => {
    const { page } = s;
    await page.goto('/home');
    await page.getByTestId('breadcrumbs').waitFor();
    await editStoredToken(page, { access_token: 'not-a-jwt' });
    await page.reload();
    await page.waitForURL(/\/session\?redirect=%2Fhome/);
    await page.getByText('Your session has ended. Please sign in again.').waitFor();

    await signInThroughUi(page, 'alice@example.com', 'alice-password');
    await editStoredToken(page, { access_expires: new Date(Date.now() + 60_000).toISOString(), refresh_token: 'not-a-jwt' });
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v4/session/token/refresh'));
    await page.reload();
    expect((await (await refused).json()).code).toBe(40020);
    await page.waitForURL(/\/session\?redirect=/);
  });

  it('asks for the 2FA code when the account has two-step verification', async () => {
    const { page, server } = s;
    const c = server.client();
    await c.signUpAndIn('bob@example.com', 'bob-password');
    const secret = (await c.get<string>('/user/setting/2fa')).data!;
    expect((await c.patch('/user/setting', { two_fa_enabled: true, two_fa_code: totp(secret) })).code).toBe(0);

    await page.goto('/session');
    await page.getByTestId('email-input').fill('bob@example.com');
    await page.getByTestId('password-input').fill('bob-password');
    await page.getByTestId('sign-in-submit').click();
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await s.screenshot('05-sign-in-2fa');
    const good = totp(secret);
    await page.getByTestId('otp-input').fill(good === '000000' ? '111111' : '000000');
    await page.getByTestId('otp-submit').click();
    expect(await page.getByTestId('auth-error').textContent()).toBe('That code is not correct. Check your authenticator app and try again.');
    await page.getByTestId('otp-input').fill(good);
    await page.getByTestId('otp-submit').click();
    await page.waitForURL(/\/home$/);
    await page.getByTestId('user-menu-button').click();
    expect(await page.getByTestId('user-email').textContent()).toBe('bob@example.com');
    await page.keyboard.press('Escape');
    await page.getByTestId('user-menu-button').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/session$/);
  });

  it('switches to Simplified Chinese and remembers the choice', async () => {
    const { page } = s;
    await page.goto('/session');
    await page.getByTestId('language-button').click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    await page.getByRole('heading', { name: '登录' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await page.getByTestId('email-input').fill('alice@example.com');
    await page.getByTestId('password-input').fill('wrong-password');
    await page.getByTestId('sign-in-submit').click();
    expect(await page.getByTestId('auth-error').textContent()).toBe('邮箱或密码错误。');
    await s.screenshot('06-sign-in-zh');
    await page.reload();
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await page.getByTestId('language-button').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('logs no page or console errors', () => {
    expect(s.errors).toEqual([]);
  });
});

describe.skipIf(!!skip)(`web UI: captcha on sign-in and sign-up${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession({ env: { CR_SETTING_login_captcha: '1', CR_SETTING_reg_captcha: '1' } });
  }, 600_000);
  afterAll(async () => s?.close());

  /** Waits for the next captcha the page loads and reads its answer from the server's store. */
  const nextCaptchaAnswer = async (page: Page) => {
    const res = await page.waitForResponse((r) => r.url().endsWith('/api/v4/site/captcha'));
    const { ticket } = (await res.json()).data;
    return String(await s.server.server.ctx.kv.get(`captcha_${ticket}`));
  };

  it('signs up and in with the image captcha; a wrong answer gets a new image', async () => {
    const { page } = s;
    let answer = nextCaptchaAnswer(page);
    await page.goto('/session/signup');
    await page.getByTestId('captcha-image').locator('img').waitFor();
    await page.getByTestId('email-input').fill('carol@example.com');
    await page.getByTestId('password-input').fill('carol-password');
    await page.getByTestId('confirm-input').fill('carol-password');
    await page.getByTestId('captcha-input').fill(await answer);
    await page.getByTestId('sign-up-submit').click();
    await page.waitForURL(/\/session$/);

    answer = nextCaptchaAnswer(page);
    await page.reload();
    await answer;
    await page.getByTestId('email-input').fill('carol@example.com');
    await page.getByTestId('password-input').fill('carol-password');
    await page.getByTestId('captcha-input').fill('wrong');
    answer = nextCaptchaAnswer(page);
    await page.getByTestId('sign-in-submit').click();
    expect(await page.getByTestId('auth-error').textContent()).toBe('The verification code is not correct.');
    const fresh = await answer;
    await page.getByTestId('captcha-image').locator('img').waitFor();
    await s.screenshot('07-sign-in-captcha');
    expect(await page.getByTestId('captcha-input').inputValue()).toBe('');
    await page.getByTestId('captcha-input').fill(fresh);
    await page.getByTestId('sign-in-submit').click();
    await page.waitForURL(/\/home$/);
    expect(s.errors).toEqual([]);
  });
});
