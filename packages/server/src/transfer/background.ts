import type { Ctx } from '../services/context.ts';
import { drainEntities } from './recycler.ts';
import { sweepUploads } from './sweeper.ts';
import { runThumbnailTasks } from './thumb-worker.ts';

export interface Background {
  /** Runs the thumbnail queue soon (after a commit) instead of waiting for the next tick. */
  kickThumbnails(): void;
  /** Runs every job once now and waits for it (tests, admin). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

interface Job { name: string; everyMs: number; run(): Promise<unknown> }

/**
 * Transfer background jobs with the server's lifecycle: the upload sweeper (first run at startup:
 * finishes interrupted commits, expires sessions), the entity blob recycler and the thumbnail
 * queue. Each job never overlaps itself; `stop` waits for running jobs.
 */
const registry = new WeakMap<Ctx, Background>();

/** Nudges the thumbnail queue of this context's background, if it runs. */
export function kickThumbnails(ctx: Ctx): void {
  registry.get(ctx)?.kickThumbnails();
}

export function startTransferBackground(ctx: Ctx): Background {
  const seconds = (name: string, def: number) => Math.max(1, ctx.settings.int(name, def)) * 1000;
  const jobs: Job[] = [
    { name: 'upload sweeper', everyMs: seconds('upload_sweep_interval', 60), run: () => sweepUploads(ctx) },
    { name: 'entity recycler', everyMs: seconds('entity_recycle_interval', 30), run: () => drainEntities(ctx) },
    { name: 'thumbnail queue', everyMs: seconds('thumb_queue_interval', 5), run: () => runThumbnailTasks(ctx) },
  ];
  const running = new Map<Job, Promise<void>>();
  const timers = new Map<Job, NodeJS.Timeout>();
  let stopped = false;

  const runJob = (job: Job): Promise<void> => {
    const current = running.get(job);
    if (current) return current;
    const p = job.run()
      .then(() => undefined, (e: unknown) => ctx.log.warn(`${job.name} failed`, { error: String((e as Error)?.message ?? e) }))
      .finally(() => {
        running.delete(job);
        schedule(job, job.everyMs);
      });
    running.set(job, p);
    return p;
  };
  const schedule = (job: Job, ms: number) => {
    if (stopped) return;
    clearTimeout(timers.get(job));
    const t = setTimeout(() => void runJob(job), ms);
    t.unref();
    timers.set(job, t);
  };
  for (const job of jobs) schedule(job, job.name === 'upload sweeper' ? 0 : job.everyMs);

  const bg: Background = {
    kickThumbnails() {
      const job = jobs[2]!;
      if (!running.has(job)) schedule(job, 50);
    },
    async runOnce() {
      for (const job of jobs) {
        await running.get(job);
        await runJob(job);
      }
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await Promise.all([...running.values()]);
      registry.delete(ctx);
    },
  };
  registry.set(ctx, bg);
  return bg;
}
