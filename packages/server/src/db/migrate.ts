import { sql, type Kysely } from 'kysely';
import type { Db } from './connect.ts';
import { Ddl } from './dialect.ts';
import { MIGRATIONS } from './migrations/index.ts';

const TABLE = 'schema_migrations';

async function applyPending(conn: Kysely<any>, db: Db): Promise<string[]> {
  const ddl = new Ddl(conn, db.dialect, db.prefix);
  await ddl.table(TABLE, false).ifNotExists()
    .addColumn('name', ddl.varchar(128), (c) => c.primaryKey())
    .addColumn('applied_at', ddl.bigint, (c) => c.notNull())
    .execute();
  const done = new Set((await conn.selectFrom(TABLE).select('name').execute()).map((r: any) => r.name as string));
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.name)) continue;
    if (db.dialect === 'mysql') {
      await m.up(ddl); // MySQL DDL is not transactional
      await conn.insertInto(TABLE).values({ name: m.name, applied_at: Date.now() }).execute();
    } else {
      await conn.transaction().execute(async (trx) => {
        await m.up(new Ddl(trx, db.dialect, db.prefix));
        await trx.insertInto(TABLE).values({ name: m.name, applied_at: Date.now() }).execute();
      });
    }
    applied.push(m.name);
  }
  return applied;
}

/**
 * Runs `fn` while holding the database-wide schema lock, so instances starting together take
 * turns migrating and seeding (advisory lock on PostgreSQL, GET_LOCK on MySQL; SQLite serves a
 * single instance and its writers are serialized by the file lock). The lock is held by one
 * pooled connection; `fn` may use the pool freely.
 */
export async function withSchemaLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  if (db.dialect === 'sqlite') return fn();
  const k = db.kysely as unknown as Kysely<any>;
  const [lock, unlock] = db.dialect === 'postgres'
    ? [sql`select pg_advisory_lock(52125212)`, sql`select pg_advisory_unlock(52125212)`]
    : [sql`select get_lock('cloudreve_migrate', 120) as ok`, sql`select release_lock('cloudreve_migrate')`];
  return k.connection().execute(async (conn) => {
    const got = await lock.execute(conn);
    if (db.dialect === 'mysql' && Number((got.rows[0] as { ok: unknown } | undefined)?.ok) !== 1) {
      throw new Error('timed out waiting for the schema lock held by another instance');
    }
    try {
      return await fn();
    } finally {
      await unlock.execute(conn);
    }
  });
}

/** Applies pending migrations in order; the caller holds the schema lock. Returns the names applied. */
export const applyMigrations = (db: Db): Promise<string[]> => applyPending(db.kysely as unknown as Kysely<any>, db);

/** Applies pending migrations in order, under the schema lock. Returns the names applied. */
export async function migrate(db: Db): Promise<string[]> {
  return withSchemaLock(db, () => applyMigrations(db));
}
