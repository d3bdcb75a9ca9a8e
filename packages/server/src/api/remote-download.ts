import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { ok } from '../http/envelope.ts';
import { AppError, notFound } from '../http/errors.ts';
import { Boolset, GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { parseJson } from '../util/json.ts';
import { uuid } from '../util/random.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { FileType } from '../fs/types.ts';
import { createObject } from '../fs/ops/create.ts';
import { DownloaderError, downloaderFor, downloaderTempBase, nodeDownloaderSettings, type NodeDownloaderSettings } from '../downloader/index.ts';
import { checkDownloadSource } from '../downloader/source.ts';
import { enqueueTask, taskQueueOf } from '../tasks/queue.ts';
import { masterNode, serializeTask, type TaskRow } from '../tasks/serialize.ts';
import { cleanupRemoteDownload, nodeSettings, REMOTE_DOWNLOAD, remoteDownloadSummary, type RemoteDownloadState } from '../tasks/remote-download-task.ts';
import { TaskStatus } from '../tasks/types.ts';
import { typed } from './typed.ts';

/** Node capability bit "remote download" (contract 50 §1.1). */
const CAP_REMOTE_DOWNLOAD = 3;
const ACTIVE = [TaskStatus.Queued, TaskStatus.Processing, TaskStatus.Suspending];

/** The node that runs the downloads: the preferred one if given and able, else the master. */
async function pickNode(ctx: Ctx, preferred: string | undefined): Promise<{ id: number; settings: NodeDownloaderSettings }> {
  let q = ctx.db.kysely.selectFrom('nodes').select(['id', 'type', 'status', 'capabilities', 'settings']);
  if (preferred) {
    const id = ctx.hashids.decode(preferred, HashType.Node);
    if (id === undefined) throw new AppError(Code.ParamErr, 'Invalid preferred_node_id');
    q = q.where('id', '=', id);
  } else {
    q = q.where('type', '=', 'master');
  }
  const node = await q.executeTakeFirst();
  if (!node) throw new AppError(Code.ParamErr, 'Node not found');
  // Only this process's machine can hand downloaded files to the fs core: slave nodes are not supported.
  if (node.type !== 'master' || node.status !== 'active' || !Boolset.decode(node.capabilities).has(CAP_REMOTE_DOWNLOAD)) {
    throw new AppError(Code.ParamErr, 'This node cannot run remote downloads');
  }
  const settings = nodeDownloaderSettings(node.settings);
  try {
    downloaderFor(settings);
  } catch (e) {
    throw new AppError(Code.ParamErr, `Remote download is not available: ${(e as DownloaderError).message}`);
  }
  return { id: Number(node.id), settings };
}

/** The caller's remote-download task, or 404 (also for other users' tasks). */
async function ownTask(ctx: Ctx, user: CurrentUser, hash: string): Promise<TaskRow> {
  const id = ctx.hashids.decode(hash, HashType.Task);
  const row = id === undefined ? undefined
    : await ctx.db.kysely.selectFrom('tasks').selectAll().where('id', '=', id).where('type', '=', REMOTE_DOWNLOAD).executeTakeFirst();
  if (!row || Number(row.owner_id) !== user.row.id) throw notFound('Task not found');
  return row;
}

/** Remote download (contract 50 §1.6): create, select files, cancel. */
export async function remoteDownloadRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/workflow/download', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Create remote download tasks',
      description: 'Exactly one of `src` (http(s) URLs / magnet links, one task each) or `src_file` (URI of a .torrent file). `dst` is a folder in `my`. Needs group permission "remote download" (40007); more URLs than the group\'s `aria2_batch`, or more running downloads than `remote_download_max_running`, → 40015. URLs to private/loopback hosts are refused (40001) unless the outbound rules allow them.',
      body: Type.Object({
        dst: Type.String({ minLength: 1, maxLength: 65536 }),
        src: Type.Optional(Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 1000 })),
        src_file: Type.Optional(Type.String({ maxLength: 65536 })),
        preferred_node_id: Type.Optional(Type.String({ maxLength: 64 })),
      }),
    },
  }, async (req) => {
    const user = req.user;
    if (!user.permissions.has(GroupPermission.RemoteDownload)) throw new AppError(Code.GroupNotAllowed, 'Group not allowed to do this');
    const srcs = (req.body.src ?? []).map((s) => s.trim()).filter(Boolean);
    const srcFile = req.body.src_file?.trim() ?? '';
    if ((srcs.length > 0) === (srcFile !== '')) throw new AppError(Code.ParamErr, 'Exactly one of src and src_file is required');
    const fm = fileManager(ctx);
    const dstUri = fm.parse(req.body.dst).withoutQuery();
    if (dstUri.fs !== 'my') throw new AppError(Code.ParamErr, 'Invalid destination');
    const dstNav = await fm.navigator(user, dstUri);
    // A missing destination folder is created (mkdir -p) once everything else checked out.
    const dstResolved = await dstNav.resolve(ctx.db.kysely, dstUri).catch((e: unknown) => {
      if (e instanceof AppError && e.code === Code.ParentNotExist) return undefined;
      throw e;
    });
    if (dstResolved) fm.requireOwner(user, dstResolved);
    if (dstResolved?.file && Number(dstResolved.file.type) !== FileType.Folder) throw new AppError(Code.ParamErr, 'Destination is not a folder');

    const batch = Number(fm.groupSettings(user).aria2_batch ?? 0) || 0;
    if (batch > 0 && srcs.length > batch) throw new AppError(Code.BatchAria2Size, `At most ${batch} URLs per request`);
    const maxRunning = ctx.settings.int('remote_download_max_running', 0);
    const wanted = srcs.length || 1;
    if (maxRunning > 0) {
      const running = await ctx.db.kysely.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('owner_id', '=', user.row.id).where('type', '=', REMOTE_DOWNLOAD).where('status', 'in', ACTIVE).executeTakeFirst();
      if (Number(running?.n ?? 0) + wanted > maxRunning) throw new AppError(Code.BatchAria2Size, `At most ${maxRunning} remote downloads may run at once`);
    }
    const node = await pickNode(ctx, req.body.preferred_node_id);

    let srcFileUri = '';
    if (srcFile) {
      const f = await fm.get(user, srcFile, { caps: [Cap.DownloadFile] });
      if (Number(f.file.type) !== FileType.File) throw new AppError(Code.ParamErr, 'src_file is not a file');
      srcFileUri = f.uri.toString();
    }
    const checked: string[] = [];
    for (const s of srcs) checked.push(await checkDownloadSource(ctx, s));

    if (!dstResolved?.file) await createObject(fm, user, dstUri, { type: FileType.Folder, onExisting: 'return' });
    const dst = dstUri.toString();
    const base = downloaderTempBase(ctx, node.settings);
    const rows: TaskRow[] = [];
    try {
      for (const src of srcFileUri ? [''] : checked) {
        const key = uuid();
        const state: RemoteDownloadState = {
          user_id: user.row.id, node_id: node.id, src_uri: src, src_file_uri: srcFileUri, dst, key, dir: path.join(base, key),
          phase: '', get_task_status_tried: 0, transferred: {}, failed: 0,
        };
        rows.push(await enqueueTask(ctx, { type: REMOTE_DOWNLOAD, ownerId: user.row.id, state: { ...state }, summary: remoteDownloadSummary(state) }));
      }
    } catch (e) {
      if (rows.length) await ctx.db.kysely.deleteFrom('tasks').where('id', 'in', rows.map((x) => Number(x.id))).execute().catch(() => undefined);
      throw new AppError(Code.BatchOperationNotFullyCompleted, `Failed to create download tasks: ${(e as Error).message}`, { cause: e });
    }
    const wire = await masterNode(ctx);
    return ok(rows.map((row) => serializeTask(ctx, row, wire)));
  });

  const selectSchema = {
    config: { scope: 'user' as const },
    schema: {
      tags: ['workflow'], summary: 'Choose which files of a torrent to download',
      description: 'Only while the task is monitoring its download (404 otherwise). aria2 `select-file`, qBittorrent file priority 1/0.',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      body: Type.Object({
        files: Type.Array(Type.Object({ index: Type.Integer({ minimum: 0 }), download: Type.Boolean() }), { minItems: 1, maxItems: 100000 }),
      }),
    },
  };
  const select = async (req: { user: CurrentUser; params: { id: string }; body: { files: { index: number; download: boolean }[] } }) => {
    const row = await ownTask(ctx, req.user, req.params.id);
    if (row.status !== TaskStatus.Processing && row.status !== TaskStatus.Suspending) throw notFound('Task not in processing state');
    const s = parseJson<RemoteDownloadState>(row.private_state, {} as RemoteDownloadState);
    if (s.phase !== 'monitor' || !s.handle) throw notFound('Task not in monitoring loop');
    try {
      await downloaderFor(await nodeSettings(ctx, s.node_id)).select(s.handle, req.body.files);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError(Code.ParamErr, `Failed to select files: ${(e as Error).message}`);
    }
    return ok();
  };
  r.patch('/workflow/download/:id', selectSchema, select);
  r.put('/workflow/download/:id', { ...selectSchema, schema: { ...selectSchema.schema, summary: 'Choose which files of a torrent to download (alias of PATCH)' } }, select);

  r.delete('/workflow/download/:id', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Cancel a remote download',
      description: 'Removes the job from the downloader and deletes its temporary data; the task ends as `canceled`. Owner only (404).',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    },
  }, async (req) => {
    let row = await ownTask(ctx, req.user, req.params.id);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (![TaskStatus.Queued, TaskStatus.Processing, TaskStatus.Suspending].includes(row.status as never)) return ok();
      const id = Number(row.id);
      if (row.status === TaskStatus.Processing) {
        // Running here: abort it as canceled (its cleanup runs on the way out).
        if (taskQueueOf(ctx)?.cancel(id)) return ok();
        // Running in another instance: removing the job makes its next poll end the task as canceled.
        const s = parseJson<RemoteDownloadState>(row.private_state, {} as RemoteDownloadState);
        if (s.handle) {
          const dl = downloaderFor(await nodeSettings(ctx, s.node_id));
          for (const h of [s.handle, s.first_handle]) if (h) await dl.cancel(h).catch(() => undefined);
          return ok();
        }
      } else {
        // Waiting in the queue: take the row (fenced on its claim counter), then clean up here.
        const res = await ctx.db.kysely.updateTable('tasks').set({ status: TaskStatus.Canceled, lease_until: null, updated_at: ctx.now() })
          .where('id', '=', id).where('status', '=', row.status).where('attempts', '=', row.attempts).executeTakeFirst();
        if (Number(res.numUpdatedRows) === 1) {
          const pub = parseJson<Record<string, unknown>>(row.public_state, {});
          delete pub.resume_time;
          await ctx.db.kysely.updateTable('tasks').set({ public_state: JSON.stringify(pub) }).where('id', '=', id).execute();
          await cleanupRemoteDownload(ctx, parseJson<RemoteDownloadState>(row.private_state, {} as RemoteDownloadState));
          return ok();
        }
      }
      await new Promise((res) => setTimeout(res, 100));
      row = await ownTask(ctx, req.user, req.params.id);
    }
    throw new AppError(Code.Conflict, 'Task is busy, try again');
  });
}
