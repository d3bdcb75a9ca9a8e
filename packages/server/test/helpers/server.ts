import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createServer, type Server } from '../../src/bootstrap.ts';
import { createLogger } from '../../src/util/logger.ts';
import type { Backend } from './backends.ts';
import { Client } from './client.ts';

export interface TestServer {
  server: Server;
  url: string;
  dataDir: string;
  cfg: Config;
  client(): Client;
  close(): Promise<void>;
}

export async function createIsolatedDatabase(kind: 'postgres' | 'mysql', name: string): Promise<() => Promise<void>> {
  if (kind === 'postgres') {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await c.connect();
    await c.query(`create schema ${name}`);
    await c.end();
    return async () => {
      const d = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      await d.connect();
      await d.query(`drop schema ${name} cascade`);
      await d.end();
    };
  }
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  await c.query(`create database ${name} character set utf8mb4 collate utf8mb4_bin`);
  await c.end();
  return async () => {
    const d = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    await d.query(`drop database ${name}`);
    await d.end();
  };
}

/**
 * Starts the real server on a random loopback port with a fresh data dir and an isolated
 * database (own PostgreSQL schema / MariaDB database / Redis namespace) for this backend.
 */
export async function startServer(backend: Backend, opts: { env?: Record<string, string>; now?: () => number } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crts-'));
  const unique = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = { 'CR_CONF_System.Listen': '127.0.0.1:0', ...opts.env };
  let dropDb: (() => Promise<void>) | undefined;
  if (backend.db === 'postgres') {
    dropDb = await createIsolatedDatabase('postgres', unique);
    Object.assign(env, { 'CR_CONF_Database.Type': 'postgres', 'CR_CONF_Database.Name': 'test', 'CR_CONF_Database.User': 'postgres', 'CR_CONF_Database.Port': '5432' });
  } else if (backend.db === 'mysql') {
    dropDb = await createIsolatedDatabase('mysql', unique);
    Object.assign(env, { 'CR_CONF_Database.Type': 'mysql', 'CR_CONF_Database.Name': unique, 'CR_CONF_Database.User': 'root', 'CR_CONF_Database.Port': '3306' });
  }
  if (backend.redis) env['CR_CONF_Redis.Server'] = '127.0.0.1:6379';
  const cfg = loadConfig(path.join(dataDir, 'conf.ini'), env);
  const server = await createServer(cfg, {
    pgSchema: backend.db === 'postgres' ? unique : undefined,
    kvNamespace: `${unique}:`,
    logger: createLogger(process.env.CR_TEST_LOG ?? 'error'),
    now: opts.now,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    server,
    url,
    dataDir,
    cfg,
    client: () => new Client(url),
    async close() {
      await server.close();
      await dropDb?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
