import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Ctx } from '../services/context.ts';
import { localDirs } from '../storage/policies.ts';
import { loadSession } from './session-store.ts';
import { cancelSession } from './upload-cancel.ts';
import { recoverCommit } from './upload-commit.ts';

/** Upload data files younger than this are never treated as orphans (a session may be being created). */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface SweepResult { expired: number; recovered: number; orphans: number }

/**
 * Upload housekeeping, run at startup and periodically:
 *  - finishes commits interrupted by a crash (`committing_at` set, no live lease);
 *  - cancels expired sessions: placeholder removed, reserved capacity returned, temp data deleted;
 *  - deletes local temp files that belong to no session (a crash between creating the temp file
 *    and the session row).
 */
export async function sweepUploads(ctx: Ctx): Promise<SweepResult> {
  const out: SweepResult = { expired: 0, recovered: 0, orphans: 0 };
  const now = ctx.now();
  const committing = await ctx.db.kysely.selectFrom('upload_sessions').select('id').where('committing_at', 'is not', null).limit(100).execute();
  for (const { id } of committing) {
    if ((await recoverCommit(ctx, id)) === 'done') out.recovered++;
  }
  const expired = await ctx.db.kysely.selectFrom('upload_sessions').select('id')
    .where('expires_at', '<=', now).where('committing_at', 'is', null).orderBy('expires_at').limit(500).execute();
  for (const { id } of expired) {
    const s = await loadSession(ctx.db.kysely, id);
    if (!s || s.row.committing_at !== null) continue;
    await cancelSession(ctx, s, { reason: 'expired' });
    out.expired++;
  }
  out.orphans = await sweepOrphanTempFiles(ctx, now);
  return out;
}

async function sweepOrphanTempFiles(ctx: Ctx, now: number): Promise<number> {
  const { tempDir } = localDirs(ctx);
  let names: string[];
  try {
    names = await fsp.readdir(tempDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /^(.+)\.part$/.exec(name);
    if (!m) continue;
    const full = path.join(tempDir, name);
    const st = await fsp.stat(full).catch(() => undefined);
    if (!st || now - st.mtimeMs < ORPHAN_GRACE_MS) continue;
    const id = m[1]!;
    if (!id.startsWith('put-')) {
      const row = await ctx.db.kysely.selectFrom('upload_sessions').select('id').where('id', '=', id).executeTakeFirst();
      if (row) continue;
    }
    await fsp.rm(full, { force: true });
    removed++;
  }
  return removed;
}
