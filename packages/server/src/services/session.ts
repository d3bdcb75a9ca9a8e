import { Code, type LoginResponse, type Token } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { findUserByEmail, loadUser, serializeUser, type UserRow } from './users.ts';
import { hashPassword, isLegacyHash, verifyPassword } from './password.ts';
import { issueTokenPair, revokeKey, stateHash, verifyJwt } from './tokens.ts';
import { verifyTotp } from './totp.ts';
import { assertSignInAllowed, clearAccountFailures, recordSignInFailure } from './ratelimit.ts';
import { HashType } from '../util/hashid.ts';
import { safeEqual, uuid } from '../util/random.ts';

/** Sign-in, 2FA, refresh and sign-out (contract 10 §4, conventions §5.2–5.3). */

const TWO_FA_TTL_SECONDS = 600;
const twoFaKey = (sessionId: string) => `user_2fa_${sessionId}`;
// A TOTP code, once accepted, is refused for the rest of its validity (RFC 6238 §5.2).
const usedCodeKey = (userId: number, code: string) => `user_2fa_used_${userId}_${code}`;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Checks the account's status for sign-in (banned 40017, inactive 40018). */
export function assertCanSignIn(user: UserRow): void {
  if (user.status === 'manual_banned' || user.status === 'sys_banned') throw new AppError(Code.UserBanned, 'This account has been blocked');
  if (user.status === 'inactive') throw new AppError(Code.UserNotActivated, 'This account is not activated');
}

export async function loginResponse(ctx: Ctx, userId: number, rootTokenId?: string): Promise<LoginResponse> {
  const user = await loadUser(ctx, userId);
  if (!user) throw new AppError(Code.UserNotFound, 'User not found');
  return { user: serializeUser(ctx, user), token: await issueTokenPair(ctx, user.row, rootTokenId) };
}

// Unknown e-mails are checked against this hash too, so both answers take about as long.
let dummyHash: Promise<string> | undefined;

/** Password sign-in; returns the user row when the password matches. Same 40080 for unknown e-mail. */
export async function checkPassword(ctx: Ctx, email: string, password: string): Promise<UserRow> {
  const user = await findUserByEmail(ctx, email);
  const stored = user?.password || (await (dummyHash ??= hashPassword('not a real password')));
  const matches = await verifyPassword(stored, password);
  if (!user || !user.password || !matches) throw new AppError(Code.InvalidPassword, 'Incorrect password or email address');
  return user;
}

/** Re-hashes a legacy (SHA-256/SHA-1/MD5) password as argon2id once it has been verified. */
async function upgradeLegacyHash(ctx: Ctx, user: UserRow, password: string): Promise<UserRow> {
  if (!isLegacyHash(user.password)) return user;
  const upgraded = await hashPassword(password);
  // Conditional on the old hash, so a concurrent password change is never overwritten.
  await ctx.db.kysely.updateTable('users').set({ password: upgraded }).where('id', '=', user.id).where('password', '=', user.password).execute();
  return (await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirst()) ?? user;
}

export type PasswordSignIn = { twoFactorSession: string } | { login: LoginResponse };

/**
 * POST /session/token after the captcha: rate limit, password (40080), status (40017/40018),
 * then either a 2FA session (stored 600 s) or a token pair with a new root_token_id.
 */
export async function passwordSignIn(ctx: Ctx, input: { email: string; password: string; ip: string }): Promise<PasswordSignIn> {
  const email = normalizeEmail(input.email);
  const subject = { email, ip: input.ip };
  await assertSignInAllowed(ctx, subject);
  let user: UserRow;
  try {
    user = await checkPassword(ctx, email, input.password);
  } catch (e) {
    await recordSignInFailure(ctx, subject);
    throw e;
  }
  assertCanSignIn(user);
  user = await upgradeLegacyHash(ctx, user, input.password);
  if (user.two_factor_secret) {
    // The account's failure counter is only cleared once the second factor is passed too,
    // otherwise re-entering the password would reset the budget for guessing TOTP codes.
    const sessionId = uuid();
    await ctx.kv.set(twoFaKey(sessionId), { uid: user.id }, TWO_FA_TTL_SECONDS);
    return { twoFactorSession: sessionId };
  }
  await clearAccountFailures(ctx, email);
  return { login: await loginResponse(ctx, user.id) };
}

