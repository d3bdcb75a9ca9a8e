import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { nameViolation, policyNameViolation } from '../fs/names.ts';
import { FileType } from '../fs/types.ts';
import { driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import {
  DownloadGone, DownloaderError, downloaderFor, downloaderOptions, nodeDownloaderSettings,
  type DownloadHandle, type DownloadStatus, type NodeDownloaderSettings,
} from '../downloader/index.ts';
import { checkDownloadSource } from '../downloader/source.ts';
import { taskUser } from './archive-task.ts';
import { registerTaskHandler } from './queue.ts';
import { discardSession, settleSession, storeFile } from './store-file.ts';
import { CriticalTaskError, type RunningTask, type StepResult, type TaskSummary } from './types.ts';

export const REMOTE_DOWNLOAD = 'remote_download';

export interface RemoteDownloadState {
  user_id: number;
  node_id: number;
  /** URL or magnet link ('' for a torrent file). */
  src_uri: string;
  /** cloudreve:// URI of a .torrent file ('' for URLs). */
  src_file_uri: string;
  dst: string;
  /** Job key in the downloader (aria2 gid seed / qBittorrent tag). */
  key: string;
  /** Folder the downloader writes into; removed when the task ends. */
  dir: string;
  phase: '' | 'monitor' | 'transfer' | 'seeding';
  handle?: DownloadHandle;
  /** The first job (aria2 magnet/torrent-URL jobs are followed by another one). */
  first_handle?: DownloadHandle;
  status?: DownloadStatus;
  get_task_status_tried: number;
  /** Downloader file indexes already stored in `dst`. */
  transferred: Record<string, true>;
  failed: number;
  /** Total size the selected files were last validated at. */
  validated_total?: number;
  /** Upload in flight during transfer (a resumed run checks whether it committed). */
  upload?: { index: number; session_id: string; uri: string; size: number; /** false until the session exists. */ created?: boolean };
}

const MAX_POLL_FAILURES = 5;
const MAX_TORRENT_BYTES = 10 * 1024 * 1024;

/** DownloadStatus as users see it: no local path, file list only for torrents. */
export function publicStatus(st: DownloadStatus | undefined): Record<string, unknown> | null {
  if (!st) return null;
  const { save_path: _p, followed_by: _f, files, ...rest } = st;
  return { ...rest, ...(st.hash && files ? { files } : {}) };
}

export function remoteDownloadSummary(s: RemoteDownloadState): TaskSummary {
  return { phase: s.phase, props: { src_str: s.src_uri, src: s.src_file_uri, dst: s.dst, failed: s.failed, download: publicStatus(s.status) } };
}

export async function nodeSettings(ctx: Ctx, nodeId: number): Promise<NodeDownloaderSettings> {
  const node = await ctx.db.kysely.selectFrom('nodes').select('settings').where('id', '=', nodeId).executeTakeFirst();
  if (!node) throw new CriticalTaskError('The node of this download no longer exists');
  return nodeDownloaderSettings(node.settings);
}

async function readTorrent(ctx: Ctx, user: CurrentUser, uri: string): Promise<Buffer> {
  const fm = fileManager(ctx);
  const src = await fm.get(user, uri, { caps: [Cap.DownloadFile] });
  if (Number(src.file.type) !== FileType.File || !src.file.primary_entity) throw new CriticalTaskError('Torrent source is not a file');
  if (Number(src.file.size) > MAX_TORRENT_BYTES) throw new CriticalTaskError('Torrent file is too large');
  const entity = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', Number(src.file.primary_entity)).executeTakeFirstOrThrow();
  const body = await driverFor(ctx, await loadPolicy(ctx, Number(entity.storage_policy_id))).get(entity.source);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > MAX_TORRENT_BYTES) throw new CriticalTaskError('Torrent file is too large');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** Path segments of a downloaded file, or undefined when the name could escape the job folder. */
function segmentsOf(name: string): string[] | undefined {
  const segs = name.split('/').filter((x) => x !== '');
  if (!segs.length || segs.some((x) => x === '.' || x === '..' || x.includes('\\'))) return undefined;
  return segs;
}

/** Fails the task up front when the selected files cannot be stored in dst (names, policy, size, quota). */
async function validateSelection(ctx: Ctx, user: CurrentUser, st: DownloadStatus): Promise<void> {
  const files = (st.files ?? []).filter((f) => f.selected);
  const policy = await loadPolicy(ctx, Number(user.group.storage_policy_id));
  const settings = policySettings(policy);
  let total = 0;
  for (const f of files) {
    const segs = segmentsOf(f.name);
    if (!segs) throw new CriticalTaskError(`Illegal file name in download: ${f.name}`);
    for (const seg of segs) {
      const bad = nameViolation(seg);
      if (bad) throw new CriticalTaskError(`${bad}: ${f.name}`);
    }
    const bad = policyNameViolation(segs[segs.length - 1]!, settings);
    if (bad) throw new CriticalTaskError(`${bad}: ${f.name}`);
    if (Number(policy.max_size) > 0 && f.size > Number(policy.max_size)) throw new CriticalTaskError(`File is too large: ${f.name}`);
    total += f.size;
  }
  const fresh = await ctx.db.kysely.selectFrom('users').select('storage').where('id', '=', user.row.id).executeTakeFirst();
  const free = Number(user.group.max_storage) - Number(fresh?.storage ?? user.row.storage);
  if (total > free) throw new CriticalTaskError(`Insufficient capacity: the selected files need ${total} bytes, ${Math.max(0, free)} bytes are free`);
}

/** Moves every selected, not yet stored file into dst through the upload pipeline. */
async function transfer(task: RunningTask<RemoteDownloadState>, user: CurrentUser): Promise<void> {
  const { ctx } = task;
  const s = task.state;
  const fm = fileManager(ctx);
  const dst = fm.parse(s.dst);
  const base = path.resolve(s.dir);
  const saveDir = path.resolve(s.status!.save_path || s.dir);
  if (saveDir !== base && !saveDir.startsWith(base + path.sep)) throw new CriticalTaskError('Downloaded files are outside the task folder');

  if (s.upload) {
    // Interrupted mid-upload: a committed session means that file is stored; otherwise drop it.
    ctx.log.warn('remote download: resuming after an interrupted upload', { task: task.id });
    await settleSession(ctx, s.upload.session_id);
    // (States saved before `created` existed were checkpointed after the session was created.)
    if (s.upload.created !== false) {
      const stored = await fm.get(user, s.upload.uri).catch(() => undefined);
      if (stored && Number(stored.file.size) === s.upload.size) s.transferred[String(s.upload.index)] = true;
    }
    s.upload = undefined;
    await task.checkpoint(s);
  }

  const files = (s.status!.files ?? []).filter((f) => f.selected).sort((a, b) => a.index - b.index);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  let doneBytes = files.filter((f) => s.transferred[String(f.index)]).reduce((n, f) => n + f.size, 0);
  let doneCount = files.filter((f) => s.transferred[String(f.index)]).length;
  const errors: string[] = [];
  task.progress('upload_count', { total: files.length, current: doneCount, identifier: '' });
  task.progress('upload', { total: totalBytes, current: doneBytes, identifier: '' });
  for (const f of files) {
    if (task.signal.aborted) throw task.signal.reason;
    if (s.transferred[String(f.index)]) continue;
    const segs = segmentsOf(f.name);
    const abs = segs && path.join(saveDir, ...segs);
    try {
      if (!abs || !abs.startsWith(base + path.sep)) throw new Error(`illegal file name ${f.name}`);
      const stat = await fs.promises.lstat(abs);
      if (!stat.isFile()) throw new Error(`${f.name} is not a regular file`);
      const uri = dst.join(...segs!).toString();
      task.progress('upload_single_0', { total: stat.size, current: 0, identifier: uri });
      await storeFile(ctx, user, uri, stat.size, () => fs.createReadStream(abs), {
        reserve: async (id) => { s.upload = { index: f.index, session_id: id, uri, size: stat.size, created: false }; await task.checkpoint(s); },
        onSession: async () => { s.upload!.created = true; await task.checkpoint(s); },
      });
      task.progress('upload_single_0', { total: stat.size, current: stat.size, identifier: uri });
      s.transferred[String(f.index)] = true;
      s.upload = undefined;
      doneBytes += f.size;
      doneCount++;
      s.failed = Math.max(0, errors.length);
      await task.checkpoint(s, remoteDownloadSummary(s));
    } catch (e) {
      if (task.signal.aborted) throw task.signal.reason;
      s.upload = undefined;
      errors.push(`${f.name}: ${(e as Error).message}`);
      ctx.log.info('remote download: file not stored', { task: task.id, file: f.name, error: (e as Error).message });
    }
    task.progress('upload_count', { total: files.length, current: doneCount, identifier: '' });
    task.progress('upload', { total: totalBytes, current: doneBytes, identifier: '' });
  }
  s.failed = errors.length;
  await task.checkpoint(s, remoteDownloadSummary(s));
  // The task errors and its retry transfers only the files still missing (contract 50 §1.6).
  if (errors.length) throw new Error(`${errors.length} file(s) could not be stored: ${errors.slice(0, 3).join('; ')}`);
}

async function runRemoteDownload(task: RunningTask<RemoteDownloadState>): Promise<StepResult> {
  const { ctx } = task;
  const s = task.state;
  const user = await taskUser(ctx, s.user_id);
  const settings = await nodeSettings(ctx, s.node_id);
  let dl;
  try {
    dl = downloaderFor(settings);
  } catch (e) {
    throw new CriticalTaskError((e as Error).message);
  }
  const interval = Math.max(1, Number(settings.interval) || 5) * 1000;
  const suspend = (ms = interval): StepResult => ({ status: 'suspending', resumeAfterMs: ms });

  if (s.phase === '') {
    const torrent = s.src_file_uri ? await readTorrent(ctx, user, s.src_file_uri) : undefined;
    const url = s.src_uri ? await checkDownloadSource(ctx, s.src_uri).catch((e: unknown) => {
      throw e instanceof AppError ? new CriticalTaskError(e.message) : e;
    }) : undefined;
    const fm = fileManager(ctx);
    const groupOptions = fm.groupSettings(user).remote_download_options;
    await fs.promises.mkdir(s.dir, { recursive: true });
    const handle = await dl.create({ key: s.key, dir: s.dir, url, torrent, options: downloaderOptions(settings, groupOptions) });
    s.handle = handle;
    s.first_handle = handle;
    s.phase = 'monitor';
    await task.checkpoint(s, remoteDownloadSummary(s));
  }

  if (s.phase === 'monitor') {
    let st: DownloadStatus;
    try {
      st = await dl.info(s.handle!);
      s.get_task_status_tried = 0;
    } catch (e) {
      if (e instanceof DownloadGone) return { status: 'canceled' };
      s.get_task_status_tried++;
      if (s.get_task_status_tried >= MAX_POLL_FAILURES) throw new CriticalTaskError(`Failed to get download status: ${(e as Error).message}`);
      await task.checkpoint(s);
      return suspend();
    }
    if (st.followed_by) {
      s.handle = st.followed_by;
      await task.checkpoint(s, remoteDownloadSummary(s));
      return suspend(200);
    }
    if (st.hash && s.handle && !s.handle.hash) s.handle = { ...s.handle, hash: st.hash };
    s.status = st;
    if (st.total > 0 && st.total !== s.validated_total) {
      await validateSelection(ctx, user, st);
      s.validated_total = st.total;
    }
    if (st.state === 'error') throw new CriticalTaskError(`Download failed: ${st.error_message ?? 'downloader reported an error'}`);
    if (st.state === 'unknown') throw new CriticalTaskError('Download is in an unknown state');
    if (st.state === 'downloading') {
      await task.checkpoint(s, remoteDownloadSummary(s));
      return suspend();
    }
    s.phase = 'transfer';
    await task.checkpoint(s, remoteDownloadSummary(s));
  }

  if (s.phase === 'transfer') {
    await transfer(task, user);
    if (settings.wait_for_seeding && s.status?.state === 'seeding') {
      s.phase = 'seeding';
      await task.checkpoint(s, remoteDownloadSummary(s));
      return suspend();
    }
    return { status: 'completed' };
  }

  // seeding: done once the downloader says so (or the job is gone).
  try {
    const st = await dl.info(s.handle!);
    s.status = st;
    await task.checkpoint(s, remoteDownloadSummary(s));
    if (st.state === 'seeding' || st.state === 'downloading') return suspend();
  } catch (e) {
    if (!(e instanceof DownloadGone)) throw e;
  }
  return { status: 'completed' };
}

/** Removes the downloader job(s) and the task's download folder. */
export async function cleanupRemoteDownload(ctx: Ctx, s: RemoteDownloadState): Promise<void> {
  try {
    const dl = downloaderFor(await nodeSettings(ctx, s.node_id));
    const handles = [s.handle, s.first_handle].filter((h): h is DownloadHandle => !!h);
    for (const h of handles) await dl.cancel(h).catch((e: unknown) => ctx.log.warn('remote download: downloader cleanup failed', { error: String((e as Error).message) }));
  } catch (e) {
    if (!(e instanceof DownloaderError) && !(e instanceof CriticalTaskError)) throw e;
  }
  if (s.upload) await discardSession(ctx, s.upload.session_id).catch(() => undefined);
  if (s.dir) await fs.promises.rm(s.dir, { recursive: true, force: true });
}

registerTaskHandler({
  type: REMOTE_DOWNLOAD,
  queue: 'remote_download',
  run: runRemoteDownload,
  finalize: (ctx, state) => cleanupRemoteDownload(ctx, state),
});
