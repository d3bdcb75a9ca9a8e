import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { Locator, Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

const skip = browserSkipReason();
const ADMIN = 'root@example.com';
const PASSWORD = 'root-password';

const toast = (page: Page) => page.getByTestId('toast').last();
/** The error toast (MUI marks its colour in the class). */
const errorToast = (page: Page) => page.locator('[data-testid="toast"][class*="Error"]').last();
const dialog = (page: Page, id: string) => page.getByTestId(id);
/** Picks `option` in the MUI select labelled `label` (the first one inside `scope`). */
async function choose(page: Page, label: string, option: string, scope: Locator = page.locator('body')): Promise<void> {
  await scope.getByRole('combobox', { name: label }).first().click();
  await page.getByRole('option', { name: option, exact: true }).click();
}
/** Waits for the rows of a table to be `ids` (in any order). */
async function rowIds(page: Page, table: string): Promise<number[]> {
  await page.getByTestId(table).locator('.MuiLinearProgress-root').waitFor({ state: 'detached' }).catch(() => undefined);
  const ids = await page.getByTestId(table).locator('tbody tr[data-testid^="row-"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.slice(4))));
  return ids.sort((a, b) => a - b);
}
const settled = (page: Page) => page.waitForLoadState('networkidle');
/** Waits for the CSS transitions under `el` (a dialog fading in) to finish, for a clean screenshot. */
const still = (el: Locator) => el.evaluate((node) => Promise.all(node.getAnimations({ subtree: true }).map((a) => a.finished))).then(() => undefined);

describe.skipIf(!!skip)(`web UI: admin area${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let admin: Client;
  let bob: Client;
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: string[] = [];

  beforeAll(async () => {
    s = await openSession();
    admin = s.server.client();
    await admin.signUpAndIn(ADMIN, PASSWORD); // user 1: the administrator
    bob = s.server.client();
    await bob.signUpAndIn('bob@example.com', 'bob-password');
    await uploadFile(admin, 'cloudreve://my/report.txt', Buffer.from('quarterly numbers\n'));
    await admin.put('/share', { uri: 'cloudreve://my/report.txt' });
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => {
          mails.push(`${session.envelope.rcptTo.map((r) => r.address).join(',')}\n${text}`);
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as { port: number }).port;
  }, 600_000);
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.error('page errors so far:', s.errors);
    await s.screenshot(`admin-FAILED-${ctx.task.name.slice(0, 20).replace(/\W+/g, '-')}`).catch(() => undefined);
    // Leave no dialog open for the next step.
    await s.page.goto('/admin/summary').catch(() => undefined);
  });
  afterAll(async () => {
    await s?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it('keeps the admin area out of the initial bundle, which stays within 350 KB gzipped', () => {
    const dist = fileURLToPath(new URL('../packages/web/dist', import.meta.url));
    const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(initial.length).toBeGreaterThan(0);
    expect(initial.filter((f) => /Admin|admin/.test(f))).toEqual([]);
    const gz = initial.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(dist, f))).length, 0);
    expect(gz).toBeLessThanOrEqual(350 * 1024);
  });

  it('hides the admin area from a non-admin and sends /admin back to the file browser', async () => {
    const { page } = s;
    const chunks: string[] = [];
    page.on('request', (r) => r.url().includes('/assets/AdminApp') && chunks.push(r.url()));
    await signInThroughUi(page, 'bob@example.com', 'bob-password');
    await page.getByTestId('nav-my').waitFor();
    expect(await page.getByTestId('nav-admin').count()).toBe(0);
    await page.goto('/admin/users');
    await page.waitForURL(/\/home$/);
    expect(chunks).toEqual([]);
    // The API refuses too (403 with an empty message), whatever the UI shows.
    const r = await bob.call('POST', '/admin/user', { page: 1, page_size: 10 });
    expect(r.code).toBe(403);
    await page.getByTestId('user-menu-button').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/session$/);
  });

  it('summary: totals, the 12-day chart, queues and version', async () => {
    const { page } = s;
    await signInThroughUi(page, ADMIN, PASSWORD);
    await page.getByTestId('nav-admin').click();
    await page.waitForURL(/\/admin\/summary$/);
    await page.getByTestId('activity-chart').waitFor();
    expect(await page.getByTestId('total-users').textContent()).toBe('2');
    expect(await page.getByTestId('total-shares').textContent()).toBe('1');
    expect(await page.getByTestId('activity-chart').locator('rect').count()).toBe(36);
    await page.getByText('Task queues').waitFor();
    await settled(page);
    await s.screenshot('admin-01-summary');
  });

  it('settings: validates, saves only what changed, and shows the API message', async () => {
    const { page, server } = s;
    await page.getByTestId('admin-tab-settings').click();
    await page.waitForURL(/\/admin\/settings\/site$/);
    const name = page.getByTestId('setting-siteName');
    await expect.poll(() => name.inputValue()).toBe('Cloudreve');
    await name.fill('Acme Drive');
    const url = page.getByTestId('setting-siteURL');
    const oldUrl = await url.inputValue();
    await url.fill('not a url');
    let patches = 0;
    page.on('request', (r) => r.method() === 'PATCH' && r.url().endsWith('/admin/settings') && patches++);
    await page.getByTestId('settings-save').click();
    await page.getByText('Not a valid URL').waitFor();
    expect(patches).toBe(0);
    await s.screenshot('admin-02-settings-invalid');
    await url.fill(oldUrl);
    const saved = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith('/admin/settings'));
    await page.getByTestId('settings-save').click();
    expect(JSON.parse((await saved).postData()!)).toEqual({ settings: { siteName: 'Acme Drive' } });
    await toast(page).getByText('Saved').waitFor();
    expect(server.server.ctx.settings.get('siteName')).toBe('Acme Drive');

    // Captcha fields follow the chosen captcha type.
    await page.getByTestId('settings-nav-auth').click();
    await page.getByTestId('setting-captcha_CaptchaLen').waitFor();
    expect(await page.getByTestId('setting-captcha_ReCaptchaKey').count()).toBe(0);
    await choose(page, 'Captcha type', 'reCAPTCHA v2');
    await page.getByTestId('setting-captcha_ReCaptchaKey').waitFor();
    expect(await page.getByTestId('setting-captcha_CaptchaLen').count()).toBe(0);
    await s.screenshot('admin-03-settings-auth');
    await page.getByRole('button', { name: 'Discard' }).click();

    // E-mail: the test mail goes out with the unsaved SMTP values; a dead server shows the API's error.
    await page.getByTestId('settings-nav-mail').click();
    await page.getByTestId('setting-smtpHost').fill('127.0.0.1');
    await page.getByTestId('setting-smtpPort').fill(String(smtpPort));
    await page.getByTestId('setting-fromAdress').fill('drive@example.com');
    await page.getByTestId('test-mail-to').fill('not-mail');
    await page.getByTestId('test-mail-send').click();
    await page.getByText('Not a valid e-mail address').waitFor();
    await page.getByTestId('test-mail-to').fill('ops@example.com');
    await page.getByTestId('test-mail-send').click();
    await toast(page).getByText('Test e-mail sent to ops@example.com').waitFor();
    expect(mails.some((m) => m.startsWith('ops@example.com'))).toBe(true);
    await page.getByTestId('setting-smtpPort').fill('1');
    await page.getByTestId('test-mail-send').click();
    const failure = page.locator('p.Mui-error').filter({ hasText: /\S/ }).first();
    await failure.waitFor();
    expect(await failure.textContent()).not.toBe('Not a valid e-mail address');
    await failure.scrollIntoViewIfNeeded();
    await s.screenshot('admin-04-settings-mail');
    await page.getByRole('button', { name: 'Discard' }).click();

    // Thumbnails: run the generator executable test against the real ffmpeg.
    await page.getByTestId('settings-nav-thumbnails').click();
    await page.getByTestId('setting-thumb_ffmpeg_enabled').check();
    await page.getByTestId('setting-thumb_ffmpeg_path').fill('ffmpeg');
    await page.getByTestId('test-ffmpeg').click();
    await toast(page).getByText(/Test passed/).waitFor();
    await page.getByTestId('setting-thumb_ffmpeg_path').fill('/nonexistent/ffmpeg');
    await page.getByTestId('test-ffmpeg').click();
    await errorToast(page).waitFor();
    await s.screenshot('admin-05-settings-thumbnails');
    await page.getByRole('button', { name: 'Discard' }).click();

    // Queues and the JSON fields are checked before sending too.
    await page.getByTestId('settings-nav-custom').click();
    await page.getByTestId('setting-custom_nav_items').fill('[{');
    await page.getByTestId('settings-save').click();
    await page.getByText('Not valid JSON').waitFor();
    await page.getByRole('button', { name: 'Discard' }).click();
  });

  it('users: filter, create (validated), edit, ban, calibrate, batch delete with confirmation', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-users').click();
    await expect.poll(() => rowIds(page, 'users-table')).toEqual([1, 2]);
    await page.getByTestId('filter-user_email').fill('bob');
    await expect.poll(() => rowIds(page, 'users-table')).toEqual([2]);
    await page.getByTestId('filter-user_email').fill('');
    await expect.poll(() => rowIds(page, 'users-table')).toEqual([1, 2]);

    await page.getByTestId('user-create').click();
    const d = dialog(page, 'user-dialog');
    await d.getByTestId('user-email').fill('carol@');
    await d.getByTestId('user-password').fill('123');
    await d.getByTestId('dialog-submit').click();
    await d.getByText('Not a valid e-mail address').waitFor();
    await d.getByText('Password must be 6–128 characters').waitFor();
    await s.screenshot('admin-06-user-create-invalid');
    await d.getByTestId('user-email').fill('carol@example.com');
    await d.getByTestId('user-nick').fill('Carol');
    await d.getByTestId('user-password').fill('carol-password');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => rowIds(page, 'users-table')).toEqual([1, 2, 3]);
    expect((await s.server.client().signIn('carol@example.com', 'carol-password')).user.nickname).toBe('Carol');

    // The same address again: the API's message is shown in the dialog.
    await page.getByTestId('user-create').click();
    await d.getByTestId('user-email').fill('carol@example.com');
    await d.getByTestId('user-nick').fill('Carol 2');
    await d.getByTestId('user-password').fill('carol-password');
    await d.getByTestId('dialog-submit').click();
    await d.getByTestId('dialog-error').waitFor();
    await d.getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('edit-3').click();
    await d.getByTestId('user-nick').fill('Caroline');
    await s.screenshot('admin-07-user-edit');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await page.getByTestId('row-3').getByText('Caroline').waitFor();

    await page.getByTestId('ban-3').click();
    await page.getByTestId('row-3').getByText('Banned').waitFor();
    expect((await s.server.client().call('POST', '/session/token', { email: 'carol@example.com', password: 'carol-password' })).code).toBe(40017);
    await page.getByTestId('ban-3').click();
    await page.getByTestId('row-3').getByText('Active').waitFor();

    await page.getByTestId('calibrate-1').click();
    await toast(page).getByText(/Storage of .* recounted: 18 B/).waitFor();

    // The first administrator cannot be deleted: the inner error is shown.
    await page.getByTestId('delete-1').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('confirm-dialog').getByTestId('dialog-error').waitFor();
    await s.screenshot('admin-08-user-delete-refused');
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('checkbox', { name: 'Select row 3' }).check();
    await page.getByRole('checkbox', { name: 'Select row 2' }).check();
    await page.getByTestId('batch-delete').click();
    await page.getByText('2 items will be deleted. This cannot be undone.').waitFor();
    await still(page.getByTestId('confirm-dialog'));
    await s.screenshot('admin-09-users-batch-delete');
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'users-table')).toEqual([1]);
  });

  it('groups: create with quota and permissions, edit, refuse deleting a built-in group, delete', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-groups').click();
    await expect.poll(() => rowIds(page, 'groups-table')).toEqual([1, 2, 3]);
    await page.getByTestId('group-create').click();
    const d = dialog(page, 'group-dialog');
    await d.getByTestId('dialog-submit').click();
    await d.getByText('Required').first().waitFor();
    await d.getByTestId('group-name').fill('Staff');
    await d.getByTestId('group-quota').fill('5');
    await choose(page, 'Unit', 'GB', d);
    await d.getByTestId('perm-3').check();
    await s.screenshot('admin-10-group-create');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => rowIds(page, 'groups-table')).toEqual([1, 2, 3, 4]);
    const g = (await admin.get('/admin/group/4')).data;
    expect(g.name).toBe('Staff');
    expect(g.max_storage).toBe(5 * 1024 ** 3);

    await page.getByTestId('edit-4').click();
    await d.getByTestId('group-name').fill('Staff members');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await page.getByTestId('row-4').getByText('Staff members').waitFor();

    await page.getByTestId('delete-2').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('confirm-dialog').getByText('Built-in groups cannot be deleted.', { exact: false }).waitFor();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('delete-4').click();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'groups-table')).toEqual([1, 2, 3]);
  });

  it('storage policies: the form shows the fields of each type and validates them', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-policies').click();
    await expect.poll(() => rowIds(page, 'policies-table')).toEqual([1]);
    await page.getByTestId('policy-create').click();
    const d = dialog(page, 'policy-dialog');
    expect(await d.getByTestId('policy-bucket_name').count()).toBe(0);
    await choose(page, 'Type', 'Amazon S3', d);
    await d.getByTestId('policy-bucket_name').waitFor();
    await d.getByTestId('policy-region').waitFor();
    await d.getByTestId('policy-server').fill('nope');
    await d.getByTestId('dialog-submit').click();
    await d.getByText('Not a valid URL').waitFor();
    await s.screenshot('admin-11-policy-s3-invalid');
    await d.getByTestId('policy-name').fill('Archive bucket');
    await d.getByTestId('policy-server').fill('http://127.0.0.1:9/');
    await d.getByTestId('policy-bucket_name').fill('archive');
    await d.getByTestId('policy-region').fill('us-east-1');
    await d.getByTestId('policy-access_key').fill('AKIA');
    await d.getByTestId('policy-secret_key').fill('secret');
    await d.getByTestId('policy-test').click();
    await d.getByTestId('policy-test-result').getByText('endpoint unreachable (connect ECONNREFUSED 127.0.0.1:9)', { exact: false }).waitFor();
    await still(d);
    await s.screenshot('admin-11b-policy-test-failed');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => rowIds(page, 'policies-table')).toEqual([1, 2]);
    const p = (await admin.get('/admin/policy/2')).data;
    expect(p).toMatchObject({ name: 'Archive bucket', type: 's3', bucket_name: 'archive', server: 'http://127.0.0.1:9/', access_key: 'AKIA' });
    expect(p.settings.region).toBe('us-east-1');

    await page.getByTestId('policy-create').click();
    await choose(page, 'Type', 'Remote node', d);
    await d.getByTestId('policy-name').fill('Remote');
    await d.getByTestId('dialog-submit').click();
    await d.getByText('Choose a node').waitFor();
    await d.getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('delete-1').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('confirm-dialog').getByTestId('dialog-error').waitFor();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('delete-2').click();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'policies-table')).toEqual([1]);

    await page.getByTestId('edit-1').click();
    await d.getByTestId('policy-test').click();
    await d.getByTestId('policy-test-result').getByText('Connection OK', { exact: false }).waitFor();
    await still(d);
    await s.screenshot('admin-11c-policy-test-ok');
    await d.getByRole('button', { name: 'Cancel' }).click();
    await d.waitFor({ state: 'detached' });
  });

  it('nodes: create a slave, test its connection and downloader (errors from the API), delete', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-nodes').click();
    await expect.poll(() => rowIds(page, 'nodes-table')).toEqual([1]);
    await page.getByTestId('node-create').click();
    const d = dialog(page, 'node-dialog');
    await d.getByTestId('node-name').fill('Edge');
    await d.getByTestId('node-server').fill('http://127.0.0.1:9');
    await d.getByTestId('node-slaveKey').fill('k'.repeat(32));
    await d.getByTestId('node-test').click();
    await errorToast(page).waitFor();
    await choose(page, 'Downloader program', 'aria2', d);
    await d.getByTestId('node-rpcServer').fill('http://127.0.0.1:9/jsonrpc');
    await d.getByTestId('node-options').fill('{"max-connection-per-server": 4');
    await d.getByTestId('dialog-submit').click();
    await d.getByText('Not valid JSON').waitFor();
    await d.getByTestId('node-options').fill('{"max-connection-per-server": "4"}');
    await page.getByTestId('toast').waitFor({ state: 'detached' });
    await d.getByTestId('node-test-downloader').click();
    await errorToast(page).waitFor();
    await s.screenshot('admin-12-node-form');
    await d.getByTestId('dialog-submit').click();
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => rowIds(page, 'nodes-table')).toEqual([1, 2]);
    expect((await admin.get('/admin/node/2')).data.settings.aria2.options).toEqual({ 'max-connection-per-server': '4' });
    await page.getByTestId('delete-1').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('confirm-dialog').getByText('The master node cannot be deleted.', { exact: false }).waitFor();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('delete-2').click();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'nodes-table')).toEqual([1]);
  });

  it('files, blobs and shares across users: filter, view, delete', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-shares').click();
    await expect.poll(async () => (await rowIds(page, 'shares-table')).length).toBe(1);
    const [shareId] = await rowIds(page, 'shares-table');
    await page.getByTestId(`view-${shareId}`).click();
    await dialog(page, 'share-view').getByText('report.txt', { exact: false }).first().waitFor();
    await s.screenshot('admin-13-share-view');
    await dialog(page, 'share-view').getByRole('button', { name: 'Close' }).click();
    await page.getByTestId(`delete-${shareId}`).click();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'shares-table')).toEqual([]);

    await page.getByTestId('admin-tab-blobs').click();
    await expect.poll(async () => (await rowIds(page, 'blobs-table')).length).toBe(1);
    await page.getByTestId('filter-entity_user').fill('x');
    await page.getByText('Enter a whole number').waitFor();
    await page.getByTestId('filter-entity_user').fill('');

    await page.getByTestId('admin-tab-files').click();
    await page.getByTestId('filter-file_name').fill('report');
    await expect.poll(async () => (await rowIds(page, 'files-table')).length).toBe(1);
    const [fileId] = await rowIds(page, 'files-table');
    await page.getByTestId(`view-${fileId}`).click();
    const v = dialog(page, 'file-view');
    await v.getByText('18 B', { exact: true }).waitFor();
    await v.getByTestId('file-download').waitFor();
    await s.screenshot('admin-14-file-view');
    await v.getByRole('button', { name: 'Close' }).click();
    await page.getByTestId(`delete-${fileId}`).click();
    await page.getByText('“report.txt” will be deleted. This cannot be undone.').waitFor();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'files-table')).toEqual([]);
    const list = await admin.get(`/file?uri=${encodeURIComponent('cloudreve://my')}`);
    expect(list.data.files.map((f: { name: string }) => f.name)).not.toContain('report.txt');
  });

  it('tasks: filters are checked, a task shows its details and can be deleted', async () => {
    const { page } = s;
    await uploadFile(admin, 'cloudreve://my/a.txt', Buffer.from('aaa'));
    const made = await admin.post('/workflow/archive', { src: ['cloudreve://my/a.txt'], dst: 'cloudreve://my/a.zip' });
    expect(made.code).toBe(0);
    await page.getByTestId('admin-tab-tasks').click();
    await page.getByTestId('filter-task_correlation_id').fill('not-a-uuid');
    await page.getByText('Not a valid UUID').waitFor();
    await page.getByTestId('filter-task_correlation_id').fill('');
    await expect.poll(async () => (await rowIds(page, 'tasks-table')).length).toBeGreaterThan(0);
    const [taskId] = await rowIds(page, 'tasks-table');
    await page.getByTestId(`view-${taskId}`).click();
    await dialog(page, 'task-view').getByText('create_archive').first().waitFor();
    await s.screenshot('admin-15-task-view');
    await dialog(page, 'task-view').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('checkbox', { name: 'Select all rows on this page' }).check();
    await page.getByTestId('batch-delete').click();
    await page.getByTestId('confirm-submit').click();
    await expect.poll(() => rowIds(page, 'tasks-table')).toEqual([]);
  });

  it('audit log: lists what the admin did and filters by action', async () => {
    const { page } = s;
    await page.getByTestId('admin-tab-audit').click();
    await page.getByTestId('audit-table').getByText('user.create').first().waitFor();
    await page.getByTestId('filter-audit_action').fill('group.');
    await expect.poll(async () => {
      const actions = await page.getByTestId('audit-table').locator('tbody code').allTextContents();
      return actions.length > 0 && actions.every((a) => a.startsWith('group.'));
    }).toBe(true);
    await s.screenshot('admin-16-audit');
  });

  it('works at 360 px wide', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await page.goto('/admin/summary');
      await page.getByTestId('activity-chart').waitFor();
      await settled(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await s.screenshot('admin-17-phone-summary');
      await page.goto('/admin/users');
      await expect.poll(() => rowIds(page, 'users-table')).toEqual([1]);
      await s.screenshot('admin-18-phone-users');
      await page.getByTestId('user-create').click();
      await dialog(page, 'user-dialog').getByTestId('user-email').waitFor();
      await still(dialog(page, 'user-dialog'));
      await s.screenshot('admin-19-phone-user-dialog');
      await dialog(page, 'user-dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.goto('/admin/settings/mail');
      await page.getByTestId('setting-smtpHost').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      await s.screenshot('admin-20-phone-settings');
      await choose(page, 'Settings', 'Thumbnails');
      await page.waitForURL(/\/admin\/settings\/thumbnails$/);
      await page.getByTestId('nav-admin').count();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    expect(s.errors.filter((e) => !/status of 4\d\d|Failed to load resource/.test(e))).toEqual([]);
  });
});
