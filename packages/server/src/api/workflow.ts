import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { isAdmin, type CurrentUser } from '../services/users.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { typed } from './typed.ts';
import { Cap } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { FileType } from '../fs/types.ts';
import { createUploadSession } from '../transfer/upload-create.ts';
import { discardSession } from '../tasks/store-file.ts';
import { enqueueTask, startTaskQueue, taskQueueOf } from '../tasks/queue.ts';
import { masterNode, serializeTask } from '../tasks/serialize.ts';
import { CREATE_ARCHIVE } from '../tasks/archive-task.ts';
import { EXTRACT_ARCHIVE } from '../tasks/extract-task.ts';
import { TaskStatus } from '../tasks/types.ts';
import { workflowStorageRoutes } from './workflow-storage.ts';

const GENERAL_TYPES = [CREATE_ARCHIVE, EXTRACT_ARCHIVE, 'relocate', 'import'];
const ACTIVE = [TaskStatus.Suspending, TaskStatus.Processing, TaskStatus.Queued];
const FINISHED = [TaskStatus.Canceled, TaskStatus.Error, TaskStatus.Completed];

function requirePermission(user: CurrentUser, bit: number): void {
  if (!user.permissions.has(bit)) throw new AppError(Code.GroupNotAllowed, 'Group not allowed to do this');
}

/**
 * Workflows (contract 50 §1): task list and progress, create/extract archive. Also runs the
 * durable task queue for the lifetime of the app.
 */
