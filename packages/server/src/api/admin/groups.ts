import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../../services/context.ts';
import type { GroupRow } from '../../services/users.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { Code } from '@cloudreve-ts/protocol';
import { adminCreateGroup, adminDeleteGroup, adminLoadGroup, adminUpdateGroup, countGroupUsers } from '../../services/admin-groups.ts';
import { typed } from '../typed.ts';
import { ADMIN, IdParams, ListBody, listPage, parseId } from './common.ts';
import { adminGroup } from './user-objects.ts';

const GroupObject = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 0 })),
  name: Type.String({ maxLength: 1024 }),
  max_storage: Type.Optional(Type.Integer({ minimum: 0 })),
  speed_limit: Type.Optional(Type.Integer({ minimum: 0 })),
  permissions: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  settings: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  edges: Type.Optional(Type.Union([Type.Object({
    storage_policies: Type.Optional(Type.Union([Type.Object({ id: Type.Optional(Type.Integer({ minimum: 0 })) }), Type.Null()])),
  }), Type.Null()])),
});
const GroupBody = Type.Object({ group: GroupObject });

/** Admin groups (contract 60 §5 Groups). */
export async function adminGroupRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  const full = async (g: GroupRow, totalUsers = 0) => {
    const policy = await ctx.db.kysely.selectFrom('storage_policies').selectAll().where('id', '=', g.storage_policy_id).executeTakeFirst();
    return adminGroup(g, { policy: policy as Record<string, unknown> | undefined, totalUsers });
  };

  r.post('/admin/group', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'List groups (AdminListService; order_by name, max_storage)', body: ListBody },
  }, async (req) => {
    const { rows, pagination } = await listPage<GroupRow>(req.body, ctx.db.kysely.selectFrom('groups'), ['name', 'max_storage', 'created_at', 'updated_at']);
    const policyIds = [...new Set(rows.map((g) => Number(g.storage_policy_id)))];
    const policies = policyIds.length ? await ctx.db.kysely.selectFrom('storage_policies').selectAll().where('id', 'in', policyIds).execute() : [];
    const byId = new Map(policies.map((p) => [Number(p.id), p as Record<string, unknown>]));
    return ok({ groups: rows.map((g) => adminGroup(g, { policy: byId.get(Number(g.storage_policy_id)), totalUsers: 0 })), pagination });
  });

  r.get('/admin/group/:id', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Get a group (?countUser=true adds total_users)', params: IdParams,
      querystring: Type.Object({ countUser: Type.Optional(Type.String({ maxLength: 8 })) }),
    },
  }, async (req) => {
    const id = parseId(req.params.id);
    const g = await adminLoadGroup(ctx, id);
    const count = req.query.countUser === 'true' || req.query.countUser === '1';
    return ok(await full(g, count ? await countGroupUsers(ctx, id) : 0));
  });

  r.put('/admin/group', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Create a group', body: GroupBody },
  }, async (req) => {
    if (req.body.group.id) throw new AppError(Code.ParamErr, 'ID must be 0');
    return ok(await full(await adminCreateGroup(ctx, req.user, req.body.group)));
  });

  r.put('/admin/group/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Update a group', params: IdParams, body: GroupBody },
  }, async (req) => {
    const id = parseId(req.params.id);
    if (!req.body.group.id) throw new AppError(Code.ParamErr, 'ID is required');
    if (req.body.group.id !== id) throw new AppError(Code.ParamErr, 'ID mismatch');
    return ok(await full(await adminUpdateGroup(ctx, req.user, id, req.body.group)));
  });

  r.delete('/admin/group/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Delete a group (not built-in, no users)', params: IdParams },
  }, async (req) => {
    await adminDeleteGroup(ctx, req.user, parseId(req.params.id));
    return ok();
  });
}
