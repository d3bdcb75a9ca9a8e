import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Client } from '../packages/server/test/helpers/client.ts';
import { downloadPath, fetchBytes, uploadFile } from '../packages/server/test/helpers/transfer.ts';
import { browserSkipReason, openSession, signInThroughUi, type Session } from './helpers/browser.ts';
import { pdf, png, wav, webm } from './helpers/media.ts';

const skip = browserSkipReason();
const EMAIL = 'petra@example.com';
const PASSWORD = 'petra-password';
const myUri = (...names: string[]) => ['cloudreve://my', ...names.map(encodeURIComponent)].join('/');
const row = (page: Page, name: string) => page.locator(`[data-testid="file-row"][data-name="${name}"]`);

const CODE = 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n';
const MARKDOWN = '# Release notes\n\n- **fast** previews\n- sanitised <script>window.__xss = 1</script>\n\n<img src="x" onerror="window.__xss = 2">\n\n[link](https://example.com)\n';

async function openByDoubleClick(page: Page, name: string): Promise<void> {
  await row(page, name).dblclick();
  await page.getByTestId('preview').waitFor();
  await page.getByTestId('preview-title').filter({ hasText: name }).waitFor();
}

async function closePreview(page: Page): Promise<void> {
  await page.getByTestId('preview-close').click();
  await page.getByTestId('preview').waitFor({ state: 'detached' });
}

