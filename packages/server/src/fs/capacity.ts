import { sql } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import type { Tx } from './types.ts';

/**
 * Storage capacity accounting (contract 20 §4.3). `users.storage` is the used counter; the limit is
 * the group's `max_storage`. Every change is one atomic UPDATE, so concurrent uploads/copies can
 * never push a user over quota together.
 *
 * Rule: a user is charged the size of every entity linked (file_entities) to a file they own, once
 * per link — copies share blobs but are charged again; placeholder entities of running uploads are
 * charged from session creation; trash does not free space.
 */

export const insufficientCapacity = () => new AppError(Code.InsufficientCapacity, 'Insufficient capacity');

/**
 * Adds `bytes` (> 0) to the user's used storage if it stays within the group limit; 40051 otherwise.
 * Use inside the transaction that creates the entity links being charged.
 */
export async function reserve(tx: Tx, userId: number, bytes: number): Promise<void> {
  if (bytes <= 0) return;
  const r = await tx.updateTable('users')
    .set({ storage: sql<number>`storage + ${bytes}` })
    .where('id', '=', userId)
    .where(sql<boolean>`storage + ${bytes} <= (select g.max_storage from ${sql.table('groups')} g where g.id = group_id)`)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw insufficientCapacity();
}

/** Changes used storage by `delta` without a limit check (frees are negative; never goes below 0). */
export async function adjust(tx: Tx, userId: number, delta: number): Promise<void> {
  if (delta === 0) return;
  await tx.updateTable('users')
    .set({ storage: sql<number>`case when storage + ${delta} < 0 then 0 else storage + ${delta} end` })
    .where('id', '=', userId)
    .execute();
}

/** Frees `bytes` (>= 0). */
export const release = (tx: Tx, userId: number, bytes: number) => adjust(tx, userId, -Math.max(0, bytes));

/** Σ entity size over every (file, entity) link of the user's files — the value `users.storage` should hold. */
export async function computeUsed(tx: Tx, userId: number): Promise<number> {
  const r = await tx.selectFrom('file_entities as fe')
    .innerJoin('files as f', 'f.id', 'fe.file_id')
    .innerJoin('entities as e', 'e.id', 'fe.entity_id')
    .select(sql<number>`coalesce(sum(e.size), 0)`.as('used'))
    .where('f.owner_id', '=', userId)
    .executeTakeFirst();
  return Number(r?.used ?? 0);
}

export interface CalibrateResult { userId: number; before: number; after: number; drift: number }

/** Recomputes the user's used storage from their entities, stores it, and reports the drift. */
export async function recalculate(ctx: Ctx, userId: number): Promise<CalibrateResult> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('users').select('storage').where('id', '=', userId).executeTakeFirst();
    if (!row) throw new AppError(Code.UserNotFound, 'User not found');
    const used = await computeUsed(trx, userId);
    await trx.updateTable('users').set({ storage: used }).where('id', '=', userId).execute();
    return { userId, before: Number(row.storage), after: used, drift: Number(row.storage) - used };
  });
}
