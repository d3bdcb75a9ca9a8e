import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { CurrentUser } from './users.ts';
import { recordAdminAction } from './admin-audit.ts';
import { AppError } from '../http/errors.ts';
import { HashIds } from '../util/hashid.ts';
import { randomString } from '../util/random.ts';
import { clearEntityUrlCache } from '../transfer/download-url.ts';

/**
 * Admin settings (contract 60 §5): read any existing key but `secret_key`; write existing keys
 * only (every key the dashboard knows is seeded at start-up), with the contract's normalisation.
 * Every feature reads its settings when it runs, so a saved value takes effect on the next use;
 * the side effects that need more are done here (new signing key, new hashid salt).
 */

/** Never returned: it signs every JWT and URL. */
const SECRET = 'secret_key';
/** Keys recorded in the audit log as `true` (changed) without their values: credentials. */
const CREDENTIAL = /pass|secret|_ak$|api_key|Key$|key_vault|token/i;

/** POST /admin/settings: `{key: value}` for the asked keys that exist. */
export function readSettings(ctx: Ctx, keys: string[]): Record<string, string> {
  const all = ctx.settings.all();
  const out: Record<string, string> = {};
  for (const k of keys) if (k !== SECRET && Object.hasOwn(all, k)) out[k] = all[k]!;
  return out;
}

function normaliseSiteUrl(v: string): string {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new AppError(Code.ParamErr, 'siteURL cannot be empty');
  return parts.map((p) => {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new AppError(Code.ParamErr, `Invalid site URL: ${p}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError(Code.ParamErr, `Invalid site URL: ${p}`);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }).join(',');
}

function checkMimeMapping(v: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new AppError(Code.ParamErr, 'mime_mapping must be a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((x) => typeof x !== 'string')) {
    throw new AppError(Code.ParamErr, 'mime_mapping must be a JSON object of extension → MIME type');
  }
  return v;
}

/**
 * PATCH /admin/settings. Unknown keys are ignored (as CE does). Any value for `secret_key`
 * replaces it with a fresh random key — every JWT and signed URL dies — and is echoed as "".
 * A new `hash_id_salt` changes every public id at once.
 */
export async function patchSettings(ctx: Ctx, actor: CurrentUser, input: Record<string, string>): Promise<Record<string, string>> {
  const existing = ctx.settings.all();
  const save: Record<string, string> = {};
  for (const [k, raw] of Object.entries(input)) {
    if (!Object.hasOwn(existing, k)) continue;
    let v = raw;
    if (k === SECRET) v = randomString(256);
    else if (k === 'siteURL') v = normaliseSiteUrl(v);
    else if (k === 'mime_mapping') v = checkMimeMapping(v);
    else if (k === 'hash_id_salt' && !v) throw new AppError(Code.ParamErr, 'hash_id_salt cannot be empty');
    save[k] = v;
  }
  if (!Object.keys(save).length) return {};
  try {
    await ctx.settings.set(save);
  } catch (cause) {
    throw new AppError(Code.DBError, 'Failed to save settings', { cause });
  }
  if (save.hash_id_salt !== undefined && save.hash_id_salt !== existing.hash_id_salt) ctx.hashids = new HashIds(save.hash_id_salt);
  // Cached entity URLs carry the old signature or ids: drop them so none is handed out again.
  if (SECRET in save || (save.hash_id_salt !== undefined && save.hash_id_salt !== existing.hash_id_salt)) await clearEntityUrlCache(ctx);
  const changed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(save)) {
    if (k === SECRET) changed[k] = true;
    else if (v !== existing[k]) changed[k] = CREDENTIAL.test(k) ? true : { from: existing[k], to: v };
  }
  await recordAdminAction(ctx, actor, 'settings.update', 'settings', changed);
  const echo = { ...save };
  if (SECRET in echo) echo[SECRET] = '';
  return echo;
}
