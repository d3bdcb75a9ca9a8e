import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { CurrentUser, GroupRow } from './users.ts';
import { loadGroup } from './users.ts';
import { ADMIN_GROUP_ID, ANONYMOUS_GROUP_ID } from './seed.ts';
import { recordAdminAction } from './admin-audit.ts';
import { AppError } from '../http/errors.ts';
import { insertReturningId } from '../db/insert.ts';
import { Boolset, GroupPermission } from '../util/boolset.ts';

/** Admin group management (contract 60 §5 Groups). */

export interface AdminGroupInput {
  name: string;
  max_storage?: number;
  speed_limit?: number;
  permissions?: string | null;
  settings?: Record<string, unknown> | null;
  edges?: { storage_policies?: { id?: number } | null } | null;
}

/** Groups 1–3 (Admin, User, Anonymous) are built in and cannot be deleted (40040). */
const SYSTEM_GROUP_MAX_ID = 3;

const groupNotFound = () => new AppError(Code.GroupNotFound, 'Group not found');

export async function adminLoadGroup(ctx: Ctx, id: number): Promise<GroupRow> {
  const g = await loadGroup(ctx, id);
  if (!g) throw groupNotFound();
  return g;
}

function checkPermissions(raw: string | null | undefined): Boolset {
  const s = raw ?? '';
  if (s !== '' && (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0 || s.length > 64)) throw new AppError(Code.ParamErr, 'Invalid permissions');
  return Boolset.decode(s);
}

async function validate(ctx: Ctx, input: AdminGroupInput) {
  const name = (input.name ?? '').trim();
  if (!name) throw new AppError(Code.ParamErr, 'Name cannot be empty');
  if ([...name].length > 255) throw new AppError(Code.ParamErr, 'Name too long');
  const maxStorage = input.max_storage ?? 0;
  const speedLimit = input.speed_limit ?? 0;
  if (!Number.isSafeInteger(maxStorage) || maxStorage < 0) throw new AppError(Code.ParamErr, 'Invalid max_storage');
  if (!Number.isSafeInteger(speedLimit) || speedLimit < 0) throw new AppError(Code.ParamErr, 'Invalid speed_limit');
  const policyId = input.edges?.storage_policies?.id;
  if (!policyId) throw new AppError(Code.ParamErr, 'Storage policy is required');
  const policy = await ctx.db.kysely.selectFrom('storage_policies').select('id').where('id', '=', policyId).executeTakeFirst();
  if (!policy) throw new AppError(Code.PolicyNotExist, 'Storage policy not exist');
  const settings = input.settings && typeof input.settings === 'object' && !Array.isArray(input.settings) ? input.settings : {};
  const text = JSON.stringify(settings);
  if (text.length > 65536) throw new AppError(Code.ParamErr, 'Settings too large');
  return { name, max_storage: maxStorage, speed_limit: speedLimit, storage_policy_id: policyId, settings: text, permissions: checkPermissions(input.permissions) };
}

/** PUT /admin/group. */
export async function adminCreateGroup(ctx: Ctx, actor: CurrentUser, input: AdminGroupInput): Promise<GroupRow> {
  const v = await validate(ctx, input);
  // Only the built-in anonymous group is anonymous.
  v.permissions.set(GroupPermission.IsAnonymous, false);
  const now = ctx.now();
  const id = await insertReturningId(ctx.db, 'groups', { ...v, permissions: v.permissions.encode(), created_at: now, updated_at: now });
  await recordAdminAction(ctx, actor, 'group.create', `group:${id}`, { name: v.name });
  return adminLoadGroup(ctx, id);
}

/** PUT /admin/group/:id. Group 1 must keep the admin bit (40001). */
export async function adminUpdateGroup(ctx: Ctx, actor: CurrentUser, id: number, input: AdminGroupInput): Promise<GroupRow> {
  const existing = await adminLoadGroup(ctx, id);
  const v = await validate(ctx, input);
  if (id === ADMIN_GROUP_ID && !v.permissions.has(GroupPermission.IsAdmin)) {
    throw new AppError(Code.ParamErr, 'The admin group must keep the administrator permission');
  }
  // The anonymous flag belongs to the anonymous group alone, and that group keeps it.
  v.permissions.set(GroupPermission.IsAnonymous, id === ANONYMOUS_GROUP_ID);
  if (id === ANONYMOUS_GROUP_ID) v.permissions.set(GroupPermission.IsAdmin, false);
  const patch = { ...v, permissions: v.permissions.encode(), updated_at: ctx.now() };
  await ctx.db.kysely.updateTable('groups').set(patch).where('id', '=', id).execute();
  const changed: Record<string, unknown> = {};
  for (const k of ['name', 'max_storage', 'speed_limit', 'storage_policy_id', 'permissions', 'settings'] as const) {
    if (String(patch[k]) !== String(existing[k])) changed[k] = { from: existing[k], to: patch[k] };
  }
  await recordAdminAction(ctx, actor, 'group.update', `group:${id}`, changed);
  return adminLoadGroup(ctx, id);
}

/** DELETE /admin/group/:id: built-in → 40040; still has users → 40041 with the count as msg. */
export async function adminDeleteGroup(ctx: Ctx, actor: CurrentUser, id: number): Promise<void> {
  if (id <= SYSTEM_GROUP_MAX_ID) throw new AppError(Code.InvalidActionOnSystemGroup, 'System groups cannot be deleted');
  const g = await adminLoadGroup(ctx, id);
  if (ctx.settings.int('default_group', 2) === id) throw new AppError(Code.InvalidActionOnSystemGroup, 'The default group of new users cannot be deleted');
  const n = Number((await ctx.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('group_id', '=', id).executeTakeFirst())?.n ?? 0);
  if (n > 0) throw new AppError(Code.GroupUsedByUser, String(n));
  await ctx.db.kysely.deleteFrom('groups').where('id', '=', id).execute();
  await recordAdminAction(ctx, actor, 'group.delete', `group:${id}`, { name: g.name });
}

export async function countGroupUsers(ctx: Ctx, id: number): Promise<number> {
  return Number((await ctx.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('group_id', '=', id).executeTakeFirst())?.n ?? 0);
}
