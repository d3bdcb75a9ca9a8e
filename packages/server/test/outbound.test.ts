import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { isPublicAddress, outboundBuffer } from '../src/http/outbound.ts';
import { AppError } from '../src/http/errors.ts';

interface Target { url: string; hits: string[]; close(): Promise<void> }

/** A loopback HTTP server recording the paths it was asked for. */
async function target(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, host = '127.0.0.1'): Promise<Target> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    hits,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

describe('outbound address classification', () => {
  it.each([
    '127.0.0.1', '127.9.9.9', '::1', '169.254.169.254', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '100.100.100.200',
    '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::7f00:1',
    'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1', '224.0.0.1', '255.255.255.255', '198.18.0.1',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

const backend = (await backends())[0]!;

describe('guarded outbound client (default policy)', () => {
  let ts: TestServer;
  let t4: Target;
  let t6: Target | undefined;
  beforeAll(async () => {
    ts = await startServer(backend);
    t4 = await target((_q, s) => s.end('secret'));
    t6 = await target((_q, s) => s.end('secret6'), '::1').catch(() => undefined);
  });
  afterAll(async () => {
    await t4?.close();
    await t6?.close();
    await ts?.close();
  });

  it('refuses loopback, private, link-local and metadata literals without connecting', async () => {
    const ctx = ts.server.ctx;
    expect(await codeOf(outboundBuffer(ctx, `${t4.url}/a`))).toBe(40001);
    if (t6) expect(await codeOf(outboundBuffer(ctx, `${t6.url}/a`))).toBe(40001);
    expect(await codeOf(outboundBuffer(ctx, 'http://169.254.169.254/latest/meta-data/'))).toBe(40001);
    expect(await codeOf(outboundBuffer(ctx, 'http://10.0.0.1/'))).toBe(40001);
    expect(await codeOf(outboundBuffer(ctx, 'http://[::ffff:127.0.0.1]:1/'))).toBe(40001);
    expect(await codeOf(outboundBuffer(ctx, 'http://2130706433/'))).toBe(40001); // 127.0.0.1 as one number
    expect(await codeOf(outboundBuffer(ctx, 'file:///etc/passwd'))).toBe(40001);
    expect(t4.hits).toEqual([]);
    expect(t6?.hits ?? []).toEqual([]);
  });

  it('refuses a DNS name that resolves to loopback (checked after resolution)', async () => {
    const port = new URL(t4.url).port;
    expect(await codeOf(outboundBuffer(ts.server.ctx, `http://localhost:${port}/dns`))).toBe(40001);
    expect(t4.hits).toEqual([]);
  });
});

describe('guarded outbound client (allow-listed loopback)', () => {
  let ts: TestServer;
  let ok: Target;
  let other: Target;
  beforeAll(async () => {
    other = await target((_q, s) => s.end('other'), '127.0.0.2').catch(() => target((_q, s) => s.end('other'), '::1'));
    ok = await target((req, res) => {
      if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/to-other') return void res.writeHead(307, { location: `${other.url}/x` }).end();
      if (req.url === '/to-local') return void res.writeHead(301, { location: '/final' }).end();
      if (req.url === '/big') return void res.end(Buffer.alloc(5000));
      if (req.url === '/slow') return; // never answers
      res.end(`hello ${req.url}`);
    });
    ts = await startServer(backend, { env: { CR_SETTING_outbound_allowed_hosts: '127.0.0.1' } });
  });
  afterAll(async () => {
    await ok?.close();
    await other?.close();
    await ts?.close();
  });

  it('lets an allow-listed loopback server through and follows a redirect on it', async () => {
    const r = await outboundBuffer(ts.server.ctx, `${ok.url}/to-local`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello /final');
    expect(r.url).toBe(`${ok.url}/final`);
  });

  it('refuses a redirect from the allowed server to a private address', async () => {
    expect(await codeOf(outboundBuffer(ts.server.ctx, `${ok.url}/to-metadata`))).toBe(40001);
    expect(await codeOf(outboundBuffer(ts.server.ctx, `${ok.url}/to-other`))).toBe(40001);
    expect(other.hits).toEqual([]);
  });

  it('caps the body size and times out', async () => {
    expect(await codeOf(outboundBuffer(ts.server.ctx, `${ok.url}/big`, { maxBytes: 1000 }))).toBe(50004);
    expect((await outboundBuffer(ts.server.ctx, `${ok.url}/big`, { maxBytes: 5000 })).body.length).toBe(5000);
    const t0 = Date.now();
    expect(await codeOf(outboundBuffer(ts.server.ctx, `${ok.url}/slow`, { timeoutMs: 300 }))).toBe(50004);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
