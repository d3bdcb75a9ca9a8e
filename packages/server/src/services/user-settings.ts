import { loadPolicies, type WirePolicy } from '../fs/serialize.ts';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { CurrentUser, UserSettings } from './users.ts';
import { AppError } from '../http/errors.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { generateTotpSecret, verifyTotp } from './totp.ts';
import { formatTime } from '../util/time.ts';
import { parseJson } from '../util/json.ts';

/** UserSettings of contract 10 §2.7 (the [PRO] fields are not produced). */
export interface WireUserSettings {
  version_retention_enabled: boolean;
  version_retention_ext?: string[];
  version_retention_max?: number;
  passwordless: boolean;
  two_fa_enabled: boolean;
  passkeys?: { id: string; name: string; created_at: string; used_at?: string }[];
  disable_view_sync: boolean;
  share_links_in_profile: string;
}

export const SHARE_LINK_VISIBILITY = ['', 'all_share', 'hide_share'] as const;
export type ShareLinkVisibility = (typeof SHARE_LINK_VISIBILITY)[number];

/** Body of PATCH /user/setting; every field optional. */
export interface SettingsPatch {
  nick?: string;
  language?: string;
  preferred_theme?: string;
  version_retention_enabled?: boolean;
  version_retention_ext?: string[];
  version_retention_max?: number;
  current_password?: string;
  new_password?: string;
  two_fa_enabled?: boolean;
  two_fa_code?: string;
  disable_view_sync?: boolean;
  share_links_in_profile?: string;
}

export const twoFactorInitKey = (userId: number) => `2fa_init_${userId}`;
const TWO_FA_INIT_TTL = 600;

export async function buildUserSettings(ctx: Ctx, user: CurrentUser): Promise<WireUserSettings> {
  const s = user.settings;
  const passkeys = await ctx.db.kysely
    .selectFrom('passkeys')
    .select(['credential_id', 'name', 'created_at', 'used_at'])
    .where('user_id', '=', user.row.id)
    .orderBy('id')
    .execute();
  const out: WireUserSettings = {
    version_retention_enabled: !!s.version_retention,
    passwordless: !user.row.password,
    two_fa_enabled: !!user.row.two_factor_secret,
    disable_view_sync: !!s.disable_view_sync,
    share_links_in_profile: s.share_links_in_profile ?? '',
  };
  if (s.version_retention_ext?.length) out.version_retention_ext = s.version_retention_ext;
  if (s.version_retention_max) out.version_retention_max = s.version_retention_max;
  if (passkeys.length) {
    out.passkeys = passkeys.map((p) => ({
      id: p.credential_id,
      name: p.name,
      created_at: formatTime(p.created_at),
      ...(p.used_at ? { used_at: formatTime(p.used_at) } : {}),
    }));
  }
  return out;
}

/** Starts enabling 2FA: a new secret remembered for 600 s (a new call replaces it). */
export async function beginTwoFactor(ctx: Ctx, user: CurrentUser): Promise<string> {
  const secret = generateTotpSecret();
  try {
    await ctx.kv.set(twoFactorInitKey(user.row.id), secret, TWO_FA_INIT_TTL);
  } catch (cause) {
    throw new AppError(Code.InternalSetting, 'Failed to store TOTP session', { cause });
  }
  return secret;
}

const BYTE = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const PERCENT = '(?:100|[1-9]?\\d)%';
const ALPHA = '(?:0|1|0?\\.\\d+|1\\.0+)';
const DEGREES = '(?:360|3[0-5]\\d|[12]\\d\\d|[1-9]?\\d)';
const list = (...parts: string[]) => parts.join('\\s*,\\s*');
const fn = (name: string, body: string) => new RegExp(`^${name}\\(\\s*${body}\\s*\\)$`, 'i');
const COLOUR_FORMS = [
  /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i,
  fn('rgb', `(?:${list(BYTE, BYTE, BYTE)}|${list(PERCENT, PERCENT, PERCENT)})`),
  fn('rgba', `(?:${list(BYTE, BYTE, BYTE, ALPHA)}|${list(PERCENT, PERCENT, PERCENT, ALPHA)})`),
  fn('hsl', list(DEGREES, PERCENT, PERCENT)),
];

/** Hex colour, rgb(), rgba() or hsl() — the forms CE's validator accepts. */
export function isThemeColour(v: string): boolean {
  return v.length <= 64 && COLOUR_FORMS.some((re) => re.test(v));
}

const codePoints = (s: string) => [...s].length;
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkText(field: string, v: string, max: number): string {
  const t = v.trim();
  if (!t) throw new AppError(Code.ParamErr, `${field} cannot be empty`);
  if (codePoints(t) > max) throw new AppError(Code.ParamErr, `${field} too long`);
  if (CONTROL.test(t)) throw new AppError(Code.ParamErr, `${field} contains control characters`);
  return t;
}

/** Extensions as stored: trimmed, lower-case, without leading dots, unique, none empty. */
function normaliseExtensions(list: string[]): string[] {
  const out = new Set<string>();
  for (const raw of list) {
    const ext = raw.trim().replace(/^\.+/, '').toLowerCase();
    if (!ext) continue;
    if (codePoints(ext) > 255 || CONTROL.test(ext)) throw new AppError(Code.ParamErr, 'VersionRetentionExt is invalid');
    out.add(ext);
  }
  return [...out];
}

interface PlannedChange {
  nick?: string;
  password?: string;
  /** null clears the secret (2FA off). */
  twoFactorSecret?: string | null;
  settings: Partial<UserSettings>;
  consumeTwoFactorInit: boolean;
}

