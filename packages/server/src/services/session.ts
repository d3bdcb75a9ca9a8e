import { Code, type LoginResponse } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { findUserByEmail, loadUser, serializeUser, type UserRow } from './users.ts';
import { verifyPassword } from './password.ts';
import { issueTokenPair } from './tokens.ts';

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

/** Password sign-in; returns the user row when the password matches. Same 40080 for unknown e-mail. */
export async function checkPassword(ctx: Ctx, email: string, password: string): Promise<UserRow> {
  const user = await findUserByEmail(ctx, email);
  const okPw = user ? await verifyPassword(user.password, password) : false;
  if (!user || !okPw) throw new AppError(Code.InvalidPassword, 'Incorrect password or email address');
  return user;
}
