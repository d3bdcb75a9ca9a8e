import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { sql } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { insertReturningId } from '../../db/insert.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { clearEntityUrlCache } from '../../transfer/download-url.ts';
import { typed } from '../typed.ts';
import { ADMIN, IdParams, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { groupObject, nodeObject, policyObject, rowsById, rowsByColumn, type PolicyRow } from './objects.ts';

/** Storage policy types the dashboard offers (contract 60 §4); only `local` has a driver here. */
export const POLICY_TYPES = ['local', 'remote', 'oss', 'qiniu', 'onedrive', 'cos', 'upyun', 's3', 'ks3', 'obs', 'load_balance'] as const;

/**
 * A new local policy's blobs land in `<data dir>/uploads/{uid}/{path}` (contract 60 §5). The local
 * driver resolves keys under `<data dir>/uploads`, so the stored rule is that path relative to it.
 */
export const LOCAL_DIR_RULE = '{uid}/{path}';

/** The policy form; the dashboard sends the whole object back (edges, counts …), extras are ignored. */
export const PolicyBody = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 0 })),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  type: Type.String({ minLength: 1, maxLength: 32 }),
  server: Type.Optional(Type.String({ maxLength: 4096 })),
  bucket_name: Type.Optional(Type.String({ maxLength: 4096 })),
  is_private: Type.Optional(Type.Boolean()),
  access_key: Type.Optional(Type.String({ maxLength: 65536 })),
  secret_key: Type.Optional(Type.String({ maxLength: 65536 })),
  max_size: Type.Optional(Type.Integer({ minimum: 0 })),
  dir_name_rule: Type.Optional(Type.String({ maxLength: 4096 })),
  file_name_rule: Type.Optional(Type.String({ maxLength: 4096 })),
  settings: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  node_id: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
});
export type PolicyInput = Static<typeof PolicyBody>;
const Wrapped = Type.Object({ policy: PolicyBody });

async function loadPolicyRow(ctx: Ctx, id: number): Promise<PolicyRow> {
  const row = await ctx.db.kysely.selectFrom('storage_policies').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError(Code.PolicyNotExist, 'Storage policy not exist');
  return row;
}

/** Policies with their edges: the groups using them and the node serving them. */
async function withEdges(ctx: Ctx, rows: PolicyRow[]): Promise<Record<string, unknown>[]> {
  const db = ctx.db.kysely;
  const groups = await rowsByColumn(db, 'groups', 'storage_policy_id', rows.map((p) => Number(p.id)));
  const nodes = await rowsById(db, 'nodes', rows.map((p) => p.node_id));
  return rows.map((p) => {
    const edges: Record<string, unknown> = {};
    const g = groups.get(Number(p.id)) ?? [];
    if (g.length) edges.groups = g.map((x) => groupObject(x));
    const n = p.node_id ? nodes.get(Number(p.node_id)) : undefined;
    if (n) edges.node = nodeObject(n);
    return policyObject(p, edges);
  });
}

