import type { Ctx } from '../services/context.ts';

/** Task statuses on the wire and in `tasks.status` (contract 50 §1.1). */
export const TaskStatus = {
  Queued: 'queued', Processing: 'processing', Suspending: 'suspending',
  Error: 'error', Canceled: 'canceled', Completed: 'completed',
} as const;
export type TaskStatusValue = (typeof TaskStatus)[keyof typeof TaskStatus];

export interface TaskSummary { phase: string; props: Record<string, unknown> }

/** `tasks.public_state`: what the owner may see. */
export interface PublicState {
  error?: string;
  error_history?: string[];
  executed_duration?: number;
  retry_count?: number;
  resume_time?: number;
  summary?: TaskSummary;
}

export interface Progress { total: number; current: number; identifier: string }

/** What a handler sees of the task it runs. */
export interface RunningTask<S = Record<string, unknown>> {
  readonly ctx: Ctx;
  readonly id: number;
  readonly ownerId: number | null;
  /** The private state as last checkpointed (a resumed task starts from here). */
  state: S;
  /** Aborted when the lease is lost or the server stops: stop work promptly. */
  readonly signal: AbortSignal;
  /** Persists the private state (and optionally the summary) so a retry resumes from here. */
  checkpoint(state: S, summary?: TaskSummary): Promise<void>;
  progress(key: string, p: Progress): void;
}

/** Returned by a handler: done, or suspend and run again after `resumeAfterMs` (polling phases). */
export type StepResult = { status: 'completed' } | { status: 'canceled' } | { status: 'suspending'; resumeAfterMs: number };

export interface TaskHandler<S = any> {
  type: string;
  /** Queue name: concurrency and retry settings are `queue_<queue>_*`. */
  queue: string;
  run(task: RunningTask<S>): Promise<StepResult>;
  /** Called once when the task reached completed/error/canceled (release external resources). */
  finalize?(ctx: Ctx, state: S, status: 'completed' | 'error' | 'canceled'): Promise<void>;
}

/** A failure that retrying cannot fix (limits, bad input): the task goes straight to `error`. */
export class CriticalTaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CriticalTaskError';
  }
}

/** Abort reason for a task canceled by its owner: the run ends as `canceled`, not `error`. */
export class TaskCanceledError extends Error {
  constructor(message = 'Task canceled') {
    super(message);
    this.name = 'TaskCanceledError';
  }
}
