import fs from 'node:fs';
import net from 'node:net';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Child processes of a bench (our server, nginx, the Node peer): each gets its own process
 * group so it can be stopped with everything it started, and all are stopped when the bench
 * exits, fails or hits its time limit.
 */
const children = new Set<ChildProcess>();

export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, { ...opts, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves when it exited. */
export async function stopTracked(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function killAllNow(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
}
process.once('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllNow();
    process.exit(130);
  });
}

/** Ends the bench (exit code 2) if it is still running after `seconds`: every bench stops by itself. */
export function watchdog(seconds: number, name: string): void {
  const t = setTimeout(() => {
    process.stderr.write(`\n${name}: time limit of ${seconds}s reached, stopping\n`);
    killAllNow();
    process.exit(2);
  }, seconds * 1000);
  t.unref();
}

/** A free loopback TCP port (bound and released; a tiny race with other processes is accepted). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      /* task ended */
    }
  }
  return out;
}

/** All descendants of `pid` (not including it). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of childPids(queue.shift()!)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Resident set size in bytes from /proc/<pid>/status (VmRSS), undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples one process's RSS every `everyMs` while running; `peak` is the largest sample. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  peak = 0;
  samples = 0;
  constructor(readonly pid: number, readonly everyMs = 50) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  private sample(): void {
    const v = rssBytes(this.pid);
    if (v === undefined) return;
    this.samples++;
    if (v > this.peak) this.peak = v;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** Load average of the machine, to record how busy it was during a run. */
export function loadAverage(): string {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from /proc/<pid>/stat.
 * Less sensitive to a busy machine than wall time: CPU ms per operation says what one core could
 * sustain when the machine is quiet.
 */
export function cpuTimeMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15, in clock ticks (100 Hz on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU ms used so far by a process and all its descendants (e.g. nginx master + workers). */
export function treeCpuTimeMs(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      total += cpuTimeMs(p);
    } catch {
      /* ended meanwhile */
    }
  }
  return total;
}

/**
 * CPU and peak RSS of one side of a comparison, summed over its process tree (a peer's workers
 * included), measured only inside `measure` calls.
 */
export class SideStats {
  cpuMs = 0;
  peakRss = 0;
  constructor(readonly pid: number) {}

  async measure<T>(body: () => Promise<T>): Promise<T> {
    const cpu0 = treeCpuTimeMs(this.pid);
    const timer = setInterval(() => this.sampleRss(), 50);
    try {
      return await body();
    } finally {
      clearInterval(timer);
      this.sampleRss();
      this.cpuMs += treeCpuTimeMs(this.pid) - cpu0;
    }
  }

  private sampleRss(): void {
    let sum = 0;
    for (const p of [this.pid, ...descendants(this.pid)]) sum += rssBytes(p) ?? 0;
    if (sum > this.peakRss) this.peakRss = sum;
  }
}
