import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../services/context.ts';
import { DavOption } from '../services/dav-accounts.ts';
import { fileManager } from '../fs/core.ts';
import { FileUri } from '../fs/uri.ts';
import { AppError } from '../http/errors.ts';
import { authenticate, CHALLENGE } from './auth.ts';
import { accountOptions, type DavContext } from './context.ts';
import { announcesBody } from './body.ts';
import { DavError, toDavError } from './errors.ts';
import { DAV_PREFIX, parseDavPath } from './paths.ts';
import { XML_PROLOG, XML_TYPE, type DavReply, type DavRequest } from './types.ts';
import { propfind } from './methods/propfind.ts';
import { proppatch } from './methods/proppatch.ts';
import { get } from './methods/get.ts';
import { put } from './methods/put.ts';
import { copyMove, del, mkcol } from './methods/tree.ts';
import { lock, unlock } from './methods/lock.ts';

/**
 * The WebDAV server (contract 50 §2), mounted at /dav outside the /api/v4 prefix, over the same
 * file-system core as the REST API. Each request authenticates with Basic auth (e-mail + DAV
 * account secret) and only ever sees the account's root; errors are plain WebDAV statuses, never
 * the JSON envelope.
 */

const EXTENSION_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'] as const;
export const DAV_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PROPFIND', 'PROPPATCH'];
/** Methods a read-only account may not use (contract 50 §2.1, plus PROPPATCH [OURS]). */
const WRITE_METHODS = new Set(['DELETE', 'PUT', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PROPPATCH']);

function optionsReply(): DavReply {
  return {
    status: 200,
    headers: { DAV: '1, 2', 'MS-Author-Via': 'DAV', Allow: DAV_METHODS.join(', '), 'Content-Length': '0' },
    body: '',
  };
}

async function dispatch(dc: DavContext, req: DavRequest): Promise<DavReply> {
  switch (req.method) {
    case 'GET': case 'POST': return get(dc, req, false);
    case 'HEAD': return get(dc, req, true);
    case 'PUT': return put(dc, req);
    case 'DELETE': return del(dc, req);
    case 'MKCOL': return mkcol(dc, req);
    case 'COPY': return copyMove(dc, req, true);
    case 'MOVE': return copyMove(dc, req, false);
    case 'PROPFIND': return propfind(dc, req);
    case 'PROPPATCH': return proppatch(dc, req);
    case 'LOCK': return lock(dc, req);
    case 'UNLOCK': return unlock(dc, req);
    default: throw new DavError(405, 'Method not allowed', { headers: { Allow: DAV_METHODS.join(', ') } });
  }
}

function errorReply(e: DavError): DavReply {
  const headers = { ...e.opts.headers };
  if (e.opts.condition) {
    const cond = e.opts.conditionBody ? `<D:${e.opts.condition}>${e.opts.conditionBody}</D:${e.opts.condition}>` : `<D:${e.opts.condition}/>`;
    return { status: e.status, headers: { ...headers, 'Content-Type': XML_TYPE }, body: `${XML_PROLOG}<D:error xmlns:D="DAV:">${cond}</D:error>` };
  }
  return { status: e.status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: `${e.status} ${e.message}\n` };
}

function send(reply: FastifyReply, out: DavReply): FastifyReply {
  reply.status(out.status).headers(out.headers ?? {});
  if (out.body === undefined) return reply.send();
  return reply.send(out.body);
}

export async function webdavRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  for (const m of EXTENSION_METHODS) if (!app.supportedMethods.includes(m)) app.addHttpMethod(m, { hasBody: true });
  const fm = fileManager(ctx);

  await app.register(async (dav) => {
    // Bodies are read (or streamed to storage) by the handlers themselves, after authentication.
    dav.removeAllContentTypeParsers();
    dav.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    // Only the app-level hooks (the API's Bearer-token resolution) can fail outside the handler: a
    // WebDAV client sending such a header is simply not authenticated.
    dav.setErrorHandler((err, _req, reply) => {
      reply.header('Cache-Control', 'private, no-cache');
      const e = err instanceof AppError ? new DavError(401, 'Authentication required', { headers: { 'WWW-Authenticate': CHALLENGE } }) : toDavError(err);
      return send(reply, errorReply(e));
    });

    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('Cache-Control', 'private, no-cache');
      try {
        const rawUrl = req.raw.url ?? DAV_PREFIX;
        const elements = parseDavPath(rawUrl);
        if (req.method === 'OPTIONS') return send(reply, optionsReply());
        const login = await authenticate(ctx, req.headers.authorization, req.ip);
        const options = accountOptions(login.account);
        if (WRITE_METHODS.has(req.method) && options.has(DavOption.ReadOnly)) throw new DavError(403, 'This WebDAV account is read-only');
        let root: FileUri;
        try {
          root = FileUri.parse(login.account.uri).withoutQuery();
        } catch {
          throw new DavError(404, 'The account root is not a valid URI');
        }
        const nav = await fm.navigator(login.user, root);
        const dc: DavContext = { ctx, fm, user: login.user, account: login.account, options, root, nav, host: req.headers.host };
        const out = await dispatch(dc, { method: req.method, elements, headers: req.headers, body: announcesBody(req.headers) ? req.raw : undefined });
        return send(reply, out);
      } catch (e) {
        const err = toDavError(e);
        if (err.status === 500) {
          ctx.log.error('webdav: request failed', { method: req.method, error: String((e as Error)?.message ?? e), cause: String((err.cause as Error)?.message ?? '') });
        }
        return send(reply, errorReply(err));
      }
    };

    for (const url of [DAV_PREFIX, `${DAV_PREFIX}/*`]) {
      dav.route({ method: DAV_METHODS, url, exposeHeadRoute: false, config: { scope: 'public' }, schema: { hide: true }, handler });
    }
  });
}
