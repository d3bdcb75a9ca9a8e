import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { request } from './http.ts';
import { cmdline, descendants, freePort, spawnTracked, stopTracked } from './proc.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The `node` flags of `npm start` (package.json), so the benches run the server exactly as it starts. */
function startNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /^node\s+(.*?)\s*packages\/server\/dist\/main\.mjs\b/.exec(start);
  if (!m) throw new Error(`package.json "start" no longer runs packages/server/dist/main.mjs with node: ${start}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}

export interface OurServer {
  url: string;
  port: number;
  /** PID of the Node process that runs the server (the bundle run by plain node), whose RSS is sampled. */
  pid: number;
  dataDir: string;
  dbFile: string;
  logFile: string;
  /** Stops the server (SIGTERM, so a --cpu-prof profile is written) and removes its data unless kept. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra conf.ini text appended to the generated file (e.g. an [OptionOverwrite] section). */
  confExtra?: string;
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the server process into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  /** Keep the data directory after stop (for inspection). */
  keep?: boolean;
}

/** Temp directory for one bench run: under $BENCH_TMP or the OS temp dir. */
export function benchTemp(prefix: string): string {
  const base = process.env.BENCH_TMP || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `crts-bench-${prefix}-`));
}

async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}:\n${tail(logFile)}`);
    try {
      const r = await request('GET', `${url}/api/v4/site/ping`);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The server's own Node process: the descendant whose command line runs main.ts and has no children. */
function serverPid(rootPid: number): number {
  const all = [rootPid, ...descendants(rootPid)];
  const runners = all.filter((p) => cmdline(p).includes('packages/server/dist/main.mjs'));
  const leaf = runners.find((p) => descendants(p).length === 0);
  return leaf ?? runners[runners.length - 1] ?? rootPid;
}

/**
 * Starts cloudreve-ts as a child process the way `npm start` does (the bundle built by
 * packages/server/scripts/build.mjs under plain `node`), with a fresh data dir, SQLite, and
 * `CR_CONF_System_Listen` on a free loopback port. With `cpuProfDir` it adds `--cpu-prof`.
 */
export async function startOurServer(opts: StartOptions = {}): Promise<OurServer> {
  const dataDir = benchTemp('server');
  const conf = path.join(dataDir, 'conf.ini');
  fs.writeFileSync(conf, `[System]\nLogLevel = warning\n\n[Database]\nType = sqlite\nDBFile = cloudreve.db\n${opts.confExtra ?? ''}`);
  const port = await freePort();
  const logFile = path.join(dataDir, 'server.log');
  const log = fs.openSync(logFile, 'a');
  const env: Record<string, string> = { ...process.env as Record<string, string>, ...opts.env, CR_CONF_System_Listen: `127.0.0.1:${port}` };
  execFileSync(process.execPath, ['packages/server/scripts/build.mjs', '--if-stale'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const cmd = process.execPath;
  const argv = [...startNodeFlags(), 'packages/server/dist/main.mjs', '-c', conf];
  if (opts.cpuProfDir) {
    fs.mkdirSync(opts.cpuProfDir, { recursive: true });
    argv.unshift('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const child = spawnTracked(cmd, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, logFile, 90_000);
  } catch (e) {
    await stopTracked(child);
    throw e;
  }
  return {
    url,
    port,
    pid: serverPid(child.pid!),
    dataDir,
    dbFile: path.join(dataDir, 'cloudreve.db'),
    logFile,
    async stop() {
      const pid = serverPid(child.pid!);
      await stopTracked(child, 20_000);
      // npx may exit before the server process has finished (e.g. writing its CPU profile).
      for (let i = 0; i < 200 && fs.existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
      if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
