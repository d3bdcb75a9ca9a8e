import type { Readable } from 'node:stream';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { createUploadSession } from '../transfer/upload-create.ts';
import { uploadChunk } from '../transfer/upload-chunk.ts';
import { cancelSession } from '../transfer/upload-cancel.ts';
import { loadSession } from '../transfer/session-store.ts';

/**
 * Stores `body` (exactly `size` bytes) at `uri` through a one-chunk internal upload session, so a
 * task's output follows every upload rule (names, policy, quota, locks) and is committed the same
 * way. `asVersion` adds a version to an existing file instead of failing with 40004.
 * `onSession` lets the caller checkpoint the session id so a resumed task can clean it up.
 */
export async function storeFile(ctx: Ctx, user: CurrentUser, uri: string, size: number, body: () => Readable,
  opts: { asVersion?: boolean; onSession?: (id: string) => Promise<void> } = {}): Promise<void> {
  const session = await createUploadSession(ctx, user, { uri, size, ...(opts.asVersion ? { entity_type: 'version' as const } : {}) }, { chunkSize: 0 });
  try {
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
