import type {
  BasicSiteConfig, Capacity, FileResponse, FileUrlRequest, FileUrlResponse, ListRequest, ListResponse,
  LoginResponse, LoginSiteConfig, UploadSessionRequest, UploadSessionResponse, User,
} from '@cloudreve-ts/protocol';
import { api } from './client.ts';

/** Typed calls of the endpoints this UI uses (contract files 10, 20 and 30). */

export interface Captcha { image: string; ticket: string }
export interface CaptchaAnswer { captcha?: string; ticket?: string }

export const siteConfig = {
  basic: () => api.get<BasicSiteConfig>('/site/config/basic'),
  login: () => api.request<LoginSiteConfig>('GET', '/site/config/login', { auth: false }),
};

export const session = {
  captcha: () => api.request<Captcha>('GET', '/site/captcha', { auth: false }),
  /** Resolves with the login, or rejects with ApiError 203 whose `data` is the 2FA session id. */
  signIn: (body: { email: string; password: string } & CaptchaAnswer) =>
    api.request<LoginResponse>('POST', '/session/token', { body, auth: false }),
  signIn2fa: (body: { otp: string; session_id: string }) =>
    api.request<LoginResponse>('POST', '/session/token/2fa', { body, auth: false }),
  /** Resolves with the new user, or rejects with ApiError 203 when an activation mail was sent. */
  signUp: (body: { email: string; password: string; language?: string } & CaptchaAnswer) =>
    api.request<User>('POST', '/user', { body, auth: false }),
};

export const user = {
  capacity: () => api.get<Capacity>('/user/capacity'),
};

export const files = {
  list: (req: ListRequest, signal?: AbortSignal) => api.get<ListResponse>('/file', { ...req }, signal),
  createFolder: (uri: string) => api.post<FileResponse>('/file/create', { uri, type: 'folder', err_on_conflict: true }),
  rename: (uri: string, newName: string) => api.post<FileResponse>('/file/rename', { uri, new_name: newName }),
  moveToTrash: (uris: string[]) => api.delete<void>('/file', { uris }),
  deleteForever: (uris: string[]) => api.delete<void>('/file', { uris, skip_soft_delete: true }),
  emptyTrash: () => api.delete<void>('/file/trash'),
  restore: (uris: string[]) => api.post<void>('/file/restore', { uris }),
  move: (uris: string[], dst: string, copy = false) => api.post<void>('/file/move', { uris, dst, copy }),
  urls: (req: FileUrlRequest) => api.post<FileUrlResponse>('/file/url', req),
};

export const upload = {
  createSession: (req: UploadSessionRequest) => api.put<UploadSessionResponse>('/file/upload', req),
  sendChunk: (sessionId: string, index: number, chunk: Blob, opts: { onProgress?: (loaded: number) => void; signal?: AbortSignal }) =>
    api.upload<void>(`/file/upload/${encodeURIComponent(sessionId)}/${index}`, chunk, opts),
  deleteSession: (id: string, uri: string) => api.delete<void>('/file/upload', { id, uri }),
};
