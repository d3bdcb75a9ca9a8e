import net from 'node:net';

/** A database/cache combination the integration suites run against. */
export interface Backend {
  name: string;
  db: 'sqlite' | 'postgres' | 'mysql';
  redis: boolean;
  /** Why this backend is skipped; undefined when available. */
  skip?: string;
}

function reachable(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

let cached: Promise<Backend[]> | undefined;

/**
 * SQLite always; PostgreSQL (5432), MariaDB (3306) and Redis (6379) on 127.0.0.1 when reachable.
 * With CR_TEST_REQUIRE_ALL=1 (set by CI) an unreachable service is an error, not a skip.
 * CR_TEST_BACKENDS=sqlite,postgres limits the list.
 */
export function backends(): Promise<Backend[]> {
  cached ??= (async () => {
    const [pg, my, redis] = await Promise.all([reachable(5432), reachable(3306), reachable(6379)]);
    const requireAll = process.env.CR_TEST_REQUIRE_ALL === '1';
    const miss = (what: string) => {
      if (requireAll) throw new Error(`${what} is not reachable but CR_TEST_REQUIRE_ALL=1`);
      return `${what} not reachable on 127.0.0.1`;
    };
    const list: Backend[] = [
      { name: 'sqlite+memory', db: 'sqlite', redis: false },
      { name: 'postgres', db: 'postgres', redis: false, skip: pg ? undefined : miss('PostgreSQL :5432') },
      { name: 'mariadb', db: 'mysql', redis: false, skip: my ? undefined : miss('MariaDB :3306') },
      { name: 'sqlite+redis', db: 'sqlite', redis: true, skip: redis ? undefined : miss('Redis :6379') },
    ];
    const only = process.env.CR_TEST_BACKENDS?.split(',').map((s) => s.trim());
    return only ? list.filter((b) => only.includes(b.name) || only.includes(b.db)) : list;
  })();
  return cached;
}
