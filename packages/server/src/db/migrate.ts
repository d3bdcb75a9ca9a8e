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
 * Applies pending migrations in order. Instances starting together serialize on a database lock
 * (advisory lock on PostgreSQL, GET_LOCK on MySQL; SQLite writers are serialized by the file lock).
 */
export async function migrate(db: Db): Promise<string[]> {
  const k = db.kysely as unknown as Kysely<any>;
  if (db.dialect === 'sqlite') return applyPending(k, db);
  const [lock, unlock] = db.dialect === 'postgres'
    ? [sql`select pg_advisory_lock(52125212)`, sql`select pg_advisory_unlock(52125212)`]
    : [sql`select get_lock('cloudreve_migrate', 60)`, sql`select release_lock('cloudreve_migrate')`];
  return k.connection().execute(async (conn) => {
    await lock.execute(conn);
    try {
      return await applyPending(conn, db);
    } finally {
      await unlock.execute(conn);
    }
  });
}
