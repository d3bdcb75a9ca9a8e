import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { S3_ACCESS_KEY, S3_SECRET_KEY, startS3, type S3Emulator } from '../packages/server/test/helpers/s3.ts';
import { killAllChildren, startChild, type ChildServer } from '../packages/server/test/helpers/child-server.ts';
import { insertReturningId } from '../packages/server/src/db/insert.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';

/**
 * The web uploader follows the upload session's storage policy: an S3 policy (a real s3rver, SigV4
 * and CORS checked) gets its parts PUT straight to the bucket, completed and called back; a remote
 * policy (a second server process in node mode) gets its chunks POSTed to the node, which calls the
 * master back. Both then download with the right bytes through the UI.
 */
const skip = browserSkipReason();
const EMAIL = 'cloud@example.com';
const PASSWORD = 'cloud-password';
const MiB = 1024 * 1024;
const SLAVE_SECRET = randomBytes(32).toString('hex');

const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!!skip)(`web UI: uploads straight to S3 and to storage nodes${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  let s3: S3Emulator;
  let bucket: string;
  let node: ChildServer;
  let nodeDir: string;
  let dir: string;
  let s3PolicyId: number;
  let remotePolicyId: number;
  const requests: Request[] = [];

  const k = () => s.server.server.ctx.db.kysely;
  /** Makes `id` the storage policy of the signed-in user's group (the first user is an admin). */
  const bindPolicy = async (id: number) => {
    const { group_id } = await k().selectFrom('users').select('group_id').where('email', '=', EMAIL).executeTakeFirstOrThrow();
    await k().updateTable('groups').set({ storage_policy_id: id, updated_at: Date.now() }).where('id', '=', group_id).execute();
  };
  const sent = (pred: (r: Request) => boolean) => requests.filter(pred).map((r) => `${r.method()} ${r.url()}`);

  /** Picks a file in the UI, screenshots the panel mid-way (slow uplink), waits until it is done. */
  async function uploadThroughUi(name: string, bytes: Buffer, shot: string): Promise<void> {
    const { page } = s;
    fs.writeFileSync(path.join(dir, name), bytes);
    const cdp = await s.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: MiB });
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, name));
    await page.locator('[data-testid="upload-task"][data-status="uploading"]').first().waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="upload-total-progress"]')?.getAttribute('aria-valuenow')) > 10);
    await s.screenshot(`${shot}-progress`);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    await page.getByText('Uploads complete').waitFor({ timeout: 90_000 });
    await row(page, name).waitFor();
    await s.screenshot(`${shot}-done`);
  }

  /** Downloads through the UI's Download button; returns where the browser fetched it and the bytes. */
  async function downloadThroughUi(name: string): Promise<{ url: string; bytes: Buffer }> {
    const { page } = s;
    await row(page, name).click();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(name);
    return { url: download.url(), bytes: fs.readFileSync(await download.path()) };
  }

  beforeAll(async () => {
    nodeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-e2e-node-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-upload-cloud-'));
    [s, s3, node] = await Promise.all([
      openSession(),
      startS3(),
      startChild(nodeDir, { CR_CONF_System_Mode: 'slave', CR_CONF_Slave_Secret: SLAVE_SECRET, CR_CONF_Database_DBFile: path.join(nodeDir, 'node.db') }),
    ]);
    bucket = await s3.createBucket();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    const db = s.server.server.ctx.db;
    const now = Date.now();
    s3PolicyId = await insertReturningId(db, 'storage_policies', {
      name: 'Browser S3', type: 's3', server: s3.endpoint, bucket_name: bucket, is_private: 1, access_key: S3_ACCESS_KEY, secret_key: S3_SECRET_KEY,
      max_size: 0, dir_name_rule: 'uploads/{uid}/{path}', file_name_rule: '{uuid}_{originname}',
      settings: JSON.stringify({ chunk_size: 5 * MiB, s3_path_style: true, region: 'us-east-1' }), node_id: null, created_at: now, updated_at: now,
    });
    const nodeId = await insertReturningId(db, 'nodes', {
      name: 'Browser node', status: 'active', type: 'slave', server: node.url, slave_key: SLAVE_SECRET, capabilities: '', settings: '{}', weight: 1, created_at: now, updated_at: now,
    });
    remotePolicyId = await insertReturningId(db, 'storage_policies', {
      name: 'Browser node', type: 'remote', server: node.url, bucket_name: '', is_private: 1, access_key: '', secret_key: '', max_size: 0,
      dir_name_rule: 'remote/{uid}/{path}', file_name_rule: '{randomkey8}_{originname}', settings: JSON.stringify({ chunk_size: MiB }),
      node_id: nodeId, created_at: now, updated_at: now,
    });
    s.page.on('request', (r) => requests.push(r));
    await signInThroughUi(s.page, EMAIL, PASSWORD);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    await s3?.stop();
    killAllChildren();
    for (const d of [dir, nodeDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('S3 policy: parts go straight to the bucket (one failed part retried), complete + callback, download from the bucket', async () => {
    const { page } = s;
    await bindPolicy(s3PolicyId);
    await page.goto('/home');
    await page.getByTestId('file-list').waitFor();
    // The first attempt of part 2 fails on the network; the uploader must send that part again.
    let failed = 0;
    await page.route((u) => u.origin === s3.endpoint && u.searchParams.get('partNumber') === '2', async (route) => {
      if (route.request().method() === 'PUT' && failed++ === 0) return route.abort('connectionreset');
      return route.continue();
    });
    const data = randomBytes(11 * MiB + 77);
    await uploadThroughUi('cloud.bin', data, '80-s3-upload');
    await page.unroute(() => true);

    const toBucket = (r: Request) => r.url().startsWith(`${s3.endpoint}/${bucket}/`);
    const parts = sent((r) => toBucket(r) && r.method() === 'PUT').map((l) => new URL(l.split(' ')[1]!).searchParams.get('partNumber'));
    expect(parts.sort()).toEqual(['1', '2', '2', '3']);
    expect(sent((r) => toBucket(r) && r.method() === 'POST' && /[?&]uploadId=/.test(r.url()))).toHaveLength(1);
    expect(sent((r) => r.method() === 'GET' && r.url().startsWith(`${s.server.url}/api/v4/callback/s3/`))).toHaveLength(1);
    // Not a byte went through our server's chunk route.
    expect(sent((r) => /\/api\/v4\/file\/upload\/[^/]+\/\d+$/.test(r.url()))).toEqual([]);

    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => [o.Key!.endsWith('_cloud.bin'), o.Size])).toEqual([[true, data.length]]);
    const got = await downloadThroughUi('cloud.bin');
    expect(got.url.startsWith(`${s3.endpoint}/${bucket}/`)).toBe(true);
    expect(sha(got.bytes)).toBe(sha(data));
    await page.getByTestId('upload-close').click();
  });

  it('S3 policy: pause and resume continue the same multipart upload (parts already in the bucket are not sent again)', async () => {
    const { page } = s;
    const data = randomBytes(11 * MiB + 3);
    fs.writeFileSync(path.join(dir, 'paused.bin'), data);
    const before = requests.length;
    const cdp = await s.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 2 * MiB });
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, 'paused.bin'));
    const task = page.locator('[data-testid="upload-task"][data-name="paused.bin"]');
    // Pause once part 1 (5 MiB) is in the bucket and part 2 is on its way.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="upload-total-progress"]')?.getAttribute('aria-valuenow')) > 55);
    await task.getByTestId('upload-pause').click();
    await page.locator('[data-testid="upload-task"][data-name="paused.bin"][data-status="paused"]').waitFor();
    await s.screenshot('83-s3-paused');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    await task.getByTestId('upload-resume').click();
    await page.getByText('Uploads complete').waitFor({ timeout: 90_000 });
    await row(page, 'paused.bin').waitFor();

    const parts = requests.slice(before).filter((r) => r.method() === 'PUT' && r.url().startsWith(`${s3.endpoint}/${bucket}/`))
      .map((r) => new URL(r.url()).searchParams.get('partNumber'));
    expect(parts.filter((p) => p === '1')).toHaveLength(1);
    expect(parts.filter((p) => p === '3')).toHaveLength(1);
    expect(parts.filter((p) => p === '2').length).toBeGreaterThanOrEqual(1);
    const url = await api.post('/file/url', { uris: ['cloudreve://my/paused.bin'], download: true });
    expect(url.code).toBe(0);
    expect(sha(Buffer.from(await (await fetch(url.data.urls[0].url)).arrayBuffer()))).toBe(sha(data));
    await page.getByTestId('upload-close').click();
  });

  it('S3 policy: a bucket refusing a part is shown with its reason, not retried, and the upload session is deleted', async () => {
    const { page } = s;
    let refusals = 0;
    // The bucket's answer is replaced by an S3 error document (as a bucket with a wrong policy sends).
    await page.route((u) => u.origin === s3.endpoint && u.searchParams.get('partNumber') === '1', async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      refusals++;
      return route.fulfill({
        status: 403, contentType: 'application/xml', headers: { 'access-control-allow-origin': '*' },
        body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      });
    });
    fs.writeFileSync(path.join(dir, 'refused.bin'), randomBytes(1000));
    await page.getByTestId('upload-input').setInputFiles(path.join(dir, 'refused.bin'));
    const task = page.locator('[data-testid="upload-task"][data-name="refused.bin"][data-status="error"]');
    await task.getByText('Part 1 refused by the bucket: HTTP 403 AccessDenied: Access Denied').waitFor();
    await s.screenshot('84-s3-refused');
    await page.unroute(() => true);
    expect(refusals).toBe(1);
    // Cancelling the session removed the placeholder file the session had created.
    await expect.poll(async () => (await api.get(`/file?uri=${encodeURIComponent('cloudreve://my')}`)).data.files.map((f: { name: string }) => f.name)).not.toContain('refused.bin');
    await page.getByTestId('upload-close').click();
  });

  it('remote policy: chunks go to the storage node with the credential (one retried), the node calls back, download from the node', async () => {
    const { page } = s;
    await bindPolicy(remotePolicyId);
    await page.goto('/home');
    await page.getByTestId('file-list').waitFor();
    let failed = 0;
    await page.route((u) => u.origin === node.url && u.searchParams.get('chunk') === '1', async (route) => {
      if (route.request().method() === 'POST' && failed++ === 0) return route.abort('connectionreset');
      return route.continue();
    });
    const data = randomBytes(3 * MiB + 5);
    await uploadThroughUi('node.bin', data, '81-node-upload');
    await page.unroute(() => true);

    const toNode = requests.filter((r) => r.url().startsWith(`${node.url}/api/v4/slave/upload/`) && r.method() === 'POST');
    expect(toNode.map((r) => new URL(r.url()).searchParams.get('chunk')).sort()).toEqual(['0', '1', '1', '2', '3']);
    for (const r of toNode) expect(r.headers().authorization).toMatch(/^Bearer Cr [A-Za-z0-9_=-]+:\d+$/);
    expect(sent((r) => /\/api\/v4\/file\/upload\/[^/]+\/\d+$/.test(r.url()))).toEqual([]);

    const entity = await k().selectFrom('entities').select(['source', 'size']).where('source', 'like', '%_node.bin').executeTakeFirstOrThrow();
    expect(entity.size).toBe(data.length);
    expect(sha(fs.readFileSync(path.join(nodeDir, 'uploads', entity.source)))).toBe(sha(data));
    const got = await downloadThroughUi('node.bin');
    expect(got.url.startsWith(`${node.url}/api/v4/slave/file/content/`)).toBe(true);
    expect(sha(got.bytes)).toBe(sha(data));
    await s.screenshot('82-cloud-files');
  });

  it('logs no page or console errors besides the injected failures', () => {
    expect(s.errors.filter((e) => !/ERR_CONNECTION_RESET|status of 403/.test(e))).toEqual([]);
  });
});
