import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { typed } from './typed.ts';
import { checkCaptcha } from '../services/captcha.ts';
import { finishTwoFactorSignIn, passwordSignIn, prepareSignIn, refreshTokenPair, signOut } from '../services/session.ts';

export const EmailField = Type.String({ format: 'email', maxLength: 255 });
/** Captcha fields travel in the same body (conventions §5.7); provider tokens can be long. */
export const CaptchaFields = {
  captcha: Type.Optional(Type.String({ maxLength: 4096 })),
  ticket: Type.Optional(Type.String({ maxLength: 4096 })),
};
const RefreshTokenBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 8192 }) });

/** Password sign-in, 2FA, refresh, sign-out and prepare (contract 10 §4). */
export async function sessionRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/session/token', {
    config: { scope: 'public' },
    schema: {
      tags: ['session'], summary: 'Password sign-in (code 203 + 2FA session id when the account has 2FA)',
      body: Type.Object({ email: EmailField, password: Type.String({ minLength: 4, maxLength: 128 }), ...CaptchaFields }),
    },
  }, async (req) => {
    await checkCaptcha(ctx, 'login', req.body, req.ip);
    const result = await passwordSignIn(ctx, { email: req.body.email, password: req.body.password, ip: req.ip });
    if ('twoFactorSession' in result) return { code: Code.NotFullySuccess, data: result.twoFactorSession, msg: '' };
    return ok(result.login);
  });

  r.post('/session/token/2fa', {
    config: { scope: 'public' },
    schema: {
      tags: ['session'], summary: 'Finish sign-in with a TOTP code',
      body: Type.Object({ otp: Type.String({ minLength: 1, maxLength: 16 }), session_id: Type.String({ minLength: 1, maxLength: 64 }) }),
    },
  }, async (req) => ok(await finishTwoFactorSignIn(ctx, { sessionId: req.body.session_id, otp: req.body.otp, ip: req.ip })));

  r.post('/session/token/refresh', {
    config: { scope: 'public' },
    schema: { tags: ['session'], summary: 'New token pair for a refresh token (same login lineage)', body: RefreshTokenBody },
  }, async (req) => ok(await refreshTokenPair(ctx, req.body.refresh_token)));

  r.delete('/session/token', {
    config: { scope: 'public' },
    schema: { tags: ['session'], summary: 'Sign out: revoke the refresh token lineage', body: RefreshTokenBody },
  }, async (req) => {
    await signOut(ctx, req.body.refresh_token);
    return ok('');
  });

  r.get('/session/prepare', {
    config: { scope: 'public' },
    schema: { tags: ['session'], summary: 'Sign-in methods of an e-mail', querystring: Type.Object({ email: EmailField }) },
  }, async (req) => ok(await prepareSignIn(ctx, req.query.email)));
}
