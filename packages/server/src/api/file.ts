import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { fileManager } from '../fs/core.ts';
import { createObject } from '../fs/ops/create.ts';
import { renameFile } from '../fs/ops/rename.ts';
import { moveOrCopy } from '../fs/ops/move.ts';
import { deleteFiles, emptyTrash } from '../fs/ops/delete.ts';
import { restoreFiles } from '../fs/ops/restore.ts';
import { patchMetadata, pin, setView, unpin } from '../fs/ops/props.ts';
import { deleteVersion, setCurrentVersion } from '../fs/ops/versions.ts';
import { fileInfo } from '../fs/ops/info.ts';
import { listFiles } from '../fs/ops/list.ts';
import { serializeOne } from '../fs/serialize.ts';
import { validateMap } from '../fs/metadata.ts';
import { assertNotOwnShare } from '../services/shares.ts';
import { startTrashCollector } from '../fs/trash-collector.ts';
import { FileType, type ExplorerView } from '../fs/types.ts';

const Uri = Type.String({ minLength: 1, maxLength: 65536 });
const Uris = Type.Array(Uri, { minItems: 1 });
/** Query booleans follow Go's ParseBool (contract 00 §1). */
const QueryBool = Type.Optional(Type.String({ maxLength: 5 }));

function parseBool(v: string | undefined, field: string): boolean {
  if (v === undefined || v === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new AppError(Code.ParamErr, `${field} is invalid`);
}

const VersionBody = Type.Object({ uri: Uri, version: Type.String({ minLength: 1, maxLength: 64 }) });
const PinBody = Type.Object({ uri: Uri, name: Type.Optional(Type.String({ maxLength: 255 })) });

/** File endpoints of contract 20 (list, info, create, rename, move/copy, delete, trash, restore, …). */
export async function fileRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const fm = fileManager(ctx);
  const stopCollector = startTrashCollector(ctx);
  app.addHook('onClose', async () => stopCollector());

  r.get('/file', {
    config: { scope: 'public' },
    schema: {
      tags: ['file'], summary: 'List a folder or search below it (cursor pagination)',
      querystring: Type.Object({
        uri: Uri,
        page: Type.Optional(Type.Integer({ minimum: 0 })),
        page_size: Type.Optional(Type.Integer({ minimum: 1 })),
        order_by: Type.Optional(Type.String({ maxLength: 64 })),
        order_direction: Type.Optional(Type.String({ maxLength: 8 })),
        next_page_token: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
    },
  }, async (req) => ok(await listFiles(fm, req.user, req.query.uri, {
    pageSize: req.query.page_size, page: req.query.page, orderBy: req.query.order_by,
    orderDirection: req.query.order_direction, nextPageToken: req.query.next_page_token,
  })));

  r.get('/file/info', {
    config: { scope: 'public' },
    schema: {
      tags: ['file'], summary: 'File info, with extended info / folder summary',
      querystring: Type.Object({ uri: Type.Optional(Type.String({ maxLength: 65536 })), id: Type.Optional(Type.String({ maxLength: 64 })), extended: QueryBool, folder_summary: QueryBool }),
    },
  }, async (req) => ok(await fileInfo(fm, req.user, {
    uri: req.query.uri, id: req.query.id, extended: parseBool(req.query.extended, 'Extended'),
    folderSummary: parseBool(req.query.folder_summary, 'FolderSummary'),
  })));

  r.post('/file/create', {
    config: { scope: 'public' },
    schema: {
      tags: ['file'], summary: 'Create an empty file or a folder (missing parents too)',
      body: Type.Object({
        uri: Uri,
        type: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
        metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
        err_on_conflict: Type.Optional(Type.Boolean()),
      }),
    },
  }, async (req) => {
    const patches = validateMap(ctx, req.body.metadata);
    await assertNotOwnShare(ctx, req.user, req.body.metadata);
    const res = await createObject(fm, req.user, req.body.uri, {
      type: req.body.type === 'folder' ? FileType.Folder : FileType.File, metadata: patches,
      onExisting: req.body.err_on_conflict ? 'error' : 'return',
    });
    return ok(await serializeOne(ctx, ctx.db.kysely, res.nav, req.user, { file: res.file, uri: res.uri }));
  });

  r.post('/file/rename', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Rename', body: Type.Object({ uri: Uri, new_name: Type.String({ minLength: 1, maxLength: 255 }) }) },
  }, async (req) => {
    const res = await renameFile(fm, req.user, req.body.uri, req.body.new_name);
    return ok(await serializeOne(ctx, ctx.db.kysely, res.nav, req.user, { file: res.file, uri: res.uri }));
  });

  r.post('/file/move', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Move or copy into a folder', body: Type.Object({ uris: Uris, dst: Uri, copy: Type.Optional(Type.Boolean()) }) },
  }, async (req) => {
    await moveOrCopy(fm, req.user, req.body.uris, req.body.dst, !!req.body.copy);
    return ok();
  });

  r.delete('/file', {
    config: { scope: 'public' },
    schema: {
      tags: ['file'], summary: 'Delete (to trash, or permanently)',
      body: Type.Object({ uris: Uris, unlink: Type.Optional(Type.Boolean()), skip_soft_delete: Type.Optional(Type.Boolean()) }),
    },
  }, async (req) => {
    await deleteFiles(fm, req.user, req.body.uris, { unlink: req.body.unlink, skipSoftDelete: req.body.skip_soft_delete });
    return ok();
  });

  r.delete('/file/trash', {
    config: { scope: 'user' },
    schema: { tags: ['file'], summary: 'Empty the trash' },
  }, async (req) => {
    await emptyTrash(fm, req.user);
    return ok();
  });

  r.post('/file/restore', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Restore trash items', body: Type.Object({ uris: Uris }) },
  }, async (req) => {
    await restoreFiles(fm, req.user, req.body.uris);
    return ok();
  });

  r.delete('/file/lock', {
    config: { scope: 'user' },
    schema: { tags: ['file'], summary: 'Force-release lock tokens', body: Type.Object({ tokens: Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: 16384 }) }) },
  }, async (req) => {
    await fm.locks.forceUnlock(req.user.row.id, req.body.tokens, fm.isAdmin(req.user));
    return ok();
  });

  r.patch('/file/metadata', {
    config: { scope: 'public' },
    schema: {
      tags: ['file'], summary: 'Set or remove metadata',
      body: Type.Object({
        uris: Uris,
        patches: Type.Array(Type.Object({ key: Type.String({ minLength: 1, maxLength: 255 }), value: Type.Optional(Type.String()), remove: Type.Optional(Type.Boolean()) }), { minItems: 1 }),
      }),
    },
  }, async (req) => {
    await patchMetadata(fm, req.user, req.body.uris, req.body.patches);
    return ok();
  });

  r.put('/file/pin', {
    config: { scope: 'user' },
    schema: { tags: ['file'], summary: 'Pin a URI to the sidebar', body: PinBody },
  }, async (req) => {
    await pin(fm, req.user, req.body.uri, req.body.name);
    return ok();
  });

  r.delete('/file/pin', {
    config: { scope: 'user' },
    schema: { tags: ['file'], summary: 'Unpin a URI', body: PinBody },
  }, async (req) => {
    await unpin(fm, req.user, req.body.uri);
    return ok();
  });

  r.patch('/file/view', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Save or reset folder view settings', body: Type.Object({ uri: Uri, view: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]) }) },
  }, async (req) => {
    await setView(fm, req.user, req.body.uri, (req.body.view ?? null) as ExplorerView | null);
    return ok();
  });

  r.post('/file/version/current', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Make a version current', body: VersionBody },
  }, async (req) => {
    await setCurrentVersion(fm, req.user, req.body.uri, req.body.version);
    return ok();
  });

  r.delete('/file/version', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Delete a version', body: VersionBody },
  }, async (req) => {
    await deleteVersion(fm, req.user, req.body.uri, req.body.version);
    return ok();
  });
}
