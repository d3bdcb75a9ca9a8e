import path from 'node:path';
import { createHash } from 'node:crypto';
import { DownloadGone, DownloaderError, type CreateDownload, type DownloadHandle, type DownloadStatus, type Downloader, type DownloadState } from './types.ts';

interface Aria2File { index: string; path: string; length: string; completedLength: string; selected: string }
interface Aria2Status {
  gid: string; status: string; totalLength: string; completedLength: string; uploadLength?: string;
  downloadSpeed: string; uploadSpeed?: string; infoHash?: string; numPieces?: string; bitfield?: string;
  dir: string; files?: Aria2File[]; bittorrent?: { info?: { name?: string } }; followedBy?: string[];
  errorCode?: string; errorMessage?: string; seeder?: string;
}

/** aria2 job ids are 16 hex digits; derive a stable one from the task's key so a resumed task finds its job. */
export function gidFor(key: string): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return /^0+$/.test(h) ? '0000000000000001' : h;
}

/** aria2 JSON-RPC endpoint: `http://host:6800` gets `/jsonrpc` appended. */
export function aria2Endpoint(server: string): string {
  const u = new URL(server);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/jsonrpc';
  return u.toString();
}

/** aria2 over JSON-RPC (HTTP POST) with the `token:<secret>` parameter. */
export class Aria2 implements Downloader {
  private readonly endpoint: string;
  private seq = 0;

  constructor(server: string, private readonly secret: string, private readonly timeoutMs = 15_000) {
    try {
      this.endpoint = aria2Endpoint(server);
    } catch {
      throw new DownloaderError('aria2 RPC server address is not a valid URL');
    }
  }

  private async call<T>(method: string, ...params: unknown[]): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: String(++this.seq), method, params: [`token:${this.secret}`, ...params] }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new DownloaderError(`aria2 is not reachable: ${(e as Error).message}`, { cause: e });
    }
    let body: { result?: T; error?: { code: number; message: string } };
    try {
      body = await res.json() as typeof body;
    } catch {
      throw new DownloaderError(`aria2 answered HTTP ${res.status} without JSON`);
    }
    if (body.error) {
      if (/not found/i.test(body.error.message)) throw new DownloadGone(`aria2: ${body.error.message}`);
      throw new DownloaderError(`aria2: ${body.error.message}`);
    }
    return body.result as T;
  }

  async test(): Promise<string> {
    const v = await this.call<{ version: string }>('aria2.getVersion');
    return v.version;
  }

  async create(req: CreateDownload): Promise<DownloadHandle> {
    const gid = gidFor(req.key);
    try {
      const st = await this.call<Aria2Status>('aria2.tellStatus', gid, ['status']);
      if (st.status !== 'removed') return { id: gid };
      await this.call('aria2.removeDownloadResult', gid).catch(() => undefined);
    } catch (e) {
      if (!(e instanceof DownloadGone)) throw e;
    }
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.options)) if (v !== undefined && v !== null) options[k] = String(v);
    Object.assign(options, { dir: req.dir, gid, 'follow-torrent': 'mem' });
    if (req.torrent) await this.call<string>('aria2.addTorrent', req.torrent.toString('base64'), [], options);
    else await this.call<string>('aria2.addUri', [req.url], options);
    return { id: gid };
  }

  async info(handle: DownloadHandle): Promise<DownloadStatus> {
    const s = await this.call<Aria2Status>('aria2.tellStatus', handle.id);
    if (s.status === 'removed') throw new DownloadGone();
    const total = Number(s.totalLength) || 0;
    const done = Number(s.completedLength) || 0;
    const bt = !!s.bittorrent;
    // A magnet's metadata-only job reports a pseudo file `[METADATA]<name>`: no real files yet.
    const metadata = (s.files ?? []).some((f) => f.path.startsWith('[METADATA]'));
    const files = (metadata ? [] : s.files ?? []).map((f) => ({
      index: Number(f.index),
      name: f.path ? (path.isAbsolute(f.path) ? path.relative(s.dir, f.path) : f.path).split(path.sep).join('/') : '',
      size: Number(f.length) || 0,
      progress: Number(f.length) > 0 ? Number(f.completedLength) / Number(f.length) : 0,
      selected: f.selected === 'true',
    }));
    let state: DownloadState;
    switch (s.status) {
      case 'active': state = bt && (s.seeder === 'true' || (total > 0 && done >= total)) ? 'seeding' : 'downloading'; break;
      case 'waiting': case 'paused': state = 'downloading'; break;
      case 'complete': state = 'completed'; break;
      case 'error': state = 'error'; break;
      default: state = 'unknown';
    }
    const name = s.bittorrent?.info?.name || (metadata ? s.files![0]!.path : files[0]?.name.split('/').pop() ?? '');
    return {
      name, state, total, downloaded: done,
      download_speed: Number(s.downloadSpeed) || 0,
      uploaded: Number(s.uploadLength) || 0,
      upload_speed: Number(s.uploadSpeed) || 0,
      ...(s.infoHash ? { hash: s.infoHash } : {}),
      files,
      ...(s.bitfield ? { pieces: Buffer.from(s.bitfield, 'hex').toString('base64'), num_pieces: Number(s.numPieces) || 0 } : {}),
      ...(s.errorMessage && s.status === 'error' ? { error_message: s.errorMessage } : {}),
      save_path: s.dir,
      ...(s.followedBy?.length ? { followed_by: { id: s.followedBy[0]! } } : {}),
    };
  }

  async cancel(handle: DownloadHandle): Promise<void> {
    try {
      await this.call('aria2.forceRemove', handle.id);
    } catch (e) {
      // Finished jobs cannot be removed, only their results.
      if (!(e instanceof DownloadGone) && !/cannot be removed|not active/i.test((e as Error).message)) throw e;
    }
    await this.call('aria2.removeDownloadResult', handle.id).catch(() => undefined);
  }

  async select(handle: DownloadHandle, files: { index: number; download: boolean }[]): Promise<void> {
    const s = await this.call<Aria2Status>('aria2.tellStatus', handle.id, ['files']);
    const chosen = new Map((s.files ?? []).map((f) => [Number(f.index), f.selected === 'true']));
    for (const f of files) if (chosen.has(f.index)) chosen.set(f.index, f.download);
    const csv = [...chosen].filter(([, on]) => on).map(([i]) => i).join(',');
    if (!csv) throw new DownloaderError('At least one file must stay selected');
    await this.call('aria2.changeOption', handle.id, { 'select-file': csv });
  }
}
