import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backends.ts';
import { Client } from './client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A database for one child-server run (own SQLite file / PostgreSQL database / MariaDB database). */
export async function childDatabase(backend: Backend, dataDir: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const name = `f_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  if (backend.db === 'sqlite') return { env: { CR_CONF_Database_DBFile: path.join(dataDir, 'cloudreve.db') }, drop: async () => undefined };
  if (backend.db === 'postgres') {
    const pg = (await import('pg')).default;
    const admin = async (q: string) => {
      const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      await c.connect();
      try {
        await c.query(q);
      } finally {
        await c.end();
      }
    };
    await admin(`create database ${name}`);
    return {
      env: { CR_CONF_Database_Type: 'postgres', CR_CONF_Database_Name: name, CR_CONF_Database_User: 'postgres', CR_CONF_Database_Port: '5432', CR_CONF_Database_Host: '127.0.0.1' },
      drop: () => admin(`drop database if exists ${name} with (force)`),
    };
  }
  const mysql = (await import('mysql2/promise')).default;
  const admin = async (q: string) => {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name} character set utf8mb4 collate utf8mb4_bin`);
  return {
    env: { CR_CONF_Database_Type: 'mysql', CR_CONF_Database_Name: name, CR_CONF_Database_User: 'root', CR_CONF_Database_Port: '3306', CR_CONF_Database_Host: '127.0.0.1' },
    drop: () => admin(`drop database if exists ${name}`),
  };
}

export interface ChildServer {
  url: string;
  client(): Client;
  /** SIGKILL to the whole process group (npx → tsx → node), like a power cut of the process. */
  kill(): Promise<void>;
  /** Resolves when the process group leader has exited. */
  exited: Promise<void>;
  output(): string;
}

const live = new Set<ChildProcess>();

/** Kills every child server still running (afterAll safety net). */
export function killAllChildren(): void {
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  live.clear();
}

/**
 * Starts the real server as `npx tsx packages/server/src/main.ts -c <dataDir>/conf.ini` in its own
 * process group, on a free loopback port, and waits until it answers /site/ping.
 */
export async function startChild(dataDir: string, env: Record<string, string>): Promise<ChildServer> {
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const child = spawn('npx', ['tsx', 'packages/server/src/main.ts', '-c', path.join(dataDir, 'conf.ini')], {
    cwd: ROOT,
    env: { ...process.env, CR_CONF_System_Listen: `127.0.0.1:${port}`, CR_CONF_System_LogLevel: 'warning', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    live.delete(child);
    resolve();
  }));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  let dead = false;
  void exited.then(() => (dead = true));
  for (;;) {
    if (dead) throw new Error(`server exited during startup:\n${out}`);
    try {
      const r = await fetch(`${url}/api/v4/site/ping`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    client: () => new Client(url),
    async kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    },
    exited,
    output: () => out,
  };
}
