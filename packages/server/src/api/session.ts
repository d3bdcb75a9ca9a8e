import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { assertCanSignIn, checkPassword, loginResponse } from '../services/session.ts';

export const EmailField = Type.String({ format: 'email', maxLength: 255 });

export async function sessionRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);
  r.post('/session/token', {
    config: { scope: 'public' },
    schema: {
      tags: ['session'], summary: 'Password sign-in',
      body: Type.Object({
        email: EmailField,
        password: Type.String({ minLength: 4, maxLength: 128 }),
        captcha: Type.Optional(Type.String({ maxLength: 1024 })),
        ticket: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
    },
  }, async (req) => {
    const user = await checkPassword(ctx, req.body.email, req.body.password);
    assertCanSignIn(user);
    return ok(await loginResponse(ctx, user.id));
  });
}
