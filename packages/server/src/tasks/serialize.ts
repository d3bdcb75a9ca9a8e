import type { Selectable } from 'kysely';
import type { Ctx } from '../services/context.ts';
import type { TasksTable } from '../db/tables.ts';
import { HashType } from '../util/hashid.ts';
import { omitEmpty, parseJson } from '../util/json.ts';
import { formatTime } from '../util/time.ts';
import type { PublicState } from './types.ts';

export type TaskRow = Selectable<TasksTable>;

export interface WireNode { id: string; name: string; type: string; capabilities: string }

/** TaskResponse (contract 50 §1.1); every task runs on the master node here. */
export function serializeTask(ctx: Ctx, row: TaskRow, node?: WireNode): Record<string, unknown> {
  const pub = parseJson<PublicState>(row.public_state, {});
  return {
    created_at: formatTime(Number(row.created_at)),
    updated_at: formatTime(Number(row.updated_at)),
    id: ctx.hashids.encode(Number(row.id), HashType.Task),
    status: row.status,
    type: row.type,
    ...omitEmpty({
      node,
      summary: pub.summary,
      error: pub.error,
      error_history: pub.error_history,
      duration: pub.executed_duration,
      resume_time: pub.resume_time,
      retry_count: pub.retry_count,
    }),
  };
}

/** The master node as a TaskResponse `node` (looked up once per request). */
export async function masterNode(ctx: Ctx): Promise<WireNode | undefined> {
  const n = await ctx.db.kysely.selectFrom('nodes').select(['id', 'name', 'type', 'capabilities']).where('type', '=', 'master').executeTakeFirst();
  return n && { id: ctx.hashids.encode(Number(n.id), HashType.Node), name: n.name, type: n.type, capabilities: n.capabilities };
}
