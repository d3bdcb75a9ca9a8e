import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './child-server.ts';

type BValue = number | string | Buffer | BValue[] | { [k: string]: BValue };

/** Bencoding (BEP 3), keys sorted. */
export function bencode(v: BValue): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${Math.trunc(v)}e`);
  if (typeof v === 'string') v = Buffer.from(v);
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k]!)]), Buffer.from('e')]);
}

export interface MadeTorrent { torrent: Buffer; infoHash: string; magnet: string }

/**
 * A .torrent for `files` (paths relative to a folder called `name`, written to `dir/name/...`);
 * one file without sub-path makes a single-file torrent named `name`.
 */
export function makeTorrent(dir: string, name: string, files: { path: string; data: Buffer }[], announce: string, pieceLength = 16384): MadeTorrent {
  const single = files.length === 1 && files[0]!.path === '';
  if (single) fs.writeFileSync(path.join(dir, name), files[0]!.data);
  else for (const f of files) {
    const p = path.join(dir, name, ...f.path.split('/'));
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.data);
  }
  const all = Buffer.concat(files.map((f) => f.data));
  const pieces: Buffer[] = [];
  for (let i = 0; i < all.length; i += pieceLength) pieces.push(createHash('sha1').update(all.subarray(i, i + pieceLength)).digest());
  const info: Record<string, BValue> = { name, 'piece length': pieceLength, pieces: Buffer.concat(pieces) };
  if (single) info.length = all.length;
  else info.files = files.map((f) => ({ length: f.data.length, path: f.path.split('/') }));
  const infoHash = createHash('sha1').update(bencode(info)).digest('hex');
  const torrent = bencode({ announce, info });
  return { torrent, infoHash, magnet: `magnet:?xt=urn:btih:${infoHash}&dn=${encodeURIComponent(name)}&tr=${encodeURIComponent(announce)}` };
}

/** Minimal HTTP BitTorrent tracker on loopback (compact peer lists, 1 s interval). */
export async function startTracker(): Promise<{ announce: string; peers(infoHash: string): number; close(): Promise<void> }> {
  const swarms = new Map<string, Map<string, Buffer>>();
  const rawParam = (q: string, key: string): Buffer | undefined => {
    for (const part of q.split('&')) {
      const [k, v = ''] = part.split('=');
      if (k !== key) continue;
      const bytes: number[] = [];
      for (let i = 0; i < v.length; i++) {
        if (v[i] === '%') { bytes.push(parseInt(v.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(v.charCodeAt(i));
      }
      return Buffer.from(bytes);
    }
    return undefined;
  };
  const server = http.createServer((req, res) => {
    const q = (req.url ?? '').split('?')[1] ?? '';
    const hash = rawParam(q, 'info_hash')?.toString('hex') ?? '';
    const port = Number(rawParam(q, 'port')?.toString() ?? 0);
    const event = rawParam(q, 'event')?.toString();
    const swarm = swarms.get(hash) ?? new Map<string, Buffer>();
    swarms.set(hash, swarm);
    const me = `127.0.0.1:${port}`;
    if (event === 'stopped') swarm.delete(me);
    else if (port) {
      const b = Buffer.alloc(6);
      b.set([127, 0, 0, 1]);
      b.writeUInt16BE(port, 4);
      swarm.set(me, b);
    }
    const others = [...swarm].filter(([k]) => k !== me).map(([, b]) => b);
    res.end(bencode({ interval: 1, 'min interval': 1, peers: Buffer.concat(others) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    announce: `http://127.0.0.1:${port}/announce`,
    peers: (h) => swarms.get(h)?.size ?? 0,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const children = new Set<ChildProcess>();

/** Kills every aria2c / qbittorrent-nox this helper started (afterAll). */
export function killDownloaders(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, out: () => string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited: ${out()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not start: ${out()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface Aria2Proc { rpc: string; secret: string; stop(): void; call(method: string, ...params: unknown[]): Promise<any> }

/** aria2c with JSON-RPC on loopback, BitTorrent bound to loopback, no DHT/LPD/PeX. */
export async function startAria2(opts: { seeder?: boolean } = {}): Promise<Aria2Proc> {
  const [rpcPort, btPort] = [await freePort(), await freePort()];
  const secret = `s${Math.random().toString(36).slice(2)}`;
  const args = [
    '--no-conf', '--enable-rpc', `--rpc-listen-port=${rpcPort}`, `--rpc-secret=${secret}`, '--rpc-listen-all=false',
    '--interface=127.0.0.1', '--disable-ipv6', `--listen-port=${btPort}`, '--enable-dht=false', '--enable-dht6=false',
    '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--check-certificate=false', '--auto-save-interval=0',
    '--console-log-level=warn', '--summary-interval=0', '--bt-tracker-interval=1',
    ...(opts.seeder ? ['--seed-ratio=0.0', '--check-integrity=true', '--bt-seed-unverified=false'] : ['--seed-time=0']),
  ];
  const child = spawn('aria2c', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const rpc = `http://127.0.0.1:${rpcPort}/jsonrpc`;
  const call = async (method: string, ...params: unknown[]) => {
    const r = await fetch(rpc, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: '1', method, params: [`token:${secret}`, ...params] }) });
    const j = await r.json() as { result?: unknown; error?: { message: string } };
    if (j.error) throw new Error(j.error.message);
    return j.result;
  };
  await waitFor('aria2c', async () => !!(await call('aria2.getVersion')), child, () => out);
  return { rpc, secret, call, stop: () => { child.kill('SIGKILL'); children.delete(child); } };
}

export interface QbProc { url: string; user: string; password: string; stop(): void }

/** qbittorrent-nox configured loopback-only before its first start (STACK.md gotcha 12). */
export async function startQbittorrent(profile: string): Promise<QbProc> {
  const [webPort, btPort] = [await freePort(), await freePort()];
  const conf = path.join(profile, 'qBittorrent', 'config');
  fs.mkdirSync(conf, { recursive: true });
  fs.writeFileSync(path.join(conf, 'qBittorrent.conf'), [
    '[BitTorrent]', 'Session\\Interface=lo', 'Session\\InterfaceName=lo', 'Session\\InterfaceAddress=127.0.0.1',
    'Session\\DHTEnabled=false', 'Session\\LSDEnabled=false', 'Session\\PeXEnabled=false', `Session\\Port=${btPort}`,
    'Session\\AnonymousModeEnabled=false', '',
    '[Network]', 'PortForwardingEnabled=false', '',
    '[LegalNotice]', 'Accepted=true', '',
    '[Preferences]', 'WebUI\\Address=127.0.0.1', `WebUI\\Port=${webPort}`, 'Connection\\ResolvePeerCountries=false',
    'WebUI\\CSRFProtection=true', 'WebUI\\HostHeaderValidation=true', 'General\\Locale=en', '',
  ].join('\n'));
  const child = spawn('qbittorrent-nox', [`--profile=${profile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${webPort}`;
  await waitFor('qbittorrent-nox', async () => (await fetch(`${url}/api/v2/app/version`)).status > 0, child, () => out);
  return { url, user: 'admin', password: 'adminadmin', stop: () => { child.kill('SIGKILL'); children.delete(child); } };
}
