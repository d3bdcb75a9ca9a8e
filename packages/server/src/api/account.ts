import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { EmailField } from './session.ts';
import { createUser } from '../services/accounts.ts';
import { loadUser, serializeUser } from '../services/users.ts';

/** Account lifecycle: sign up, activation, password reset (contract 10 §5). */
export async function accountRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.post('/user', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'], summary: 'Sign up',
      body: Type.Object({
        email: EmailField,
        password: Type.String({ minLength: 6, maxLength: 128 }),
        language: Type.Optional(Type.String({ maxLength: 255 })),
        captcha: Type.Optional(Type.String({ maxLength: 1024 })),
        ticket: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
    },
  }, async (req) => {
    if (!ctx.settings.bool('register_enabled')) throw new AppError(Code.FeatureNotEnabled, 'This feature is not enabled');
    const row = await createUser(ctx, { email: req.body.email, password: req.body.password, language: req.body.language });
    return ok(serializeUser(ctx, (await loadUser(ctx, row.id))!));
  });
}
