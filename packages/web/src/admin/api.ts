import { api } from '../api/client.ts';
import type {
  AdminEntity, AdminFile, AdminGroup, AdminListRequest, AdminNode, AdminPage, AdminPagination, AdminShare,
  AdminStoragePolicy, AdminTask, AdminUser, AuditEntry, HomepageSummary, MailTestSettings, QueueMetric,
} from './types.ts';

/** Typed calls of /api/v4/admin (contract 60 §5). List calls are POSTs with an AdminListService body. */

type ListAnswer = { pagination?: AdminPagination } & Record<string, unknown>;

export type Lister<T> = (req: AdminListRequest) => Promise<AdminPage<T>>;

function lister<T>(path: string, key: string): Lister<T> {
  return async (req) => {
    const res = await api.post<ListAnswer>(path, req);
    return { items: (res?.[key] as T[] | undefined) ?? [], total: res?.pagination?.total_items };
  };
}

const batchDelete = (path: string) => (ids: number[]) => api.post<void>(`${path}/batch/delete`, { ids });

export const adminApi = {
  summary: (generate: boolean) => api.get<HomepageSummary>('/admin/summary', { generate }),
  getSettings: (keys: string[]) => api.post<Record<string, string>>('/admin/settings', { keys }),
  saveSettings: (settings: Record<string, string>) => api.request<Record<string, string>>('PATCH', '/admin/settings', { body: { settings } }),
  testMail: (to: string, settings: MailTestSettings) => api.post<void>('/admin/tool/mail', { to, settings }),
  testThumbExecutable: (name: string, executable: string) => api.post<string>('/admin/tool/thumbExecutable', { name, executable }),
  clearEntityUrlCache: () => api.delete<void>('/admin/tool/entityUrlCache'),

  groups: lister<AdminGroup>('/admin/group', 'groups'),
  group: (id: number) => api.get<AdminGroup>(`/admin/group/${id}`, { countUser: true }),
  saveGroup: (group: Partial<AdminGroup> & { edges: { storage_policies: { id: number } } }) =>
    group.id ? api.put<AdminGroup>(`/admin/group/${group.id}`, { group }) : api.put<AdminGroup>('/admin/group', { group }),
  deleteGroup: (id: number) => api.delete<void>(`/admin/group/${id}`),

  users: lister<AdminUser>('/admin/user', 'users'),
  user: (id: number) => api.get<AdminUser>(`/admin/user/${id}`),
  saveUser: (user: Partial<AdminUser>, password?: string, twoFa?: boolean) => {
    const body = { user, password: password || undefined, two_fa: twoFa ? '1' : undefined };
    return user.id ? api.put<AdminUser>(`/admin/user/${user.id}`, body) : api.put<AdminUser>('/admin/user', body);
  },
  deleteUsers: batchDelete('/admin/user'),
  calibrateUser: (id: number) => api.post<AdminUser>(`/admin/user/${id}/calibrate`),

  policies: lister<AdminStoragePolicy>('/admin/policy', 'policies'),
  policy: (id: number) => api.get<AdminStoragePolicy>(`/admin/policy/${id}`, { countEntity: true }),
  savePolicy: (policy: Partial<AdminStoragePolicy>) =>
    policy.id ? api.put<AdminStoragePolicy>(`/admin/policy/${policy.id}`, { policy }) : api.put<AdminStoragePolicy>('/admin/policy', { policy: { ...policy, id: 0 } }),
  deletePolicy: (id: number) => api.delete<void>(`/admin/policy/${id}`),
  policyCors: (policy: Partial<AdminStoragePolicy>) => api.post<void>('/admin/policy/cors', { policy }),
  testPolicy: (policy: Partial<AdminStoragePolicy>) => api.post<{ summary: string }>('/admin/policy/test', { policy }),

  nodes: lister<AdminNode>('/admin/node', 'nodes'),
  node: (id: number) => api.get<AdminNode>(`/admin/node/${id}`),
  saveNode: (node: Partial<AdminNode>) => (node.id ? api.put<AdminNode>(`/admin/node/${node.id}`, { node }) : api.put<AdminNode>('/admin/node', { node })),
  deleteNode: (id: number) => api.delete<void>(`/admin/node/${id}`),
  testNode: (node: Partial<AdminNode>) => api.post<void>('/admin/node/test', { node }),
  testDownloader: (node: Partial<AdminNode>) => api.post<string>('/admin/node/test/downloader', { node }),

  files: lister<AdminFile>('/admin/file', 'files'),
  file: (id: number) => api.get<AdminFile>(`/admin/file/${id}`),
  fileUrl: (id: number) => api.get<string>(`/admin/file/url/${id}`),
  deleteFiles: batchDelete('/admin/file'),

  entities: lister<AdminEntity>('/admin/entity', 'entities'),
  entity: (id: number) => api.get<AdminEntity>(`/admin/entity/${id}`),
  entityUrl: (id: number) => api.get<string>(`/admin/entity/url/${id}`),
  deleteEntities: (ids: number[], force: boolean) => api.post<void>('/admin/entity/batch/delete', { ids, force }),

  shares: lister<AdminShare>('/admin/share', 'shares'),
  share: (id: number) => api.get<AdminShare>(`/admin/share/${id}`),
  deleteShares: batchDelete('/admin/share'),

  queueMetrics: () => api.get<QueueMetric[]>('/admin/queue/metrics'),
  tasks: lister<AdminTask>('/admin/queue', 'tasks'),
  task: (id: number) => api.get<AdminTask>(`/admin/queue/${id}`),
  deleteTasks: batchDelete('/admin/queue'),

  audit: lister<AuditEntry>('/admin/audit', 'logs'),
};
