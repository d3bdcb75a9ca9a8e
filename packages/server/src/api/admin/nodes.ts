import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { insertReturningId } from '../../db/insert.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { emitNodeChanged } from '../../services/node-events.ts';
import { typed } from '../typed.ts';
import { ADMIN, IdParams, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { nodeObject, policyObject, rowsByColumn, type NodeRow } from './objects.ts';

/** The node form; the dashboard sends the whole object back, extras are ignored. */
const NodeBody = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 0 })),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
  server: Type.Optional(Type.String({ maxLength: 4096 })),
  slave_key: Type.Optional(Type.String({ maxLength: 4096 })),
  capabilities: Type.Optional(Type.String({ maxLength: 1024, pattern: '^[A-Za-z0-9+/]*={0,2}$' })),
  weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
  settings: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
});
type NodeInput = Static<typeof NodeBody>;
const Wrapped = Type.Object({ node: NodeBody });

async function loadNode(ctx: Ctx, id: number): Promise<NodeRow> {
  const row = await ctx.db.kysely.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError(Code.NotFound, 'Node not found');
  return row;
}

/** Nodes with `edges.storage_policy`: the policies they serve. */
async function withEdges(ctx: Ctx, rows: NodeRow[]): Promise<Record<string, unknown>[]> {
  const policies = await rowsByColumn(ctx.db.kysely, 'storage_policies', 'node_id', rows.map((n) => Number(n.id)));
  return rows.map((n) => {
    const list = policies.get(Number(n.id)) ?? [];
    return nodeObject(n, list.length ? { storage_policy: list.map((p) => policyObject(p)) } : {});
  });
}

async function nodeResponse(ctx: Ctx, id: number) {
  return (await withEdges(ctx, [await loadNode(ctx, id)]))[0]!;
}

function columns(n: NodeInput) {
  return {
    name: n.name, status: n.status ?? 'active', server: n.server ?? '', slave_key: n.slave_key ?? '',
    capabilities: n.capabilities ?? '', weight: n.weight ?? 0, settings: JSON.stringify(n.settings ?? {}),
  } as const;
}

const auditDetail = (n: NodeInput) => ({ name: n.name, status: n.status, server: n.server, weight: n.weight });

/**
 * Nodes (contract 60 §5): list, get, create (always a slave), update, delete. `/admin/node/test`
 * and `/admin/node/test/downloader` belong to the remote-node and downloader modules. Changes are
 * announced through services/node-events.ts so a live node pool can refresh itself.
 */
export async function adminNodeRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/node', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'List nodes', description: 'Condition `node_status`; order_by `name`, `weight`, `updated_at`.', body: ListBody },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('nodes');
    const status = stringCondition(req.body, 'node_status');
    if (status !== undefined) q = q.where('status', '=', status as NodeRow['status']);
    const { rows, pagination } = await listPage<NodeRow>(req.body, q, ['name', 'weight', 'updated_at']);
    return ok({ nodes: await withEdges(ctx, rows), pagination });
  });

  r.get('/admin/node/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a node (with the storage policies it serves)', params: IdParams },
  }, async (req) => ok(await nodeResponse(ctx, parseId(req.params.id))));

  r.put('/admin/node', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Create a slave node', description: 'A non-zero `node.id` → 40001 `ID must be 0`.', body: Wrapped },
  }, async (req) => {
    if (req.body.node.id) throw new AppError(Code.ParamErr, 'ID must be 0');
    const now = ctx.now();
    const id = await insertReturningId(ctx.db, 'nodes', { ...columns(req.body.node), type: 'slave', created_at: now, updated_at: now });
    await recordAdminAction(ctx, req.user, 'node.create', `node:${id}`, auditDetail(req.body.node));
    emitNodeChanged(ctx, id);
    return ok(await nodeResponse(ctx, id));
  });

  r.put('/admin/node/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Update a node', description: 'The node type never changes.', params: IdParams, body: Wrapped },
  }, async (req) => {
    const id = parseId(req.params.id);
    await loadNode(ctx, id);
    await ctx.db.kysely.updateTable('nodes').set({ ...columns(req.body.node), updated_at: ctx.now() }).where('id', '=', id).execute();
    await recordAdminAction(ctx, req.user, 'node.update', `node:${id}`, auditDetail(req.body.node));
    emitNodeChanged(ctx, id);
    return ok(await nodeResponse(ctx, id));
  });

  r.delete('/admin/node/:id', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Delete a node',
      description: 'The master node → 40046; used by storage policies → 40086 (`msg` = their names).', params: IdParams,
    },
  }, async (req) => {
    const id = parseId(req.params.id);
    const node = await loadNode(ctx, id);
    if (node.type === 'master') throw new AppError(Code.InvalidActionOnSystemNode, 'The master node cannot be deleted');
    const used = await ctx.db.kysely.selectFrom('storage_policies').select('name').where('node_id', '=', id).orderBy('id').execute();
    if (used.length) throw new AppError(Code.NodeUsedByStoragePolicy, used.map((p) => p.name).join(', '));
    await ctx.db.kysely.deleteFrom('nodes').where('id', '=', id).execute();
    await recordAdminAction(ctx, req.user, 'node.delete', `node:${id}`, { name: node.name });
    emitNodeChanged(ctx, id);
    return ok();
  });
}
