import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { CurrentUser, UserRow } from './users.ts';
import { findUserByEmail, loadGroup } from './users.ts';
import { createUser } from './accounts.ts';
import { hashPassword } from './password.ts';
import { ADMIN_GROUP_ID, ANONYMOUS_GROUP_ID } from './seed.ts';
import { recordAdminAction } from './admin-audit.ts';
import { AppError, batchError } from '../http/errors.ts';
import { inTx } from '../fs/db-errors.ts';
import { purgeRows } from '../fs/ops/delete.ts';
import { recalculate, type CalibrateResult } from '../fs/capacity.ts';
import { recycleEntities } from '../transfer/recycler.ts';

/** Admin user management (contract 60 §5 Users): create, update, batch delete, calibrate. */

export const USER_STATUSES = ['active', 'inactive', 'manual_banned', 'sys_banned'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** The first administrator: cannot be demoted, banned or deleted (40043). */
export const FIRST_ADMIN_ID = 1;

export interface AdminUserInput {
  email: string;
  nick: string;
  avatar?: string;
  status: string;
  group_users: number;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;
const userNotFound = () => new AppError(Code.UserNotFound, 'User not found');

function checkStatus(s: string): UserStatus {
  if (!(USER_STATUSES as readonly string[]).includes(s)) throw new AppError(Code.ParamErr, 'Invalid user status');
  return s as UserStatus;
}

function checkPassword(p: string): string {
  if (p.length > 128) throw new AppError(Code.ParamErr, 'Password too long');
  return p;
}

function checkNick(n: string): string {
  const nick = n.trim();
  if (!nick) throw new AppError(Code.ParamErr, 'Nickname cannot be empty');
  if ([...nick].length > 255) throw new AppError(Code.ParamErr, 'Nickname too long');
  return nick;
}

function checkEmail(e: string): string {
  const email = e.trim().toLowerCase();
  if (!EMAIL_RE.test(email) || email.length > 255) throw new AppError(Code.ParamErr, 'Email format error');
  return email;
}

/** The group a user may be put in: it exists and is not the anonymous group. */
async function checkGroup(ctx: Ctx, id: number): Promise<void> {
  if (id === ANONYMOUS_GROUP_ID) throw new AppError(Code.ParamErr, 'Users cannot be placed in the anonymous group');
  if (!(await loadGroup(ctx, id))) throw new AppError(Code.GroupNotFound, 'Group not found');
}

export async function adminLoadUser(ctx: Ctx, id: number): Promise<UserRow> {
  const row = await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw userNotFound();
  return row;
}

/** PUT /admin/user: `password` is required (40001 when empty). */
export async function adminCreateUser(ctx: Ctx, actor: CurrentUser, input: AdminUserInput, password: string): Promise<UserRow> {
  if (!password) throw new AppError(Code.ParamErr, 'Password cannot be empty');
  checkPassword(password);
  const status = checkStatus(input.status || 'active');
  await checkGroup(ctx, input.group_users);
  const row = await createUser(ctx, { email: checkEmail(input.email), password, nick: checkNick(input.nick || input.email.split('@')[0]!), status, groupId: input.group_users });
  if (input.avatar !== undefined && input.avatar !== row.avatar) {
    await ctx.db.kysely.updateTable('users').set({ avatar: input.avatar.slice(0, 255) }).where('id', '=', row.id).execute();
  }
  await recordAdminAction(ctx, actor, 'user.create', `user:${row.id}`, { email: row.email, group: input.group_users, status });
  return adminLoadUser(ctx, row.id);
}

/**
 * PUT /admin/user/:id. The first admin keeps the admin group and the active status (40043);
 * a non-empty `password` sets a new hash (old refresh tokens die with the state hash); a
 * non-empty `twoFa` clears the user's 2FA.
 */
export async function adminUpdateUser(ctx: Ctx, actor: CurrentUser, id: number, input: AdminUserInput, password?: string, twoFa?: string): Promise<UserRow> {
  const existing = await adminLoadUser(ctx, id);
  const status = checkStatus(input.status);
  const groupId = input.group_users;
  if (id === FIRST_ADMIN_ID && existing.group_id === ADMIN_GROUP_ID && (groupId !== ADMIN_GROUP_ID || status !== 'active')) {
    throw new AppError(Code.InvalidActionOnDefaultUser, 'Cannot change the group or status of the initial administrator');
  }
  if (groupId !== existing.group_id) await checkGroup(ctx, groupId);
  const email = checkEmail(input.email);
  if (email !== existing.email) {
    const other = await findUserByEmail(ctx, email);
    if (other && other.id !== id) throw new AppError(Code.EmailExisted, 'Email already in use');
  }
  const patch: Partial<UserRow> = { email, nick: checkNick(input.nick), status, group_id: groupId, updated_at: ctx.now() };
  if (input.avatar !== undefined) patch.avatar = input.avatar.slice(0, 255);
  if (password) patch.password = await hashPassword(checkPassword(password));
  if (twoFa) patch.two_factor_secret = null;
  await ctx.db.kysely.updateTable('users').set(patch).where('id', '=', id).execute();
  const changed: Record<string, unknown> = {};
  for (const k of ['email', 'nick', 'status', 'group_id', 'avatar'] as const) {
    if (patch[k] !== undefined && patch[k] !== existing[k]) changed[k] = { from: existing[k], to: patch[k] };
  }
  if (password) changed.password_changed = true;
  if (twoFa && existing.two_factor_secret) changed.two_fa_cleared = true;
  await recordAdminAction(ctx, actor, 'user.update', `user:${id}`, changed);
  return adminLoadUser(ctx, id);
}

/**
 * Deletes one user and everything they own: files (entity links released, blobs left at
 * reference 0 for the recycler), shares, direct links, DAV accounts, passkeys, OAuth links,
 * tasks and pending upload sessions without a placeholder.
 */
async function deleteOne(ctx: Ctx, id: number): Promise<void> {
  const k = ctx.db.kysely;
  // Files go in bounded batches, each its own transaction, so a huge account cannot hold one
  // giant transaction; the user row goes last, so an interrupted delete can simply be retried.
  for (;;) {
    const rows = await k.selectFrom('files').selectAll().where('owner_id', '=', id).orderBy('id').limit(500).execute();
    if (!rows.length) break;
    await inTx(ctx.db, (trx) => purgeRows(trx, rows));
  }
  await inTx(ctx.db, async (trx) => {
    await trx.deleteFrom('shares').where('owner_id', '=', id).execute();
    await trx.deleteFrom('dav_accounts').where('owner_id', '=', id).execute();
    await trx.deleteFrom('passkeys').where('user_id', '=', id).execute();
    await trx.deleteFrom('oauth_links').where('user_id', '=', id).execute();
    await trx.deleteFrom('tasks').where('owner_id', '=', id).execute();
    // Sessions with a placeholder entity are ended by the recycler once that entity is unreferenced.
    const bare = await trx.selectFrom('upload_sessions').select('id').where('owner_id', '=', id).where('entity_id', 'is', null).execute();
    if (bare.length) {
      const ids = bare.map((s) => s.id);
      await trx.deleteFrom('upload_chunks').where('session_id', 'in', ids).execute();
      await trx.deleteFrom('upload_sessions').where('id', 'in', ids).execute();
    }
    await trx.deleteFrom('users').where('id', '=', id).execute();
  });
}

/**
 * POST /admin/user/batch/delete: per-id failures (self or the first admin → 40043, unknown →
 * 40021) are aggregated into 40081 keyed by the id; the others are deleted. Blob recycling is
 * started at once rather than waiting for the recycler's next tick.
 */
export async function adminDeleteUsers(ctx: Ctx, actor: CurrentUser, ids: number[]): Promise<void> {
  const failures: Record<string, AppError> = {};
  let deleted = 0;
  for (const id of [...new Set(ids)]) {
    try {
      if (id === actor.row.id || id === FIRST_ADMIN_ID) throw new AppError(Code.InvalidActionOnDefaultUser, 'Cannot delete the initial administrator or yourself');
      const row = await adminLoadUser(ctx, id);
      await deleteOne(ctx, id);
      deleted++;
      await recordAdminAction(ctx, actor, 'user.delete', `user:${id}`, { email: row.email });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      failures[String(id)] = e;
    }
  }
  if (deleted) {
    void recycleEntities(ctx).catch((e: unknown) => ctx.log.warn('recycler after user delete failed', { error: String((e as Error)?.message ?? e) }));
  }
  if (Object.keys(failures).length) throw batchError(failures);
}

/** POST /admin/user/:id/calibrate: recomputes `storage` from the user's file blobs. */
export async function adminCalibrateUser(ctx: Ctx, actor: CurrentUser, id: number): Promise<CalibrateResult> {
  await adminLoadUser(ctx, id);
  const r = await recalculate(ctx, id);
  if (r.drift !== 0) await recordAdminAction(ctx, actor, 'user.calibrate', `user:${id}`, { before: r.before, after: r.after });
  return r;
}
