import type { ExpressionBuilder } from 'kysely';
import type { Ctx } from '../services/context.ts';
import type { Database } from '../db/tables.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError } from '../http/errors.ts';
import { parseJson } from '../util/json.ts';
import type { TaskRow } from './serialize.ts';
import { CriticalTaskError, TaskCanceledError, TaskStatus, type Progress, type PublicState, type RunningTask, type StepResult, type TaskHandler, type TaskSummary } from './types.ts';

/** Task types this process can run, registered by the task modules. */
const handlers = new Map<string, TaskHandler>();

export function registerTaskHandler(h: TaskHandler): void {
  handlers.set(h.type, h);
}

export interface NewTask {
  type: string;
  ownerId: number;
  state: Record<string, unknown>;
  summary?: TaskSummary;
}

/** Persists a queued task; any running queue of this database may pick it up (this one soon when `kick`). */
export async function enqueueTask(ctx: Ctx, t: NewTask): Promise<TaskRow> {
  const now = ctx.now();
  const pub: PublicState = t.summary ? { summary: t.summary } : {};
  const values = {
    type: t.type, status: TaskStatus.Queued, public_state: JSON.stringify(pub), private_state: JSON.stringify(t.state),
    correlation_id: null, owner_id: t.ownerId, node_id: null, attempts: 0, lease_until: null, run_after: now,
    created_at: now, updated_at: now,
  };
  const id = await insertReturningId(ctx.db, 'tasks', values);
  queues.get(ctx)?.kick();
  // The row as inserted: a worker may already have claimed it by the time the caller replies.
  return { ...values, id };
}

/** A row may be claimed when it is due, or when its holder's lease ran out (crashed or stuck). */
function claimable(now: number) {
  return (eb: ExpressionBuilder<Database, 'tasks'>) => eb.or([
    eb.and([
      eb('status', 'in', [TaskStatus.Queued, TaskStatus.Suspending]),
      eb.or([eb('run_after', 'is', null), eb('run_after', '<=', now)]),
    ]),
    eb.and([
      eb('status', '=', TaskStatus.Processing),
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]),
    ]),
  ]);
}

