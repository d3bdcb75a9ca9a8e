import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { createCaptcha } from '../services/captcha.ts';

/** Built-in image captcha (contract 10 §3). */
export async function captchaRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  typed(app).get('/site/captcha', {
    config: { scope: 'public' },
    schema: { tags: ['site'], summary: 'New one-time image captcha: {image: PNG data URI, ticket}' },
  }, async () => ok(await createCaptcha(ctx)));
}
