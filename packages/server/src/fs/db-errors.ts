import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../db/connect.ts';
import type { Database } from '../db/tables.ts';

interface DriverError { code?: unknown; errno?: unknown; cause?: unknown }

function codes(e: unknown): { code: string; errno: number }[] {
  const out: { code: string; errno: number }[] = [];
  for (let cur = e as DriverError | undefined, depth = 0; cur && depth < 4; cur = cur.cause as DriverError, depth++) {
    out.push({ code: String(cur.code ?? ''), errno: Number(cur.errno ?? 0) });
  }
  return out;
}

/** A unique-index violation on SQLite, PostgreSQL or MySQL/MariaDB. */
export function isUniqueViolation(e: unknown): boolean {
  return codes(e).some(({ code, errno }) =>
    code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505' ||
    code === 'ER_DUP_ENTRY' || errno === 1062);
}

/** A failure that a fresh attempt of the same transaction may not hit (deadlock, busy, serialization). */
export function isRetryable(e: unknown): boolean {
  return codes(e).some(({ code, errno }) =>
    code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === '40P01' || code === '40001' ||
    code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || errno === 1213 || errno === 1205);
}

/** Runs `fn` in a transaction, retrying a few times on deadlocks / busy databases. */
export async function inTx<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await (db.kysely as Kysely<Database>).transaction().execute(fn);
    } catch (e) {
      if (i >= attempts || !isRetryable(e)) throw e;
      await new Promise((r) => setTimeout(r, 10 * i + Math.floor(Math.random() * 20)));
    }
  }
}
