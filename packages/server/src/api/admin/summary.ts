import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { metricsSummary, siteUrls } from '../../services/admin-summary.ts';
import { VERSION } from '../site.ts';
import { typed } from '../typed.ts';
import { ADMIN } from './common.ts';

/** GET /admin/summary (contract 60 §5): dashboard home metrics, site URLs and version. */
export async function adminSummaryRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  typed(app).get('/admin/summary', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Dashboard summary: 12-day activity, totals, site URLs, version (metrics cached 24 h; generate=true refreshes)',
      querystring: Type.Object({ generate: Type.Optional(Type.String({ maxLength: 8 })) }),
    },
  }, async (req) => ok({
    metrics_summary: await metricsSummary(ctx, req.query.generate === 'true' || req.query.generate === '1'),
    site_urls: siteUrls(ctx),
    version: { version: VERSION, pro: false, commit: process.env.CR_COMMIT ?? '' },
  }));
}
