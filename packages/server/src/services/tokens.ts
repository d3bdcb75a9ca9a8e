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

/**
 * Tokens whose signature was already checked, with the secret they were checked against. A client
 * sends the same access token with every request; HS256 verification through WebCrypto costs more
 * than most handlers. exp/nbf are still checked on every use, and a changed secret_key misses.
 */
const verified = new Map<string, { secret: string; payload: Record<string, unknown> }>();
const VERIFIED_CACHE_SIZE = 10_000;

/** exp and nbf with zero leeway, as jose checks them. */
function timesValid(payload: Record<string, unknown>, nowSec: number): boolean {
  if (typeof payload.exp === 'number' && payload.exp <= nowSec) return false;
  if (typeof payload.nbf === 'number' && payload.nbf > nowSec) return false;
  return true;
}

/** Verifies signature, exp and nbf with zero leeway; undefined when invalid. */
export async function verifyJwt(ctx: Ctx, token: string): Promise<Record<string, unknown> | undefined> {
  const secret = ctx.settings.get('secret_key');
  const nowMs = ctx.now();
  const hit = verified.get(token);
  if (hit && hit.secret === secret) return timesValid(hit.payload, Math.floor(nowMs / 1000)) ? hit.payload : undefined;
  try {
    const { payload } = await jwtVerify(token, key(ctx), { algorithms: ['HS256'], currentDate: new Date(nowMs), clockTolerance: 0 });
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { secret, payload: payload as Record<string, unknown> });
    return payload as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export const revokeKey = (rootTokenId: string) => `jwt_revoke_${rootTokenId}`;
