import fs from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Ctx } from '../services/context.ts';
import { resolveUnder } from '../storage/safe-path.ts';

/** packages/web/dist, built by `npm run build` (and by `npm start` when missing or stale). */
export const DEFAULT_WEB_DIST = path.join(serverPackageRoot(path.dirname(fileURLToPath(import.meta.url))), '../web/dist');

/** packages/server, found upwards from this module (it runs from src/ under tsx and from dist/ when bundled). */
function serverPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@cloudreve-ts/server') return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '../..');
  }
}

/** Paths owned by the server itself; never answered with the SPA (unknown ones stay 404 text). */
const SERVER_PREFIXES = ['/api/', '/dav/', '/f/', '/s/'];
const SERVER_EXACT = new Set(['/api', '/dav', '/f', '/s']);
/** Vite puts content-hashed bundles here; a missing one is a real 404, not a page. */
const HASHED_ASSETS = '/assets/';

const isServerPath = (p: string) => SERVER_EXACT.has(p) || SERVER_PREFIXES.some((pre) => p.startsWith(pre));

function pathnameOf(req: FastifyRequest): string | undefined {
  const raw = req.url.split('?')[0]!;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

async function isFile(abs: string): Promise<boolean> {
  const st = await fs.stat(abs).catch(() => undefined);
  return st?.isFile() ?? false;
}

/**
 * Serves the web UI at `/`: files of the built dist as they are, and index.html for every other
 * GET path that is not the server's own (history-API routing). Does nothing when the UI is not
 * built, so an API-only deployment keeps plain 404s.
 */
export async function webRoutes(app: FastifyInstance, ctx: Ctx, distDir = DEFAULT_WEB_DIST): Promise<void> {
  if (!(await isFile(path.join(distDir, 'index.html')))) {
    ctx.log.info('web UI not built; serving the API only (run `npm run build`)', { dist: distDir });
    return;
  }
  await app.register(fastifyStatic, { root: distDir, serve: false, dotfiles: 'deny', cacheControl: false });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff').sendFile('index.html');

  app.get('/*', { config: { scope: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const pathname = pathnameOf(req);
    if (pathname === undefined || isServerPath(pathname)) return reply.callNotFound();
    const relative = pathname.replace(/^\/+/, '');
    if (relative === '' || relative === 'index.html') return sendIndex(reply);
    if (relative.split('/').some((seg) => seg.startsWith('.'))) return reply.callNotFound();
    let abs: string;
    try {
      abs = resolveUnder(distDir, relative);
    } catch {
      return reply.callNotFound();
    }
    if (await isFile(abs)) {
      const immutable = pathname.startsWith(HASHED_ASSETS);
      reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.sendFile(path.relative(distDir, abs));
    }
    if (pathname.startsWith(HASHED_ASSETS)) return reply.callNotFound();
    return sendIndex(reply);
  });
}
