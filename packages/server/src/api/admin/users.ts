import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import type { GroupRow, UserRow } from '../../services/users.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { adminCalibrateUser, adminCreateUser, adminDeleteUsers, adminLoadUser, adminUpdateUser } from '../../services/admin-users.ts';
import { typed } from '../typed.ts';
import { ADMIN, BatchIdsBody, IdParams, intCondition, likeLower, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { adminUser, type PasskeyRow } from './user-objects.ts';

const UserObject = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 0 })),
  email: Type.String({ maxLength: 1024 }),
  nick: Type.Optional(Type.String({ maxLength: 1024 })),
  avatar: Type.Optional(Type.String({ maxLength: 1024 })),
  status: Type.Optional(Type.String({ maxLength: 32 })),
  group_users: Type.Integer({ minimum: 1 }),
});
const UserBody = Type.Object({
  user: UserObject,
  password: Type.Optional(Type.String({ maxLength: 4096 })),
  two_fa: Type.Optional(Type.String({ maxLength: 4096 })),
});

/** Admin users (contract 60 §5 Users). */
export async function adminUserRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const k = () => ctx.db.kysely;

  const groupsById = async (ids: number[]): Promise<Map<number, GroupRow>> => {
    const unique = [...new Set(ids)];
    const rows = unique.length ? await k().selectFrom('groups').selectAll().where('id', 'in', unique).execute() : [];
    return new Map(rows.map((g) => [Number(g.id), g]));
  };
  const passkeysOf = async (ids: number[]): Promise<Map<number, PasskeyRow[]>> => {
    const out = new Map<number, PasskeyRow[]>();
    if (!ids.length) return out;
    const rows = await k().selectFrom('passkeys').select(['id', 'created_at', 'name', 'credential_id', 'used_at', 'user_id']).where('user_id', 'in', ids).orderBy('id').execute();
    for (const p of rows) out.set(Number(p.user_id), [...(out.get(Number(p.user_id)) ?? []), p]);
    return out;
  };
  /** GET/create/update answer: the user with group, passkeys and capacity. */
  const full = async (row: UserRow) => {
    const [groups, passkeys] = await Promise.all([groupsById([row.group_id]), passkeysOf([row.id])]);
    return adminUser(ctx, row, { group: groups.get(Number(row.group_id)), passkeys: passkeys.get(Number(row.id)), capacity: true });
  };

  r.post('/admin/user', {
    config: ADMIN,
    schema: {
      tags: ['admin'],
      summary: 'List users (AdminListService; conditions user_status, user_group, user_nick, user_email; order_by nick, storage, email, updated_at)',
      body: ListBody,
    },
  }, async (req) => {
    const status = stringCondition(req.body, 'user_status');
    const group = intCondition(req.body, 'user_group');
    const nick = stringCondition(req.body, 'user_nick');
    const email = stringCondition(req.body, 'user_email');
    let q = k().selectFrom('users');
    if (status !== undefined) q = q.where('status', '=', status as UserRow['status']);
    if (group !== undefined) q = q.where('group_id', '=', group);
    if (nick !== undefined) q = q.where(likeLower('nick', nick));
    if (email !== undefined) q = q.where(likeLower('email', email));
    const { rows, pagination } = await listPage<UserRow>(req.body, q, ['nick', 'storage', 'email', 'updated_at', 'created_at']);
    const [groups, passkeys] = await Promise.all([groupsById(rows.map((u) => Number(u.group_id))), passkeysOf(rows.map((u) => Number(u.id)))]);
    const users = rows.map((u) => adminUser(ctx, u, { group: groups.get(Number(u.group_id)), passkeys: passkeys.get(Number(u.id)) }));
    return ok({ users, pagination });
  });

  r.get('/admin/user/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a user with group, passkeys and capacity', params: IdParams },
  }, async (req) => ok(await full(await adminLoadUser(ctx, parseId(req.params.id)))));

  r.put('/admin/user', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Create a user (password required)', body: UserBody },
  }, async (req) => {
    const u = req.body.user;
    if (u.id) throw new AppError(Code.ParamErr, 'ID must be 0');
    const row = await adminCreateUser(ctx, req.user, { email: u.email, nick: u.nick ?? '', avatar: u.avatar, status: u.status ?? 'active', group_users: u.group_users }, req.body.password ?? '');
    return ok(await full(row));
  });

  r.put('/admin/user/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Update a user (group, status, nick, e-mail; optional new password; two_fa clears 2FA)', params: IdParams, body: UserBody },
  }, async (req) => {
    const id = parseId(req.params.id);
    const u = req.body.user;
    if (!u.id) throw new AppError(Code.ParamErr, 'ID is required');
    if (u.id !== id) throw new AppError(Code.ParamErr, 'ID mismatch');
    const row = await adminUpdateUser(ctx, req.user, id,
      { email: u.email, nick: u.nick ?? '', avatar: u.avatar, status: u.status ?? 'active', group_users: u.group_users },
      req.body.password, req.body.two_fa);
    return ok(await full(row));
  });

  r.post('/admin/user/batch/delete', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Delete users with their files, shares, DAV accounts, passkeys and tasks', body: BatchIdsBody },
  }, async (req) => {
    await adminDeleteUsers(ctx, req.user, req.body.ids);
    return ok();
  });

  r.post('/admin/user/:id/calibrate', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: "Recompute a user's used storage from their file blobs", params: IdParams },
  }, async (req) => {
    const id = parseId(req.params.id);
    await adminCalibrateUser(ctx, req.user, id);
    return ok(await full(await adminLoadUser(ctx, id)));
  });
}
