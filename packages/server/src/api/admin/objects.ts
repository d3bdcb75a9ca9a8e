import type { Selectable } from 'kysely';
import type {
  DirectLinksTable, EntitiesTable, FilesTable, GroupsTable, MetadataTable, NodesTable, SharesTable, StoragePoliciesTable, TasksTable, UsersTable,
} from '../../db/tables.ts';
import type { Ctx } from '../../services/context.ts';
import type { Tx } from '../../fs/types.ts';
import { chunks } from '../../fs/tree.ts';
import { shareUrl } from '../../services/share-serialize.ts';
import { HashType } from '../../util/hashid.ts';
import { parseJson } from '../../util/json.ts';
import { serializeEntity } from './common.ts';

/**
 * Admin object shapes of contract 60 §4 for storage policies, nodes, files, blobs, shares and
 * tasks, plus the batched edge loaders the list/get routes share. Columns our schema has but CE's
 * entities do not (internal bookkeeping) are left out.
 */

type Row<T> = Selectable<T>;
export type PolicyRow = Row<StoragePoliciesTable>;
export type NodeRow = Row<NodesTable>;
export type FileRow = Row<FilesTable>;
export type BlobRow = Row<EntitiesTable>;
export type ShareRow = Row<SharesTable>;
export type TaskRow = Row<TasksTable>;
type Obj = Record<string, unknown>;

/** Settings keys the dashboard expects even when unset. */
const POLICY_SETTING_DEFAULTS = { token: '', file_type: null, s3_path_style: false, native_media_processing: false };

export function policyObject(p: PolicyRow, edges: Obj = {}): Obj {
  const out = serializeEntity({ ...p }, { bools: ['is_private'], json: ['settings'] }, edges);
  out.settings = { ...POLICY_SETTING_DEFAULTS, ...parseJson<Obj>(p.settings, {}) };
  return out;
}

export function nodeObject(n: NodeRow, edges: Obj = {}): Obj {
  return serializeEntity({ ...n }, { json: ['settings'] }, edges);
}

export function groupObject(g: Row<GroupsTable>, edges: Obj = {}): Obj {
  return serializeEntity({ ...g }, { json: ['settings'] }, edges);
}

/** AdminUser as an edge (no capacity/passkeys); secrets never leave. */
export function userObject(ctx: Ctx, u: Row<UsersTable>): Obj {
  const out = serializeEntity({ ...u }, { omit: ['password', 'two_factor_secret'], json: ['settings'], rename: { group_id: 'group_users' } });
  out.hash_id = ctx.hashids.encode(Number(u.id), HashType.User);
  if (u.two_factor_secret) out.two_fa_enabled = true;
  return out;
}

export function fileObject(f: FileRow, edges: Obj = {}): Obj {
  const { root_owner_id: _root, ...row } = f;
  return serializeEntity({ ...row }, { json: ['props'], rename: { parent_id: 'file_children', storage_policy_id: 'storage_policy_files' } }, edges);
}

export function blobObject(e: BlobRow, edges: Obj = {}): Obj {
  return serializeEntity({ ...e }, { json: ['recycle_options', 'props'], rename: { storage_policy_id: 'storage_policy_entities' } }, edges);
}

export function shareObject(ctx: Ctx, s: ShareRow, baseUrl: string, edges: Obj = {}): Obj {
  const { file_id: _f, owner_id: _o, ...row } = s;
  const out = serializeEntity({ ...row }, { json: ['props'] }, edges);
  out.user_hash_id = ctx.hashids.encode(Number(s.owner_id), HashType.User);
  out.share_link = shareUrl(baseUrl, ctx.hashids.encode(Number(s.id), HashType.Share), s.password || undefined);
  return out;
}

export function metadataObject(m: Row<MetadataTable>): Obj {
  return serializeEntity({ ...m }, { bools: ['is_public'] });
}

export function directLinkObject(d: Row<DirectLinksTable>): Obj {
  const out = serializeEntity({ ...d });
  delete out.edges;
  return out;
}

/** AdminTask: `public_state` without the summary (given beside it), durations in ns as CE keeps them. */
export function taskObject(ctx: Ctx, t: TaskRow, edges: Obj, node: Obj | undefined): Obj {
  const { node_id: _n, attempts: _a, lease_until: _l, run_after: _r, owner_id, public_state, ...row } = t;
  const pub = parseJson<Obj>(public_state, {});
  const { summary, ...state } = pub;
  if (typeof state.executed_duration === 'number') state.executed_duration = Math.round(state.executed_duration * 1e6);
  const slave = state.slave_task_props as Obj | undefined;
  if (slave && typeof slave === 'object') {
    const url = slave.master_site_url ?? slave.master_site_u_rl;
    if (url !== undefined) Object.assign(slave, { master_site_url: url, master_site_u_rl: url });
  }
  const out = serializeEntity({ ...row, user_tasks: owner_id }, {}, edges);
  out.public_state = state;
  out.private_state = t.private_state;
  if (owner_id !== null && owner_id !== undefined) out.user_hash_id = ctx.hashids.encode(Number(owner_id), HashType.User);
  out.task_hash_id = ctx.hashids.encode(Number(t.id), HashType.Task);
  if (summary) out.summary = summary;
  if (node) out.node = node;
  return out;
}

/** Rows of `table` by id, loaded in chunks. */
export async function rowsById<T extends 'users' | 'storage_policies' | 'nodes' | 'files' | 'groups'>(
  tx: Tx, table: T, ids: (number | null | undefined)[],
): Promise<Map<number, any>> {
  const wanted = [...new Set(ids.filter((x): x is number => x !== null && x !== undefined).map(Number))];
  const out = new Map<number, any>();
  for (const part of chunks(wanted)) {
    if (!part.length) continue;
    const rows = await (tx as any).selectFrom(table).selectAll().where('id', 'in', part).execute();
    for (const r of rows) out.set(Number(r.id), r);
  }
  return out;
}

/** Rows of `table` whose `col` is one of `ids`, grouped by that column. */
export async function rowsByColumn<T extends 'metadata' | 'shares' | 'direct_links' | 'storage_policies' | 'groups'>(
  tx: Tx, table: T, col: string, ids: number[],
): Promise<Map<number, any[]>> {
  const out = new Map<number, any[]>();
  for (const id of ids) out.set(id, []);
  for (const part of chunks([...new Set(ids)])) {
    if (!part.length) continue;
    const rows = await (tx as any).selectFrom(table).selectAll().where(col, 'in', part).orderBy('id').execute();
    for (const r of rows) out.get(Number(r[col]))?.push(r);
  }
  return out;
}

export { shareUrl };
