import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as Cloudreve uses it: SHA-1, 6 digits, 30 s steps, one step of skew either way. */
const PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** A new random TOTP secret: 20 CSPRNG bytes as unpadded base32 (32 characters). */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** True when `code` is valid for `secret` at `nowMs` (±1 step). A malformed secret never matches. */
export function verifyTotp(secret: string, code: string, nowMs: number): boolean {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code) || !secret) return false;
  let totp: TOTP;
  try {
    totp = new TOTP({ ...PARAMS, secret: Secret.fromBase32(secret) });
  } catch {
    return false;
  }
  return totp.validate({ token: code, timestamp: nowMs, window: 1 }) !== null;
}
