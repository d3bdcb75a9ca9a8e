import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { siteConfigSection } from '../services/site-config.ts';

export const VERSION = '4.0.0';

export async function siteRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.get('/site/ping', { config: { scope: 'public' }, schema: { tags: ['site'], summary: 'Backend version' } }, async () => ok(VERSION));

  r.get('/site/config/:section', {
    config: { scope: 'public' },
    schema: { tags: ['site'], summary: 'Public site settings of one section', params: Type.Object({ section: Type.String({ maxLength: 64 }) }) },
  }, async (req) => ok(await siteConfigSection(ctx, req.params.section, req.user)));
}