export async function workflowRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const queue = startTaskQueue(ctx);
  app.addHook('onClose', async () => queue.stop());
  await workflowStorageRoutes(app, ctx);

  r.get('/workflow', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'List my tasks',
      description: '`general` = archive/extract/relocate/import tasks; `downloading` = active remote downloads (all, page size ignored); `downloaded` = finished remote downloads. Newest first, cursor pagination.',
      querystring: Type.Object({
        page_size: Type.Integer({ minimum: 10, maximum: 100 }),
        category: Type.Union([Type.Literal('general'), Type.Literal('downloading'), Type.Literal('downloaded')]),
        next_page_token: Type.Optional(Type.String({ maxLength: 64 })),
      }),
    },
  }, async (req) => {
    const { page_size: pageSize, category, next_page_token: token } = req.query;
    let before: number | undefined;
    if (token) {
      before = ctx.hashids.decode(token, HashType.Task);
      if (before === undefined) throw new AppError(Code.ParamErr, 'Invalid next_page_token');
    }
    let q = ctx.db.kysely.selectFrom('tasks').selectAll().where('owner_id', '=', req.user.row.id);
    if (category === 'general') q = q.where('type', 'in', GENERAL_TYPES);
    else q = q.where('type', '=', 'remote_download').where('status', 'in', category === 'downloading' ? ACTIVE : FINISHED);
    if (before !== undefined) q = q.where('id', '<', before);
    q = q.orderBy('id', 'desc');
    const all = category === 'downloading';
    const rows = await (all ? q : q.limit(pageSize + 1)).execute();
    const page = all ? rows : rows.slice(0, pageSize);
    const node = await masterNode(ctx);
    const more = !all && rows.length > pageSize;
    return ok({
      tasks: page.map((t) => serializeTask(ctx, t, node)),
      pagination: {
        page: 0, page_size: all ? page.length : pageSize, is_cursor: true,
        ...(more ? { next_token: ctx.hashids.encode(Number(page[page.length - 1]!.id), HashType.Task) } : {}),
      },
    });
  });

  r.get('/workflow/progress/:id', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Progress of a running task',
      description: 'Progress counters of a task running in this process; `{}` otherwise or when the requester is neither its owner nor an admin.',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    },
  }, async (req) => {
    const id = ctx.hashids.decode(req.params.id, HashType.Task);
    if (id === undefined) throw new AppError(Code.ParamErr, 'Failed to parse task ID');
    const p = taskQueueOf(ctx)?.progressOf(id);
    if (!p || (p.ownerId !== req.user.row.id && !isAdmin(req.user))) return ok({});
    return ok(p.progress);
  });

  r.post('/workflow/archive', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Create a zip archive (background task)',
      description: '`dst` is the full URI of the zip to create; it is validated like an upload target (40004 when it exists). Needs group permission "archive task" (40007).',
      body: Type.Object({
        src: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1, maxItems: 1000 }),
        dst: Type.String({ minLength: 1, maxLength: 65536 }),
        encoding: Type.Optional(Type.String({ maxLength: 64 })),
      }),
    },
  }, async (req) => {
    const user = req.user;
    requirePermission(user, GroupPermission.ArchiveTask);
    const fm = fileManager(ctx);
    for (const s of req.body.src) await fm.get(user, s, { caps: [Cap.DownloadFile] });
    // Validate the destination exactly like an upload would, then give the placeholder back.
    const probe = await createUploadSession(ctx, user, { uri: req.body.dst, size: 0 }, { chunkSize: 0 });
    await discardSession(ctx, probe.row.id);
    const dst = fm.parse(req.body.dst).withoutQuery().toString();
    const src = req.body.src.map((s) => fm.parse(s).toString());
    const row = await enqueueTask(ctx, {
      type: CREATE_ARCHIVE, ownerId: user.row.id,
      state: { user_id: user.row.id, src, dst, failed: 0 },
      summary: { phase: 'not_started', props: { src_multiple: src, dst, failed: 0 } },
    });
    return ok(serializeTask(ctx, row, await masterNode(ctx)));
  });

  r.post('/workflow/extract', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Extract an archive (zip, 7z, rar, tar) into a folder (background task)',
      description: 'Only `src[0]` is used. `encoding` decodes legacy (non-UTF-8) entry names, e.g. `gbk`. `file_mask` limits extraction to those entry paths. `password` opens encrypted zip and 7z archives (wrong or missing → task error). The format is detected from the content (zip, 7z, rar, tar and gz/bz2/xz/zst/lz4 tar).',
      body: Type.Object({
        src: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1, maxItems: 1000 }),
        dst: Type.String({ minLength: 1, maxLength: 65536 }),
        encoding: Type.Optional(Type.String({ maxLength: 64 })),
        password: Type.Optional(Type.String({ maxLength: 1024 })),
        file_mask: Type.Optional(Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 10000 })),
      }),
    },
  }, async (req) => {
    const user = req.user;
    requirePermission(user, GroupPermission.ArchiveTask);
    const fm = fileManager(ctx);
    const dstUri = fm.parse(req.body.dst).withoutQuery();
    if (dstUri.fs !== 'my') throw new AppError(Code.ParamErr, 'Invalid destination');
    const dstNav = await fm.navigator(user, dstUri);
    fm.requireOwner(user, await dstNav.resolve(ctx.db.kysely, dstUri));
    const encoding = req.body.encoding?.trim() || undefined;
    if (encoding) {
      try {
        new TextDecoder(encoding);
      } catch {
        throw new AppError(Code.ParamErr, `Unknown encoding "${encoding}"`);
      }
    }
    const src = await fm.get(user, req.body.src[0]!, { caps: [Cap.DownloadFile] });
    if (Number(src.file.type) !== FileType.File) throw new AppError(Code.ParamErr, 'Source is not a file');
    const srcUri = src.uri.toString();
    const dst = dstUri.toString();
    const row = await enqueueTask(ctx, {
      type: EXTRACT_ARCHIVE, ownerId: user.row.id,
      state: { user_id: user.row.id, src: srcUri, dst, encoding, ...(req.body.password ? { password: req.body.password } : {}), file_mask: req.body.file_mask, next_index: 0, failed: 0 },
      summary: { phase: '', props: { src: srcUri, dst } },
    });
    return ok(serializeTask(ctx, row, await masterNode(ctx)));
  });
}
