import { expect } from 'vitest';
import { computeUsed } from '../../src/fs/capacity.ts';
import type { TestServer } from './server.ts';

/**
 * Asserts that a user's stored used-storage counter equals what their files' entities add up to
 * (contract 20 §4.3: every file→entity link of the user's files is charged once).
 */
export async function assertCapacityConsistent(ts: TestServer, userId: number): Promise<number> {
  const db = ts.server.ctx.db.kysely;
  const row = await db.selectFrom('users').select('storage').where('id', '=', userId).executeTakeFirstOrThrow();
  const expected = await computeUsed(db, userId);
  expect(Number(row.storage), `users.storage of user ${userId} drifted from its entities`).toBe(expected);
  return expected;
}
