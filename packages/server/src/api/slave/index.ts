import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { errorEnvelope, ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { signRequest } from '../../services/node-auth.ts';
import { LocalDriver } from '../../storage/local/local-driver.ts';
import { StorageError } from '../../storage/driver.ts';
import { localDirs } from '../../storage/policies.ts';
import { decodeSrc } from '../../storage/remote/node-client.ts';
import { nodeRequest, readBody } from '../../storage/remote/node-http.ts';
import type { NodeUploadSession } from '../../storage/remote/remote-driver.ts';
import { NoThumbnailGenerator, renderThumbnail } from '../../media/thumbnail.ts';
import { SlaveSessions, type NodeSession } from '../../slave/sessions.ts';
import { transferSettings } from '../../transfer/settings.ts';
import { VERSION } from '../../util/version.ts';
import { chunkWriteId } from '../../util/boot-id.ts';
import { typed } from '../typed.ts';
import { declaredLength, rawBodyScope, withRawBody } from '../upload.ts';
import { readRawBody, verifyNodeRequest } from './verify.ts';
import { serveBlob } from './serve.ts';

/** Suffix of node-side thumbnail sidecars (Cloudreve's `thumb_slave_sidecar_suffix`). */
export const THUMB_SIDECAR = '._thumb_sidecar';
const SWEEP_MS = 10 * 60 * 1000;

const NODE = { scope: 'node' } as const;
const SIGNED = { scope: 'signed' } as const;

const parseJsonBody = <T>(buf: Buffer): T => {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw new AppError(Code.ParamErr, 'JSON marshall error');
  }
};

/**
 * The HTTP surface of a process in node (slave) mode (contract 50 §3.4): `/api/v4/site/ping` and
 * the signed `/api/v4/slave/*` routes, nothing else. Blobs live in the node's own LocalDriver under
 * `<data dir>/uploads`; upload sessions as JSON files under `<data dir>/temp/slave-sessions`.
 */
