import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../services/context.ts';
import { siteRoutes } from './site.ts';
import { captchaRoutes } from './captcha.ts';
import { sessionRoutes } from './session.ts';
import { accountRoutes } from './account.ts';
import { userRoutes } from './user.ts';
import { fileRoutes } from './file.ts';
import { uploadRoutes } from './upload.ts';
import { cloudCallbackRoutes } from './callback-cloud.ts';
import { remoteCallbackRoutes } from './callback-remote.ts';
import { contentRoutes } from './content.ts';
import { deviceRoutes } from './devices.ts';
import { shareRoutes } from './share.ts';
import { directLinkApiRoutes, publicLinkRoutes } from './direct-link.ts';
import { webdavRoutes } from '../webdav/index.ts';
import { workflowRoutes } from './workflow.ts';
import { remoteDownloadRoutes } from './remote-download.ts';
import { adminRoutes } from './admin/index.ts';

/** One module per contract area; each registers its routes with a declared scope. */
export async function registerApiRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  await app.register(async (api) => {
    // The caller's address travels with the user, so file systems can rate-limit anonymous
    // callers (share link lookups). Runs after the app-level hook that resolved req.user.
    api.addHook('onRequest', async (req) => {
      if (req.user) req.user.clientIp = req.ip;
    });
    await siteRoutes(api, ctx);
    await captchaRoutes(api, ctx);
    await sessionRoutes(api, ctx);
    await accountRoutes(api, ctx);
    await userRoutes(api, ctx);
    await fileRoutes(api, ctx);
    await uploadRoutes(api, ctx);
    await cloudCallbackRoutes(api, ctx);
    await remoteCallbackRoutes(api, ctx);
    await contentRoutes(api, ctx);
    await deviceRoutes(api, ctx);
    await shareRoutes(api, ctx);
    await directLinkApiRoutes(api, ctx);
    await workflowRoutes(api, ctx);
    await remoteDownloadRoutes(api, ctx);
    await adminRoutes(api, ctx);
  }, { prefix: '/api/v4' });
  // Direct links (/f) and short share links (/s) live at the site root too.
  await publicLinkRoutes(app, ctx);
  // The WebDAV server lives at the site root (/dav), outside the API prefix.
  await webdavRoutes(app, ctx);
}
