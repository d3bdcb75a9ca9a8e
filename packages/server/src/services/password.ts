import { createHash } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { safeEqual } from '../util/random.ts';

/**
 * New passwords are stored as argon2id PHC strings (memory-hard). Legacy Cloudreve layouts are
 * still verified so migrated databases keep working (contract 00 §5.5):
 * `<salt>:<sha256(password+salt)>`, the SHA-1 v3 variant, and `md5:<hash>:<salt>`.
 */
export async function hashPassword(password: string): Promise<string> {
  return argonHash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (!stored) return false;
  if (stored.startsWith('$argon2')) {
    try {
      return await argonVerify(stored, password);
    } catch {
      return false;
    }
  }
  if (stored.startsWith('md5:')) {
    const [, digest, salt] = stored.split(':');
    if (!digest || salt === undefined) return false;
    return safeEqual(createHash('md5').update(salt + password).digest('hex'), digest);
  }
  const i = stored.indexOf(':');
  if (i < 0) return false;
  const salt = stored.slice(0, i);
  const digest = stored.slice(i + 1);
  const algo = digest.length === 64 ? 'sha256' : 'sha1';
  return safeEqual(createHash(algo).update(password + salt).digest('hex'), digest);
}

/** True for hashes that should be upgraded to argon2id after a successful sign-in. */
export const isLegacyHash = (stored: string) => !!stored && !stored.startsWith('$argon2');
