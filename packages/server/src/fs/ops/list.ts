import { sql, type SelectQueryBuilder } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser, UserSettings } from '../../services/users.ts';
import type { Database } from '../../db/tables.ts';
import { AppError } from '../../http/errors.ts';
import { HashType } from '../../util/hashid.ts';
import { parseJson } from '../../util/json.ts';
import { uuid } from '../../util/random.ts';
import { Cap, requireCaps } from '../capability.ts';
import type { FileManager } from '../core.ts';
import * as metadata from '../metadata.ts';
import type { ListScope, Navigator, Resolved } from '../navigator.ts';
import { symbolicWalk } from '../navigators/my.ts';
import { decodeOptionalPageToken, encodePageToken, type PageCursor } from '../pagination.ts';
import { searchPredicates } from '../search.ts';
import { loadPolicies, serializeFiles, serializeOne, zeroFile, type FileResponse, type WirePolicy } from '../serialize.ts';
import { chunks } from '../tree.ts';
import { FileUri, parseSearchQuery, type SearchQuery } from '../uri.ts';
import { FileType, MetaKey, type ExplorerView, type FileProps, type FileRow, type Tx } from '../types.ts';

export interface ListParams {
  pageSize?: number;
  /** Offset mode only (setting use_cursor_pagination = 0). */
  page?: number;
  orderBy?: string;
  orderDirection?: string;
  nextPageToken?: string;
}

export interface ListResponse {
  files: FileResponse[];
  parent: FileResponse;
  pagination: { page: number; page_size: number; total_items?: number; next_token?: string; is_cursor?: boolean };
  props: { capability: string; max_page_size: number; order_by_options: string[] | null; order_direction_options: string[] | null };
  context_hint: string;
  recursion_limit_reached?: boolean;
  mixed_type: boolean;
  single_file_view?: boolean;
  storage_policy?: WirePolicy;
  view?: ExplorerView;
}

const DEFAULT_VIEW: ExplorerView = { page_size: 100, view: 'grid', thumbnail: true };
const DEFAULT_TRASH_VIEW: ExplorerView = { view: 'list', columns: [{ type: 0 }, { type: 2 }, { type: 8 }, { type: 7 }] };
const ORDER_COLUMNS = { name: 'name', size: 'size', updated_at: 'updated_at' } as const;
type OrderColumn = (typeof ORDER_COLUMNS)[keyof typeof ORDER_COLUMNS] | 'id';

type FilesQuery = SelectQueryBuilder<Database, 'files', FileRow>;

function applyScope(q: FilesQuery, scope: ListScope): FilesQuery {
  switch (scope.kind) {
    case 'children': return q.where('files.parent_id', '=', scope.parentId);
    case 'trash': return q.where('files.owner_id', '=', scope.ownerId).where('files.parent_id', 'is', null).where('files.root_owner_id', 'is', null);
    case 'files': return q.where('files.owner_id', '=', scope.ownerId).where('files.id', 'in', scope.ids.length ? scope.ids : [0]);
  }
}

const scopeKey = (s: ListScope) => (s.kind === 'children' ? `c${s.parentId}` : s.kind === 'trash' ? `t${s.ownerId}` : `f${s.ownerId}`);

/** The view in effect: nearest folder view up the chain (my/share) or the user's per-fs view (trash …). */
function effectiveView(r: Resolved, owner: UserSettings): ExplorerView {
  if (r.virtualRoot) {
    const map = (owner.fs_view_map as Record<string, ExplorerView> | undefined) ?? {};
    return map[r.nav.fs] ?? (r.nav.fs === 'trash' ? DEFAULT_TRASH_VIEW : DEFAULT_VIEW);
  }
  for (let i = r.chain.length - 1; i >= 0; i--) {
    const v = parseJson<FileProps>(r.chain[i]!.props, {}).view;
    if (v) return v;
  }
  return DEFAULT_VIEW;
}

