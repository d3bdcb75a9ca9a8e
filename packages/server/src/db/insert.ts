import type { Db } from './connect.ts';
import type { Database } from './tables.ts';
import type { Insertable, Kysely, Transaction } from 'kysely';

/** Inserts one row and returns its auto-increment id on every dialect. */
export async function insertReturningId<T extends keyof Database>(
  db: Db,
  table: T,
  values: Insertable<Database[T]>,
  trx?: Transaction<Database> | Kysely<Database>,
): Promise<number> {
  const k = (trx ?? db.kysely) as Kysely<any>;
  if (db.dialect === 'mysql') {
    const r = await k.insertInto(table).values(values as never).executeTakeFirstOrThrow();
    return Number(r.insertId);
  }
  const r = await k.insertInto(table).values(values as never).returning('id').executeTakeFirstOrThrow();
  return Number((r as { id: number }).id);
}
