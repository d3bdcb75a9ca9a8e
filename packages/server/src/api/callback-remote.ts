import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { errorEnvelope, ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { loadPolicy } from '../storage/policies.ts';
import { loadSession } from '../transfer/session-store.ts';
import { commitSession } from '../transfer/upload-commit.ts';
import { safeEqual } from '../util/random.ts';
import { typed } from './typed.ts';
import { rawBodyScope } from './upload.ts';
import { readRawBody, verifyNodeRequest } from './slave/verify.ts';

/**
 * POST /api/v4/callback/remote/:sessionId/:key (contract 30 §1.7): a node reports that a browser
 * upload's last chunk arrived and the blob is published on its disk. Refusals before processing are
 * HTTP 401 with the error envelope (unknown or expired session 40011, not a remote policy 40006,
 * bad/expired/replayed signature or wrong key 40071/40005/403); processing failures are HTTP 200 +
 * envelope. The body ([OURS]) is `{"size":N,"sha256":"<hex>"}`, part of the signature.
 */
export async function remoteCallbackRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  await app.register(async (scope) => {
    rawBodyScope(scope);
    typed(scope).post('/callback/remote/:sessionId/:key', {
      config: { scope: 'node' },
      schema: {
        tags: ['upload'], summary: 'Node → master: a remote upload is complete',
        params: Type.Object({ sessionId: Type.String({ maxLength: 64 }), key: Type.String({ maxLength: 128 }) }),
      },
    }, async (req, reply) => {
      const refuse = (e: AppError) => reply.code(401).send(errorEnvelope(e, req.correlationId, false));
      const body = await readRawBody(req, 65536);
      const s = await loadSession(ctx.db.kysely, req.params.sessionId);
      if (!s || s.row.expires_at <= ctx.now()) return refuse(new AppError(Code.UploadSessionExpired, 'Upload session expired'));
      const policy = await loadPolicy(ctx, s.row.storage_policy_id);
      if (policy.type !== 'remote') return refuse(new AppError(Code.PolicyNotAllowed, 'Storage policy mismatch'));
      const node = policy.node_id === null ? undefined
        : await ctx.db.kysely.selectFrom('nodes').select(['slave_key', 'type']).where('id', '=', Number(policy.node_id)).executeTakeFirst();
      if (!node || node.type !== 'slave') return refuse(new AppError(Code.NoPermission, 'Unknown node'));
      try {
        await verifyNodeRequest(ctx, node.slave_key, req, body, { oneTime: true });
      } catch (e) {
        if (e instanceof AppError) return refuse(e);
        throw e;
      }
      if (!safeEqual(req.params.key, s.state.callbackSecret)) return refuse(new AppError(Code.InvalidSign, 'Invalid callback key'));

      let report: { size?: unknown; sha256?: unknown } = {};
      if (body.length) {
        try {
          report = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AppError(Code.ParamErr, 'JSON marshall error');
        }
      }
      if (report.size !== undefined && Number(report.size) !== s.row.size) throw new AppError(Code.MetaMismatch, 'File size not match');
      if (typeof report.sha256 === 'string' && /^[0-9a-f]{64}$/.test(report.sha256)) {
        s.state.handle.state = { ...s.state.handle.state, sha256: report.sha256 };
        await ctx.db.kysely.updateTable('upload_sessions').set({ state: JSON.stringify(s.state) }).where('id', '=', s.row.id).execute();
      }
      if (s.row.committing_at !== null) throw new AppError(Code.ConflictUploadOngoing, 'Upload is being completed');
      const done = await commitSession(ctx, s);
      if (!done) throw new AppError(Code.ConflictUploadOngoing, 'Upload is being completed');
      return ok();
    });
  });
}
