import type { FileResponse, User } from '@cloudreve-ts/protocol';
import { api } from './client.ts';

/** Share object (contract 40 §2); owner-only fields are absent for visitors. */
export interface Share {
  id: string;
  name?: string;
  remain_downloads?: number;
  visited: number;
  downloaded?: number;
  expires?: string;
  unlocked: boolean;
  source_type?: 0 | 1;
  owner?: Pick<User, 'id' | 'nickname' | 'avatar' | 'created_at' | 'email'>;
  created_at: string;
  expired?: boolean;
  url: string;
  is_private?: boolean;
  password?: string;
  share_view?: boolean;
  source_uri?: string;
  password_protected?: boolean;
  show_readme?: boolean;
}

/** Body of PUT /share and POST /share/:id (contract 40 §3.1). */
export interface ShareSettings {
  uri: string;
  is_private?: boolean;
  password?: string;
  /** > 0 limits downloads; 0 = unlimited. */
  downloads?: number;
  /** Seconds from now; 0 = never expires. */
  expire?: number;
  share_view?: boolean;
  show_readme?: boolean;
}

export interface ShareList {
  shares: Share[];
  pagination: { page: number; page_size: number; next_token?: string };
}

export const shares = {
  create: (body: ShareSettings) => api.put<string>('/share', body),
  edit: (id: string, body: ShareSettings) => api.post<string>(`/share/${encodeURIComponent(id)}`, body),
  remove: (id: string) => api.delete<void>(`/share/${encodeURIComponent(id)}`),
  list: (pageSize: number, nextToken?: string) =>
    api.get<ShareList>('/share', { page_size: pageSize, next_page_token: nextToken, order_direction: 'desc' }),
  info: (id: string, query: { password?: string; count_views?: boolean; owner_extended?: boolean }, signal?: AbortSignal) =>
    api.request<Share>('GET', `/share/info/${encodeURIComponent(id)}`, { query, signal }),
  /** "Save to my files" as a shortcut (contract 40 §5). */
  saveShortcut: (dstFolderUri: string, name: string, folder: boolean, redirect: string, ownerId: string) =>
    api.post<FileResponse>('/file/create', {
      type: folder ? 'folder' : 'file',
      uri: `${dstFolderUri.replace(/\/+$/, '')}/${encodeURIComponent(name)}`,
      metadata: { 'sys:shared_redirect': redirect, 'sys:shared_owner': ownerId },
      err_on_conflict: true,
    }),
  /** [OURS] a real copy of shared items into one of my folders. */
  saveCopy: (uris: string[], dst: string) => api.post<void>('/share/save-copy', { uris, dst }),
};
