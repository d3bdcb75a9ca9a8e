import type { ExplorerSiteConfig, FileResponse, StoragePolicySummary } from '@cloudreve-ts/protocol';
import { api } from './client.ts';

/**
 * Typed calls for previews, the info panel and thumbnails (contract 20 §2.2–2.6, §3.2, §3.3,
 * §3.10, §3.13; contract 30 §1.9). Kept apart from endpoints.ts so parallel work on the explorer
 * does not collide.
 */

/** A stored blob of a file (contract 20 §2.3): 0 version, 1 thumbnail, 2 live photo. */
export interface Entity {
  id: string;
  size: number;
  type: 0 | 1 | 2;
  created_at: string;
  storage_policy?: StoragePolicySummary;
  created_by?: { id: string; nickname: string };
}

export interface FolderSummary {
  size: number;
  files: number;
  folders: number;
  completed: boolean;
  calculated_at: string;
}

export interface ExtendedInfo {
  storage_policy?: StoragePolicySummary;
  storage_used: number;
  entities?: Entity[];
}

export interface FileInfo extends FileResponse {
  extended_info?: ExtendedInfo;
  folder_summary?: FolderSummary;
}

export interface MetadataPatch {
  key: string;
  value?: string;
  remove?: boolean;
}

export const EntityType = { Version: 0, Thumbnail: 1, LivePhoto: 2 } as const;

export const fileDetails = {
  info: (uri: string, opts: { extended?: boolean; folderSummary?: boolean } = {}, signal?: AbortSignal) =>
    api.get<FileInfo>('/file/info', { uri, extended: opts.extended || undefined, folder_summary: opts.folderSummary || undefined }, signal),
  thumb: (uri: string, signal?: AbortSignal) => api.get<{ url: string; expires: string | null }>('/file/thumb', { uri }, signal),
  /** One signed URL for viewing (inline) or downloading a file, optionally a given version. */
  url: async (uri: string, opts: { download?: boolean; entity?: string } = {}) => {
    const res = await api.post<{ urls: { url: string }[] }>('/file/url', { uris: [uri], download: opts.download ?? false, entity: opts.entity });
    return res.urls[0]?.url ?? '';
  },
  /** Saves `content` as a new version; `previous` = the version the editor loaded (40076 when it moved on). */
  updateContent: (uri: string, content: Blob | string, previous?: string) =>
    api.request<FileResponse>('PUT', '/file/content', { query: { uri, previous }, rawBody: content }),
  patchMetadata: (uris: string[], patches: MetadataPatch[]) => api.request<void>('PATCH', '/file/metadata', { body: { uris, patches } }),
  setCurrentVersion: (uri: string, version: string) => api.post<void>('/file/version/current', { uri, version }),
  deleteVersion: (uri: string, version: string) => api.delete<void>('/file/version', { uri, version }),
  explorerConfig: () => api.get<ExplorerSiteConfig>('/site/config/explorer'),
};