/** Signed URLs must not leak through error messages shown to users. */
export function redactError(msg: string): string {
  return msg.replace(/([?&]sign=)[^&\s"']*/g, '$1REDACTED');
}

class LeaseLost extends Error {}

interface Running { queue: string; abort: AbortController; done: Promise<void>; progress: Map<string, Progress>; ownerId: number | null }

const queues = new WeakMap<Ctx, TaskQueue>();

/** The running queue of this context (undefined before start / after stop). */
export function taskQueueOf(ctx: Ctx): TaskQueue | undefined {
  return queues.get(ctx);
}

/**
 * Durable, database-backed task queue (contract 50 §1.9). Workers claim rows with one conditional
 * UPDATE that also bumps `attempts`; the new `attempts` value is the holder's fencing token: every
 * later write (lease renewal, checkpoint, final status) requires it, so when a lease expired and
 * another instance took the row over, the old holder's writes match nothing and it stops. Leases
 * are renewed every third of their length. Per-queue concurrency, retries with backoff and the
 * execution limit come from the `queue_<name>_*` settings.
 */
export class TaskQueue {
  private readonly running = new Map<number, Running>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly ctx: Ctx) {}

  start(): this {
    queues.set(this.ctx, this);
    this.schedule(0);
    return this;
  }

  /** Looks for work soon (after an enqueue) instead of waiting for the next poll. */
  kick(): void {
    this.schedule(20);
  }

  /** In-memory progress of a task running in this process. */
  progressOf(id: number): { ownerId: number | null; progress: Record<string, Progress> } | undefined {
    const r = this.running.get(id);
    return r && { ownerId: r.ownerId, progress: Object.fromEntries(r.progress) };
  }

  /** Aborts a task running in this process as canceled; false when it does not run here. */
  cancel(id: number): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.abort.abort(new TaskCanceledError());
    return true;
  }

  /** Claims and runs due tasks once (tests, and the poll timer). */
  async tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.claimDue().finally(() => { this.ticking = undefined; });
    return this.ticking;
  }

  /** Waits until nothing runs in this process (tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Stops claiming, aborts running handlers and hands their rows back to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    for (const r of this.running.values()) r.abort.abort(new Error('server stopping'));
    await Promise.all([...this.running.values()].map((r) => r.done));
    if (queues.get(this.ctx) === this) queues.delete(this.ctx);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().catch((e: unknown) => this.ctx.log.warn('task queue poll failed', { error: String((e as Error)?.message ?? e) }))
        .finally(() => this.schedule(Math.max(50, this.ctx.settings.int('task_poll_interval', 1000))));
    }, ms);
    this.timer.unref();
  }

  private setting(queue: string, name: string, def: number): number {
    return this.ctx.settings.int(`queue_${queue}_${name}`, def);
  }

  private leaseMs(): number {
    return Math.max(1, this.ctx.settings.int('task_lease_seconds', 60)) * 1000;
  }

  private async claimDue(): Promise<void> {
    const byQueue = new Map<string, string[]>();
    for (const h of handlers.values()) byQueue.set(h.queue, [...(byQueue.get(h.queue) ?? []), h.type]);
    for (const [queue, types] of byQueue) {
      if (this.stopped) return;
      const busy = [...this.running.values()].filter((r) => r.queue === queue).length;
      const free = Math.max(1, this.setting(queue, 'worker_num', 15)) - busy;
      if (free <= 0) continue;
      const now = this.ctx.now();
      const candidates = await this.ctx.db.kysely.selectFrom('tasks').select(['id', 'attempts'])
        .where('type', 'in', types).where(claimable(now)).orderBy('id').limit(free).execute();
      for (const c of candidates) {
        if (this.stopped || this.running.has(Number(c.id))) continue;
        const token = Number(c.attempts) + 1;
        const res = await this.ctx.db.kysely.updateTable('tasks')
          .set({ status: TaskStatus.Processing, attempts: token, lease_until: now + this.leaseMs(), updated_at: now })
          .where('id', '=', c.id).where('attempts', '=', c.attempts).where(claimable(now)).executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) continue; // another worker won the row
        this.launch(queue, Number(c.id), token);
      }
    }
  }

  private launch(queue: string, id: number, token: number): void {
    const abort = new AbortController();
    const entry: Running = { queue, abort, progress: new Map(), ownerId: null, done: Promise.resolve() };
    this.running.set(id, entry);
    entry.done = this.execute(id, token, entry)
      .catch((e: unknown) => this.ctx.log.warn('task bookkeeping failed', { task: id, error: String((e as Error)?.message ?? e) }))
      .finally(() => {
        this.running.delete(id);
        this.kick();
      });
  }

  /** A write guarded by the fencing token; false when the lease is no longer ours. */
  private async fenced(id: number, token: number, values: Partial<Record<'status' | 'public_state' | 'private_state' | 'lease_until' | 'run_after', unknown>>): Promise<boolean> {
    const res = await this.ctx.db.kysely.updateTable('tasks').set({ ...values, updated_at: this.ctx.now() } as never)
      .where('id', '=', id).where('attempts', '=', token).where('status', '=', TaskStatus.Processing).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  private async execute(id: number, token: number, entry: Running): Promise<void> {
    const ctx = this.ctx;
    const row = await ctx.db.kysely.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    entry.ownerId = row.owner_id === null ? null : Number(row.owner_id);
    const handler = handlers.get(row.type)!;
    const pub = parseJson<PublicState>(row.public_state, {});
    const started = ctx.now();
    const leaseMs = this.leaseMs();
    const renew = setInterval(() => {
      void this.fenced(id, token, { lease_until: ctx.now() + leaseMs }).then((mine) => {
        if (!mine) entry.abort.abort(new LeaseLost('lease lost'));
      }, () => undefined);
    }, Math.max(200, Math.floor(leaseMs / 3)));
    const maxExec = Math.max(1, this.setting(entry.queue, 'max_execution', 86400)) * 1000;
    const limit = setTimeout(() => entry.abort.abort(new CriticalTaskError('Task exceeded the maximum execution time')), maxExec);
    renew.unref();
    limit.unref();

    const task: RunningTask = {
      ctx, id, ownerId: entry.ownerId, signal: entry.abort.signal,
      state: parseJson<Record<string, unknown>>(row.private_state, {}),
      checkpoint: async (state, summary) => {
        task.state = state;
        if (summary) pub.summary = summary;
        const mine = await this.fenced(id, token, { private_state: JSON.stringify(state), ...(summary ? { public_state: JSON.stringify(pub) } : {}) });
        if (!mine) {
          entry.abort.abort(new LeaseLost('lease lost'));
          throw new LeaseLost('lease lost');
        }
      },
      progress: (key, p) => { entry.progress.set(key, p); },
    };

    let result: StepResult | undefined;
    let failure: unknown;
    try {
      result = await handler.run(task);
      if (entry.abort.signal.aborted) throw entry.abort.signal.reason;
    } catch (e) {
      failure = entry.abort.signal.aborted ? entry.abort.signal.reason : e;
    } finally {
      clearInterval(renew);
      clearTimeout(limit);
    }
    if (failure instanceof LeaseLost) {
      ctx.log.warn('task lease lost; another worker owns it now', { task: id });
      return;
    }
    const now = ctx.now();
    pub.executed_duration = (pub.executed_duration ?? 0) + (now - started);
    const privateState = JSON.stringify(task.state);

    const final = async (status: 'completed' | 'error' | 'canceled') => {
      if (!handler.finalize) return;
      await handler.finalize(ctx, task.state, status).catch((e: unknown) => ctx.log.warn('task cleanup failed', { task: id, error: String((e as Error)?.message ?? e) }));
    };
    if (failure instanceof TaskCanceledError || (failure === undefined && result?.status === 'canceled')) {
      delete pub.resume_time;
      if (await this.fenced(id, token, { status: TaskStatus.Canceled, lease_until: null, public_state: JSON.stringify(pub), private_state: privateState })) await final('canceled');
      return;
    }
    if (this.stopped && failure !== undefined && !(failure instanceof CriticalTaskError)) {
      // Shutdown: hand the row back untouched so the next start (or another instance) resumes it.
      await this.fenced(id, token, { status: TaskStatus.Queued, lease_until: null, run_after: now, public_state: JSON.stringify(pub), private_state: privateState });
      return;
    }
    if (failure === undefined && result?.status === 'completed') {
      delete pub.resume_time;
      if (await this.fenced(id, token, { status: TaskStatus.Completed, lease_until: null, public_state: JSON.stringify(pub), private_state: privateState })) await final('completed');
      return;
    }
    if (failure === undefined && result?.status === 'suspending') {
      pub.resume_time = Math.floor((now + result.resumeAfterMs) / 1000);
      await this.fenced(id, token, { status: TaskStatus.Suspending, lease_until: null, run_after: now + result.resumeAfterMs, public_state: JSON.stringify(pub), private_state: privateState });
      return;
    }
    const message = redactError(String((failure as Error)?.message ?? failure));
    pub.error = message;
    const critical = failure instanceof CriticalTaskError || failure instanceof AppError;
    const retries = pub.retry_count ?? 0;
    if (!critical && retries < this.setting(entry.queue, 'max_retry', 5)) {
      pub.retry_count = retries + 1;
      pub.error_history = [...(pub.error_history ?? []), message];
      const delay = this.retryDelayMs(entry.queue, pub.retry_count);
      pub.resume_time = Math.floor((now + delay) / 1000);
      ctx.log.info('task failed, will retry', { task: id, retry: pub.retry_count, error: message });
      await this.fenced(id, token, { status: TaskStatus.Suspending, lease_until: null, run_after: now + delay, public_state: JSON.stringify(pub), private_state: privateState });
      return;
    }
    pub.error_history = [...(pub.error_history ?? []), message];
    delete pub.resume_time;
    ctx.log.info('task failed', { task: id, error: message });
    if (await this.fenced(id, token, { status: TaskStatus.Error, lease_until: null, public_state: JSON.stringify(pub), private_state: privateState })) await final('error');
  }

  /** `retry_delay` seconds, or 0 → exponential backoff (factor 4, at most an hour). */
  private retryDelayMs(queue: string, attempt: number): number {
    const fixed = this.setting(queue, 'retry_delay', 5);
    if (fixed > 0) return fixed * 1000;
    return Math.min(3600, 4 ** attempt) * 1000;
  }
}

/** Starts this context's task queue; returns it (stop with `stop()`). */
export function startTaskQueue(ctx: Ctx): TaskQueue {
  return new TaskQueue(ctx).start();
}
