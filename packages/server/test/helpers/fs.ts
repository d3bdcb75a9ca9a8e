import { fileManager } from '../../src/fs/core.ts';
import { attachNew } from '../../src/fs/entities.ts';
import { inTx } from '../../src/fs/db-errors.ts';
import { loadUser } from '../../src/services/users.ts';
import { EntityType } from '../../src/fs/types.ts';
import type { TestServer } from './server.ts';
import type { Client } from './client.ts';

/**
 * Gives an existing file a new current version of `size` bytes through the core API (what an
 * upload commit does), without storing bytes: enough for capacity/copy/version tests.
 */
export async function addVersion(ts: TestServer, userId: number, uri: string, size: number): Promise<number> {
  const ctx = ts.server.ctx;
  const fm = fileManager(ctx);
  const user = (await loadUser(ctx, userId))!;
  const r = await fm.get(user, uri);
  return inTx(ctx.db, (trx) => attachNew(ctx.db, trx, r.file, {
    type: EntityType.Version, source: `test/${r.file.id}/${Date.now()}`, size, policyId: 1, createdBy: userId,
  }, ctx.now(), { makePrimary: true }));
}

/** Decodes a user hashid to its numeric id. */
export function userIdFromHash(ts: TestServer, hash: string): number {
  return ts.server.ctx.hashids.decode(hash, 1)!;
}

/** Signs a fresh user up and in; returns the client and the numeric user id. */
export async function newUser(ts: TestServer, email: string): Promise<{ c: Client; id: number }> {
  const c = ts.client();
  const login = await c.signUpAndIn(email);
  return { c, id: userIdFromHash(ts, login.user.id) };
}
