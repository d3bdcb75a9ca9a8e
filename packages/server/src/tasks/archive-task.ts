import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { loadUser, type CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { fileManager } from '../fs/core.ts';
import { collectArchiveEntries, streamZip } from '../transfer/archive.ts';
import { randomString } from '../util/random.ts';
import { registerTaskHandler } from './queue.ts';
import { settleSession, storeFile } from './store-file.ts';
import { CriticalTaskError, type RunningTask } from './types.ts';

export const CREATE_ARCHIVE = 'create_archive';

interface ArchiveState {
  user_id: number;
  src: string[];
  dst: string;
  failed: number;
  /** Upload session of the result while it is being stored (cleaned up on resume). */
  session_id?: string;
}

/** Temp folder for task scratch files (zips being built, archives being read). */
export function taskTempDir(ctx: Ctx): string {
  return path.join(ctx.cfg.dataDir, 'temp', 'tasks');
}

/**
 * Creates a scratch file path for a task run, first removing files an earlier run of the same task
 * left behind (a crashed holder; only the current lease holder gets here, so none is in use).
 */
export async function taskTempFile(ctx: Ctx, kind: string, taskId: number): Promise<string> {
  const dir = taskTempDir(ctx);
  await fs.promises.mkdir(dir, { recursive: true });
  const prefix = `${kind}-${taskId}-`;
  for (const name of await fs.promises.readdir(dir)) {
    if (name.startsWith(prefix)) await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
  return path.join(dir, `${prefix}${randomString(12)}.zip`);
}

/** Owner of a task, active; a deleted or banned owner ends the task. */
export async function taskUser(ctx: Ctx, id: number): Promise<CurrentUser> {
  const user = await loadUser(ctx, id, true);
  if (!user) throw new CriticalTaskError('Task owner is not available');
  return user;
}

const summary = (s: ArchiveState, phase: string) => ({ phase, props: { src_multiple: s.src, dst: s.dst, failed: s.failed } });

async function runCreateArchive(task: RunningTask<ArchiveState>) {
  const { ctx } = task;
  const s = task.state;
  const user = await taskUser(ctx, s.user_id);
  if (s.session_id) {
    // Interrupted while storing the result: drop the half-written upload (or finish a started
    // commit, so the restart below finds a settled destination) before starting over.
    await settleSession(ctx, s.session_id);
    s.session_id = undefined;
  }
  s.failed = 0;
  await task.checkpoint(s, summary(s, 'compress_files'));
  const entries = await collectArchiveEntries(ctx, user, s.src);
  const total = entries.reduce((n, e) => n + Number(e.entity?.size ?? 0), 0);
  const limit = Number(fileManager(ctx).groupSettings(user).compress_size ?? 0) || 0;
  if (limit > 0 && total > limit) throw new CriticalTaskError(`Total size of sources (${total} bytes) exceeds the group's compress size limit (${limit} bytes)`);

  const tmp = await taskTempFile(ctx, 'archive', task.id);
  try {
    let read = 0;
    let failed = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        read += chunk.length;
        task.progress('archive_size', { total, current: Math.min(read, total), identifier: '' });
        cb(null, chunk);
      },
    });
    task.progress('archive_count', { total: entries.length, current: 0, identifier: '' });
    const zip = streamZip(ctx, entries, task.signal, { compress: true, onSkip: () => { failed++; } });
    await pipeline(zip, counter, fs.createWriteStream(tmp), { signal: task.signal });
    task.progress('archive_count', { total: entries.length, current: entries.length, identifier: '' });
    s.failed = failed;
    await task.checkpoint(s, summary(s, 'upload_archive'));

    const size = (await fs.promises.stat(tmp)).size;
    task.progress('upload', { total: size, current: 0, identifier: s.dst });
    const store = (asVersion: boolean) => storeFile(ctx, user, s.dst, size, () => fs.createReadStream(tmp), {
      asVersion,
      reserve: async (id) => { s.session_id = id; await task.checkpoint(s); },
    });
    try {
      await store(false);
    } catch (e) {
      // The destination appeared meanwhile: the zip becomes its new version (contract 50 §1.4).
      if (!(e instanceof AppError && e.code === Code.ObjectExist)) throw e;
      await store(true);
    }
    task.progress('upload', { total: size, current: size, identifier: s.dst });
    s.session_id = undefined;
    await task.checkpoint(s, summary(s, 'upload_archive'));
    return { status: 'completed' as const };
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

registerTaskHandler({ type: CREATE_ARCHIVE, queue: 'io_intense', run: runCreateArchive });
