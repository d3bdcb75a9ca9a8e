import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { HashType } from '../../util/hashid.ts';
import { typed } from '../typed.ts';
import { ADMIN, intCondition, ListBody, listPage, serializeEntity, stringCondition } from './common.ts';
import type { AdminAuditLogsTable } from '../../db/tables.ts';
import type { Selectable } from 'kysely';

type AuditRow = Selectable<AdminAuditLogsTable>;

/**
 * `POST /admin/audit` (our design): the admin audit log as an AdminListService. Conditions
 * `audit_actor` (user id), `audit_action` (exact, or a prefix ending in `.`, e.g. `user.`),
 * `audit_target` (exact, e.g. `user:5`); order_by `created_at`, `action`.
 */
export async function adminAuditRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.post('/admin/audit', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'List the admin audit log (who changed what, when)', body: ListBody },
  }, async (req) => {
    const actor = intCondition(req.body, 'audit_actor');
    const action = stringCondition(req.body, 'audit_action');
    const target = stringCondition(req.body, 'audit_target');
    let q = ctx.db.kysely.selectFrom('admin_audit_logs');
    if (actor !== undefined) q = q.where('actor_id', '=', actor);
    if (action !== undefined) {
      q = action.endsWith('.') ? q.where('action', 'like', `${action.replace(/[!%_]/g, '!$&')}%`) : q.where('action', '=', action);
    }
    if (target !== undefined) q = q.where('target', '=', target);
    const { rows, pagination } = await listPage<AuditRow>(req.body, q, ['created_at', 'action']);
    const actorIds = [...new Set(rows.map((x) => Number(x.actor_id)))];
    const users = actorIds.length
      ? await ctx.db.kysely.selectFrom('users').select(['id', 'email', 'nick']).where('id', 'in', actorIds).execute()
      : [];
    const byId = new Map(users.map((u) => [Number(u.id), u]));
    const logs = rows.map((row) => {
      const u = byId.get(Number(row.actor_id));
      const out = serializeEntity({ ...row }, { json: ['detail'], keep: ['detail'] }, u ? { user: { id: Number(u.id), email: u.email, nick: u.nick } } : {});
      out.user_hash_id = ctx.hashids.encode(Number(row.actor_id), HashType.User);
      return out;
    });
    return ok({ logs, pagination });
  });
}
