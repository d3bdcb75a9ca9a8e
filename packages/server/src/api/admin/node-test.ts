import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { siteBaseUrl } from '../../services/share-serialize.ts';
import { NodeClient } from '../../storage/remote/node-client.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';

/**
 * POST /admin/node/test (contract 60 §Nodes): the master calls the node's signed `POST /slave/ping`
 * with its primary site URL; the node pings back and compares versions. Transport failure or a
 * non-zero answer → 40001 with the reason in `msg`.
 */
export async function adminNodeTestRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  typed(app).post('/admin/node/test', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Test the connection to a slave node',
      body: Type.Object({
        node: Type.Object({
          id: Type.Optional(Type.Integer({ minimum: 0 })),
          server: Type.String({ maxLength: 4096 }),
          slave_key: Type.String({ maxLength: 4096 }),
        }, { additionalProperties: true }),
      }),
    },
  }, async (req) => {
    const { server, slave_key: secret, id } = req.body.node;
    let url: URL;
    try {
      url = new URL(server);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new AppError(Code.ParamErr, 'Invalid node server address');
    }
    if (!secret) throw new AppError(Code.ParamErr, 'Slave key is required');
    const siteUrl = siteBaseUrl(ctx);
    const client = new NodeClient({ id: id ?? 0, server: url.toString(), secret }, { siteUrl, siteId: ctx.settings.get('siteID', ''), timeoutMs: 20_000 });
    let env;
    try {
      env = await client.call('POST', '/ping', { callback: siteUrl });
    } catch (e) {
      throw new AppError(Code.ParamErr, `Failed to connect to the node: ${(e as Error).message}`, { cause: e });
    }
    if (env.code !== 0) throw new AppError(Code.ParamErr, `Node answered ${env.code}: ${env.msg}`);
    return ok();
  });
}
