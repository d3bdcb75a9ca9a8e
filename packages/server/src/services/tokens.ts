import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { Code, type Token } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { UserRow } from './users.ts';
import { AppError } from '../http/errors.ts';
import { HashType } from '../util/hashid.ts';
import { formatTime } from '../util/time.ts';
import { uuid } from '../util/random.ts';

export interface AccessClaims { token_type: 'access'; sub: string }
export interface RefreshClaims { token_type: 'refresh'; sub: string; state_hash: string; root_token_id: string; exp: number }

const key = (ctx: Ctx) => new TextEncoder().encode(ctx.settings.get('secret_key'));

/** SHA-256 of `<email>/<password hash>/<siteID>` (contract 00 §5.2). */
export function stateHash(ctx: Ctx, user: Pick<UserRow, 'email' | 'password'>): string {
  return createHash('sha256').update(`${user.email}/${user.password}/${ctx.settings.get('siteID')}`).digest('base64');
}

async function sign(ctx: Ctx, claims: Record<string, unknown>, nowSec: number, ttl: number): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(nowSec + ttl).setNotBefore(nowSec).sign(key(ctx));
}

/** Issues an access/refresh pair; `rootTokenId` is kept across refreshes of one sign-in. */
export async function issueTokenPair(ctx: Ctx, user: UserRow, rootTokenId: string = uuid()): Promise<Token> {
  const nowMs = ctx.now();
  const nowSec = Math.floor(nowMs / 1000);
  const accessTtl = ctx.settings.int('access_token_ttl', 3600);
  const refreshTtl = ctx.settings.int('refresh_token_ttl', 15552000);
  const sub = ctx.hashids.encode(user.id, HashType.User);
  try {
    const access = await sign(ctx, { token_type: 'access', sub }, nowSec, accessTtl);
    const refresh = await sign(ctx, { token_type: 'refresh', sub, state_hash: stateHash(ctx, user), root_token_id: rootTokenId }, nowSec, refreshTtl);
    return {
      access_token: access,
      refresh_token: refresh,
      access_expires: formatTime(nowMs + accessTtl * 1000),
      refresh_expires: formatTime(nowMs + refreshTtl * 1000),
    };
  } catch (cause) {
    throw new AppError(Code.EncryptError, 'Failed to sign token', { cause });
  }
}

/** Verifies signature, exp and nbf with zero leeway; undefined when invalid. */
export async function verifyJwt(ctx: Ctx, token: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { payload } = await jwtVerify(token, key(ctx), { algorithms: ['HS256'], currentDate: new Date(ctx.now()), clockTolerance: 0 });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export const revokeKey = (rootTokenId: string) => `jwt_revoke_${rootTokenId}`;
