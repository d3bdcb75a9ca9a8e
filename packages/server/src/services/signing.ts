import { createHmac } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';
import { safeEqual } from '../util/random.ts';

/**
 * HMAC-signed URL paths (contract 00 §5.6):
 * `sign = base64url(HMAC-SHA256(secret_key, path + ":" + expires)) + ":" + expires`,
 * `expires` in unix seconds, 0 = never. The base64url keeps Go's padding so links signed by a
 * migrated Cloudreve instance stay valid.
 */
function mac(ctx: Ctx, path: string, expires: number): string {
  return createHmac('sha256', ctx.settings.get('secret_key')).update(`${path}:${expires}`).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Signs `path` until `expires` (unix seconds; 0 = never). */
export function signPath(ctx: Ctx, path: string, expires: number): string {
  return `${mac(ctx, path, expires)}:${expires}`;
}

/** Signs `path` for `ttlSeconds` from now. */
export function signPathFor(ctx: Ctx, path: string, ttlSeconds: number): string {
  return signPath(ctx, path, Math.floor(ctx.now() / 1000) + ttlSeconds);
}

/**
 * Checks a signature for `path`, in the contract's order: missing expiry part → 403,
 * unparsable → 40071, expired → 40005, mismatch → 40071.
 */
export function verifySignedPath(ctx: Ctx, path: string, sign: string | undefined): void {
  const parts = (sign ?? '').split(':');
  const expiresText = parts[parts.length - 1]!;
  if (expiresText === '') throw new AppError(Code.NoPermission, 'Signature is missing its expiry');
  if (!/^\d{1,15}$/.test(expiresText)) throw new AppError(Code.InvalidSign, 'Invalid signature');
  const expires = Number(expiresText);
  if (expires !== 0 && expires < Math.floor(ctx.now() / 1000)) throw new AppError(Code.SignExpired, 'Signature expired');
  if (!safeEqual(signPath(ctx, path, expires), sign!)) throw new AppError(Code.InvalidSign, 'Invalid signature');
}
