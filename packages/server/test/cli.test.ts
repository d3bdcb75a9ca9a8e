import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from './helpers/backends.ts';
import { Client } from './helpers/client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = 'packages/server/src/main.ts';
const TSX_CLI = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');

interface Run { code: number | null; stdout: string; stderr: string }

interface RunOptions {
  env?: Record<string, string>;
  /**
   * npx goes through a shell, which drops variables whose names contain a dot; `direct` runs
   * node + tsx without a shell so CR_CONF_<Section>.<Key> names arrive intact.
   */
  direct?: boolean;
  /** Resolves once stderr/stdout matches, leaving the process running. */
  until?: RegExp;
}

const children = new Set<number>();

/** Runs the real entry point as a child process in its own process group. */
function run(args: string[], opts: RunOptions = {}): Promise<Run & { stop?: () => Promise<Run> }> {
  const [cmd, argv] = opts.direct ? [process.execPath, [TSX_CLI, MAIN, ...args]] : ['npx', ['tsx', MAIN, ...args]];
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...opts.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child.pid!);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<Run>((resolve) => {
    child.on('close', (code) => {
      children.delete(child.pid!);
      resolve({ code, stdout, stderr });
    });
  });
  return new Promise((resolve, reject) => {
    const check = () => {
      if (opts.until && opts.until.test(stdout + stderr)) {
        resolve({
          code: null, stdout, stderr,
          stop: async () => {
            // tsx relays the signal to the script, which shuts down gracefully.
            process.kill(child.pid!, 'SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', (d) => {
      stdout += d;
      check();
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      check();
    });
    child.on('error', reject);
    void exited.then((r) => (opts.until ? reject(new Error(`exited before ${opts.until}: ${r.stderr || r.stdout}`)) : resolve(r)));
  });
}

afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'crts-cli-'));

/** A conf.ini for this backend in a fresh directory; returns its path and a cleanup. */
async function confFor(backend: Backend): Promise<{ conf: string; dir: string; cleanup: () => Promise<void> }> {
  const dir = tmpDir();
  const conf = path.join(dir, 'conf.ini');
  const name = `cli_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let db = '[Database]\nType = sqlite\nDBFile = cloudreve.db\n';
  let drop = async () => {};
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
    drop = () => admin(`drop database ${name} with (force)`);
    db = `[Database]\nType = postgres\nHost = 127.0.0.1\nPort = 5432\nUser = postgres\nName = ${name}\n`;
  } else if (backend.db === 'mysql') {
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
    drop = () => admin(`drop database ${name}`);
    db = `[Database]\nType = mysql\nHost = 127.0.0.1\nPort = 3306\nUser = root\nName = ${name}\n`;
  }
  fs.writeFileSync(conf, `[System]\nMode = master\nListen = 127.0.0.1:0\n\n${db}\n[Slave]\nSecret = ${randomBytes(16).toString('hex')}\n`);
  return { conf, dir, cleanup: async () => { await drop(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

const dbBackends = (await backends()).filter((b) => !b.redis);

describe('command line', () => {
  it('creates a missing conf.ini with a generated secret, the database beside it, and prints it masked', async () => {
    const dir = tmpDir();
    try {
      const conf = path.join(dir, 'nested', 'conf.ini');
      const migrated = await run(['migrate', '-c', conf]);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(/^applied: 001_initial/);
      expect(fs.statSync(conf).mode & 0o777).toBe(0o600);
      const text = fs.readFileSync(conf, 'utf8');
      const secret = /^Secret = ([0-9A-Za-z]{64})$/m.exec(text)?.[1];
      expect(secret, text).toBeTruthy();
      expect(fs.existsSync(path.join(dir, 'nested', 'cloudreve.db'))).toBe(true);

      const [printed, again] = await Promise.all([run(['config', 'print', '-c', conf]), run(['migrate', '-c', conf], { direct: true })]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout).toMatch(/^\[Database\]$/m);
      expect(printed.stdout).toMatch(/^Secret = \*\*\*$/m);
      expect(printed.stdout).not.toContain(secret!);
      expect(again.stdout.trim()).toBe('database is up to date');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('stops start-up on a bad config value with a message naming the key and a non-zero exit', async () => {
    const dir = tmpDir();
    try {
      const write = (name: string, body: string) => {
        fs.mkdirSync(path.join(dir, name));
        fs.writeFileSync(path.join(dir, name, 'conf.ini'), body);
        return path.join(dir, name, 'conf.ini');
      };
      const good = write('good', '[System]\nListen = 127.0.0.1:0\n');
      const cases: [string, Promise<Run>, RegExp][] = [
        ['Listen via env (npx, underscore form)', run(['-c', good], { env: { CR_CONF_System_Listen: 'nonsense' } }), /System\.Listen: "nonsense" is not a listen address/],
        ['Database.Type via dotted env', run(['serve', '-c', good], { direct: true, env: { 'CR_CONF_Database.Type': 'oracle' } }), /Database\.Type: "oracle" must be one of/],
        ['Port in conf.ini', run(['migrate', '-c', write('port', '[Database]\nPort = abc\n')], { direct: true }), /Database\.Port: "abc" is not an integer/],
      ];
      for (const [label, pending, message] of cases) {
        const r = await pending;
        expect(r.code, label).not.toBe(0);
        expect(r.code, label).not.toBeNull();
        expect(r.stderr, label).toMatch(/^Configuration error: /m);
        expect(r.stderr, label).toMatch(message);
        expect(r.stderr, label).not.toMatch(/\n\s+at /); // no stack trace
      }
      for (const name of ['good', 'port']) expect(fs.existsSync(path.join(dir, name, 'cloudreve.db')), name).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('rejects unknown commands and bad usage with exit code 2', async () => {
    const dir = tmpDir();
    try {
      const conf = path.join(dir, 'conf.ini');
      const [unknown, sub, usage] = await Promise.all([
        run(['frobnicate', '-c', conf], { direct: true }),
        run(['user', 'delete', 'a@b.c', '-c', conf], { direct: true }),
        run(['user', 'create', 'a@b.c', '-c', conf], { direct: true }),
      ]);
      expect([unknown.code, sub.code, usage.code]).toEqual([2, 2, 2]);
      expect(unknown.stderr).toMatch(/unknown command: frobnicate/);
      expect(sub.stderr).toMatch(/unknown user command: delete/);
      expect(usage.stderr).toMatch(/usage: user create <email> <password>/);
      expect(fs.existsSync(path.join(dir, 'cloudreve.db'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  for (const backend of dbBackends) {
    (backend.skip ? it.skip : it.concurrent)(`manages users on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, async () => {
      const { conf, cleanup } = await confFor(backend);
      try {
        const full = backend.db === 'sqlite';
        const alice = await run(['user', 'create', 'Alice@Example.com', 'alice-pass', '-c', conf], { direct: !full });
        expect(alice.code, alice.stderr).toBe(0);
        expect(alice.stdout.trim()).toBe('created user alice@example.com (id 1, Admin)');

        const [bob, carol, dup] = await Promise.all([
          run(['user', 'create', 'bob@example.com', 'bob-pass-1', '-c', conf], { direct: true }),
          run(['user', 'create', '--admin', 'carol@example.com', 'carol-pass', '-c', conf], { direct: true }),
          run(['user', 'create', 'ALICE@example.com', 'whatever1', '-c', conf], { direct: true }),
        ]);
        expect(bob.code, bob.stderr).toBe(0);
        expect(bob.stdout).toMatch(/created user bob@example.com \(id \d+, group 2\)/);
        expect(carol.stdout).toMatch(/created user carol@example.com \(id \d+, Admin\)/);
        expect([dup.code, dup.stderr.trim()]).toEqual([1, 'error 40032: Email already in use']);

        const [reset, promote, ...refusals] = await Promise.all([
          run(['user', 'reset-password', 'bob@example.com', 'bob-pass-2', '-c', conf], { direct: true }),
          run(['user', 'promote', 'bob@example.com', '-c', conf], { direct: true }),
          ...(full ? [
            run(['user', 'create', 'not-an-email', 'whatever1', '-c', conf], { direct: true }),
            run(['user', 'reset-password', 'carol@example.com', 'x', '-c', conf], { direct: true }),
            run(['user', 'promote', 'nobody@example.com', '-c', conf], { direct: true }),
          ] : []),
        ]);
        expect([reset.code, reset.stdout.trim()]).toEqual([0, 'password of bob@example.com reset']);
        expect([promote.code, promote.stdout.trim()]).toEqual([0, 'bob@example.com is now an administrator']);
        if (full) {
          expect(refusals.map((r) => [r.code, r.stderr.trim()])).toEqual([
            [1, 'error 40001: Email format error'],
            [1, 'error 40001: Password must be 6-128 characters'],
            [1, 'no user with e-mail nobody@example.com'],
          ]);
        }

        // The effects, seen through the real server started from the same conf.ini.
        const server = await run(['serve', '-c', conf], { direct: true, until: /listening on (http:\/\/\S+)/ });
        try {
          const url = /listening on (http:\/\/\S+)/.exec(server.stderr + server.stdout)![1]!;
          const c = new Client(url);
          expect((await c.post('/session/token', { email: 'bob@example.com', password: 'bob-pass-1' })).code).toBe(40080);
          await c.signIn('bob@example.com', 'bob-pass-2');
          expect((await c.get('/user/me')).data.group.name).toBe('Admin');
          const carolClient = new Client(url);
          await carolClient.signIn('carol@example.com', 'carol-pass');
          expect((await carolClient.get('/user/me')).data.group.name).toBe('Admin');
          await new Client(url).signIn('alice@example.com', 'alice-pass');
          expect((await new Client(url).post('/session/token', { email: 'carol@example.com', password: 'x' })).code).not.toBe(0);
        } finally {
          const stopped = await server.stop!();
          expect(stopped.code, 'graceful shutdown on SIGTERM').toBe(0);
        }
      } finally {
        await cleanup();
      }
    }, 600_000);
  }
});
