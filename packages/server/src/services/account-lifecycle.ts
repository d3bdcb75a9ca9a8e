import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { createUser, setPassword } from './accounts.ts';
import { findUserByEmail, loadUser, type CurrentUser, type UserRow } from './users.ts';
import { mailConfigured, sendTemplateMail, siteRoot } from './mail.ts';
import { signPathFor, verifySignedPath } from './signing.ts';
import { HashType } from '../util/hashid.ts';
import { randomString, safeEqual } from '../util/random.ts';

/** Sign-up, e-mail activation and password reset (contract 10 §5). */

const ACTIVATION_TTL_SECONDS = 24 * 3600;
const RESET_TTL_SECONDS = 3600;
const resetKey = (userId: number) => `user_reset_${userId}`;

/** The API path an activation link signs (the SPA page calls it with the `sign`). */
export const activationPath = (hashid: string) => `/api/v4/user/activate/${hashid}`;

export async function sendActivationMail(ctx: Ctx, user: UserRow): Promise<void> {
  const hashid = ctx.hashids.encode(user.id, HashType.User);
  const sign = signPathFor(ctx, activationPath(hashid), ACTIVATION_TTL_SECONDS);
  const url = `${siteRoot(ctx)}/session/activate?id=${encodeURIComponent(hashid)}&sign=${encodeURIComponent(sign)}`;
  await sendTemplateMail(ctx, 'mail_activation_template', user, url);
}

export type SignUpResult = { activationSent: true } | { user: CurrentUser };

/**
 * POST /user after the feature gate and captcha. Taken by an inactive account → activation
 * mail re-sent and 40033; taken otherwise → 40032; `email_active` → inactive account plus
 * activation mail (no SMTP configured → 40028 before anything is created).
 */
export async function signUp(ctx: Ctx, input: { email: string; password: string; language?: string }): Promise<SignUpResult> {
  const existing = await findUserByEmail(ctx, input.email);
  if (existing) {
    if (existing.status !== 'inactive') throw new AppError(Code.EmailExisted, 'Email already in use');
    await sendActivationMail(ctx, existing);
    throw new AppError(Code.EmailSent, 'This email is registered but not activated yet; the activation email has been sent again');
  }
  const needsActivation = ctx.settings.bool('email_active');
  if (needsActivation && !mailConfigured(ctx)) {
    throw new AppError(Code.FailedSendEmail, 'Email activation is enabled but no SMTP server is configured (setting smtpHost)');
  }
  const row = await createUser(ctx, { ...input, status: needsActivation ? 'inactive' : 'active' });
  if (needsActivation) {
    // A failed mail leaves the account inactive; signing up again re-sends the link (40033).
    await sendActivationMail(ctx, row);
    return { activationSent: true };
  }
  return { user: (await loadUser(ctx, row.id))! };
}

const decodeUserId = (ctx: Ctx, hashid: string): number => {
  const id = ctx.hashids.decode(hashid, HashType.User);
  if (id === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  return id;
};

/** GET /user/activate/:id?sign= — signature (403/40071/40005), id (40001), user (40021), state (40034). */
export async function activateAccount(ctx: Ctx, hashid: string, sign: string | undefined): Promise<CurrentUser> {
  verifySignedPath(ctx, activationPath(hashid), sign);
  const id = decodeUserId(ctx, hashid);
  const user = await loadUser(ctx, id);
  if (!user) throw new AppError(Code.UserNotFound, 'User not found');
  const r = await ctx.db.kysely.updateTable('users').set({ status: 'active', updated_at: ctx.now() })
    .where('id', '=', id).where('status', '=', 'inactive').executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new AppError(Code.UserCannotActivate, 'This account is not waiting for activation');
  return (await loadUser(ctx, id))!;
}

/**
 * POST /user/reset. [OURS] An unknown e-mail gets the same empty success as a known one, so
 * the form cannot be used to discover accounts; banned (40017) and inactive (40018) accounts
 * keep the contract's codes. A new request replaces the previous secret.
 */
export async function requestPasswordReset(ctx: Ctx, email: string): Promise<void> {
  // Checked before the lookup so a missing SMTP setup does not reveal which e-mails exist.
  if (!mailConfigured(ctx)) throw new AppError(Code.FailedSendEmail, 'Failed to send email: no SMTP server is configured (setting smtpHost)');
  const user = await findUserByEmail(ctx, email);
  if (!user) return;
  if (user.status === 'manual_banned' || user.status === 'sys_banned') throw new AppError(Code.UserBanned, 'This account has been blocked');
  if (user.status === 'inactive') throw new AppError(Code.UserNotActivated, 'This account is not activated');
  const secret = randomString(32);
  await ctx.kv.set(resetKey(user.id), secret, RESET_TTL_SECONDS);
  const hashid = ctx.hashids.encode(user.id, HashType.User);
  await sendTemplateMail(ctx, 'mail_reset_template', user, `${siteRoot(ctx)}/session/reset?id=${encodeURIComponent(hashid)}&secret=${secret}`);
}

/** PATCH /user/reset/:id — wrong/expired/used secret 40030; only active users (40021). */
export async function resetPassword(ctx: Ctx, hashid: string, secret: string, password: string): Promise<CurrentUser> {
  const id = decodeUserId(ctx, hashid);
  const expired = () => new AppError(Code.TempLinkExpired, 'Link is expired');
  const stored = await ctx.kv.get<string>(resetKey(id));
  if (typeof stored !== 'string' || !safeEqual(stored, secret)) throw expired();
  const user = await loadUser(ctx, id, true);
  if (!user) throw new AppError(Code.UserNotFound, 'User not found');
  // take() makes the secret single-use even under concurrent requests.
  const taken = await ctx.kv.take<string>(resetKey(id));
  if (typeof taken !== 'string' || !safeEqual(taken, secret)) throw expired();
  await setPassword(ctx, id, password);
  return (await loadUser(ctx, id))!;
}
