import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { CREATE_ARCHIVE } from '../../tasks/archive-task.ts';
import { EXTRACT_ARCHIVE } from '../../tasks/extract-task.ts';
import { THUMB_TASK } from '../../transfer/thumb-queue.ts';
import { TaskStatus } from '../../tasks/types.ts';
import { parseTime } from '../../util/time.ts';
import { typed } from '../typed.ts';
import { ADMIN, BatchIdsBody, IdParams, intCondition, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { nodeObject, rowsById, taskObject, userObject, type TaskRow } from './objects.ts';

/** Task types per queue, in the order the dashboard shows the queues (contract 60 §5). */
export const QUEUE_TYPES: readonly (readonly [string, readonly string[]])[] = [
  ['media_meta', ['media_meta']],
  ['recycle', ['entity_recycle_routine', 'explicit_entity_recycle', 'upload_sentinel_check']],
  ['io_intense', [CREATE_ARCHIVE, EXTRACT_ARCHIVE, 'relocate', 'import']],
  ['remote_download', ['remote_download']],
  ['thumb', [THUMB_TASK]],
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function withEdges(ctx: Ctx, rows: TaskRow[]): Promise<Record<string, unknown>[]> {
  const db = ctx.db.kysely;
  const [users, nodes, master] = await Promise.all([
    rowsById(db, 'users', rows.map((t) => t.owner_id)),
    rowsById(db, 'nodes', rows.map((t) => t.node_id)),
    db.selectFrom('nodes').selectAll().where('type', '=', 'master').orderBy('id').executeTakeFirst(),
  ]);
  return rows.map((t) => {
    const u = t.owner_id !== null ? users.get(Number(t.owner_id)) : undefined;
    // Tasks without a node ran (or will run) on the master.
    const node = t.node_id !== null ? nodes.get(Number(t.node_id)) : master;
    return taskObject(ctx, t, u ? { user: userObject(ctx, u) } : {}, node ? nodeObject(node) : undefined);
  });
}

/** Per-queue counters since this process started, read from the task table (shared by every instance). */
async function queueMetrics(ctx: Ctx, since: number) {
  const db = ctx.db.kysely;
  const now = ctx.now();
  const rows = await db.selectFrom('tasks').select([
    'type',
    sql<number>`sum(case when status = ${TaskStatus.Processing} and lease_until >= ${now} then 1 else 0 end)`.as('busy'),
    sql<number>`sum(case when status = ${TaskStatus.Completed} and updated_at >= ${since} then 1 else 0 end)`.as('success'),
    sql<number>`sum(case when status = ${TaskStatus.Error} and updated_at >= ${since} then 1 else 0 end)`.as('failure'),
    sql<number>`sum(case when created_at >= ${since} then 1 else 0 end)`.as('submitted'),
    sql<number>`sum(case when status = ${TaskStatus.Suspending} then 1 else 0 end)`.as('suspending'),
  ]).groupBy('type').execute();
  const byType = new Map(rows.map((r) => [r.type, r]));
  return QUEUE_TYPES.map(([name, types]) => {
    const sum = (k: 'busy' | 'success' | 'failure' | 'submitted' | 'suspending') => types.reduce((s, t) => s + Number(byType.get(t)?.[k] ?? 0), 0);
    return {
      name, busy_workers: sum('busy'), success_tasks: sum('success'), failure_tasks: sum('failure'),
      submitted_tasks: sum('submitted'), suspending_tasks: sum('suspending'),
    };
  });
}

/** Tasks and queues (contract 60 §5): metrics, list, get, batch delete, cleanup. */
export async function adminQueueRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const startedAt = ctx.now();

  r.get('/admin/queue/metrics', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Queue metrics',
      description: 'Five QueueMetric objects: media_meta, recycle, io_intense, remote_download, thumb. Counters cover tasks finished/submitted since this process started; `busy_workers` counts tasks holding a live lease on any instance.',
    },
  }, async () => ok(await queueMetrics(ctx, startedAt)));

  r.post('/admin/queue', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'List tasks',
      description: 'Conditions `task_type`, `task_status`, `task_correlation_id` (UUID, else 40001), `task_user_id` (int); order_by `created_at`, `updated_at`, `type`, `status`.',
      body: ListBody,
    },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('tasks');
    const type = stringCondition(req.body, 'task_type');
    const status = stringCondition(req.body, 'task_status');
    const correlation = stringCondition(req.body, 'task_correlation_id');
    const user = intCondition(req.body, 'task_user_id');
    if (correlation !== undefined && !UUID.test(correlation)) throw new AppError(Code.ParamErr, 'Invalid task correlation ID');
    if (type !== undefined) q = q.where('type', '=', type);
    if (status !== undefined) q = q.where('status', '=', status);
    if (correlation !== undefined) q = q.where('correlation_id', '=', correlation.toLowerCase());
    if (user !== undefined) q = q.where('owner_id', '=', user);
    const { rows, pagination } = await listPage<TaskRow>(req.body, q, ['created_at', 'updated_at', 'type', 'status']);
    return ok({ tasks: await withEdges(ctx, rows), pagination });
  });

  r.get('/admin/queue/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a task with its state, summary and node', description: 'Missing → 404.', params: IdParams },
  }, async (req) => {
    const row = await ctx.db.kysely.selectFrom('tasks').selectAll().where('id', '=', parseId(req.params.id)).executeTakeFirst();
    if (!row) throw new AppError(Code.NotFound, 'Task not found');
    return ok((await withEdges(ctx, [row]))[0]);
  });

  r.post('/admin/queue/batch/delete', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Delete task records', description: 'Missing ids are ignored.', body: BatchIdsBody },
  }, async (req) => {
    await ctx.db.kysely.deleteFrom('tasks').where('id', 'in', [...new Set(req.body.ids)]).execute();
    await recordAdminAction(ctx, req.user, 'task.delete', 'task', { ids: req.body.ids });
    return ok();
  });

  r.post('/admin/queue/cleanup', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Delete task records created before a time',
      description: '`not_after` (RFC 3339, required; else 40001); `types` and `status` narrow the deletion when non-empty.',
      body: Type.Object({
        not_after: Type.String({ maxLength: 64 }),
        types: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }), Type.Null()])),
        status: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 }), Type.Null()])),
      }),
    },
  }, async (req) => {
    const before = parseTime(req.body.not_after);
    if (before === undefined) throw new AppError(Code.ParamErr, 'Invalid not_after');
    let q = ctx.db.kysely.deleteFrom('tasks').where('created_at', '<', before);
    if (req.body.types?.length) q = q.where('type', 'in', req.body.types);
    if (req.body.status?.length) q = q.where('status', 'in', req.body.status);
    const res = await q.executeTakeFirst();
    await recordAdminAction(ctx, req.user, 'task.cleanup', 'task', { not_after: req.body.not_after, types: req.body.types, status: req.body.status, deleted: Number(res.numDeletedRows) });
    return ok();
  });
}
