import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import { Code, type User as WireUser } from '@cloudreve-ts/protocol';
import type { Database, SharesTable } from '../db/tables.ts';
import { AppError } from '../http/errors.ts';
import type { Ctx } from './context.ts';
import type { CurrentUser } from './users.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime } from '../util/time.ts';
import { parseJson } from '../util/json.ts';

export type ShareRow = Selectable<SharesTable>;

/** `shares.props` JSON. */
export interface ShareProps {
  share_view?: boolean;
  show_readme?: boolean;
  [k: string]: unknown;
}

/** The shared file as far as serialization needs it; undefined when the file row is gone. */
export interface ShareSource {
  name: string;
  /** 0 file, 1 folder. */
  type: number;
  parent_id: number | null;
  owner_id: number;
}

/** Share object of contract 40 §2 (owner-only and [WEB] fields optional). */
export interface WireShare {
  id: string;
  name?: string;
  remain_downloads?: number;
  visited: number;
  downloaded?: number;
  expires?: string;
  unlocked: boolean;
  source_type?: number;
  owner: WireUser;
  created_at: string;
  expired: boolean;
  url: string;
  is_private?: boolean;
  password?: string;
  share_view?: boolean;
  source_uri?: string;
  password_protected?: boolean;
  show_readme?: boolean;
}

export interface SerializeShareInput {
  share: ShareRow;
  source: ShareSource | undefined;
  /** The owner already serialized as a redacted user for this viewer. */
  owner: WireUser;
  ownerId: number;
  ownerActive: boolean;
}

export interface SerializeShareOptions {
  viewer: CurrentUser;
  /** The viewer may see the content: no password, right password, or owner. */
  unlocked: boolean;
  /** Site root URL without trailing slash (see siteBaseUrl). */
  baseUrl: string;
}

/**
 * A share is valid (contract 40 §1) when it has not expired or run out of downloads, its owner is
 * active, and its file still exists attached to a parent (not trashed, not a root) and is still
 * owned by the share owner.
 */
export function isShareValid(input: Pick<SerializeShareInput, 'share' | 'source' | 'ownerActive'>, nowMs: number): boolean {
  const { share, source } = input;
  if (share.expires !== null && share.expires <= nowMs) return false;
  if (share.remain_downloads !== null && share.remain_downloads <= 0) return false;
  if (!input.ownerActive) return false;
  if (!source || source.parent_id === null || source.owner_id !== share.owner_id) return false;
  return true;
}

/**
 * The site URL to build links with: the `siteURL` entry whose host matches the request Host,
 * else the first entry. Path components are dropped (links are built from the site root).
 */
export function siteBaseUrl(ctx: Ctx, requestHost?: string): string {
  const entries = ctx.settings.get('siteURL', 'http://localhost:5212').split(',').map((s) => s.trim()).filter(Boolean);
  const parsed = entries.flatMap((e) => {
    try {
      return [new URL(e)];
    } catch {
      return [];
    }
  });
  const match = requestHost ? parsed.find((u) => u.host.toLowerCase() === requestHost.toLowerCase()) : undefined;
  const chosen = match ?? parsed[0];
  return chosen ? chosen.origin : 'http://localhost:5212';
}

/** `<base>/s/<id>`, plus `/<password>` when the viewer may know the password. */
export function shareUrl(baseUrl: string, shareHashId: string, password: string | undefined): string {
  return `${baseUrl}/s/${shareHashId}${password ? `/${encodeURIComponent(password)}` : ''}`;
}

/**
 * Builds the wire Share. Counters and limits are shown only when unlocked; owner-only fields
 * (is_private, share_view) only to the owner. Unlike CE the URL embeds the password only when the
 * viewer has unlocked the share (contract 40 §1 recommendation).
 */
export function serializeShare(ctx: Ctx, input: SerializeShareInput, opts: SerializeShareOptions): WireShare {
  const { share, source } = input;
  const props = parseJson<ShareProps>(share.props, {});
  const id = ctx.hashids.encode(share.id, HashType.Share);
  const out: WireShare = {
    id,
    visited: share.views,
    unlocked: opts.unlocked,
    owner: input.owner,
    created_at: formatTime(share.created_at),
    expired: !isShareValid(input, ctx.now()),
    url: shareUrl(opts.baseUrl, id, opts.unlocked ? share.password : undefined),
  };
  if (source?.name) out.name = source.name;
  if (source) out.source_type = source.type;
  if (opts.unlocked) {
    if (share.remain_downloads !== null) out.remain_downloads = share.remain_downloads;
    if (share.downloads) out.downloaded = share.downloads;
    if (share.expires !== null) out.expires = formatTime(share.expires);
    if (share.password) out.password = share.password;
  }
  if (share.password) out.password_protected = true;
  if (!opts.viewer.anonymous && opts.viewer.row.id === input.ownerId) {
    if (share.password) out.is_private = true;
    if (props.share_view) out.share_view = true;
    if (props.show_readme) out.show_readme = true;
  }
  return out;
}

