import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../../services/context.ts';
import { adminAuditRoutes } from './audit.ts';
import { adminDownloaderTestRoutes } from './downloader-test.ts';
import { adminGroupRoutes } from './groups.ts';
import { adminUserRoutes } from './users.ts';
import { adminSummaryRoutes } from './summary.ts';
import { adminSettingsRoutes } from './settings.ts';
import { adminToolRoutes } from './tools.ts';
import { adminPolicyRoutes } from './policies.ts';
import { adminPolicyToolRoutes } from './policy-tools.ts';
import { adminNodeRoutes } from './nodes.ts';
import { adminNodeTestRoutes } from './node-test.ts';
import { adminFileRoutes } from './files.ts';
import { adminEntityRoutes } from './entities.ts';
import { adminShareRoutes } from './shares.ts';
import { adminQueueRoutes } from './queue.ts';

/**
 * The admin API (contract 60 §4–5). Each module registers its routes with `config: ADMIN`
 * (common.ts); add new modules here.
 */
export async function adminRoutes(api: FastifyInstance, ctx: Ctx): Promise<void> {
  await adminAuditRoutes(api, ctx);
  await adminDownloaderTestRoutes(api, ctx);
  await adminGroupRoutes(api, ctx);
  await adminUserRoutes(api, ctx);
  await adminSummaryRoutes(api, ctx);
  await adminSettingsRoutes(api, ctx);
  await adminToolRoutes(api, ctx);
  await adminPolicyRoutes(api, ctx);
  await adminPolicyToolRoutes(api, ctx);
  await adminNodeRoutes(api, ctx);
  await adminNodeTestRoutes(api, ctx);
  await adminFileRoutes(api, ctx);
  await adminEntityRoutes(api, ctx);
  await adminShareRoutes(api, ctx);
  await adminQueueRoutes(api, ctx);
}
