import type { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { fileManager } from '../fs/core.ts';
import { serializeOne, type FileResponse } from '../fs/serialize.ts';
import { HashType } from '../util/hashid.ts';
import { transferSettings } from './settings.ts';
import { createUploadSession } from './upload-create.ts';
import { uploadChunk } from './upload-chunk.ts';
import { cancelSession } from './upload-cancel.ts';
import { loadSession } from './session-store.ts';

export interface UpdateContentRequest {
  uri: string;
  /** Entity hashid of the version the editor loaded. */
  previous?: string;
  body: Readable;
  declaredLength: number | undefined;
  contentDigest?: string;
}

/**
 * PUT /file/content (contract 30 §1.9): stores the body as a new version of the file (created,
 * with missing folders, when it does not exist), through an internal one-chunk upload session so
 * every rule of uploads applies (names, policy, capacity, locks, retention). `previous` guards
 * against overwriting a version the editor did not see (40076).
 */
export async function updateContent(ctx: Ctx, user: CurrentUser, req: UpdateContentRequest): Promise<FileResponse> {
  const fm = fileManager(ctx);
  const max = transferSettings(ctx).maxEditSize;
  if (req.declaredLength === undefined) throw new AppError(Code.InvalidContentLength, 'Content-Length is required');
  if (req.declaredLength > max) throw new AppError(Code.FileTooLarge, `File is too large (max ${max} bytes)`);
  const uri = fm.parse(req.uri).withoutQuery();
  if (req.previous) {
    const r = await fm.resolve(user, uri);
    if (r.file) {
      const current = ctx.hashids.encode(Number(r.file.primary_entity ?? 0), HashType.Entity);
      if (current !== req.previous) throw new AppError(Code.StaleVersion, 'File is updated during your edit');
    }
  }
  const session = await createUploadSession(ctx, user, { uri: uri.toString(), size: req.declaredLength, entity_type: 'version' }, { forEdit: true, chunkSize: 0 });
  try {
    await uploadChunk(ctx, user, { sessionId: session.row.id, index: 0, body: req.body, declaredLength: req.declaredLength, contentDigest: req.contentDigest });
  } catch (e) {
    // Failure hook (contract 30 §1.8): the placeholder goes away, a file created for it too.
    const live = await loadSession(ctx.db.kysely, session.row.id);
    if (live && live.row.committing_at === null) await cancelSession(ctx, live, { reason: 'failed' });
    throw e;
  }
  const r = await fm.get(user, uri);
  return serializeOne(ctx, ctx.db.kysely, r.nav, user, { file: r.file, uri: r.uri });
}