/** GET /file — lists a folder (folders first, keyset-paginated) or searches below it (§1.6). */
export async function listFiles(fm: FileManager, user: CurrentUser, uriRaw: string, p: ListParams): Promise<ListResponse> {
  const ctx = fm.ctx;
  const tx = ctx.db.kysely;
  const uri = fm.parse(uriRaw);
  const nav = await fm.navigator(user, uri);
  requireCaps(nav.caps, Cap.ListChildren);
  const r = await nav.resolve(tx, uri);
  if (!r.virtualRoot) {
    if (!r.file || Number(r.file.type) !== FileType.Folder) throw new AppError(Code.ParentNotExist, 'Parent not exist');
    if ((await metadata.getValue(tx, r.file.id, MetaKey.SharedRedirect)) !== undefined) throw symbolicWalk();
  }

  let search = uri.search();
  if (search?.category) {
    const replacement = parseSearchQuery(ctx.settings.get(`explorer_category_${search.category}_query`));
    if (!replacement) throw new AppError(Code.ParamErr, 'Unknown search category');
    search = replacement;
  }

  const ownerSettings = parseJson<UserSettings>(nav.owner.row.settings, {});
  const view = { ...effectiveView(r, ownerSettings) };
  const maxPageSize = ctx.settings.int('max_page_size', 2000);
  if (p.pageSize !== undefined && p.pageSize < 1) throw new AppError(Code.ParamErr, 'Page size too short');
  const pageSize = Math.min(p.pageSize || view.page_size || 100, maxPageSize);
  const orderByRaw = p.orderBy || view.order || '';
  const direction: 'asc' | 'desc' = (p.orderDirection || view.order_direction) === 'desc' ? 'desc' : 'asc';
  const column: OrderColumn = ORDER_COLUMNS[orderByRaw as keyof typeof ORDER_COLUMNS] ?? 'id';
  const options = nav.orderOptions(!!search);

  let page: { rows: { file: FileRow; uri: FileUri }[]; pagination: ListResponse['pagination']; limitReached?: boolean };
  if (search) page = await searchPage(fm, tx, nav, r, search, uri.rawQuery, pageSize, direction, p.nextPageToken);
  else if (!ctx.settings.bool('use_cursor_pagination') && !p.nextPageToken) {
    page = await offsetPage(fm, tx, nav, r, pageSize, column, direction, p.page ?? 0);
  } else page = await cursorPage(fm, tx, nav, r, pageSize, column, direction, p.nextPageToken);

  const files = await serializeFiles(ctx, tx, nav, user, page.rows);
  const parent = r.virtualRoot || !r.file ? zeroFile() : await serializeOne(ctx, tx, nav, user, { file: r.file, uri: r.uri });
  const out: ListResponse = {
    files,
    parent,
    pagination: page.pagination,
    props: { capability: nav.caps.encode(), max_page_size: maxPageSize, order_by_options: options.by, order_direction_options: options.direction },
    context_hint: uuid(),
    mixed_type: !!search,
  };
  if (page.limitReached) out.recursion_limit_reached = true;
  if (nav.fs === 'my' || nav.fs === 'share') {
    const policy = (await loadPolicies(ctx, tx, [nav.owner.group.storage_policy_id])).get(nav.owner.group.storage_policy_id);
    if (policy) out.storage_policy = policy;
  }
  if (r.singleFileView && !search) {
    out.single_file_view = true;
    out.pagination = { page: 0, page_size: 0 };
  }
  if (!ownerSettings.disable_view_sync && !r.hideView) {
    view.page_size = pageSize;
    if (orderByRaw in ORDER_COLUMNS || orderByRaw === 'created_at') view.order = orderByRaw;
    else delete view.order;
    view.order_direction = direction;
    out.view = view;
  }
  return out;
}

function cursorFor(fm: FileManager, f: FileRow, column: OrderColumn): PageCursor {
  const c: PageCursor = { id: fm.ctx.hashids.encode(f.id, HashType.File) };
  if (column === 'name') c.string = f.name;
  else if (column === 'size') c.int = Number(f.size);
  else if (column === 'updated_at') c.int = Number(f.updated_at);
  if (Number(f.type) === FileType.File) c.start_with_file = true;
  return c;
}

/**
 * One keyset page in the order type DESC (folders first), <column> <dir>, id <dir>: a range query
 * per type section on the (parent_id, type, <column>) indexes — one query, or two when a page
 * crosses from folders to files — fetching page_size + 1 rows to know whether more exist.
 */
async function cursorPage(
  fm: FileManager, tx: Tx, nav: Navigator, r: Resolved, pageSize: number, column: OrderColumn, direction: 'asc' | 'desc', token: string | undefined,
) {
  const ctx = fm.ctx;
  const scope = nav.listScope(r);
  const context = `list|${scopeKey(scope)}|${column}|${direction}`;
  const secret = ctx.settings.get('secret_key');
  const cur = decodeOptionalPageToken(secret, token, context);
  const cmp = direction === 'asc' ? '>' : '<';
  let after: { type: number; id: number; key: string | number | undefined } | undefined;
  if (cur) {
    const lastId = ctx.hashids.decode(cur.id, HashType.File);
    if (lastId === undefined) throw new AppError(Code.ParamErr, 'Invalid page token');
    const key: string | number | undefined = column === 'name' ? cur.string : column === 'id' ? undefined : cur.int;
    if (column !== 'id' && key === undefined) throw new AppError(Code.ParamErr, 'Invalid page token');
    after = { type: cur.start_with_file ? FileType.File : FileType.Folder, id: lastId, key };
  }
  const rows: FileRow[] = [];
  for (const type of [FileType.Folder, FileType.File]) {
    const need = pageSize + 1 - rows.length;
    if (need <= 0) break;
    if (after && type > after.type) continue; // that section was finished on earlier pages
    let q = applyScope(tx.selectFrom('files').selectAll('files') as FilesQuery, scope).where('files.type', '=', type);
    if (after && type === after.type) {
      const { id, key } = after;
      q = column === 'id'
        ? q.where('files.id', cmp, id)
        // `col >= k AND (col > k OR id > i)` rather than `col > k OR (col = k AND id > i)`: the
        // leading bound lets every engine range-scan the index instead of filtering the folder.
        : q.where((eb) => eb.and([
          eb(`files.${column}`, `${cmp}=` as '>=' | '<=', key as never),
          eb.or([eb(`files.${column}`, cmp, key as never), eb('files.id', cmp, id)]),
        ]));
    }
    if (column !== 'id') q = q.orderBy(`files.${column}`, direction);
    rows.push(...(await q.orderBy('files.id', direction).limit(need).execute()));
  }
  const more = rows.length > pageSize;
  const pageRows = rows.slice(0, pageSize);
  const pagination: ListResponse['pagination'] = { page: 0, page_size: pageSize, is_cursor: true };
  if (more) pagination.next_token = encodePageToken(secret, cursorFor(fm, pageRows[pageRows.length - 1]!, column), context);
  return { rows: pageRows.map((file) => ({ file, uri: nav.childUri(r.uri, file) })), pagination };
}