async function policyResponse(ctx: Ctx, id: number, countEntity: boolean): Promise<Record<string, unknown>> {
  const [out] = await withEdges(ctx, [await loadPolicyRow(ctx, id)]);
  if (countEntity) {
    const c = await ctx.db.kysely.selectFrom('entities').where('storage_policy_id', '=', id)
      .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(size), 0)`.as('bytes')]).executeTakeFirst();
    if (Number(c?.n ?? 0)) out!.entities_count = Number(c!.n);
    if (Number(c?.bytes ?? 0)) out!.entities_size = Number(c!.bytes);
  }
  return out!;
}

/** Validated column values of a policy form (40001 for an unknown type or node). */
export async function columns(ctx: Ctx, p: PolicyInput) {
  if (!(POLICY_TYPES as readonly string[]).includes(p.type)) throw new AppError(Code.ParamErr, `Unknown storage policy type "${p.type}"`);
  const nodeId = p.node_id ? p.node_id : null;
  if (nodeId !== null) {
    const n = await ctx.db.kysely.selectFrom('nodes').select('id').where('id', '=', nodeId).executeTakeFirst();
    if (!n) throw new AppError(Code.ParamErr, `Node ${nodeId} does not exist`);
  }
  return {
    name: p.name, type: p.type, server: p.server ?? '', bucket_name: p.bucket_name ?? '', is_private: p.is_private ? 1 : 0,
    access_key: p.access_key ?? '', secret_key: p.secret_key ?? '', max_size: p.max_size ?? 0,
    dir_name_rule: p.dir_name_rule ?? '', file_name_rule: p.file_name_rule ?? '',
    settings: JSON.stringify(p.settings ?? {}), node_id: nodeId,
  };
}

/** What the audit log keeps of a policy form (secrets are redacted by the audit service). */
const auditDetail = (p: PolicyInput) => ({ name: p.name, type: p.type, server: p.server, bucket_name: p.bucket_name, node_id: p.node_id, max_size: p.max_size });

/** Storage policies (contract 60 §5): list, get with blob counts, create, update, delete (test and CORS: policy-tools.ts). */
export async function adminPolicyRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/policy', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'List storage policies', description: 'Condition `policy_type`; order_by `updated_at`.', body: ListBody },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('storage_policies');
    const type = stringCondition(req.body, 'policy_type');
    if (type !== undefined) q = q.where('type', '=', type);
    const { rows, pagination } = await listPage<PolicyRow>(req.body, q, ['updated_at', 'name', 'type', 'created_at']);
    return ok({ policies: await withEdges(ctx, rows), pagination });
  });

  r.get('/admin/policy/:id', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Get a storage policy', description: 'With `countEntity`, adds `entities_count`/`entities_size` of its blobs. Missing → 40035.',
      params: IdParams, querystring: Type.Object({ countEntity: Type.Optional(Type.String({ maxLength: 8 })) }),
    },
  }, async (req) => ok(await policyResponse(ctx, parseId(req.params.id), !!req.query.countEntity)));

  r.put('/admin/policy', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Create a storage policy', description: 'Any `id` is ignored; `local` policies get the data-dir upload rule.', body: Wrapped },
  }, async (req) => {
    const values = await columns(ctx, req.body.policy);
    if (values.type === 'local') values.dir_name_rule = LOCAL_DIR_RULE;
    const now = ctx.now();
    const id = await insertReturningId(ctx.db, 'storage_policies', { ...values, created_at: now, updated_at: now });
    await recordAdminAction(ctx, req.user, 'policy.create', `policy:${id}`, auditDetail(req.body.policy));
    return ok(await policyResponse(ctx, id, false));
  });

  r.put('/admin/policy/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Update a storage policy', description: 'The id comes from the path. Clears cached entity URLs.', params: IdParams, body: Wrapped },
  }, async (req) => {
    const id = parseId(req.params.id);
    const before = await loadPolicyRow(ctx, id);
    const values = await columns(ctx, req.body.policy);
    // The row's updated_at keys the driver cache (storage/policies.ts), so it must move forward.
    const now = Math.max(ctx.now(), Number(before.updated_at) + 1);
    await ctx.db.kysely.updateTable('storage_policies').set({ ...values, updated_at: now }).where('id', '=', id).execute();
    await clearEntityUrlCache(ctx);
    await recordAdminAction(ctx, req.user, 'policy.update', `policy:${id}`, auditDetail(req.body.policy));
    return ok(await policyResponse(ctx, id, false));
  });

  r.delete('/admin/policy/:id', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Delete a storage policy',
      description: 'Policy 1 → 40036; missing → 40035; used by groups → 40038 (`msg` = how many); has blobs → 40037.',
      params: IdParams,
    },
  }, async (req) => {
    const id = parseId(req.params.id);
    if (id === 1) throw new AppError(Code.DeleteDefaultPolicy, 'The default storage policy cannot be deleted');
    const policy = await loadPolicyRow(ctx, id);
    const db = ctx.db.kysely;
    const groups = await db.selectFrom('groups').select(sql<number>`count(*)`.as('n')).where('storage_policy_id', '=', id).executeTakeFirst();
    if (Number(groups?.n ?? 0) > 0) throw new AppError(Code.PolicyUsedByGroups, String(Number(groups!.n)));
    const blob = await db.selectFrom('entities').select('id').where('storage_policy_id', '=', id).limit(1).executeTakeFirst();
    if (blob) throw new AppError(Code.PolicyUsedByFiles, 'The storage policy still stores blobs');
    await db.updateTable('files').set({ storage_policy_id: null }).where('storage_policy_id', '=', id).execute();
    await db.deleteFrom('storage_policies').where('id', '=', id).execute();
    await recordAdminAction(ctx, req.user, 'policy.delete', `policy:${id}`, { name: policy.name, type: policy.type });
    return ok();
  });
}
