import path from 'node:path';
import type { Ctx } from '../services/context.ts';
import { parseJson } from '../util/json.ts';
import { Aria2 } from './aria2.ts';
import { QBittorrent } from './qbittorrent.ts';
import { DownloaderError, type Downloader, type NodeDownloaderSettings } from './types.ts';

export * from './types.ts';

export function nodeDownloaderSettings(raw: string | null | undefined): NodeDownloaderSettings {
  return parseJson<NodeDownloaderSettings>(raw ?? '{}', {});
}

/** The downloader a node's settings describe; DownloaderError when none is configured. */
export function downloaderFor(s: NodeDownloaderSettings): Downloader {
  if (s.provider === 'aria2') {
    if (!s.aria2?.server) throw new DownloaderError('aria2 RPC server is not configured');
    return new Aria2(s.aria2.server, s.aria2.token ?? '');
  }
  if (s.provider === 'qbittorrent') {
    if (!s.qbittorrent?.server) throw new DownloaderError('qBittorrent Web UI address is not configured');
    return new QBittorrent(s.qbittorrent.server, s.qbittorrent.user ?? '', s.qbittorrent.password ?? '');
  }
  throw new DownloaderError('No downloader is configured for this node');
}

/** Base folder for a node's downloads: the configured temp path, else `<data>/temp/remote_download`. */
export function downloaderTempBase(ctx: Ctx, s: NodeDownloaderSettings): string {
  const configured = s.provider === 'qbittorrent' ? s.qbittorrent?.temp_path : s.aria2?.temp_path;
  const base = configured?.trim() ? path.resolve(configured) : path.join(ctx.cfg.dataDir, 'temp', 'remote_download');
  return s.provider === 'qbittorrent' ? path.join(base, 'qbittorrent') : base;
}

/** Downloader options for a job: node options, then the group's `remote_download_options`. */
export function downloaderOptions(s: NodeDownloaderSettings, groupOptions: unknown): Record<string, unknown> {
  const node = (s.provider === 'qbittorrent' ? s.qbittorrent?.options : s.aria2?.options) ?? {};
  const group = groupOptions && typeof groupOptions === 'object' && !Array.isArray(groupOptions) ? groupOptions as Record<string, unknown> : {};
  return { ...node, ...group };
}