/** Offset pagination (use_cursor_pagination = 0): same order, OFFSET page*size, with total_items. */
async function offsetPage(
  fm: FileManager, tx: Tx, nav: Navigator, r: Resolved, pageSize: number, column: OrderColumn, direction: 'asc' | 'desc', page: number,
) {
  if (!Number.isSafeInteger(page) || page < 0) throw new AppError(Code.ParamErr, 'Invalid page');
  const scope = nav.listScope(r);
  const total = await applyScope(tx.selectFrom('files').select(sql<number>`count(*)`.as('n')) as never, scope).executeTakeFirst() as { n: number } | undefined;
  let q = applyScope(tx.selectFrom('files').selectAll('files') as FilesQuery, scope).orderBy('files.type', 'desc');
  if (column !== 'id') q = q.orderBy(`files.${column}`, direction);
  const rows = await q.orderBy('files.id', direction).limit(pageSize).offset(page * pageSize).execute();
  const pagination: ListResponse['pagination'] = { page, page_size: pageSize };
  if (Number(total?.n ?? 0) > 0) pagination.total_items = Number(total!.n);
  return { rows: rows.map((file) => ({ file, uri: nav.childUri(r.uri, file) })), pagination };
}

/**
 * A search page. Folder scopes: the folders below the URI (bounded by
 * max_recursive_searched_folder) in chunks; the cursor holds the chunk (`level`) and last id.
 * Flat scopes (trash): one keyset query by id.
 */
async function searchPage(
  fm: FileManager, tx: Tx, nav: Navigator, r: Resolved, search: SearchQuery, rawQuery: string, pageSize: number,
  direction: 'asc' | 'desc', token: string | undefined,
) {
  const ctx = fm.ctx;
  const secret = ctx.settings.get('secret_key');
  const preds = searchPredicates(ctx.db.dialect, search);
  const limit = ctx.settings.int('max_recursive_searched_folder', 65535);
  const scope = await nav.searchScope(tx, r, limit);
  const context = `search|${r.file?.id ?? `v${nav.owner.row.id}`}|${direction}|${rawQuery}`;
  const cur = decodeOptionalPageToken(secret, token, context);
  let lastId = 0;
  if (cur) {
    const id = ctx.hashids.decode(cur.id, HashType.File);
    if (id === undefined) throw new AppError(Code.ParamErr, 'Invalid page token');
    lastId = id;
  }
  const found: { file: FileRow; uri: FileUri; level: number }[] = [];

  if (scope.kind === 'flat') {
    const cmp = direction === 'asc' ? '>' : '<';
    let q = applyScope(tx.selectFrom('files').selectAll('files') as FilesQuery, scope.scope);
    for (const p of preds) q = q.where(p);
    if (cur) q = q.where('files.id', cmp, lastId);
    const rows = await q.orderBy('files.id', direction).limit(pageSize + 1).execute();
    for (const file of rows) found.push({ file, uri: nav.childUri(r.uri, file), level: 0 });
  } else {
    const parts = chunks(scope.folders);
    const uriOf = new Map(scope.folders.map((f) => [f.id, f.uri]));
    for (let level = cur?.level ?? 0; level < parts.length && found.length <= pageSize; level++) {
      let q = tx.selectFrom('files').selectAll('files').where('files.parent_id', 'in', parts[level]!.map((f) => f.id)) as FilesQuery;
      for (const p of preds) q = q.where(p);
      if (cur && level === cur.level) q = q.where('files.id', '>', lastId);
      const rows = await q.orderBy('files.id', 'asc').limit(pageSize + 1 - found.length).execute();
      for (const file of rows) found.push({ file, uri: uriOf.get(file.parent_id!)!.join(file.name), level });
    }
  }
  const more = found.length > pageSize;
  const pageRows = found.slice(0, pageSize);
  const pagination: ListResponse['pagination'] = { page: 0, page_size: pageSize, is_cursor: true };
  if (more) {
    const last = pageRows[pageRows.length - 1]!;
    pagination.next_token = encodePageToken(secret, { id: ctx.hashids.encode(last.file.id, HashType.File), level: last.level }, context);
  }
  return { rows: pageRows, pagination, limitReached: scope.kind === 'folders' && scope.limitReached };
}

export { FileUri };
