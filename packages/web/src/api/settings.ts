import type { User } from '@cloudreve-ts/protocol';
import { api, ApiError, NETWORK_ERROR } from './client.ts';

/** GET /user/setting (contract 10 §2.7), the fields this UI reads. */
export interface UserSettings {
  passwordless?: boolean;
  two_fa_enabled?: boolean;
  version_retention_enabled: boolean;
  disable_view_sync: boolean;
  share_links_in_profile: string;
}

export interface SettingsPatch {
  nick?: string;
  language?: string;
  preferred_theme?: string;
  current_password?: string;
  new_password?: string;
  two_fa_enabled?: boolean;
  two_fa_code?: string;
}

/** DavAccount (contract 60 §1). */
export interface DavAccount {
  id: string;
  created_at: string;
  name: string;
  uri: string;
  password: string;
  options?: string | null;
}

export interface DavAccountBody {
  uri: string;
  name: string;
  readonly?: boolean;
  proxy?: boolean;
  disable_sys_files?: boolean;
}

export const settings = {
  get: () => api.get<UserSettings>('/user/setting'),
  patch: (body: SettingsPatch) => api.request<void>('PATCH', '/user/setting', { body }),
  me: () => api.get<User>('/user/me'),
  /** A new TOTP secret (base32), valid for 10 minutes. */
  twoFaSecret: () => api.get<string>('/user/setting/2fa'),
  /** Raw image bytes; PUT with fetch because the body is not JSON. */
  async uploadAvatar(file: Blob): Promise<void> {
    const token = await api.accessToken();
    let res: Response;
    try {
      res = await fetch('/api/v4/user/setting/avatar', {
        method: 'PUT',
        headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': file.type || 'image/png' },
        body: file,
      });
    } catch (e) {
      throw new ApiError(NETWORK_ERROR, (e as Error)?.message ?? 'network error');
    }
    const env = (await res.json().catch(() => null)) as { code?: number; msg?: string } | null;
    if (!env || env.code !== 0) throw new ApiError(env?.code ?? res.status, env?.msg ?? `HTTP ${res.status}`);
  },
};

export const dav = {
  list: (nextToken?: string) => api.get<{ accounts: DavAccount[]; pagination: { next_token?: string } }>('/devices/dav', { page_size: 100, next_page_token: nextToken }),
  create: (body: DavAccountBody) => api.put<DavAccount>('/devices/dav', body),
  update: (id: string, body: DavAccountBody) => api.request<DavAccount>('PATCH', `/devices/dav/${encodeURIComponent(id)}`, { body }),
  remove: (id: string) => api.delete<void>(`/devices/dav/${encodeURIComponent(id)}`),
};
