import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { errorEnvelope, ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import { loadSession, type UploadSession } from '../transfer/session-store.ts';
import { commitSession } from '../transfer/upload-commit.ts';
import { cancelSession } from '../transfer/upload-cancel.ts';
import { safeEqual } from '../util/random.ts';
import { typed } from './typed.ts';

const Params = Type.Object({ sessionId: Type.String({ maxLength: 64 }), key: Type.String({ maxLength: 128 }) });

/**
 * Completion callbacks of the S3 family (contract 30 §1.7): after the client completed its
 * multipart upload, it calls GET /callback/{s3,ks3,cos}/:sessionId/:key; for OBS and OSS the
 * provider POSTs /callback/{obs,oss}/:sessionId/:key. Refusals before processing are HTTP 401 with
 * the envelope: unknown or expired session or a wrong key → 40011, session of another policy type →
 * 40006. The object is then checked in the bucket (HEAD): it must exist, carry this session's tag
 * and have the declared size — a different size deletes it, cancels the session and answers 40055.
 * Processing failures are HTTP 400 + envelope. [OURS] OSS's RSA callback signature is not checked:
 * the callback key and the bucket check establish every fact the commit relies on.
 */
export async function cloudCallbackRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  for (const type of ['s3', 'ks3', 'cos'] as const) {
    r.get(`/callback/${type}/:sessionId/:key`, {
      config: { scope: 'signed' },
      schema: { tags: ['upload'], summary: `Client → server: a ${type} multipart upload was completed`, params: Params },
    }, async (req, reply) => complete(ctx, type, req, reply));
  }
  await app.register(async (scope) => {
    // Providers post JSON or form bodies; only OSS's `size` is read, anything unparsable counts as empty.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 65536 }, (_req, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      }
    });
    for (const type of ['obs', 'oss'] as const) {
      typed(scope).post(`/callback/${type}/:sessionId/:key`, {
        config: { scope: 'signed' },
        schema: { tags: ['upload'], summary: `Provider → server: a ${type} upload was completed`, params: Params },
      }, async (req, reply) => complete(ctx, type, req, reply));
    }
  });
}

async function complete(ctx: Ctx, type: string, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { sessionId, key } = req.params as { sessionId: string; key: string };
  const refuse = (e: AppError) => reply.code(401).send(errorEnvelope(e, req.correlationId, false));
  const s = await loadSession(ctx.db.kysely, sessionId);
  if (!s || s.row.expires_at <= ctx.now() || !safeEqual(key, s.state.callbackSecret)) {
    return refuse(new AppError(Code.UploadSessionExpired, 'Upload session expired'));
  }
  const policy = await loadPolicy(ctx, s.row.storage_policy_id);
  if (policy.type !== type) return refuse(new AppError(Code.PolicyNotAllowed, 'Storage policy mismatch'));
  try {
    if (type === 'oss') checkOssBody(req.body, s);
    if (s.row.committing_at !== null) throw new AppError(Code.ConflictUploadOngoing, 'Upload is being completed');
    const driver = driverFor(ctx, policy);
    const st = await driver.stat(s.state.handle.key);
    if (!st) throw new AppError(Code.IOFailed, 'The uploaded object was not found in the bucket; complete the multipart upload first');
    if (st.size !== s.row.size) {
      await cancelSession(ctx, s, { reason: 'failed' });
      throw new AppError(Code.MetaMismatch, 'File size not match');
    }
    if (!(await commitSession(ctx, s))) throw new AppError(Code.ConflictUploadOngoing, 'Upload is being completed');
    return ok();
  } catch (e) {
    if (e instanceof AppError) return reply.code(400).send(errorEnvelope(e, req.correlationId, false));
    throw e;
  }
}

/** OSS reports `{"size":N,…}` in its callback body; it must match the session. */
function checkOssBody(body: unknown, s: UploadSession): void {
  const size = (body as { size?: unknown } | undefined)?.size;
  if (size !== undefined && Number(size) !== s.row.size) throw new AppError(Code.MetaMismatch, 'File size not match');
}