/** POST /session/token/2fa: a wrong code (40022) leaves the session usable until it expires. */
export async function finishTwoFactorSignIn(ctx: Ctx, input: { sessionId: string; otp: string; ip: string }): Promise<LoginResponse> {
  const key = twoFaKey(input.sessionId);
  const session = await ctx.kv.get<{ uid: number }>(key);
  if (!session) throw new AppError(Code.NotFound, 'Session not found');
  const user = await loadUser(ctx, session.uid);
  if (!user) {
    await ctx.kv.delete(key);
    throw new AppError(Code.NotFound, 'Session not found');
  }
  const subject = { email: user.row.email, ip: input.ip };
  await assertSignInAllowed(ctx, subject);
  assertCanSignIn(user.row);
  const otp = input.otp.trim();
  const valid = !!user.row.two_factor_secret && verifyTotp(user.row.two_factor_secret, otp, ctx.now());
  if (!valid || !(await ctx.kv.setIfAbsent(usedCodeKey(user.row.id, otp), 1, 90))) {
    await recordSignInFailure(ctx, subject);
    throw new AppError(Code.TwoFACodeErr, 'Incorrect 2FA code');
  }
  // Consume atomically: of two concurrent correct finishes only one gets tokens.
  if ((await ctx.kv.take(key)) === undefined) throw new AppError(Code.NotFound, 'Session not found');
  await clearAccountFailures(ctx, user.row.email);
  return loginResponse(ctx, user.row.id);
}

const refreshFailed = (why: string) => new AppError(Code.CredentialInvalid, 'Failed to issue token pair', { cause: new Error(why) });

/**
 * POST /session/token/refresh (conventions §5.3): a new pair with the same root_token_id. The
 * presented token is not consumed, so concurrent refreshes of one token all succeed.
 */
export async function refreshTokenPair(ctx: Ctx, refreshToken: string): Promise<Token> {
  const claims = await verifyJwt(ctx, refreshToken);
  if (!claims) throw refreshFailed('refresh token invalid or expired');
  if (claims.token_type !== 'refresh') throw refreshFailed('not a refresh token');
  const rootTokenId = claims.root_token_id;
  if (typeof rootTokenId !== 'string' || !rootTokenId) throw refreshFailed('root_token_id missing');
  const id = ctx.hashids.decode(String(claims.sub ?? ''), HashType.User);
  if (id === undefined) throw refreshFailed('subject is not a user id');
  const user = await loadUser(ctx, id, true);
  if (!user) throw refreshFailed('user missing or not active');
  if (typeof claims.state_hash !== 'string' || !safeEqual(claims.state_hash, stateHash(ctx, user.row))) throw refreshFailed('credentials changed since sign-in');
  if ((await ctx.kv.get(revokeKey(rootTokenId))) !== undefined) throw refreshFailed('session signed out');
  return issueTokenPair(ctx, user.row, rootTokenId);
}

/** DELETE /session/token: revokes the token's whole lineage for the refresh TTL (+10 s). */
export async function signOut(ctx: Ctx, refreshToken: string): Promise<void> {
  const claims = await verifyJwt(ctx, refreshToken);
  const rootTokenId = claims?.root_token_id;
  if (!claims || claims.token_type !== 'refresh' || typeof rootTokenId !== 'string' || !rootTokenId) {
    throw new AppError(Code.CredentialInvalid, 'Invalid refresh token');
  }
  await ctx.kv.set(revokeKey(rootTokenId), 1, ctx.settings.int('refresh_token_ttl', 15552000) + 10);
}

/** GET /session/prepare: which sign-in methods an e-mail has; unknown → 404. */
export async function prepareSignIn(ctx: Ctx, email: string): Promise<{ webauthn_enabled: boolean; password_enabled: boolean }> {
  const user = await findUserByEmail(ctx, email);
  if (!user) throw new AppError(Code.NotFound, 'User not found');
  const passkey = await ctx.db.kysely.selectFrom('passkeys').select('id').where('user_id', '=', user.id).limit(1).executeTakeFirst();
  return { webauthn_enabled: !!passkey, password_enabled: user.password !== '' };
}
