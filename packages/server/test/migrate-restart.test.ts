import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/config.ts';
import { createServer, type BootOptions, type Server } from '../src/bootstrap.ts';
import { migrate } from '../src/db/migrate.ts';
import { MIGRATIONS } from '../src/db/migrations/index.ts';
import { createLogger } from '../src/util/logger.ts';
import { backends, type Backend } from './helpers/backends.ts';
import { createIsolatedDatabase } from './helpers/server.ts';
import { Client } from './helpers/client.ts';

/** One fresh database (and Redis namespace) that several server starts share. */
async function freshDatabase(backend: Backend): Promise<{ cfg: Config; opts: BootOptions; drop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-restart-'));
  const unique = `r_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {};
  let dropDb: (() => Promise<void>) | undefined;
  if (backend.db === 'postgres') {
    dropDb = await createIsolatedDatabase('postgres', unique);
    Object.assign(env, { CR_CONF_Database_Type: 'postgres', CR_CONF_Database_Name: 'test', CR_CONF_Database_User: 'postgres' });
  } else if (backend.db === 'mysql') {
    dropDb = await createIsolatedDatabase('mysql', unique);
    Object.assign(env, { CR_CONF_Database_Type: 'mysql', CR_CONF_Database_Name: unique, CR_CONF_Database_User: 'root' });
  }
  if (backend.redis) env.CR_CONF_Redis_Server = '127.0.0.1:6379';
  return {
    cfg: loadConfig(path.join(dir, 'conf.ini'), env),
    opts: { pgSchema: backend.db === 'postgres' ? unique : undefined, kvNamespace: `${unique}:`, logger: createLogger('error') },
    async drop() {
      await dropDb?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function snapshot(server: Server) {
  const k = server.ctx.db.kysely;
  const byId = <T extends { id: number }>(rows: T[]) => rows.sort((a, b) => a.id - b.id);
  return {
    migrations: (await k.selectFrom('schema_migrations' as never).select('name' as never).execute() as { name: string }[]).map((r) => r.name).sort(),
    settings: Object.fromEntries((await k.selectFrom('settings').select(['name', 'value']).execute()).map((r) => [r.name, r.value])),
    groups: byId(await k.selectFrom('groups').select(['id', 'name', 'permissions', 'max_storage', 'storage_policy_id']).execute()),
    policies: byId(await k.selectFrom('storage_policies').select(['id', 'name', 'type']).execute()),
    nodes: byId(await k.selectFrom('nodes').select(['id', 'name', 'type']).execute()),
  };
}

async function listen(server: Server): Promise<Client> {
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  return new Client(`http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`);
}

for (const backend of await backends()) {
  describe.skipIf(!!backend.skip)(`migrate and seed on restart: ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    beforeAll(async () => {
      db = await freshDatabase(backend);
    });
    afterAll(async () => db?.drop());

    it('a second start on the same database applies nothing, seeds nothing twice and keeps the data', async () => {
      const first = await createServer(db.cfg, db.opts);
      let before;
      let userId: string;
      try {
        before = await snapshot(first);
        expect(before.migrations).toEqual(MIGRATIONS.map((m) => m.name).sort());
        expect(before.groups.map((g) => [g.id, g.name, g.permissions])).toEqual([[1, 'Admin', '/RoB'], [2, 'User', 'hAg='], [3, 'Anonymous', 'gg==']]);
        expect(before.policies.map((p) => [p.id, p.type])).toEqual([[1, 'local']]);
        expect(before.nodes.map((n) => n.type)).toEqual(['master']);
        expect(before.settings.secret_key).toMatch(/^[0-9a-zA-Z]{256}$/);
        expect(before.settings.hash_id_salt).toMatch(/^[0-9a-zA-Z]{64}$/);
        const c = await listen(first);
        userId = (await c.signUpAndIn('keeper@example.com')).user.id;
      } finally {
        await first.close();
      }

      const second = await createServer(db.cfg, db.opts);
      try {
        expect(await migrate(second.ctx.db)).toEqual([]);
        expect(await snapshot(second)).toEqual(before);
        const c = await listen(second);
        const again = await c.signIn('keeper@example.com');
        expect(again.user.id).toBe(userId);
        expect(again.user.group?.name).toBe('Admin');
        // New rows after a restart must not collide with seeded ids (PostgreSQL sequences).
        const next = await c.post('/user', { email: 'after-restart@example.com', password: 'password123' });
        expect(next.code, JSON.stringify(next)).toBe(0);
      } finally {
        await second.close();
      }
    });

    // SQLite serves one instance; two in one process would block each other's event loop.
    if (backend.db !== 'sqlite') it('two instances starting together on a fresh database both come up', async () => {
      const fresh = await freshDatabase(backend);
      try {
        const servers = await Promise.all([createServer(fresh.cfg, fresh.opts), createServer(fresh.cfg, fresh.opts)]);
        try {
          const [a, b] = await Promise.all(servers.map(snapshot));
          expect(a!.migrations).toEqual(MIGRATIONS.map((m) => m.name).sort());
          expect(b).toEqual(a);
          expect(a!.groups).toHaveLength(3);
          expect(a!.nodes).toHaveLength(1);
        } finally {
          for (const s of servers) await s.close();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}
