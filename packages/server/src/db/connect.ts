import fs from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect, PostgresDialect, MysqlDialect, sql, type KyselyPlugin } from 'kysely';
import type { Config } from '../config/config.ts';
import type { Database } from './tables.ts';
import type { DialectName } from './dialect.ts';
import { TablePrefixPlugin } from './prefix-plugin.ts';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  prefix: string;
  close(): Promise<void>;
}

/** Opens the configured database. `schema` (PostgreSQL only) selects a search_path, used by tests. */
export async function openDatabase(cfg: Config['database'], opts: { pgSchema?: string } = {}): Promise<Db> {
  const plugins: KyselyPlugin[] = cfg.tablePrefix ? [new TablePrefixPlugin(cfg.tablePrefix)] : [];
  let kysely: Kysely<Database>;
  if (cfg.type === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    fs.mkdirSync(path.dirname(cfg.dbFile), { recursive: true });
    const conn = new SQLite(cfg.dbFile);
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = NORMAL');
    conn.pragma('busy_timeout = 5000');
    conn.pragma('foreign_keys = OFF');
    cacheStatements(conn);
    kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }), plugins, log: sqlLog() });
  } else if (cfg.type === 'postgres') {
    const pg = await import('pg');
    const Pool = pg.default.Pool;
    pg.default.types.setTypeParser(20, (v: string) => Number(v)); // int8 → number
    pg.default.types.setTypeParser(1700, (v: string) => Number(v)); // numeric (SUM) → number
    const pool = new Pool({
      host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password || undefined, database: cfg.name, max: 10,
      options: opts.pgSchema ? `-c search_path=${opts.pgSchema}` : undefined,
    });
    kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins, log: sqlLog() });
  } else {
    const mysql = await import('mysql2');
    const pool = mysql.default.createPool({
      host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.name,
      connectionLimit: 10, charset: 'utf8mb4_bin', supportBigNumbers: true, bigNumberStrings: false, decimalNumbers: true,
      timezone: 'Z',
    });
    kysely = new Kysely<Database>({ dialect: new MysqlDialect({ pool }), plugins, log: sqlLog() });
  }
  await sql`select 1`.execute(kysely);
  return { kysely, dialect: cfg.type, prefix: cfg.tablePrefix, close: () => kysely.destroy() };
}

/** Prepared statements kept per SQL text (better-sqlite3 compiles on every prepare otherwise). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Makes `conn.prepare` reuse compiled statements. Kysely prepares every query it runs; compiling
 * costs more than running most of our indexed queries. A cached statement that is still busy (an
 * unfinished iterate()) is not handed out twice: the caller gets a fresh one.
 */
function cacheStatements(conn: import('better-sqlite3').Database): void {
  const cache = new Map<string, import('better-sqlite3').Statement>();
  const prepare = conn.prepare.bind(conn);
  conn.prepare = ((source: string) => {
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const fresh = prepare(source);
    if (!hit) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(source, fresh);
    }
    return fresh;
  }) as typeof conn.prepare;
}

/** `CR_SQL_LOG=1` prints every query with its duration to stderr (debugging and profiling only). */
function sqlLog(): ((e: import('kysely').LogEvent) => void) | undefined {
  if (!process.env.CR_SQL_LOG) return undefined;
  return (e) => process.stderr.write(`[sql ${e.queryDurationMillis.toFixed(2)} ms${e.level === 'error' ? ' ERROR' : ''}] ${e.query.sql}\n`);
}
