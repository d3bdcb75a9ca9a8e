import { api } from '../api/client.ts';

/** Task objects and calls of contract 50 §1 (workflows). */

export type TaskStatus = 'queued' | 'processing' | 'suspending' | 'error' | 'canceled' | 'completed';
export type TaskType = 'create_archive' | 'extract_archive' | 'remote_download' | 'relocate' | 'import';
export type TaskCategory = 'general' | 'downloading' | 'downloaded';

export interface DownloadFile { index: number; name: string; size: number; progress: number; selected: boolean }

export interface DownloadStatus {
  name: string;
  state: 'downloading' | 'seeding' | 'completed' | 'error' | 'unknown';
  total: number;
  downloaded: number;
  download_speed: number;
  uploaded: number;
  upload_speed: number;
  hash?: string;
  files?: DownloadFile[];
  error_message?: string;
}

export interface TaskSummary {
  phase?: string;
  props?: {
    src_multiple?: string[];
    src?: string;
    src_str?: string;
    dst?: string;
    failed?: number;
    download?: DownloadStatus | null;
  };
}

export interface Task {
  id: string;
  created_at: string;
  updated_at: string;
  status: TaskStatus;
  type: TaskType | string;
  summary?: TaskSummary;
  error?: string;
  error_history?: string[];
  duration?: number;
  resume_time?: number;
  retry_count?: number;
}

export interface TaskPage {
  tasks: Task[];
  pagination: { page: number; page_size: number; next_token?: string; is_cursor: boolean };
}

export interface Progress { total: number; current: number; identifier: string }
export type ProgressMap = Record<string, Progress>;

export const ACTIVE_STATUSES: readonly string[] = ['queued', 'processing', 'suspending'];
export const isActive = (t: Task) => ACTIVE_STATUSES.includes(t.status);

export const workflow = {
  list: (category: TaskCategory, nextPageToken?: string, pageSize = 20) =>
    api.get<TaskPage>('/workflow', { category, page_size: pageSize, next_page_token: nextPageToken }),
  progress: (id: string) => api.get<ProgressMap>(`/workflow/progress/${encodeURIComponent(id)}`),
  createArchive: (src: string[], dst: string) => api.post<Task>('/workflow/archive', { src, dst }),
  extract: (body: { src: string[]; dst: string; encoding?: string; password?: string }) => api.post<Task>('/workflow/extract', body),
  download: (body: { dst: string; src?: string[]; src_file?: string }) => api.post<Task[]>('/workflow/download', body),
  selectFiles: (id: string, files: { index: number; download: boolean }[]) =>
    api.request<void>('PATCH', `/workflow/download/${encodeURIComponent(id)}`, { body: { files } }),
  cancelDownload: (id: string) => api.delete<void>(`/workflow/download/${encodeURIComponent(id)}`),
};
