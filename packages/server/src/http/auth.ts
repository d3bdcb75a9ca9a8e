import type { FastifyRequest } from 'fastify';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { anonymousUser, isAdmin, loadUser, type CurrentUser } from '../services/users.ts';
import { verifyJwt } from '../services/tokens.ts';
import { HashType } from '../util/hashid.ts';
import { AppError } from './errors.ts';
import type { RouteScope } from './scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: CurrentUser;
    correlationId: string;
  }
}

/**
 * Resolves the caller from `Authorization: Bearer <jwt>` (contract 00 §5.4). Invalid or expired
 * tokens silently mean anonymous; a refresh token is 40020; a token of a user who is no longer
 * active is treated as anonymous (our deliberate deviation from CE's 50001, so clients sign out).
 */
export async function resolveUser(ctx: Ctx, req: FastifyRequest): Promise<CurrentUser> {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Bearer ') || header.startsWith('Bearer Cr ')) return anonymousUser(ctx);
  const token = header.slice('Bearer '.length).trim();
  if (!token) return anonymousUser(ctx);
  const claims = await verifyJwt(ctx, token);
  if (!claims) return anonymousUser(ctx);
  if (claims.token_type !== 'access') throw new AppError(Code.CredentialInvalid, 'Invalid token type');
  const id = ctx.hashids.decode(String(claims.sub ?? ''), HashType.User);
  if (id === undefined) throw new AppError(Code.NotFound, 'User not found');
  return (await loadUser(ctx, id, true)) ?? anonymousUser(ctx);
}

/** Enforces a route's declared scope for the resolved caller. */
export function enforceScope(scope: RouteScope, user: CurrentUser): void {
  if (scope === 'user' && user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
  if (scope === 'admin') {
    if (user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
    if (!isAdmin(user)) throw new AppError(Code.NoPermission, '');
  }
}
