import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { fileManager } from '../fs/core.ts';
import { createUploadSession, sessionResponse } from '../transfer/upload-create.ts';
import { uploadChunk } from '../transfer/upload-chunk.ts';
import { cancelSession } from '../transfer/upload-cancel.ts';
import { loadSession } from '../transfer/session-store.ts';
import { startTransferBackground } from '../transfer/background.ts';

/** Content-Length, else X-Expected-Entity-Length (streamed bodies); undefined when neither is a valid size. */
export function declaredLength(req: FastifyRequest): number | undefined {
  for (const h of ['content-length', 'x-expected-entity-length']) {
    const v = req.headers[h];
    if (typeof v === 'string' && /^\d{1,16}$/.test(v.trim())) return Number(v.trim());
  }
  return undefined;
}

/**
 * Runs a handler that consumes the raw request body. When it fails before the body was read, the
 * connection is closed after the error reply instead of draining a possibly large unread body.
 */
export async function withRawBody<T>(req: FastifyRequest, reply: FastifyReply, fn: (body: Readable) => Promise<T>): Promise<T> {
  const body = req.body as Readable;
  try {
    return await fn(body);
  } catch (e) {
    if (!body.readableEnded) reply.header('connection', 'close');
    throw e;
  }
}

/** Registers the raw (any content type) body pass-through in an encapsulated scope only. */
export function rawBodyScope(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
}

/**
 * Upload sessions (contract 30 §1.2–1.4). Also starts the transfer background jobs (upload
 * sweeper, entity recycler, thumbnail queue) for the lifetime of the app.
 */
export async function uploadRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  const background = startTransferBackground(ctx);
  app.addHook('onClose', async () => background.stop());

  r.put('/file/upload', {
    config: { scope: 'public' },
    schema: {
      tags: ['upload'], summary: 'Create an upload session',
      description: 'Creates (or reuses) the target file with a placeholder entity, reserves the declared size against the quota and returns where to send chunks. Same target already uploading → 40054.',
      body: Type.Object({
        uri: Type.String({ minLength: 1, maxLength: 65536 }),
        size: Type.Integer({ minimum: 0 }),
        policy_id: Type.Optional(Type.String({ maxLength: 64 })),
        last_modified: Type.Optional(Type.Integer({ minimum: 0 })),
        mime_type: Type.Optional(Type.String({ maxLength: 255 })),
        metadata: Type.Optional(Type.Record(Type.String(), Type.String(), { maxProperties: 256 })),
        entity_type: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('version'), Type.Literal('live_photo')])),
        encryption_supported: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
      }),
    },
  }, async (req) => {
    const session = await createUploadSession(ctx, req.user, req.body);
    return ok(await sessionResponse(ctx, session));
  });

  r.delete('/file/upload', {
    config: { scope: 'public' },
    schema: {
      tags: ['upload'], summary: 'Cancel an upload session',
      body: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), uri: Type.String({ minLength: 1, maxLength: 65536 }) }),
    },
  }, async (req) => {
    const fm = fileManager(ctx);
    const target = await fm.get(req.user, req.body.uri);
    const s = await loadSession(ctx.db.kysely, req.body.id);
    if (s) {
      if (req.user.anonymous || s.row.owner_id !== req.user.row.id || s.row.file_id !== target.file.id) {
        throw new AppError(Code.NotFound, 'Upload session not found');
      }
      if (s.row.committing_at !== null) throw new AppError(Code.ConflictUploadOngoing, 'Upload is being completed');
      await cancelSession(ctx, s, { reason: 'user' });
    }
    return ok();
  });

  await app.register(async (scope) => {
    rawBodyScope(scope);
    typed(scope).post('/file/upload/:sessionId/:index', {
      config: { scope: 'public' },
      schema: {
        tags: ['upload'], summary: 'Upload one chunk (raw body)',
        description: 'Body: the chunk bytes. Content-Length (or X-Expected-Entity-Length) must equal the chunk length (40013). '
          + 'Optional `Content-Digest: sha-256=:<base64>:` is verified (40055 on mismatch, the chunk is not recorded). '
          + 'When the last missing chunk arrives the upload is completed before the response.',
        params: Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 64 }), index: Type.String({ pattern: '^[0-9]{1,9}$' }) }),
      },
    }, async (req, reply) => withRawBody(req, reply, async (body) => {
      const digest = req.headers['content-digest'];
      await uploadChunk(ctx, req.user, {
        sessionId: req.params.sessionId, index: Number(req.params.index), body, declaredLength: declaredLength(req),
        contentDigest: typeof digest === 'string' ? digest : undefined,
      });
      return ok();
    }));
  });
}
