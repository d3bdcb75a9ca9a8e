import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { hashPassword } from './password.ts';
import { findUserByEmail, newUserSettings, type UserRow } from './users.ts';
import { ADMIN_GROUP_ID } from './seed.ts';
import { insertReturningId } from '../db/insert.ts';

export interface NewUser {
  email: string;
  password: string;
  nick?: string;
  language?: string;
  status?: UserRow['status'];
  groupId?: number;
  admin?: boolean;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

/**
 * Creates an account. The very first account (id 1) always lands in the Admin group.
 * Throws 40032 when the e-mail is taken.
 */
export async function createUser(ctx: Ctx, input: NewUser): Promise<UserRow> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL_RE.test(email) || email.length > 255) throw new AppError(Code.ParamErr, 'Email format error');
  if (await findUserByEmail(ctx, email)) throw new AppError(Code.EmailExisted, 'Email already in use');
  const now = ctx.now();
  const password = input.password ? await hashPassword(input.password) : '';
  const groupId = input.admin ? ADMIN_GROUP_ID : input.groupId ?? ctx.settings.int('default_group', 2);
  let id: number;
  try {
    id = await insertReturningId(ctx.db, 'users', {
      email,
      nick: (input.nick ?? email.split('@')[0]!).slice(0, 255),
      password,
      status: input.status ?? 'active',
      storage: 0,
      group_id: groupId,
      two_factor_secret: null,
      avatar: '',
      settings: JSON.stringify(newUserSettings(input.language)),
      credit: 0,
      created_at: now,
      updated_at: now,
    });
  } catch (cause) {
    // The unique index on email decides races between concurrent sign-ups.
    if (await findUserByEmail(ctx, email)) throw new AppError(Code.EmailExisted, 'Email already in use');
    throw cause;
  }
  if (id === 1 && groupId !== ADMIN_GROUP_ID) {
    await ctx.db.kysely.updateTable('users').set({ group_id: ADMIN_GROUP_ID }).where('id', '=', 1).execute();
  }
  return (await ctx.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

/** Sets a new password; the new hash changes the refresh state hash, so old refresh tokens die. */
export async function setPassword(ctx: Ctx, userId: number, password: string): Promise<void> {
  if (password.length < 6 || password.length > 128) throw new AppError(Code.ParamErr, 'Password must be 6-128 characters');
  await ctx.db.kysely.updateTable('users').set({ password: await hashPassword(password), updated_at: ctx.now() }).where('id', '=', userId).execute();
}

export async function promoteToAdmin(ctx: Ctx, userId: number): Promise<void> {
  await ctx.db.kysely.updateTable('users').set({ group_id: ADMIN_GROUP_ID, updated_at: ctx.now() }).where('id', '=', userId).execute();
}