/** Cursor pagination of contract 00 §8. */
export interface CursorPagination {
  page: 0;
  page_size: number;
  next_token?: string;
  is_cursor: true;
}

export interface ShareListQuery {
  ownerId: number;
  /** Only shares without a password. */
  passwordlessOnly?: boolean;
  pageSize: number;
  /** `views`, `downloads`, `remain_downloads`; anything else orders by id (creation). */
  orderBy?: string;
  desc?: boolean;
  /** `next_page_token` from the previous page. */
  pageToken?: string;
}

export interface ShareListRow {
  share: ShareRow;
  source: ShareSource | undefined;
}

type SortColumn = 'views' | 'downloads' | 'remain_downloads';
const SORT_COLUMNS: readonly string[] = ['views', 'downloads', 'remain_downloads'];
/** Unlimited downloads (NULL) sort as the largest value, the same on every database. */
const UNLIMITED = 9007199254740991;

interface PageToken { id: string; int?: number }

function decodePageToken(ctx: Ctx, token: string, needsInt: boolean): { id: number; int?: number } {
  const bad = () => new AppError(Code.ParamErr, 'Invalid page token');
  let parsed: PageToken;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as PageToken;
  } catch {
    throw bad();
  }
  if (!parsed || typeof parsed !== 'object' || typeof parsed.id !== 'string') throw bad();
  const id = ctx.hashids.decode(parsed.id, HashType.Share);
  if (id === undefined) throw bad();
  if (needsInt && !Number.isSafeInteger(parsed.int)) throw bad();
  return { id, int: parsed.int };
}

const encodePageToken = (t: PageToken) => Buffer.from(JSON.stringify(t)).toString('base64');

/**
 * One page of a user's shares with their source files, keyset-paginated on (sort key, id):
 * fetches page_size + 1 rows to know whether a next page exists.
 */
export async function listShareRows(ctx: Ctx, q: ShareListQuery): Promise<{ rows: ShareListRow[]; pagination: CursorPagination }> {
  const column = SORT_COLUMNS.includes(q.orderBy ?? '') ? (q.orderBy as SortColumn) : undefined;
  const dir = q.desc ? 'desc' : 'asc';
  const cmp = q.desc ? '<' : '>';
  const cursor = q.pageToken ? decodePageToken(ctx, q.pageToken, column !== undefined) : undefined;

  let query = ctx.db.kysely
    .selectFrom('shares')
    .leftJoin('files', 'files.id', 'shares.file_id')
    .selectAll('shares')
    .select(['files.id as f_id', 'files.name as f_name', 'files.type as f_type', 'files.parent_id as f_parent', 'files.owner_id as f_owner'])
    .where('shares.owner_id', '=', q.ownerId);
  if (q.passwordlessOnly) query = query.where('shares.password', '=', '');

  const sortKey = (eb: ExpressionBuilder<Database, 'shares' | 'files'>) =>
    column === 'remain_downloads'
      ? eb.fn.coalesce('shares.remain_downloads', sql.lit(UNLIMITED))
      : eb.ref(`shares.${column ?? 'views'}` as 'shares.views');
  if (cursor) {
    query = query.where((eb) => {
      if (!column) return eb('shares.id', cmp, cursor.id);
      return eb.or([
        eb(sortKey(eb), cmp, cursor.int!),
        eb.and([eb(sortKey(eb), '=', cursor.int!), eb('shares.id', cmp, cursor.id)]),
      ]);
    });
  }
  if (column) query = query.orderBy((eb) => sortKey(eb), dir);
  query = query.orderBy('shares.id', dir).limit(q.pageSize + 1);

  const found = await query.execute();
  const more = found.length > q.pageSize;
  const page = more ? found.slice(0, q.pageSize) : found;
  const rows: ShareListRow[] = page.map((r) => {
    const { f_id, f_name, f_type, f_parent, f_owner, ...share } = r;
    const source = f_id === null || f_id === undefined
      ? undefined
      : { name: f_name!, type: Number(f_type), parent_id: f_parent === null ? null : Number(f_parent), owner_id: Number(f_owner) };
    return { share: share as ShareRow, source };
  });
  const pagination: CursorPagination = { page: 0, page_size: q.pageSize, is_cursor: true };
  const last = rows[rows.length - 1]?.share;
  if (more && last) {
    const token: PageToken = { id: ctx.hashids.encode(last.id, HashType.Share) };
    if (column === 'remain_downloads') token.int = last.remain_downloads ?? UNLIMITED;
    else if (column) token.int = last[column];
    pagination.next_token = encodePageToken(token);
  }
  return { rows, pagination };
}
