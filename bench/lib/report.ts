import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatBytes } from './args.ts';
import { median, mibPerSec } from './data.ts';
import { loadAverage, type SideStats } from './proc.ts';
import { REPO_ROOT } from './server.ts';

/**
 * One line of a bench result. `ratio` is ours/peer when a peer was measured in the same run,
 * otherwise ours/target; `pass` undefined marks an informational line (no target).
 */
export interface Row {
  name: string;
  ours: string;
  peer?: string;
  ratio?: number;
  basis?: string;
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  bench: string;
  date: string;
  host: string;
  cpus: number;
  loadBefore: string;
  loadAfter: string;
  command: string;
  params: Record<string, unknown>;
  rows: Row[];
  notes: string[];
  error?: string;
  passed: boolean;
}

export const OUT_DIR = path.join(REPO_ROOT, 'bench', 'out');

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  private readonly loadBefore = loadAverage();
  private error?: string;

  constructor(readonly bench: string, readonly params: Record<string, unknown>) {}

  /** Higher is better: ours/peer must be at least `min`. */
  ratioAtLeast(name: string, ours: number, peer: number, unit: string, peerName: string, min: number): void {
    const ratio = ours / peer;
    this.rows.push({ name, ours: `${fmt(ours)} ${unit}`, peer: `${fmt(peer)} ${unit} (${peerName})`, ratio, basis: `ours/${peerName}`, target: `≥ ${fmt(min)}`, pass: ratio >= min });
  }

  /** Lower is better: `value` must stay below `max`; ratio = value/max. */
  below(name: string, value: number, max: number, unit: string, peer?: { value: number; name: string }): void {
    this.rows.push({
      name, ours: `${fmt(value)} ${unit}`, peer: peer ? `${fmt(peer.value)} ${unit} (${peer.name})` : undefined,
      ratio: value / max, basis: 'ours/target', target: `< ${fmt(max, max < 10 ? 1 : 0)} ${unit}`, pass: value < max,
    });
  }

  /** Higher is better: `value` must reach `min`; ratio = value/min. */
  atLeast(name: string, value: number, min: number, unit: string, peer?: { value: number; name: string }): void {
    this.rows.push({
      name, ours: `${fmt(value)} ${unit}`, peer: peer ? `${fmt(peer.value)} ${unit} (${peer.name})` : undefined,
      ratio: value / min, basis: 'ours/target', target: `≥ ${fmt(min, 0)} ${unit}`, pass: value >= min,
    });
  }

  /** Informational line: a number, optionally beside a peer and their ratio. */
  info(name: string, ours: string, peer?: string, ratio?: number, basis?: string): void {
    this.rows.push({ name, ours, peer, ratio, basis });
  }

  note(text: string): void {
    this.notes.push(text);
    process.stdout.write(`  · ${text}\n`);
  }

  fail(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
  }

  get passed(): boolean {
    return !this.error && this.rows.every((r) => r.pass !== false);
  }

  /** Prints the table, writes bench/out/<bench>.json and sets the exit code (1 when a target is missed). */
  finish(): BenchResult {
    const result: BenchResult = {
      bench: this.bench,
      date: new Date().toISOString(),
      host: os.hostname(),
      cpus: os.cpus().length,
      loadBefore: this.loadBefore,
      loadAfter: loadAverage(),
      command: `npx tsx bench/${this.bench}.ts ${process.argv.slice(2).join(' ')}`.trim(),
      params: this.params,
      rows: this.rows,
      notes: this.notes,
      error: this.error,
      passed: this.passed,
    };
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, `${this.bench}.json`), JSON.stringify(result, null, 2));
    process.stdout.write(`\n${renderTable([result])}\n`);
    process.stdout.write(`load average before/after: ${result.loadBefore} / ${result.loadAfter} (${result.cpus} CPUs)\n`);
    if (this.error) process.stdout.write(`ERROR: ${this.error}\n`);
    process.stdout.write(`${this.bench}: ${result.passed ? 'PASS' : 'FAIL'}\n`);
    process.exitCode = result.passed ? 0 : 1;
    return result;
  }
}

/** A plain-text table of the rows of one or more results (also used by `npm run bench`). */
export function renderTable(results: BenchResult[]): string {
  const header = ['bench', 'measurement', 'ours', 'peer', 'ratio', 'target', 'result'];
  const lines: string[][] = [];
  for (const r of results) {
    for (const row of r.rows) {
      lines.push([
        r.bench, row.name, row.ours, row.peer ?? '', row.ratio === undefined ? '' : `${fmt(row.ratio)} ${row.basis ?? ''}`.trim(),
        row.target ?? '', row.pass === undefined ? 'info' : row.pass ? 'ok' : 'MISSED',
      ]);
    }
    if (r.error) lines.push([r.bench, 'error', r.error.split('\n')[0]!.slice(0, 120), '', '', '', 'ERROR']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

/** Runs a bench body, turning any exception into a failed result; always writes the report. */
export async function runBench(report: Report, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    report.fail(e);
    if (process.env.BENCH_DEBUG) console.error(e);
  }
  report.finish();
}

type Side = 'nginx' | 'node' | 'ours';

/**
 * The rows of a transfer bench: the gated throughput ratio against `gate`, the same against the
 * other peer, CPU time per GiB of each side (load-robust) and our peak RSS against its limit.
 */
export function reportTransfer(report: Report, o: {
  verb: string; size: number; runs: number; gate: 'nginx' | 'node'; ratioTarget: number; rssLimitMb: number;
  times: Record<Side, number[]>; stats: Record<Side, SideStats | undefined>;
}): void {
  const tp = (s: Side) => mibPerSec(o.size, median(o.times[s]));
  const other = o.gate === 'nginx' ? 'node' : 'nginx';
  const peerLabel = { nginx: 'nginx', node: 'plain Node server' } as const;
  report.ratioAtLeast(`${o.verb} ${formatBytes(o.size)}, median throughput vs ${peerLabel[o.gate]}`, tp('ours'), tp(o.gate), 'MiB/s', o.gate, o.ratioTarget);
  if (o.times[other].length) report.info(`throughput vs ${peerLabel[other]}`, `${tp('ours').toFixed(2)} MiB/s`, `${tp(other).toFixed(2)} MiB/s (${other})`, tp('ours') / tp(other), `ours/${other}`);
  const gib = (o.size * o.runs) / 1024 ** 3;
  const cpu = (s: Side) => (o.stats[s] ? o.stats[s]!.cpuMs / 1000 / gib : NaN);
  for (const peer of ['nginx', 'node'] as const) {
    if (!o.stats[peer]) continue;
    report.info(`CPU time per GiB vs ${peer}`, `${cpu('ours').toFixed(2)} s`, `${cpu(peer).toFixed(2)} s (${peer})`, cpu('ours') / cpu(peer), `ours/${peer}`);
  }
  const peerRss = o.stats.node ? { value: o.stats.node.peakRss / 1e6, name: 'node' } : undefined;
  report.below('server peak RSS', o.stats.ours!.peakRss / 1e6, o.rssLimitMb, 'MB', peerRss);
}
