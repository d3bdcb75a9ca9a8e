import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { SiteConfigSchema, SITE_CONFIG_SECTIONS } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { siteConfigSection } from '../services/site-config.ts';
import { VERSION } from '../util/version.ts';

export { VERSION };

/** Site information (contract 10 §3). The captcha route lives in captcha.ts. */
export async function siteRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.get('/site/ping', {
    config: { scope: 'public' },
    schema: { tags: ['site'], summary: 'Backend version', description: 'A Cloudreve-like version string; nodes compare it with their own.', data: Type.String({ examples: [VERSION] }) },
  }, async () => ok(VERSION));

  r.get('/site/config/:section', {
    config: { scope: 'public' },
    schema: {
      tags: ['site'],
      summary: 'Public site settings of one section',
      description: `Sections: ${SITE_CONFIG_SECTIONS.join(', ')}. Any other name answers the basic section. ` +
        'With a valid access token, basic.user is the signed-in user; otherwise the anonymous user.',
      params: Type.Object({ section: Type.String() }),
      data: SiteConfigSchema,
    },
  }, async (req) => ok(siteConfigSection(ctx, req.params.section, req.user)));
}
