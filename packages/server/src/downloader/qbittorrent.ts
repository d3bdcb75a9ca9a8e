import path from 'node:path';
import { DownloadGone, DownloaderError, type CreateDownload, type DownloadHandle, type DownloadStatus, type Downloader, type DownloadState } from './types.ts';

interface QbTorrent {
  hash: string; name: string; state: string; size: number; total_size: number; completed: number;
  dlspeed: number; uploaded: number; upspeed: number; save_path: string; progress: number;
}
interface QbFile { index?: number; name: string; size: number; progress: number; priority: number }

/** Options callers may pass through to `torrents/add` (others are dropped). */
const ADD_OPTIONS = new Set(['upLimit', 'dlLimit', 'ratioLimit', 'seedingTimeLimit', 'sequentialDownload', 'firstLastPiecePrio', 'autoTMM', 'root_folder', 'contentLayout', 'category']);

const DOWNLOADING = ['downloading', 'pausedDL', 'allocating', 'metaDL', 'queuedDL', 'stalledDL', 'checkingDL', 'forcedDL', 'checkingResumeData', 'moving', 'forcedMetaDL', 'stoppedDL'];
const SEEDING = ['uploading', 'queuedUP', 'stalledUP', 'checkingUP', 'forcedUP'];

function mapState(s: string): DownloadState {
  if (DOWNLOADING.includes(s)) return 'downloading';
  if (SEEDING.includes(s)) return 'seeding';
  if (s === 'pausedUP' || s === 'stoppedUP') return 'completed';
  if (s === 'error' || s === 'missingFiles') return 'error';
  return 'unknown';
}

/** qBittorrent Web API v2: cookie session from `auth/login`, re-login once when it expires. */
export class QBittorrent implements Downloader {
  private readonly base: string;
  private sid: string | undefined;

  constructor(server: string, private readonly user: string, private readonly password: string, private readonly timeoutMs = 15_000) {
    let u: URL;
    try {
      u = new URL(server);
    } catch {
      throw new DownloaderError('qBittorrent Web UI address is not a valid URL');
    }
    this.base = u.toString().replace(/\/+$/, '');
  }

  private async login(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v2/auth/login`, {
        method: 'POST', body: new URLSearchParams({ username: this.user, password: this.password }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new DownloaderError(`qBittorrent is not reachable: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    const sid = /(?:^|[;,\s])SID=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (res.status !== 200 || !text.startsWith('Ok') || !sid) throw new DownloaderError(`qBittorrent login failed (HTTP ${res.status}${text ? `: ${text.slice(0, 100)}` : ''})`);
    this.sid = sid;
  }

  private async request(api: string, body?: URLSearchParams | FormData, retried = false): Promise<Response> {
    if (!this.sid) await this.login();
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v2/${api}`, {
        method: body ? 'POST' : 'GET', body, headers: { cookie: `SID=${this.sid}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new DownloaderError(`qBittorrent is not reachable: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 403 && !retried) {
      this.sid = undefined;
      return this.request(api, body, true);
    }
    if (res.status === 404) throw new DownloadGone('qBittorrent: torrent not found');
    if (res.status !== 200) throw new DownloaderError(`qBittorrent ${api} failed (HTTP ${res.status}: ${(await res.text()).slice(0, 200)})`);
    return res;
  }

  private async json<T>(api: string): Promise<T> {
    return await (await this.request(api)).json() as T;
  }

  async test(): Promise<string> {
    return (await (await this.request('app/version')).text()).trim();
  }

  private async byTag(tag: string): Promise<QbTorrent | undefined> {
    return (await this.json<QbTorrent[]>(`torrents/info?tag=${encodeURIComponent(tag)}`))[0];
  }

  async create(req: CreateDownload): Promise<DownloadHandle> {
    const tag = `cr-${req.key}`;
    const existing = await this.byTag(tag);
    if (existing) return { id: tag, hash: existing.hash };
    const form = new FormData();
    if (req.torrent) form.append('torrents', new Blob([new Uint8Array(req.torrent)], { type: 'application/x-bittorrent' }), 'task.torrent');
    else form.append('urls', req.url ?? '');
    form.append('savepath', req.dir);
    form.append('tags', tag);
    for (const [k, v] of Object.entries(req.options)) if (ADD_OPTIONS.has(k) && v !== undefined && v !== null) form.append(k, String(v));
    const res = await this.request('torrents/add', form);
    const text = (await res.text()).trim();
    if (text && !text.startsWith('Ok')) throw new DownloaderError(`qBittorrent refused the torrent: ${text.slice(0, 100)}`);
    // The torrent shows up under its tag once qBittorrent has parsed it (URLs are fetched first).
    for (let i = 0; i < 50; i++) {
      const t = await this.byTag(tag);
      if (t) return { id: tag, hash: t.hash };
      await new Promise((r) => setTimeout(r, 200));
    }
    return { id: tag };
  }

  async info(handle: DownloadHandle): Promise<DownloadStatus> {
    const t = handle.hash
      ? (await this.json<QbTorrent[]>(`torrents/info?hashes=${encodeURIComponent(handle.hash)}`))[0]
      : await this.byTag(handle.id);
    if (!t) throw new DownloadGone();
    const files = await this.json<QbFile[]>(`torrents/files?hash=${encodeURIComponent(t.hash)}`);
    let pieces: string | undefined;
    let numPieces = 0;
    try {
      const states = await this.json<number[]>(`torrents/pieceStates?hash=${encodeURIComponent(t.hash)}`);
      numPieces = states.length;
      const bits = Buffer.alloc(Math.ceil(states.length / 8));
      states.forEach((st, i) => { if (st === 2) bits[i >> 3]! |= 0x80 >> (i & 7); });
      pieces = bits.toString('base64');
    } catch {
      /* not available before metadata */
    }
    return {
      name: t.name, state: mapState(t.state), total: t.size, downloaded: t.completed,
      download_speed: t.dlspeed, uploaded: t.uploaded, upload_speed: t.upspeed, hash: t.hash,
      files: files.map((f, i) => ({ index: f.index ?? i, name: f.name.split(path.sep).join('/'), size: f.size, progress: f.progress, selected: f.priority > 0 })),
      ...(pieces !== undefined ? { pieces, num_pieces: numPieces } : {}),
      ...(mapState(t.state) === 'error' ? { error_message: `qBittorrent state ${t.state}` } : {}),
      save_path: t.save_path,
    };
  }

  async cancel(handle: DownloadHandle): Promise<void> {
    const hash = handle.hash ?? (await this.byTag(handle.id))?.hash;
    if (!hash) return;
    await this.request('torrents/delete', new URLSearchParams({ hashes: hash, deleteFiles: 'true' }));
    // qBittorrent deletes in the background; wait (bounded) so the caller's removal of the
    // download folder is not undone by qBittorrent still writing or recreating it.
    for (let i = 0; i < 50; i++) {
      if ((await this.json<QbTorrent[]>(`torrents/info?hashes=${encodeURIComponent(hash)}`)).length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async select(handle: DownloadHandle, files: { index: number; download: boolean }[]): Promise<void> {
    const hash = handle.hash ?? (await this.byTag(handle.id))?.hash;
    if (!hash) throw new DownloadGone();
    for (const on of [true, false]) {
      const ids = files.filter((f) => f.download === on).map((f) => f.index);
      if (ids.length) await this.request('torrents/filePrio', new URLSearchParams({ hash, id: ids.join('|'), priority: on ? '1' : '0' }));
    }
  }
}
