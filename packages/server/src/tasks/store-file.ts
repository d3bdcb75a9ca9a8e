import type { Readable } from 'node:stream';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { createUploadSession } from '../transfer/upload-create.ts';
import { uploadChunk } from '../transfer/upload-chunk.ts';
import { cancelSession } from '../transfer/upload-cancel.ts';
import { loadSession } from '../transfer/session-store.ts';
import { recoverCommit } from '../transfer/upload-commit.ts';
import { faultPoint } from '../util/fault.ts';
import { uuid } from '../util/random.ts';

/**
 * Stores `body` (exactly `size` bytes) at `uri` through a one-chunk internal upload session, so a
 * task's output follows every upload rule (names, policy, quota, locks) and is committed the same
 * way. `asVersion` adds a version to an existing file instead of failing with 40004.
 * `reserve` gets the session id before the session (and its placeholder file) exists, so the caller
 * can checkpoint it and a task killed at any point after can find and discard it; `onSession` is
 * called once the session exists, before any byte is stored (nothing can be committed before it).
 */
export async function storeFile(ctx: Ctx, user: CurrentUser, uri: string, size: number, body: () => Readable,
  opts: { asVersion?: boolean; reserve?: (id: string) => Promise<void>; onSession?: (id: string) => Promise<void> } = {}): Promise<void> {
  const sessionId = uuid();
  await opts.reserve?.(sessionId);
  const session = await createUploadSession(ctx, user, { uri, size, ...(opts.asVersion ? { entity_type: 'version' as const } : {}) }, { chunkSize: 0, sessionId });
  try {
    faultPoint('store-after-session-create');
    await opts.onSession?.(session.row.id);
    await uploadChunk(ctx, user, { sessionId: session.row.id, index: 0, body: body(), declaredLength: size });
  } catch (e) {
    await discardSession(ctx, session.row.id);
    throw e;
  }
}

/** Cancels an unfinished internal upload session (a failed or interrupted task's leftover). */
export async function discardSession(ctx: Ctx, id: string): Promise<void> {
  const live = await loadSession(ctx.db.kysely, id);
  if (live && live.row.committing_at === null) await cancelSession(ctx, live, { reason: 'failed' });
}

/**
 * Resolves an internal upload a killed task left behind, before the task goes on: an unfinished
 * session is cancelled; one whose commit had started is committed now (or, when another instance
 * or the startup sweeper holds its commit lease, waited for). Afterwards no session is left that
 * could still commit; the caller checks whether its file was stored.
 */
export async function settleSession(ctx: Ctx, id: string, waitMs = 60_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = await loadSession(ctx.db.kysely, id);
    if (!live) return;
    if (live.row.committing_at === null) {
      await cancelSession(ctx, live, { reason: 'failed' });
      return;
    }
    const outcome = await recoverCommit(ctx, id);
    if (outcome !== 'busy') return;
    if (Date.now() > deadline) throw new Error(`upload session ${id} is still being committed elsewhere`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
