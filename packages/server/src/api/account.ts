import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { CaptchaFields, EmailField } from './session.ts';
import { checkCaptcha } from '../services/captcha.ts';
import { activateAccount, requestPasswordReset, resetPassword, signUp } from '../services/account-lifecycle.ts';
import { serializeUser } from '../services/users.ts';

const NewPassword = Type.String({ minLength: 6, maxLength: 128 });
const UserIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Account lifecycle: sign up, activation, password reset (contract 10 §5). */
export async function accountRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/user', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'], summary: 'Sign up (code 203 without data when e-mail activation is required)',
      body: Type.Object({ email: EmailField, password: NewPassword, language: Type.Optional(Type.String({ maxLength: 255 })), ...CaptchaFields }),
    },
  }, async (req) => {
    if (!ctx.settings.bool('register_enabled')) throw new AppError(Code.FeatureNotEnabled, 'This feature is not enabled');
    await checkCaptcha(ctx, 'reg', req.body, req.ip);
    const result = await signUp(ctx, { email: req.body.email, password: req.body.password, language: req.body.language || undefined });
    if ('activationSent' in result) return { code: Code.NotFullySuccess, msg: '' };
    return ok(serializeUser(ctx, result.user));
  });

  r.get('/user/activate/:id', {
    config: { scope: 'signed' },
    schema: {
      tags: ['user'], summary: 'Activate an account from the signed e-mail link',
      params: UserIdParam,
      querystring: Type.Object({ sign: Type.Optional(Type.String({ maxLength: 512 })) }),
    },
  }, async (req) => ok(serializeUser(ctx, await activateAccount(ctx, req.params.id, req.query.sign))));

  r.post('/user/reset', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'], summary: 'Send a password-reset e-mail (unknown e-mails also get success)',
      body: Type.Object({ email: EmailField, language: Type.Optional(Type.String({ maxLength: 255 })), ...CaptchaFields }),
    },
  }, async (req) => {
    await checkCaptcha(ctx, 'forget', req.body, req.ip);
    await requestPasswordReset(ctx, req.body.email);
    return ok();
  });

  r.patch('/user/reset/:id', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'], summary: 'Set a new password with the secret from the reset e-mail',
      params: UserIdParam,
      body: Type.Object({ password: NewPassword, secret: Type.String({ minLength: 1, maxLength: 128 }) }),
    },
  }, async (req) => ok(serializeUser(ctx, await resetPassword(ctx, req.params.id, req.body.secret, req.body.password))));
}