describe.skipIf(!!skip)(`web UI: previews${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 240_000 }, () => {
  let s: Session;
  let api: Client;
  let video: Buffer | undefined;
  const requests: { url: string; range?: string }[] = [];
  const statuses: { url: string; status: number }[] = [];

  beforeAll(async () => {
    s = await openSession();
    api = s.server.client();
    await api.signUpAndIn(EMAIL, PASSWORD);
    await uploadFile(api, myUri('a-red.png'), await png(1600, 1200, [200, 40, 40]));
    await uploadFile(api, myUri('b-green.png'), await png(1200, 900, [40, 160, 60]));
    await uploadFile(api, myUri('c-blue.png'), await png(800, 800, [40, 80, 200]));
    await uploadFile(api, myUri('tone.wav'), wav(3));
    await uploadFile(api, myUri('doc.pdf'), pdf('Hello from a PDF'));
    await uploadFile(api, myUri('main.ts'), Buffer.from(CODE));
    await uploadFile(api, myUri('README.md'), Buffer.from(MARKDOWN));
    video = await webm(2);
    if (!video && process.env.CR_TEST_REQUIRE_ALL === '1') throw new Error('ffmpeg is missing but CR_TEST_REQUIRE_ALL=1');
    if (video) await uploadFile(api, myUri('clip.webm'), video);
    s.page.on('request', (r) => {
      if (r.url().includes('/api/v4/file/')) requests.push({ url: r.url(), range: r.headers().range });
    });
    s.page.on('response', (r) => {
      if (r.url().includes('/api/v4/file/content/')) statuses.push({ url: r.url(), status: r.status() });
    });
    await signInThroughUi(s.page, EMAIL, PASSWORD);
    await row(s.page, 'a-red.png').waitFor();
  }, 600_000);
  afterAll(async () => s?.close());

  it('images: thumbnail first, the original on request, previous and next within the folder', async () => {
    const { page } = s;
    requests.length = 0;
    await openByDoubleClick(page, 'a-red.png');
    const img = page.getByTestId('preview-image');
    await img.and(page.locator('[data-variant="thumbnail"]')).waitFor();
    expect(requests.some((r) => r.url.includes('/api/v4/file/thumb?'))).toBe(true);
    // The thumbnail is the server's downscaled rendering, not the 1600 px original.
    const thumbWidth = await img.evaluate((el: HTMLImageElement) => el.complete ? el.naturalWidth : new Promise<number>((r) => el.addEventListener('load', () => r(el.naturalWidth))));
    expect(thumbWidth).toBeLessThan(1600);
    expect(await page.getByTestId('preview-position').textContent()).toBe('1 of 3');
    await s.screenshot('preview-01-image-thumbnail');

    await page.getByTestId('preview-original').click();
    await page.locator('[data-testid="preview-image"][data-variant="original"]').waitFor();
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(1600);
    await s.screenshot('preview-02-image-original');

    await page.keyboard.press('ArrowRight');
    await page.getByTestId('preview-title').filter({ hasText: 'b-green.png' }).waitFor();
    expect(await page.getByTestId('preview-position').textContent()).toBe('2 of 3');
    await page.getByTestId('preview-next').click();
    await page.getByTestId('preview-title').filter({ hasText: 'c-blue.png' }).waitFor();
    await page.getByTestId('preview-next').click();
    await page.getByTestId('preview-title').filter({ hasText: 'a-red.png' }).waitFor();
    await page.getByTestId('preview-prev').click();
    await page.getByTestId('preview-title').filter({ hasText: 'c-blue.png' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('video and audio play from the signed URL and seek with range requests', async () => {
    const { page } = s;
    if (video) {
      requests.length = 0;
      statuses.length = 0;
      await openByDoubleClick(page, 'clip.webm');
      const el = page.getByTestId('preview-video');
      await el.waitFor();
      const duration = await el.evaluate((v: HTMLVideoElement) => (v.readyState >= 1 ? v.duration : new Promise<number>((r) => v.addEventListener('loadedmetadata', () => r(v.duration), { once: true }))));
      expect(duration).toBeGreaterThan(1.5);
      const seeked = await el.evaluate((v: HTMLVideoElement) => new Promise<number>((r) => {
        v.addEventListener('seeked', () => r(v.currentTime), { once: true });
        v.currentTime = 1.2;
      }));
      expect(seeked).toBeCloseTo(1.2, 0);
      expect(requests.some((r) => r.url.includes('/file/content/') && r.range?.startsWith('bytes='))).toBe(true);
      expect(statuses.some((r) => r.status === 206)).toBe(true);
      await s.screenshot('preview-03-video');
      await closePreview(page);
    }

    await openByDoubleClick(page, 'tone.wav');
    const audio = page.getByTestId('preview-audio');
    await audio.waitFor();
    const audioDuration = await audio.evaluate((a: HTMLAudioElement) => (a.readyState >= 1 ? a.duration : new Promise<number>((r) => a.addEventListener('loadedmetadata', () => r(a.duration), { once: true }))));
    expect(audioDuration).toBeCloseTo(3, 0);
    const at = await audio.evaluate((a: HTMLAudioElement) => new Promise<number>((r) => {
      a.addEventListener('seeked', () => r(a.currentTime), { once: true });
      a.currentTime = 2;
    }));
    expect(at).toBeCloseTo(2, 0);
    await s.screenshot('preview-04-audio');
    await closePreview(page);
  });

  it('PDF opens in the browser viewer', async () => {
    const { page } = s;
    await openByDoubleClick(page, 'doc.pdf');
    const frame = page.getByTestId('preview-pdf');
    await frame.waitFor();
    expect(await frame.getAttribute('src')).toMatch(/^blob:/);
    await page.waitForTimeout(1500);
    await s.screenshot('preview-05-pdf');
    await closePreview(page);
  });

  it('code is highlighted and saved as a new version; a stale save is refused (40076)', async () => {
    const { page } = s;
    await openByDoubleClick(page, 'main.ts');
    const editor = page.locator('.cm-content[data-testid="code-editor"]');
    await editor.waitFor();
    await page.locator('[data-testid="code-editor-host"][data-language="TypeScript"]').waitFor();
    // Highlighting: the keyword "export" gets a token style.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.cm-line span')).some((el) => el.textContent === 'export' && getComputedStyle(el).color !== getComputedStyle(el.parentElement!).color));
    expect(await page.getByTestId('preview-save').isDisabled()).toBe(true);
    await s.screenshot('preview-06-code');

    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('// edited in the browser\n');
    await page.getByTestId('preview-unsaved').waitFor();
    await page.keyboard.press('Control+s');
    await page.getByText('Saved a new version of “main.ts”').waitFor();
    await page.getByTestId('preview-unsaved').waitFor({ state: 'detached' });
    const saved = await fetchBytes(s.server, await downloadPath(api, myUri('main.ts')));
    expect(saved.body.toString()).toBe(`${CODE}// edited in the browser\n`);
    const info = await api.get(`/file/info?uri=${encodeURIComponent(myUri('main.ts'))}&extended=true`);
    expect(info.data.extended_info.entities.filter((e: { type: number }) => e.type === 0)).toHaveLength(2);

    // Someone else saves meanwhile: our next save is refused and offers a reload.
    const other = await api.raw('PUT', `/api/v4/file/content?uri=${encodeURIComponent(myUri('main.ts'))}`, { rawBody: 'changed elsewhere\n', headers: { 'content-type': 'application/octet-stream' } });
    expect((await other.json()).code).toBe(0);
    await editor.click();
    await page.keyboard.type('// second edit\n');
    await page.getByTestId('preview-save').click();
    await page.getByTestId('preview-conflict').waitFor();
    await s.screenshot('preview-07-conflict');
    expect((await fetchBytes(s.server, await downloadPath(api, myUri('main.ts')))).body.toString()).toBe('changed elsewhere\n');
    await page.getByTestId('preview-reload').click();
    await page.locator('.cm-content').filter({ hasText: 'changed elsewhere' }).waitFor();
    await page.getByTestId('preview-conflict').waitFor({ state: 'detached' });
    await closePreview(page);
  });

  it('Markdown is rendered sanitised, and edited in the editor', async () => {
    const { page } = s;
    await openByDoubleClick(page, 'README.md');
    const view = page.getByTestId('markdown-view');
    await view.getByRole('heading', { name: 'Release notes' }).waitFor();
    expect(await view.locator('script').count()).toBe(0);
    expect(await view.locator('img').getAttribute('onerror')).toBeNull();
    expect(await view.locator('a').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await s.screenshot('preview-08-markdown');

    await page.getByTestId('markdown-mode-edit').click();
    const editor = page.locator('.cm-content[data-testid="code-editor"]');
    await editor.click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('## Added line\n');
    await page.getByTestId('preview-save').click();
    await page.getByText('Saved a new version of “README.md”').waitFor();
    await page.getByTestId('markdown-mode-view').click();
    await view.getByRole('heading', { name: 'Added line' }).waitFor();
    expect((await fetchBytes(s.server, await downloadPath(api, myUri('README.md')))).body.toString()).toBe(`## Added line\n${MARKDOWN}`);

    // Unsaved changes ask before closing.
    await page.getByTestId('markdown-mode-edit').click();
    await editor.click();
    await page.keyboard.type('x');
    await page.getByTestId('preview-close').click();
    await page.getByText('Discard changes?').waitFor();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('works on a 360 px phone', async () => {
    const { page } = s;
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      await openByDoubleClick(page, 'b-green.png');
      await page.getByTestId('preview-image').evaluate((img: HTMLImageElement) => img.decode());
      await page.waitForTimeout(400); // the dialog's fade-in, for the screenshot
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await s.screenshot('preview-09-phone-image');
      await closePreview(page);
      await openByDoubleClick(page, 'main.ts');
      await page.locator('.cm-content').waitFor();
      await page.waitForTimeout(400);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await s.screenshot('preview-10-phone-code');
      await closePreview(page);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    expect(s.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