export async function slaveRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const secret = ctx.cfg.slave.secret;
  if (!secret) throw new Error('[Slave] Secret must be set in node mode');
  const dirs = localDirs(ctx);
  const driver = new LocalDriver(dirs);
  const sessions = new SlaveSessions(path.join(ctx.cfg.dataDir, 'temp', 'slave-sessions'), driver);
  const sweep = setInterval(() => void sessions.sweep(ctx.now()).catch((e) => ctx.log.warn('node: session sweep failed', { error: String(e?.message ?? e) })), SWEEP_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  /** POSTs the master's callback for a published browser upload; the session ends either way it is decided. */
  async function callBack(s: NodeSession): Promise<void> {
    const done = await sessions.publish(s.id);
    const body = Buffer.from(JSON.stringify({ size: done.size, sha256: done.sha256 }), 'utf8');
    const u = new URL(s.callback!);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Cr-Node-Id': s.nodeId ?? '', 'User-Agent': `Cloudreve/${VERSION}` };
    headers.Authorization = signRequest(secret, { method: 'POST', path: u.pathname, headers, body }, Math.floor(ctx.now() / 1000) + ctx.cfg.slave.signatureTTL);
    let env: { code: number; msg: string };
    try {
      const res = await nodeRequest({ method: 'POST', url: u.toString(), headers, body, timeoutMs: ctx.cfg.slave.callbackTimeout * 1000 });
      env = JSON.parse((await readBody(res)).toString('utf8'));
    } catch (e) {
      throw new AppError(Code.CallbackError, 'Failed to call back the master', { cause: e });
    }
    if (env.code === 0) {
      await sessions.remove(s.id);
      return;
    }
    if (env.code === Code.UploadSessionExpired || env.code === Code.PolicyNotAllowed) {
      // The master will never take this upload: do not keep its blob.
      await sessions.abort(s.id);
      throw new AppError(Code.UploadSessionExpired, `Master refused the upload: ${env.msg}`);
    }
    throw new AppError(Code.CallbackError, `Master callback failed: ${env.msg}`);
  }

  await app.register(async (api) => {
    typed(api).get('/site/ping', { config: { scope: 'public' }, schema: { tags: ['node'], summary: 'Node version' } }, async () => ok(VERSION));

    await api.register(async (scope) => {
      rawBodyScope(scope);
      const r = typed(scope);

      r.post('/slave/ping', {
        config: NODE,
        schema: { tags: ['node'], summary: 'Master → node: check the node can reach the master and runs the same version' },
      }, async (req) => {
        const body = await readRawBody(req);
        await verifyNodeRequest(ctx, secret, req, body, { oneTime: true });
        const { callback } = parseJsonBody<{ callback?: string }>(body);
        if (typeof callback !== 'string' || !/^https?:\/\//i.test(callback)) throw new AppError(Code.ParamErr, 'Invalid callback URL');
        let version: unknown;
        try {
          const res = await nodeRequest({ method: 'GET', url: `${callback.replace(/\/+$/, '')}/api/v4/site/ping`, timeoutMs: ctx.cfg.slave.callbackTimeout * 1000 });
          version = (JSON.parse((await readBody(res, 65536)).toString('utf8')) as { data?: unknown }).data;
        } catch (e) {
          throw new AppError(Code.SlavePingMaster, 'Slave cannot ping master', { cause: e });
        }
        const master = String(version ?? '').replace(/-pro$/, '');
        if (master !== VERSION) throw new AppError(Code.VersionMismatch, `Version mismatch: master ${master}, node ${VERSION}`);
        return ok();
      });

      r.put('/slave/upload', { config: NODE, schema: { tags: ['node'], summary: 'Create an upload session on the node' } }, async (req) => {
        const body = await readRawBody(req);
        await verifyNodeRequest(ctx, secret, req, body, { oneTime: true });
        const { session } = parseJsonBody<{ session?: NodeUploadSession }>(body);
        if (!session || typeof session.id !== 'string' || typeof session.save_path !== 'string' || typeof session.expires !== 'number') {
          throw new AppError(Code.ParamErr, 'Invalid upload session');
        }
        if (session.callback !== undefined && (typeof session.callback !== 'string' || !/^https?:\/\//i.test(session.callback))) {
          throw new AppError(Code.ParamErr, 'Invalid callback URL');
        }
        const nodeId = req.headers['x-cr-node-id'];
        await sessions.create(session, typeof nodeId === 'string' ? nodeId : undefined, ctx.now());
        return ok();
      });

      r.post('/slave/upload/:sessionId', {
        config: NODE,
        schema: {
          tags: ['node'], summary: 'Upload one chunk to a node session (browser credential or master relay)',
          params: Type.Object({ sessionId: Type.String({ maxLength: 80 }) }),
          querystring: Type.Object({ chunk: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })) }),
        },
      }, async (req, reply) => withRawBody(req, reply, async (stream) => {
        await verifyNodeRequest(ctx, secret, req, undefined);
        const s = await sessions.load(req.params.sessionId);
        if (!s || s.expiresAt <= ctx.now()) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
        if (s.published) {
          // The bytes are all here already (a retried last chunk): only the callback is missing.
          stream.resume();
          if (s.callback) await callBack(s);
          return ok();
        }
        const index = Number(req.query.chunk ?? 0);
        if ((s.chunkSize === 0 && index > 0) || (s.chunkSize > 0 && index > 0 && index * s.chunkSize >= s.size)) {
          throw new AppError(Code.InvalidChunkIndex, 'Invalid chunk index');
        }
        const expected = s.chunkSize <= 0 ? s.size : Math.min(s.chunkSize, s.size - index * s.chunkSize);
        if (declaredLength(req) !== expected) throw new AppError(Code.InvalidContentLength, `Invalid Content-Length (expected: ${expected})`);
        const offset = index * s.chunkSize;
        const feeder = sessions.hashes.begin(s.id, offset);
        let received = 0;
        async function* tapped(): AsyncGenerator<Buffer> {
          for await (const piece of stream.iterator({ destroyOnReturn: false })) {
            const buf = piece as Buffer;
            received += buf.length;
            if (received > expected) throw new AppError(Code.InvalidContentLength, `Invalid Content-Length (expected: ${expected})`);
            feeder?.update(buf);
            yield buf;
          }
        }
        const writeId = chunkWriteId();
        try {
          await driver.writeChunk(sessions.handle(s), { index, offset, length: expected, body: tapped() });
        } catch (e) {
          feeder?.done(false, index, expected, writeId);
          if (e instanceof AppError) throw e;
          if (e instanceof StorageError && e.kind === 'not_found') throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
          throw new AppError(Code.IOFailed, `Chunk incomplete: received ${received} of ${expected} bytes`, { cause: e });
        }
        feeder?.done(true, index, expected, writeId);
        const updated = await sessions.recordChunk(s.id, index, writeId);
        if (!updated) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
        if (updated.callback && sessions.allStored(updated)) await callBack(updated);
        return ok();
      }));

      r.post('/slave/upload/:sessionId/complete', {
        config: NODE,
        schema: { tags: ['node'], summary: '[OURS] Publish a node upload under its key (master relay / server-side uploads)', params: Type.Object({ sessionId: Type.String({ maxLength: 80 }) }) },
      }, async (req) => {
        await verifyNodeRequest(ctx, secret, req, await readRawBody(req), { oneTime: true });
        return ok(await sessions.publish(req.params.sessionId));
      });

      r.get('/slave/upload/:sessionId/data', {
        config: NODE,
        schema: { tags: ['node'], summary: '[OURS] The bytes received so far for an unpublished session', params: Type.Object({ sessionId: Type.String({ maxLength: 80 }) }) },
      }, async (req, reply) => {
        await verifyNodeRequest(ctx, secret, req, undefined);
        const s = await sessions.load(req.params.sessionId);
        if (!s || s.published) throw new AppError(Code.UploadSessionExpired, 'Upload session expired');
        const stream = await driver.readUpload(sessions.handle(s));
        return reply.header('content-type', 'application/octet-stream').send(stream);
      });

      r.delete('/slave/upload/:sessionId', {
        config: NODE,
        schema: { tags: ['node'], summary: 'Cancel a node upload session and delete its data', params: Type.Object({ sessionId: Type.String({ maxLength: 80 }) }) },
      }, async (req) => {
        await verifyNodeRequest(ctx, secret, req, await readRawBody(req), { oneTime: true });
        await sessions.abort(req.params.sessionId);
        return ok();
      });

      r.delete('/slave/file', { config: NODE, schema: { tags: ['node'], summary: 'Delete blobs (and their thumbnail sidecars)' } }, async (req) => {
        const body = await readRawBody(req);
        await verifyNodeRequest(ctx, secret, req, body, { oneTime: true });
        const { files } = parseJsonBody<{ files?: unknown }>(body);
        if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw new AppError(Code.ParamErr, 'Invalid file list');
        const failed: string[] = [];
        for (const key of files as string[]) {
          const bad = await driver.delete([key]).catch(() => [key]);
          await driver.delete([`${key}${THUMB_SIDECAR}`]).catch(() => undefined);
          failed.push(...bad);
        }
        if (failed.length) return { code: 203, data: failed, msg: 'Some files cannot be deleted' };
        return ok();
      });

      r.get('/slave/file/list', {
        config: NODE,
        schema: { tags: ['node'], summary: 'List blobs under a prefix', querystring: Type.Object({ path: Type.Optional(Type.String({ maxLength: 4096 })), recursive: Type.Optional(Type.String()) }) },
      }, async (req) => {
        // A GET signature covers only the path (no per-request header), so it cannot be one-time;
        // listing is read-only.
        await verifyNodeRequest(ctx, secret, req, undefined);
        const out: { name: string; source: string; relative_path: string; size: number; is_dir: boolean; last_modify: number }[] = [];
        const prefix = req.query.path ?? '';
        for await (const b of driver.list(prefix)) {
          if (b.key.endsWith(THUMB_SIDECAR)) continue;
          out.push({ name: b.key.slice(b.key.lastIndexOf('/') + 1), source: b.key, relative_path: b.key.slice(prefix.length).replace(/^\/+/, ''), size: b.size, is_dir: false, last_modify: b.modifiedAt });
        }
        return ok(out);
      });
    });

    /**
     * Signed download/thumbnail URLs: a bad, expired or missing signature is HTTP 403 with the error
     * envelope (these are fetched by browsers and <img> tags, not read as RPC answers).
     */
    async function signedUrlOk(req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
      try {
        await verifyNodeRequest(ctx, secret, req, undefined, { fromQuery: true });
        return true;
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        reply.code(403).send(errorEnvelope(e, req.correlationId, false));
        return false;
      }
    }

    const r = typed(api);
    r.route({
      method: ['GET', 'HEAD'],
      url: '/slave/file/content/:nodeId/:src/:speed/:name',
      config: SIGNED,
      schema: {
        tags: ['node'], summary: 'Signed content of a blob on this node (Range, conditional requests, speed limit)',
        params: Type.Object({ nodeId: Type.String({ maxLength: 20 }), src: Type.String({ maxLength: 8192 }), speed: Type.String({ pattern: '^[0-9]{1,15}$' }), name: Type.String({ maxLength: 4096 }) }),
        querystring: Type.Object({ sign: Type.Optional(Type.String({ maxLength: 512 })), download: Type.Optional(Type.String()) }),
      },
      handler: async (req, reply) => {
        if (!(await signedUrlOk(req, reply))) return reply;
        const key = decodeSrc(req.params.src);
        const st = await driver.stat(key).catch(() => undefined);
        if (!st) return reply.code(404).send({ code: Code.NotFound, msg: 'Entity data does not exist.' });
        const ts = transferSettings(ctx);
        return serveBlob(req, reply, {
          driver, key, size: st.size, modifiedAt: st.modifiedAt, etag: `"${st.size.toString(36)}-${st.modifiedAt.toString(36)}"`, name: req.params.name,
          download: typeof req.query.download === 'string' && req.query.download !== '', speed: Number(req.params.speed), maxAge: ts.publicMaxAge, mimeMapping: ts.mimeMapping,
        });
      },
    });
    r.options('/slave/file/content/:nodeId/:src/:speed/:name', { config: SIGNED, schema: { hide: true } }, async (_req, reply) => {
      reply.header('access-control-allow-origin', '*').header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
        .header('access-control-allow-headers', 'Range, If-Range, If-None-Match, If-Modified-Since, If-Match').header('access-control-max-age', '86400');
      return reply.code(204).send();
    });

    const rendering = new Map<string, Promise<void>>();
    r.get('/slave/file/thumb/:src/:ext', {
      config: SIGNED,
      schema: {
        tags: ['node'], summary: 'Thumbnail of a blob, generated on the node and kept as a sidecar',
        params: Type.Object({ src: Type.String({ maxLength: 8192 }), ext: Type.String({ maxLength: 32 }) }),
        querystring: Type.Object({ sign: Type.Optional(Type.String({ maxLength: 512 })) }),
      },
    }, async (req, reply) => {
      if (!(await signedUrlOk(req, reply))) return reply;
      const key = decodeSrc(req.params.src);
      const sidecar = `${key}${THUMB_SIDECAR}`;
      let st = await driver.stat(sidecar).catch(() => undefined);
      if (!st) {
        const src = await driver.stat(key).catch(() => undefined);
        if (!src) return reply.code(404).send({ code: Code.NotFound, msg: 'Entity data does not exist.' });
        let p = rendering.get(sidecar);
        if (!p) {
          p = (async () => {
            const out = await renderThumbnail(ctx.settings, { driver, key, name: `source.${req.params.ext.toLowerCase()}`, size: src.size });
            await driver.put(sidecar, Readable.from([out.data]), { size: out.data.length }).catch((e) => {
              if (!(e instanceof StorageError && e.kind === 'conflict')) throw e;
            });
          })().finally(() => rendering.delete(sidecar));
          rendering.set(sidecar, p);
        }
        try {
          await p;
        } catch (e) {
          if (!(e instanceof NoThumbnailGenerator)) ctx.log.info('node: thumbnail generation failed', { error: String((e as Error)?.message ?? e) });
          throw new AppError(Code.EntityNotExist, 'Thumbnail not available');
        }
        st = await driver.stat(sidecar);
        if (!st) throw new AppError(Code.EntityNotExist, 'Thumbnail not available');
      }
      return serveBlob(req, reply, {
        driver, key: sidecar, size: st.size, modifiedAt: st.modifiedAt, etag: `"t-${st.size.toString(36)}-${st.modifiedAt.toString(36)}"`, name: 'thumb',
        download: false, speed: 0, maxAge: transferSettings(ctx).publicMaxAge,
      });
    });
  }, { prefix: '/api/v4' });
}