/**
 * Checks every field (formats, current password, 2FA code) before anything is written, so a
 * request either applies completely or not at all — our deviation from CE's field-by-field apply.
 */
async function planChanges(ctx: Ctx, user: CurrentUser, p: SettingsPatch): Promise<PlannedChange> {
  const plan: PlannedChange = { settings: {}, consumeTwoFactorInit: false };
  if (p.nick !== undefined) plan.nick = checkText('Nickname', p.nick, 255);
  if (p.language !== undefined) plan.settings.language = checkText('Language', p.language, 255);
  if (p.preferred_theme !== undefined) {
    const theme = p.preferred_theme.trim();
    // An empty value clears the choice (CE's validator skips empty strings too).
    if (theme && !isThemeColour(theme)) throw new AppError(Code.ParamErr, 'PreferredTheme must be a hex, rgb(), rgba() or hsl() colour');
    plan.settings.preferred_theme = theme;
  }
  if (p.version_retention_enabled !== undefined) plan.settings.version_retention = p.version_retention_enabled;
  if (p.version_retention_ext !== undefined) plan.settings.version_retention_ext = normaliseExtensions(p.version_retention_ext);
  if (p.version_retention_max !== undefined) {
    if (!Number.isSafeInteger(p.version_retention_max) || p.version_retention_max < 0) throw new AppError(Code.ParamErr, 'VersionRetentionMax too short');
    plan.settings.version_retention_max = p.version_retention_max;
  }
  if (p.disable_view_sync !== undefined) plan.settings.disable_view_sync = p.disable_view_sync;
  if (p.share_links_in_profile !== undefined) {
    if (!(SHARE_LINK_VISIBILITY as readonly string[]).includes(p.share_links_in_profile)) {
      throw new AppError(Code.ParamErr, 'ShareLinksInProfile must be "", "all_share" or "hide_share"');
    }
    plan.settings.share_links_in_profile = p.share_links_in_profile;
  }

  if ((p.current_password === undefined) !== (p.new_password === undefined)) {
    throw new AppError(Code.ParamErr, 'Both current_password and new_password are required to change the password');
  }
  if (p.two_fa_enabled !== undefined && !p.two_fa_code) throw new AppError(Code.ParamErr, 'TwoFaCode cannot be empty');

  // Secrets last, so format errors never cost a password or TOTP attempt.
  if (p.current_password !== undefined && p.new_password !== undefined) {
    if (!(await verifyPassword(user.row.password, p.current_password))) throw new AppError(Code.IncorrectPassword, 'Incorrect password');
    plan.password = await hashPassword(p.new_password);
  }
  if (p.two_fa_enabled === true) {
    const secret = await ctx.kv.get<string>(twoFactorInitKey(user.row.id));
    if (typeof secret !== 'string' || !secret) throw new AppError(Code.InternalSetting, 'You have not initiated 2FA session');
    if (!verifyTotp(secret, p.two_fa_code!, ctx.now())) throw new AppError(Code.TwoFACodeErr, 'Incorrect 2FA code');
    plan.twoFactorSecret = secret;
    plan.consumeTwoFactorInit = true;
  } else if (p.two_fa_enabled === false) {
    const current = user.row.two_factor_secret;
    if (!current) throw new AppError(Code.TwoFACodeErr, 'Two-factor authentication is not enabled');
    if (!verifyTotp(current, p.two_fa_code!, ctx.now())) throw new AppError(Code.TwoFACodeErr, 'Incorrect 2FA code');
    plan.twoFactorSecret = null;
  }
  return plan;
}

/** PATCH /user/setting: validate everything, then write all changes in one transaction. */
export async function patchUserSettings(ctx: Ctx, user: CurrentUser, patch: SettingsPatch): Promise<void> {
  const plan = await planChanges(ctx, user, patch);
  const hasSettings = Object.keys(plan.settings).length > 0;
  const db = ctx.db;
  await db.kysely.transaction().execute(async (trx) => {
    const set: Record<string, unknown> = { updated_at: ctx.now() };
    if (plan.nick !== undefined) set.nick = plan.nick;
    if (plan.password !== undefined) set.password = plan.password;
    if (plan.twoFactorSecret !== undefined) set.two_factor_secret = plan.twoFactorSecret;
    if (hasSettings) {
      // Re-read inside the transaction so keys written meanwhile (pins, view settings) survive.
      let q = trx.selectFrom('users').select('settings').where('id', '=', user.row.id);
      if (db.dialect !== 'sqlite') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      const merged = { ...parseJson<UserSettings>(row?.settings, {}), ...plan.settings };
      set.settings = JSON.stringify(merged);
    }
    await trx.updateTable('users').set(set).where('id', '=', user.row.id).execute();
  });
  if (plan.consumeTwoFactorInit) await ctx.kv.delete(twoFactorInitKey(user.row.id)).catch(() => undefined);
}

/** User-facing StoragePolicy (contract 10 §2.9, 20 §2.4): the same summary file listings carry. */
export type WireStoragePolicy = WirePolicy;

/** The policies a user may upload to: CE has exactly one, the group's. */
export async function userStoragePolicies(ctx: Ctx, user: CurrentUser): Promise<WireStoragePolicy[]> {
  const id = user.group.storage_policy_id;
  const policy = (await loadPolicies(ctx, ctx.db.kysely, [id])).get(id);
  return policy ? [policy] : [];
}
