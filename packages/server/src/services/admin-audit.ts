import type { Ctx } from './context.ts';
import type { CurrentUser } from './users.ts';

/**
 * Admin audit log (our design): every admin action that changes users, groups, storage policies,
 * nodes, files or settings is recorded with who, what and when, readable through
 * `POST /admin/audit`. Recording never fails the action it describes: a write error is logged.
 */

/** Keys whose values are never stored, whatever the caller passes in `detail`. */
const SECRET_KEY = /pass|secret|token|credential|slave_key|access_key/i;

function redact(v: unknown, depth = 0): unknown {
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 1000).map((x) => redact(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) && x !== '' && x !== undefined && typeof x !== 'boolean' ? '[redacted]' : redact(x, depth + 1);
  return out;
}

/**
 * Records one admin action. `actor` is the admin (a user id, or the request's user so the client
 * address is kept); `action` a dotted verb such as `user.update`; `target` `<kind>:<id>` or
 * `<kind>` (e.g. `policy:3`, `settings`); `detail` what changed — values of secret-looking keys
 * are redacted unless boolean (use `true` for "changed").
 */
export async function recordAdminAction(
  ctx: Ctx,
  actor: number | Pick<CurrentUser, 'row' | 'clientIp'>,
  action: string,
  target: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const actorId = typeof actor === 'number' ? actor : actor.row.id;
  const ip = typeof actor === 'number' ? '' : actor.clientIp ?? '';
  try {
    let text = JSON.stringify(redact(detail));
    if (text.length > 60_000) text = JSON.stringify({ truncated: true, keys: Object.keys(detail).slice(0, 200) });
    await ctx.db.kysely.insertInto('admin_audit_logs').values({
      actor_id: actorId, action: action.slice(0, 64), target: target.slice(0, 255), detail: text, ip: ip.slice(0, 64), created_at: ctx.now(),
    }).execute();
  } catch (e) {
    ctx.log.error('admin audit write failed', { action, target, error: String((e as Error)?.message ?? e) });
  }
}
