import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { downloaderFor, type NodeDownloaderSettings } from '../../downloader/index.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';

/**
 * `POST /admin/node/test/downloader` (contract 60 §5): connects to the aria2 / qBittorrent
 * described by `node.settings` (unsaved form values) and returns its version string.
 */
export async function adminDownloaderTestRoutes(app: FastifyInstance, _ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.post('/admin/node/test/downloader', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Test a node\'s downloader (aria2 / qBittorrent)',
      description: 'Uses `node.settings.provider` and its `aria2` {server, token} or `qbittorrent` {server, user, password}. Returns the version string; failure → 40001 with the reason.',
      body: Type.Object({
        node: Type.Object({ settings: Type.Optional(Type.Unknown()) }, { additionalProperties: true }),
      }),
    },
  }, async (req) => {
    const settings = (req.body.node.settings ?? {}) as NodeDownloaderSettings;
    if (typeof settings !== 'object' || Array.isArray(settings)) throw new AppError(Code.ParamErr, 'node.settings must be an object');
    try {
      return ok(await downloaderFor(settings).test());
    } catch (e) {
      throw new AppError(Code.ParamErr, `Downloader test failed: ${(e as Error).message}`);
    }
  });
}
