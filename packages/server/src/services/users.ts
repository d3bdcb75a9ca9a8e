import { sql, type Selectable } from 'kysely';
import type { User as WireUser, Group as WireGroup } from '@cloudreve-ts/protocol';
import type { GroupsTable, UsersTable } from '../db/tables.ts';
import type { Ctx } from './context.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime, ZERO_TIME } from '../util/time.ts';
import { parseJson } from '../util/json.ts';
import { Boolset, GroupPermission } from '../util/boolset.ts';
import { ANONYMOUS_GROUP_ID } from './seed.ts';

export type UserRow = Selectable<UsersTable>;
export type GroupRow = Selectable<GroupsTable>;

export interface GroupSettings {
  source_batch?: number;
  aria2_batch?: number;
  max_walked_files?: number;
  trash_retention?: number;
  redirected_source?: boolean;
  [k: string]: unknown;
}

export interface UserSettings {
  language?: string;
  preferred_theme?: string;
  version_retention?: boolean;
  version_retention_ext?: string[];
  version_retention_max?: number;
  disable_view_sync?: boolean;
  share_links_in_profile?: string;
  pined?: { uri: string; name?: string }[];
  [k: string]: unknown;
}

/** A loaded user with their group; the anonymous user has id 0. */
export interface CurrentUser {
  row: UserRow;
  group: GroupRow;
  settings: UserSettings;
  permissions: Boolset;
  anonymous: boolean;
  /** The HTTP client's address when the user came with a request (rate limits of anonymous callers). */
  clientIp?: string;
}

export const newUserSettings = (language?: string): UserSettings => ({
  version_retention: true,
  version_retention_max: 10,
  ...(language ? { language } : {}),
});

export function isAdmin(u: CurrentUser): boolean {
  return !u.anonymous && u.permissions.has(GroupPermission.IsAdmin);
}

export async function loadGroup(ctx: Ctx, id: number): Promise<GroupRow | undefined> {
  return ctx.db.kysely.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
}

export function toCurrentUser(row: UserRow, group: GroupRow): CurrentUser {
  return { row, group, settings: parseJson<UserSettings>(row.settings, {}), permissions: Boolset.decode(group.permissions), anonymous: row.id === 0 };
}

/** Loads a user and their group; `activeOnly` refuses non-active accounts. */
export async function loadUser(ctx: Ctx, id: number, activeOnly = false): Promise<CurrentUser | undefined> {
  let q = ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', id);
  if (activeOnly) q = q.where('status', '=', 'active');
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  const group = await loadGroup(ctx, row.group_id);
  if (!group) return undefined;
  return toCurrentUser(row, group);
}

export async function findUserByEmail(ctx: Ctx, email: string): Promise<UserRow | undefined> {
  return ctx.db.kysely.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function anonymousUser(ctx: Ctx): Promise<CurrentUser> {
  const group = (await loadGroup(ctx, ANONYMOUS_GROUP_ID))!;
  const row: UserRow = {
    id: 0, email: '', nick: '', password: '', status: 'active', storage: 0, group_id: ANONYMOUS_GROUP_ID,
    two_factor_secret: null, avatar: '', settings: '{}', credit: 0, created_at: 0, updated_at: 0,
  };
  return toCurrentUser(row, group);
}

export function serializeGroup(ctx: Ctx, g: GroupRow, full: boolean): WireGroup {
  const s = parseJson<GroupSettings>(g.settings, {});
  const out: WireGroup = { id: ctx.hashids.encode(g.id, HashType.Group), name: g.name };
  if (full) {
    if (g.permissions) out.permission = g.permissions;
    if (s.source_batch) out.direct_link_batch_size = s.source_batch;
    if (s.trash_retention) out.trash_retention = s.trash_retention;
  }
  return out;
}

/** User (full), contract 10 §2.1. */
export function serializeUser(ctx: Ctx, u: CurrentUser): WireUser {
  const r = u.row;
  if (u.anonymous) {
    return { id: ctx.hashids.encode(0, HashType.User), nickname: '', created_at: ZERO_TIME, anonymous: true, group: serializeGroup(ctx, u.group, true) };
  }
  const out: WireUser = {
    id: ctx.hashids.encode(r.id, HashType.User),
    email: r.email,
    nickname: r.nick,
    status: r.status,
    created_at: formatTime(r.created_at),
    group: serializeGroup(ctx, u.group, true),
  };
  if (r.avatar) out.avatar = r.avatar;
  if (u.settings.preferred_theme) out.preferred_theme = u.settings.preferred_theme;
  if (u.settings.pined?.length) out.pined = u.settings.pined;
  if (u.settings.language) out.language = u.settings.language;
  if (u.settings.disable_view_sync) out.disable_view_sync = true;
  out.share_links_in_profile = u.settings.share_links_in_profile ?? '';
  return out;
}

/** User (redacted), contract 10 §2.1b. */
export function serializeRedactedUser(ctx: Ctx, row: UserRow, group: GroupRow | undefined, viewer: CurrentUser | undefined): WireUser {
  const settings = parseJson<UserSettings>(row.settings, {});
  const out: WireUser = { id: ctx.hashids.encode(row.id, HashType.User), nickname: row.nick, created_at: formatTime(row.created_at) };
  if (row.avatar) out.avatar = row.avatar;
  if (group) out.group = serializeGroup(ctx, group, false);
  const exposeEmail = ctx.settings.get('expose_user_email', '1') !== '0' || (viewer && isAdmin(viewer));
  if (viewer && !viewer.anonymous && exposeEmail && row.email) out.email = row.email;
  out.share_links_in_profile = settings.share_links_in_profile ?? '';
  return out;
}

/**
 * Active users whose e-mail or nickname contains `keyword` (case-insensitive; SQLite folds ASCII
 * only), at most `limit`, by id.
 */
export async function searchActiveUsers(ctx: Ctx, keyword: string, limit = 10): Promise<UserRow[]> {
  const pattern = `%${keyword.toLowerCase().replace(/[!%_]/g, '!$&')}%`;
  return ctx.db.kysely
    .selectFrom('users')
    .selectAll()
    .where('status', '=', 'active')
    .where((eb) => eb.or([
      sql<boolean>`lower(${eb.ref('email')}) like ${pattern} escape '!'`,
      sql<boolean>`lower(${eb.ref('nick')}) like ${pattern} escape '!'`,
    ]))
    .orderBy('id')
    .limit(limit)
    .execute();
}
