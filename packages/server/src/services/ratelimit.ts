import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { AppError } from '../http/errors.ts';

/**
 * Failed sign-in attempts (wrong password / unknown e-mail, wrong 2FA code), counted in fixed
 * windows of `login_rate_window` seconds per account (`login_rate_limit`) and per client IP
 * (`login_ip_rate_limit`); 0 disables a limit. Counters live in the KV store, so they are
 * shared by every instance when Redis is configured. Over the limit → 40027 (conventions §5.7:
 * keep the envelope, no HTTP 429).
 */
export interface SignInSubject { email: string; ip: string }

const accountKey = (email: string) => `login_fail_account_${email.trim().toLowerCase()}`;
const ipKey = (ip: string) => `login_fail_ip_${ip}`;

function limits(ctx: Ctx) {
  return {
    account: Math.max(0, ctx.settings.int('login_rate_limit', 10)),
    ip: Math.max(0, ctx.settings.int('login_ip_rate_limit', 50)),
    window: Math.max(1, ctx.settings.int('login_rate_window', 600)),
  };
}

/** Refuses the attempt when the account or the IP already used up its failures in this window. */
export async function assertSignInAllowed(ctx: Ctx, subject: SignInSubject): Promise<void> {
  const l = limits(ctx);
  const [byAccount, byIp] = await Promise.all([
    l.account ? ctx.kv.get<number>(accountKey(subject.email)) : undefined,
    l.ip ? ctx.kv.get<number>(ipKey(subject.ip)) : undefined,
  ]);
  if ((l.account && Number(byAccount ?? 0) >= l.account) || (l.ip && Number(byIp ?? 0) >= l.ip)) {
    throw new AppError(Code.CaptchaRefreshNeeded, `Too many failed sign-in attempts, please try again in ${Math.ceil(l.window / 60)} minutes`);
  }
}

/** Counts one failure against both the account and the IP. */
export async function recordSignInFailure(ctx: Ctx, subject: SignInSubject): Promise<void> {
  const l = limits(ctx);
  await Promise.all([ctx.kv.incr(accountKey(subject.email), l.window), ctx.kv.incr(ipKey(subject.ip), l.window)]);
}

/**
 * A completed sign-in clears the account's own counter. The IP counter is left alone: it may
 * hold failures against other accounts, which one success must not wipe out.
 */
export async function clearAccountFailures(ctx: Ctx, email: string): Promise<void> {
  await ctx.kv.delete(accountKey(email));
}
