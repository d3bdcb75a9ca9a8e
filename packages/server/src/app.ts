import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './services/context.ts';
import { AppError } from './http/errors.ts';
import { errorEnvelope, validationMessage } from './http/envelope.ts';
import { enforceScope, resolveUser } from './http/auth.ts';
import { ROUTE_SCOPES } from './http/scope.ts';
import { uuid } from './util/random.ts';
import { registerApiRoutes } from './api/index.ts';
import { swaggerOptions } from './http/openapi.ts';
import { VERSION } from './api/site.ts';
import { webRoutes } from './http/web.ts';
import { slaveRoutes } from './api/slave/index.ts';
import { StorageError } from './storage/driver.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RouteInfo { method: string; url: string; scope: string | undefined }

/**
 * Query strings, params and headers are text, so their validator coerces ("10" → 10); JSON bodies
 * are validated strictly, so a wrongly typed field is 40001 as in CE instead of silently coerced.
 */
function buildValidator(externalSchemas: unknown, ajvOptions: { customOptions?: object }) {
  const factory = AjvCompiler();
  const coercing = factory(externalSchemas as never, ajvOptions as never);
  const strict = factory(externalSchemas as never, { ...ajvOptions, customOptions: { ...ajvOptions.customOptions, coerceTypes: false } } as never);
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
}

/** Fastify's own request errors (bad Content-Length, aborted body …) are the caller's fault, not a 500. */
const isClientError = (err: unknown) => {
  const status = (err as FastifyError)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && !(err instanceof AppError);
};

/** Malformed URLs (bad percent-encoding) fail before routing, so before our hooks run. */
function badUrl(ctx: Ctx, err: Error, url: string, reply: FastifyReply): void {
  if (!url.startsWith('/api/v4')) {
    reply.status(400).type('text/plain').send('400 bad request');
    return;
  }
  reply.header('Cache-Control', 'private, no-cache').status(200)
    .send(errorEnvelope(new AppError(Code.ParamErr, 'Invalid URL', { cause: err }), uuid(), ctx.cfg.system.debug));
}

/** Builds the HTTP application over an initialized service context. */
export async function buildApp(ctx: Ctx): Promise<{ app: FastifyInstance; routes: RouteInfo[] }> {
  const app = Fastify({
    logger: false,
    // The forwarded-for header is believed only from a proxy on this machine or a private network;
    // a client talking to us directly cannot spoof its address (rate limits key on it).
    trustProxy: ctx.cfg.system.proxyHeader ? ['loopback', 'linklocal', 'uniquelocal', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] : false,
    bodyLimit: 4 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true },
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    // Malformed URLs (bad percent-encoding) fail before routing and before our hooks run.
    frameworkErrors: (err, req, reply) => badUrl(ctx, err, req.url, reply as unknown as FastifyReply),
  });
  const routes: RouteInfo[] = [];

  app.addHook('onRoute', (opts) => {
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    const scope = opts.config?.scope;
    // The CORS plugin's preflight catch-all answers OPTIONS only, before any handler or auth.
    if (opts.url === '*' && methods.every((m) => m === 'OPTIONS')) return;
    if (!opts.url.startsWith('/documentation') && (!scope || !ROUTE_SCOPES.includes(scope))) {
      throw new Error(`route ${methods.join(',')} ${opts.url} declares no caller scope (config.scope)`);
    }
    for (const m of methods) if (m !== 'HEAD') routes.push({ method: m, url: opts.url, scope });
  });

  const slave = ctx.cfg.system.mode === 'slave';
  // A node takes browser uploads from the master's site: any origin unless [CORS] says otherwise
  // (requests carry a signed credential, never cookies).
  const origins = ctx.cfg.cors.allowOrigins.length ? ctx.cfg.cors.allowOrigins : slave ? ['*'] : [];
  if (origins.length) {
    await app.register(cors, {
      origin: origins.includes('*') ? true : origins,
      methods: ctx.cfg.cors.allowMethods,
      allowedHeaders: ctx.cfg.cors.allowHeaders,
      credentials: ctx.cfg.cors.allowCredentials,
      exposedHeaders: ctx.cfg.cors.exposeHeaders,
    });
  }

  await app.register(swagger, swaggerOptions(VERSION));

  app.decorateRequest('user', null as never);
  app.decorateRequest('correlationId', '');

  app.addHook('onRequest', async (req, reply) => {
    const given = req.headers['x-cr-correlation-id'];
    req.correlationId = typeof given === 'string' && UUID_RE.test(given) ? given : uuid();
    if (req.url.startsWith('/api/v4')) reply.header('Cache-Control', 'private, no-cache');
  });

  // Who is calling is settled before the body is read or validated, as CE's middleware does:
  // an anonymous caller of a protected route gets 401, never a validation error or an upload.
  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope || scope === 'node' || scope === 'signed') return;
    req.user = await resolveUser(ctx, req);
    enforceScope(scope, req.user);
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    let appErr: AppError;
    if (err instanceof AppError) appErr = err;
    else if ((err as FastifyError).validation) appErr = new AppError(Code.ParamErr, validationMessage((err as FastifyError).validation as never));
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) appErr = new AppError(Code.ParamErr, 'JSON marshall error');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_EMPTY_JSON_BODY') appErr = new AppError(Code.ParamErr, 'Parameter error');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') appErr = new AppError(Code.ParamErr, 'Request body too large');
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') appErr = new AppError(Code.ParamErr, 'Unsupported content type');
    else if (isClientError(err)) appErr = new AppError(Code.ParamErr, 'Parameter error', { cause: err });
    else if (err instanceof StorageError && err.kind === 'io') {
      // A storage backend that is down or refuses the policy's credentials is not an internal error.
      ctx.log.warn('storage backend failed', { url: req.routeOptions.url, correlation_id: req.correlationId, error: err.message, cause: String((err.cause as Error)?.message ?? '') });
      appErr = new AppError(Code.IOFailed, 'Storage backend unavailable', { cause: err });
    } else {
      ctx.log.error('unhandled error', { url: req.routeOptions.url, correlation_id: req.correlationId, error: String(err?.message ?? err) });
      appErr = new AppError(Code.DBError, 'Internal server error', { cause: err });
    }
    reply.status(200).send(errorEnvelope(appErr, req.correlationId, ctx.cfg.system.debug));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).type('text/plain').send('404 page not found');
  });

  if (slave) {
    // Node mode serves only what a master and browsers need from a node.
    await slaveRoutes(app, ctx);
    return { app, routes };
  }

  await registerApiRoutes(app, ctx);

  app.get('/api/v4/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await webRoutes(app, ctx);

  return { app, routes };
}
