import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../services/context.ts';
import { siteRoutes } from './site.ts';
import { captchaRoutes } from './captcha.ts';
import { sessionRoutes } from './session.ts';
import { accountRoutes } from './account.ts';
import { userRoutes } from './user.ts';
import { fileRoutes } from './file.ts';
import { deviceRoutes } from './devices.ts';

/** One module per contract area; each registers its routes with a declared scope. */
export async function registerApiRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  await app.register(async (api) => {
    await siteRoutes(api, ctx);
    await captchaRoutes(api, ctx);
    await sessionRoutes(api, ctx);
    await accountRoutes(api, ctx);
    await userRoutes(api, ctx);
    await fileRoutes(api, ctx);
    await deviceRoutes(api, ctx);
  }, { prefix: '/api/v4' });
}
