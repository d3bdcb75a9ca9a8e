import type { Selectable } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { DavAccountsTable } from '../db/tables.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError } from '../http/errors.ts';
import { FileUri } from '../fs/uri.ts';
import { decodeOptionalPageToken, encodePageToken } from '../fs/pagination.ts';
import { Boolset, GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { randomString, safeEqual } from '../util/random.ts';
import { formatTime } from '../util/time.ts';
import type { Ctx } from './context.ts';
import { findUserByEmail, loadUser, type CurrentUser } from './users.ts';

/** WebDAV accounts (contract 60 §1): a label, a root URI, a generated secret and option bits. */

export type DavAccountRow = Selectable<DavAccountsTable>;

/** Option bits of `dav_accounts.options` (contract 00 §7). */
export const DavOption = { ReadOnly: 0, Proxy: 1, DisableSysFiles: 2 } as const;

export interface DavAccountInput {
  uri: string;
  name: string;
  readonly?: boolean;
  proxy?: boolean;
  disable_sys_files?: boolean;
}

export interface WireDavAccount {
  id: string;
  created_at: string;
  name: string;
  uri: string;
  password: string;
  options: string;
}

const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_CONTEXT = 'dav_accounts';

const notEnabled = () => new AppError(Code.GroupNotAllowed, 'WebDAV is not enabled for this user group');
const notExist = () => new AppError(Code.NotFound, 'Account not exist');

export function serializeDavAccount(ctx: Ctx, row: DavAccountRow): WireDavAccount {
  return {
    id: ctx.hashids.encode(row.id, HashType.DavAccount),
    created_at: formatTime(row.created_at),
    name: row.name,
    uri: row.uri,
    password: row.password,
    options: row.options,
  };
}

/** 40007 unless the user's group has the WebDAV permission (bit 3). */
export function assertDavAllowed(user: CurrentUser): void {
  if (user.anonymous || !user.permissions.has(GroupPermission.WebDAV)) throw notEnabled();
}

/**
 * The account root must be a `my` URI of the user's own tree or a `share` URI, without a search
 * query (40001 `Invalid URI` otherwise). Returned in canonical form.
 */
function validateRoot(ctx: Ctx, user: CurrentUser, raw: string): string {
  const uri = FileUri.tryParse(raw);
  if (!uri || uri.rawQuery || (uri.fs !== 'my' && uri.fs !== 'share')) throw new AppError(Code.ParamErr, 'Invalid URI');
  if (uri.fs === 'my' && uri.fsId !== undefined && ctx.hashids.decode(uri.fsId, HashType.User) !== user.row.id) {
    throw new AppError(Code.ParamErr, 'Invalid URI');
  }
  if (uri.fs === 'share' && (!uri.fsId || ctx.hashids.decode(uri.fsId, HashType.Share) === undefined)) throw new AppError(Code.ParamErr, 'Invalid URI');
  return uri.toString();
}

function optionsOf(user: CurrentUser, input: DavAccountInput): string {
  const set = new Boolset();
  if (input.readonly) set.set(DavOption.ReadOnly, true);
  // Proxying downloads is a group privilege: silently dropped without it (contract 60 §1).
  if (input.proxy && user.permissions.has(GroupPermission.WebDAVProxy)) set.set(DavOption.Proxy, true);
  if (input.disable_sys_files) set.set(DavOption.DisableSysFiles, true);
  return set.encode();
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new AppError(Code.ParamErr, 'Name cannot be empty');
  if ([...name].length > 255) throw new AppError(Code.ParamErr, 'Name too long');
  return name;
}

/** Cursor page of the user's accounts, newest first (contract 60 §1, conventions §8). */
export async function listDavAccounts(ctx: Ctx, user: CurrentUser, pageSize: number, pageToken?: string) {
  const secret = ctx.settings.get('secret_key');
  const cursor = decodeOptionalPageToken(secret, pageToken, TOKEN_CONTEXT);
  let after: number | undefined;
  if (cursor) {
    after = ctx.hashids.decode(cursor.id, HashType.DavAccount);
    if (after === undefined) throw new AppError(Code.ParamErr, 'Invalid page token');
  }
  let q = ctx.db.kysely.selectFrom('dav_accounts').selectAll().where('owner_id', '=', user.row.id);
  if (after !== undefined) q = q.where('id', '<', after);
  const rows = await q.orderBy('id', 'desc').limit(pageSize + 1).execute();
  const page = rows.slice(0, pageSize);
  const pagination: { page: 0; page_size: number; next_token?: string; is_cursor: true } = { page: 0, page_size: pageSize, is_cursor: true };
  if (rows.length > pageSize) {
    pagination.next_token = encodePageToken(secret, { id: ctx.hashids.encode(page[page.length - 1]!.id, HashType.DavAccount) }, TOKEN_CONTEXT);
  }
  return { accounts: page.map((r) => serializeDavAccount(ctx, r)), pagination };
}

export async function createDavAccount(ctx: Ctx, user: CurrentUser, input: DavAccountInput): Promise<WireDavAccount> {
  assertDavAllowed(user);
  const uri = validateRoot(ctx, user, input.uri);
  const now = ctx.now();
  const row = {
    owner_id: user.row.id, name: checkName(input.name), uri, password: randomString(32, SECRET_ALPHABET),
    options: optionsOf(user, input), props: '{}', created_at: now, updated_at: now,
  };
  const id = await insertReturningId(ctx.db, 'dav_accounts', row);
  return serializeDavAccount(ctx, { id, ...row });
}

async function ownedAccount(ctx: Ctx, user: CurrentUser, hash: string): Promise<DavAccountRow> {
  const id = ctx.hashids.decode(hash, HashType.DavAccount);
  if (id === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  const row = await ctx.db.kysely.selectFrom('dav_accounts').selectAll().where('id', '=', id).where('owner_id', '=', user.row.id).executeTakeFirst();
  if (!row) throw notExist();
  return row;
}

/** Replaces name, root and the whole option set; the secret never changes. */
export async function updateDavAccount(ctx: Ctx, user: CurrentUser, hash: string, input: DavAccountInput): Promise<WireDavAccount> {
  const existing = await ownedAccount(ctx, user, hash);
  assertDavAllowed(user);
  const patch = { name: checkName(input.name), uri: validateRoot(ctx, user, input.uri), options: optionsOf(user, input), updated_at: ctx.now() };
  await ctx.db.kysely.updateTable('dav_accounts').set(patch).where('id', '=', existing.id).execute();
  return serializeDavAccount(ctx, { ...existing, ...patch });
}

export async function deleteDavAccount(ctx: Ctx, user: CurrentUser, hash: string): Promise<void> {
  const existing = await ownedAccount(ctx, user, hash);
  await ctx.db.kysely.deleteFrom('dav_accounts').where('id', '=', existing.id).execute();
}

export interface DavLogin {
  user: CurrentUser;
  account: DavAccountRow;
}

/**
 * Basic-auth check of the WebDAV server: e-mail (case-insensitive) of an active user plus the
 * secret of one of their accounts, compared in constant time; the first matching account (lowest
 * id) wins. undefined when nothing matches — the caller does not learn which part was wrong.
 */
export async function findDavLogin(ctx: Ctx, email: string, secret: string): Promise<DavLogin | undefined> {
  if (!email || !secret || email.length > 255 || secret.length > 255) return undefined;
  const row = await findUserByEmail(ctx, email);
  if (!row || row.status !== 'active') return undefined;
  const accounts = await ctx.db.kysely.selectFrom('dav_accounts').selectAll().where('owner_id', '=', row.id).orderBy('id').execute();
  let match: DavAccountRow | undefined;
  for (const a of accounts) if (safeEqual(a.password, secret) && !match) match = a;
  if (!match) return undefined;
  const user = await loadUser(ctx, row.id, true);
  return user ? { user, account: match } : undefined;
}
