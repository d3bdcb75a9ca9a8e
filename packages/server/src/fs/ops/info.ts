import { Code } from '@cloudreve-ts/protocol';
import { sql } from 'kysely';
import type { CurrentUser } from '../../services/users.ts';
import { serializeRedactedUser } from '../../services/users.ts';
import { serializeShare, siteBaseUrl } from '../../services/share-serialize.ts';
import { wireDirectLinks } from '../../services/direct-links.ts';
import { AppError } from '../../http/errors.ts';
import { HashType } from '../../util/hashid.ts';
import { formatTime } from '../../util/time.ts';
import { parseJson } from '../../util/json.ts';
import { Cap } from '../capability.ts';
import { ownerOnly, type Existing, type FileManager } from '../core.ts';
import * as entities from '../entities.ts';
import { loadPolicies, serializeOne, type FileResponse, type FolderSummary } from '../serialize.ts';
import { chunks, getById, walkSubtree } from '../tree.ts';
import { FileUri } from '../uri.ts';
import { FileType, type FileProps, type FileRow, type Tx } from '../types.ts';

export interface InfoQuery { uri?: string; id?: string; extended?: boolean; folderSummary?: boolean }

const summaryKey = (id: number) => `folder_summary_${id}`;

/** Resolves `id` (file hashid) to its owner-view URI; owner or admin only (40082). */
async function uriFromId(fm: FileManager, user: CurrentUser, id: string): Promise<string> {
  const fileId = fm.ctx.hashids.decode(id, HashType.File);
  if (fileId === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  const file = await getById(fm.ctx.db.kysely, fileId);
  if (!file) throw new AppError(Code.ParentNotExist, 'Path not exist');
  if (user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
  if (file.owner_id !== user.row.id && !fm.isAdmin(user)) throw ownerOnly();
  const fsId = file.owner_id === user.row.id ? undefined : fm.ctx.hashids.encode(file.owner_id, HashType.User);
  const nav = await fm.navigator(user, FileUri.root('my', { fsId }));
  const my = await nav.uriOf(fm.ctx.db.kysely, file);
  if (my) return my.toString();
  const trashNav = await fm.navigator(user, FileUri.root('trash'));
  const trash = file.owner_id === user.row.id ? await trashNav.uriOf(fm.ctx.db.kysely, file) : undefined;
  if (trash) return trash.toString();
  throw new AppError(Code.ParentNotExist, 'Path not exist');
}

/** Σ sizes of every entity linked to these files (one query per 500 files). */
async function entityBytes(tx: Tx, fileIds: number[]): Promise<number> {
  let total = 0;
  for (const part of chunks(fileIds)) {
    if (!part.length) continue;
    const r = await tx.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id')
      .select(sql<number>`coalesce(sum(e.size), 0)`.as('s')).where('fe.file_id', 'in', part).executeTakeFirst();
    total += Number(r?.s ?? 0);
  }
  return total;
}

/** FolderSummary by a walk bounded by max_walked_files, cached for `folder_props_timeout` seconds. */
export async function folderSummary(fm: FileManager, user: CurrentUser, folder: FileRow): Promise<FolderSummary> {
  const ctx = fm.ctx;
  const cached = await ctx.kv.get<FolderSummary>(summaryKey(folder.id));
  if (cached) return cached;
  const { rows, completed } = await walkSubtree(ctx.db.kysely, [folder], fm.maxWalked(user) + 1, { partial: true });
  const below = rows.filter((r) => r.id !== folder.id);
  const summary: FolderSummary = {
    size: await entityBytes(ctx.db.kysely, below.filter((r) => Number(r.type) === FileType.File).map((r) => r.id)),
    files: below.filter((r) => Number(r.type) === FileType.File).length,
    folders: below.filter((r) => Number(r.type) === FileType.Folder).length,
    completed,
    calculated_at: formatTime(ctx.now()),
  };
  await ctx.kv.set(summaryKey(folder.id), summary, ctx.settings.int('folder_props_timeout', 300));
  return summary;
}

async function extendedInfo(fm: FileManager, user: CurrentUser, r: Existing): Promise<Record<string, unknown>> {
  const ctx = fm.ctx;
  const tx = ctx.db.kysely;
  const owner = r.file.owner_id === user.row.id && !user.anonymous;
  const list = (await entities.ofFiles(tx, [r.file.id])).get(r.file.id) ?? [];
  const policies = await loadPolicies(ctx, tx, [r.file.storage_policy_id ?? 0, ...list.map((e) => Number(e.storage_policy_id))]);
  const creatorIds = [...new Set(list.map((e) => e.created_by).filter((id): id is number => id !== null))];
  const creators = creatorIds.length ? await tx.selectFrom('users').selectAll().where('id', 'in', creatorIds).execute() : [];
  const groupIds = [...new Set(creators.map((u) => u.group_id))];
  const groups = groupIds.length ? await tx.selectFrom('groups').selectAll().where('id', 'in', groupIds).execute() : [];
  const creatorMap = new Map(creators.map((u) => [u.id, serializeRedactedUser(ctx, u, groups.find((g) => g.id === u.group_id), user)]));

  const out: Record<string, unknown> = {};
  const policy = r.file.storage_policy_id ? policies.get(r.file.storage_policy_id) : undefined;
  if (policy) out.storage_policy = policy;
  out.storage_used = list.reduce((s, e) => s + Number(e.size), 0);
  if (owner) {
    const shares = await tx.selectFrom('shares').selectAll().where('file_id', '=', r.file.id).orderBy('id', 'desc').execute();
    if (shares.length) {
      const ownerWire = serializeRedactedUser(ctx, user.row, user.group, user);
      const base = siteBaseUrl(ctx);
      out.shares = shares.map((share) => serializeShare(ctx, {
        share, source: { name: r.file.name, type: Number(r.file.type), parent_id: r.file.parent_id, owner_id: r.file.owner_id },
        owner: ownerWire, ownerId: r.file.owner_id, ownerActive: user.row.status === 'active',
      }, { viewer: user, unlocked: true, baseUrl: base }));
    }
  }
  if (list.length) {
    out.entities = list.map((e) => {
      const w: Record<string, unknown> = {
        id: ctx.hashids.encode(e.id, HashType.Entity), size: Number(e.size), type: Number(e.type), created_at: formatTime(e.created_at),
      };
      const p = policies.get(Number(e.storage_policy_id));
      if (p) w.storage_policy = p;
      const c = e.created_by !== null ? creatorMap.get(e.created_by) : undefined;
      if (c) w.created_by = c;
      return w;
    });
  }
  if (owner && Number(r.file.type) === FileType.Folder) {
    const view = parseJson<FileProps>(r.file.props, {}).view;
    if (view) out.view = view;
  }
  out.direct_links = owner ? await wireDirectLinks(ctx, r.file.id) : [];
  return out;
}

/** GET /file/info. */
export async function fileInfo(fm: FileManager, user: CurrentUser, q: InfoQuery): Promise<FileResponse> {
  let uri = q.uri;
  if (!uri) {
    if (!q.id) throw new AppError(Code.ParamErr, 'uri is required');
    uri = await uriFromId(fm, user, q.id);
  }
  const r = await fm.get(user, uri, { caps: [Cap.Info] });
  fm.requireNotRoot(r);
  const out = await serializeOne(fm.ctx, fm.ctx.db.kysely, r.nav, user, { file: r.file, uri: r.uri });
  if (q.folderSummary && Number(r.file.type) === FileType.Folder) {
    if (r.file.owner_id !== user.row.id || user.anonymous) throw ownerOnly();
    out.folder_summary = await folderSummary(fm, user, r.file);
  }
  if (q.extended) out.extended_info = await extendedInfo(fm, user, r);
  return out;
}
