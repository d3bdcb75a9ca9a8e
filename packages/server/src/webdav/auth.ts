import type { Ctx } from '../services/context.ts';
import { findDavLogin, type DavLogin } from '../services/dav-accounts.ts';
import { GroupPermission } from '../util/boolset.ts';
import { DavError } from './errors.ts';

/**
 * HTTP Basic authentication of the WebDAV server (contract 50 §2.1): user name = the account
 * owner's e-mail, password = the DAV account secret. Failed attempts are counted per client IP
 * and per e-mail in fixed windows (settings `login_ip_rate_limit`, `login_rate_limit`,
 * `login_rate_window`, shared with sign-in but kept in their own counters); over a limit every
 * attempt — right or wrong — gets 429 until the window ends.
 */

export const CHALLENGE = 'Basic realm="cloudreve"';

const ipKey = (ip: string) => `dav_auth_fail_ip_${ip}`;
const accountKey = (email: string) => `dav_auth_fail_account_${email.trim().toLowerCase().slice(0, 255)}`;

function limits(ctx: Ctx) {
  return {
    account: Math.max(0, ctx.settings.int('login_rate_limit', 10)),
    ip: Math.max(0, ctx.settings.int('login_ip_rate_limit', 50)),
    window: Math.max(1, ctx.settings.int('login_rate_window', 600)),
  };
}

const unauthorized = (msg: string) => new DavError(401, msg, { headers: { 'WWW-Authenticate': CHALLENGE } });

/** Decodes `Authorization: Basic …`; undefined when absent or not Basic. */
export function parseBasic(header: string | undefined): { user: string; pass: string } | undefined {
  if (!header) return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

/** The caller's account, or a DavError (401 challenge, 403 group without WebDAV, 429 rate-limited). */
export async function authenticate(ctx: Ctx, header: string | undefined, ip: string): Promise<DavLogin> {
  const creds = parseBasic(header);
  if (!creds) throw unauthorized('Authentication required');
  const l = limits(ctx);
  const [byIp, byAccount] = await Promise.all([
    l.ip ? ctx.kv.get<number>(ipKey(ip)) : undefined,
    l.account ? ctx.kv.get<number>(accountKey(creds.user)) : undefined,
  ]);
  if ((l.ip && Number(byIp ?? 0) >= l.ip) || (l.account && Number(byAccount ?? 0) >= l.account)) {
    throw new DavError(429, 'Too many failed authentication attempts', { headers: { 'Retry-After': String(l.window) } });
  }
  const login = await findDavLogin(ctx, creds.user, creds.pass);
  if (!login) {
    await Promise.all([ctx.kv.incr(ipKey(ip), l.window), ctx.kv.incr(accountKey(creds.user), l.window)]);
    throw unauthorized('Invalid credentials');
  }
  if (!login.user.permissions.has(GroupPermission.WebDAV)) throw new DavError(403, 'WebDAV is not enabled for this user group');
  return login;
}
