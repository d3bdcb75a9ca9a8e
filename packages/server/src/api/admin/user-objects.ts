import type { Ctx } from '../../services/context.ts';
import type { GroupRow, UserRow } from '../../services/users.ts';
import { HashType } from '../../util/hashid.ts';
import { parseJson } from '../../util/json.ts';
import { formatTime } from '../../util/time.ts';
import { serializeEntity } from './common.ts';

/** AdminUser and AdminGroup wire objects (contract 60 §4); other admin modules reuse them for edges. */

/** Storage policy as a group edge (the full AdminStoragePolicy shape lives with the policy module). */
export function policyEdge(row: Record<string, unknown>): Record<string, unknown> {
  return serializeEntity(row, { bools: ['is_private'], json: ['settings'] });
}

export function adminGroup(row: GroupRow, opts: { policy?: Record<string, unknown>; totalUsers?: number } = {}): Record<string, unknown> {
  const edges: Record<string, unknown> = {};
  if (opts.policy) edges.storage_policies = policyEdge(opts.policy);
  const out = serializeEntity({ ...row }, { json: ['settings'] }, edges);
  if (opts.totalUsers !== undefined) out.total_users = opts.totalUsers;
  return out;
}

/** The user's settings as CE's admin view names them (`language` goes out as `email_language`). */
function userSettings(raw: string): Record<string, unknown> {
  const { language, ...rest } = parseJson<Record<string, unknown>>(raw, {});
  const out: Record<string, unknown> = { ...rest };
  if (language) out.email_language = language;
  return out;
}

export interface PasskeyRow { id: number; created_at: number; name: string; credential_id: string; used_at: number | null; user_id: number }

/**
 * AdminUser: password, 2FA secret and passkey credentials are never serialized; `two_fa_enabled`
 * only when true; `capacity` when asked (GET/create/update).
 */
export function adminUser(
  ctx: Ctx,
  row: UserRow,
  opts: { group?: GroupRow; passkeys?: PasskeyRow[]; capacity?: boolean } = {},
): Record<string, unknown> {
  const edges: Record<string, unknown> = {};
  if (opts.group) edges.group = adminGroup(opts.group);
  if (opts.passkeys?.length) {
    edges.passkey = opts.passkeys.map((p) => {
      const o: Record<string, unknown> = { id: Number(p.id), created_at: formatTime(Number(p.created_at)), name: p.name, credential_id: p.credential_id, user_id: Number(p.user_id) };
      if (p.used_at) o.used_at = formatTime(Number(p.used_at));
      return o;
    });
  }
  const { settings, ...rest } = row;
  const out = serializeEntity({ ...rest }, { omit: ['password', 'two_factor_secret'], rename: { group_id: 'group_users' } }, edges);
  out.settings = userSettings(settings);
  out.hash_id = ctx.hashids.encode(Number(row.id), HashType.User);
  if (row.two_factor_secret) out.two_fa_enabled = true;
  if (opts.capacity) out.capacity = { total: Number(opts.group?.max_storage ?? 0), used: Number(row.storage) };
  return out;
}
