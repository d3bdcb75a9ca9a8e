import type { FastifyInstance } from 'fastify';
import { ineffectiveKeys, type Config } from './config/config.ts';
import { openDatabase } from './db/connect.ts';
import { applyMigrations, withSchemaLock } from './db/migrate.ts';
import { openKV } from './kv/index.ts';
import { Settings } from './services/settings.ts';
import { seedDefaults } from './services/seed.ts';
import type { Ctx } from './services/context.ts';
import { HashIds } from './util/hashid.ts';
import { createLogger, type Logger } from './util/logger.ts';
import { buildApp, type RouteInfo } from './app.ts';

export interface Server {
  ctx: Ctx;
  app: FastifyInstance;
  routes: RouteInfo[];
  close(): Promise<void>;
}

export interface BootOptions {
  /** PostgreSQL schema to use (tests isolate runs this way). */
  pgSchema?: string;
  /** Key namespace in Redis (tests isolate runs this way). */
  kvNamespace?: string;
  logger?: Logger;
  now?: () => number;
}

/** Opens storage, migrates, seeds and returns the service context (no HTTP). */
export async function createContext(cfg: Config, opts: BootOptions = {}): Promise<Ctx> {
  const log = opts.logger ?? createLogger(cfg.system.logLevel);
  for (const warning of ineffectiveKeys(cfg)) log.warn(`config: ${warning}`);
  const db = await openDatabase(cfg.database, { pgSchema: opts.pgSchema });
  const settings = new Settings(db, undefined, cfg.optionOverwrite);
  // Migrating and seeding take turns across instances starting together on one database.
  const applied = await withSchemaLock(db, async () => {
    const names = await applyMigrations(db);
    await settings.seed();
    await seedDefaults(db);
    return names;
  });
  if (applied.length) log.info('database migrated', { applied });
  const kv = await openKV(cfg.redis, opts.kvNamespace);
  return { cfg, db, kv, settings, hashids: new HashIds(settings.get('hash_id_salt')), log, now: opts.now ?? Date.now };
}

/** Builds the whole server: context plus HTTP application (not yet listening). */
export async function createServer(cfg: Config, opts: BootOptions = {}): Promise<Server> {
  const ctx = await createContext(cfg, opts);
  const { app, routes } = await buildApp(ctx);
  await app.ready();
  return {
    ctx,
    app,
    routes,
    async close() {
      // In-flight responses (long downloads, open keep-alive streams) get `[System] GracePeriod`
      // seconds (default 5) to finish; then their connections are cut so shutdown never hangs.
      const graceMs = (Number(cfg.raw.System?.GracePeriod) || 5) * 1000;
      const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
      force.unref();
      await app.close();
      clearTimeout(force);
      await ctx.kv.close();
      await ctx.db.close();
    },
  };
}
