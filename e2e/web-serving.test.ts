import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../packages/server/test/helpers/server.ts';
import { DEFAULT_WEB_DIST } from '../packages/server/src/http/web.ts';
import { ensureWebBuilt } from './helpers/browser.ts';

describe('the server serves the built web UI', { timeout: 60_000 }, () => {
  let ts: TestServer;
  let asset: string;
  beforeAll(async () => {
    await ensureWebBuilt();
    asset = fs.readdirSync(path.join(DEFAULT_WEB_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
    ts = await startServer({ name: 'sqlite+memory', db: 'sqlite', redis: false });
  }, 600_000);
  afterAll(async () => ts?.close());

  /** Reads every body, so no connection stays busy when the server closes. */
  const get = async (p: string, method = 'GET') => {
    const r = await fetch(ts.url + p, { method, redirect: 'manual' });
    const body = await r.text();
    return { status: r.status, headers: r.headers, text: async () => body, json: async () => JSON.parse(body) };
  };

  it('answers / and every page path with index.html, never cached', async () => {
    for (const p of ['/', '/home?path=cloudreve%3A%2F%2Fmy', '/session', '/session/signup', '/some/deep/page', '/index.html']) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type'), p).toMatch(/^text\/html/);
      expect(r.headers.get('cache-control'), p).toBe('no-cache');
      expect(await r.text(), p).toContain('<div id="root"></div>');
    }
    expect((await get('/home', 'HEAD')).status).toBe(200);
  });

  it('sends hashed assets as immutable and other files as they are', async () => {
    const r = await get(`/assets/${asset}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/javascript/);
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await get('/favicon.svg');
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('keeps plain 404s for unknown server paths, missing assets, dot-files and escapes', async () => {
    for (const p of ['/api/v4/no/such/route', '/api', '/api/v5/x', '/assets/missing.js', '/.build-stamp', '/a/..%2f..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2fpackage.json']) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(await r.text(), p).toBe('404 page not found');
    }
    // Direct links and share links belong to their own routes, never to the page.
    for (const p of ['/f/abc/name.txt', '/s/abc', '/f', '/s']) {
      const r = await get(p);
      expect(r.headers.get('content-type') ?? '', p).not.toMatch(/text\/html/);
      expect(await r.text(), p).not.toContain('<div id="root">');
    }
    // The API keeps its envelope and its own answers.
    expect(await (await get('/api/v4/site/ping')).json()).toMatchObject({ code: 0 });
  });

  it('does not answer other methods with the page', async () => {
    expect((await get('/home', 'POST')).status).toBe(404);
    expect((await get('/', 'DELETE')).status).toBe(404);
  });
});
