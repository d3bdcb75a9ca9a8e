import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../services/context.ts';
import { errorEnvelope, ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { createDirectLinks, deleteDirectLink, openDirectLink } from '../services/direct-links.ts';

const LinkParams = Type.Object({ id: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 1024 }) });
const ShortParams = Type.Object({ id: Type.String({ maxLength: 256 }), password: Type.Optional(Type.String({ maxLength: 256 })) });

/** PUT /file/source and DELETE /file/source/:id (under /api/v4, contract 20 §3.14). */
export async function directLinkApiRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.put('/file/source', {
    config: { scope: 'user' },
    schema: {
      tags: ['file'], summary: 'Create direct links of files',
      body: Type.Object({ uris: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1 }) }),
    },
  }, async (req) => ok(await createDirectLinks(ctx, req.user, req.body.uris, req.headers.host)));

  r.delete('/file/source/:id', {
    config: { scope: 'user' },
    schema: { tags: ['file'], summary: 'Delete a direct link', params: Type.Object({ id: Type.String({ maxLength: 64 }) }) },
  }, async (req) => {
    await deleteDirectLink(ctx, req.user, req.params.id);
    return ok();
  });
}

/**
 * Root routes outside /api/v4: direct links `/f/:id/:name` (and `/f/d/…`, forcing a download) and the
 * short share links `/s/:id[/:password]`.
 */
export async function publicLinkRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  // A direct link answers with a real HTTP status: 302 to a signed content URL, or 404 + envelope.
  const redirect = async (reply: FastifyReply, correlationId: string, open: () => ReturnType<typeof openDirectLink>) => {
    try {
      const url = await open();
      const maxAge = Math.max(0, Math.floor((url.expiresAt - ctx.now()) / 1000));
      return reply.code(302).header('Location', url.url).header('Cache-Control', `public, max-age=${maxAge}`).send();
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return reply.code(404).header('Cache-Control', 'no-cache').send(errorEnvelope(e, correlationId, ctx.cfg.system.debug));
    }
  };

  r.get('/f/:id/:name', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Follow a direct link (302 to the content)', params: LinkParams },
  }, async (req, reply) => redirect(reply, req.correlationId, () => openDirectLink(ctx, req.params.id, req.params.name, false, req.headers.host)));

  r.get('/f/d/:id/:name', {
    config: { scope: 'public' },
    schema: { tags: ['file'], summary: 'Follow a direct link as a download (302 to the content)', params: LinkParams },
  }, async (req, reply) => redirect(reply, req.correlationId, () => openDirectLink(ctx, req.params.id, req.params.name, true, req.headers.host)));

  // Short share links: not looked up here (contract 40 §3.7); the web UI's share page does that.
  const shortLink = (id: string, password?: string) => {
    const user = password ? `${encodeURIComponent(id)}:${encodeURIComponent(password)}` : encodeURIComponent(id);
    return `/home?path=${encodeURIComponent(`cloudreve://${user}@share`)}`;
  };
  r.get('/s/:id', {
    config: { scope: 'share' },
    schema: { tags: ['share'], summary: 'Short share link (302 to the share page)', params: ShortParams },
  }, async (req, reply) => reply.redirect(shortLink(req.params.id), 302));
  r.get('/s/:id/:password', {
    config: { scope: 'share' },
    schema: { tags: ['share'], summary: 'Short share link with password (302 to the share page)', params: ShortParams },
  }, async (req, reply) => reply.redirect(shortLink(req.params.id, req.params.password), 302));
}
