/**
 * `npm run bench`: runs every bench one after the other (each in its own process, each bounded
 * in time), then prints one summary table. Exit code 1 when any target was missed or a bench failed.
 *   npm run bench                              full sizes (1 GiB files, 100k-file folder, …)
 *   npm run bench -- --quick                   small smoke sizes
 *   npm run bench -- --only download,upload    a subset
 *   npm run bench -- --size 256M               file size for download/upload
 *   npm run bench -- --only s3,remote-node     optional benches (not in the default run): s3, remote-node
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from './lib/args.ts';
import { OUT_DIR, renderTable, type BenchResult } from './lib/report.ts';
import { loadAverage } from './lib/proc.ts';
import { REPO_ROOT } from './lib/server.ts';

const ALL = ['download', 'upload', 'listing', 'delete', 'web-fcp'] as const;
/** Slow benches that run only when named in --only. */
const OPTIONAL = ['s3', 'remote-node'] as const;
type Name = (typeof ALL)[number] | (typeof OPTIONAL)[number];

const args = parseArgs();
const quick = args.flag('quick');
const only = args.str('only', ALL.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const known: readonly string[] = [...ALL, ...OPTIONAL];
for (const n of only) if (!known.includes(n)) throw new Error(`unknown bench "${n}" (choose from ${known.join(', ')})`);

function benchArgs(name: Name): string[] {
  const size = args.str('size', quick ? '64M' : '1G');
  switch (name) {
    case 'download':
      return ['--size', size, '--runs', quick ? '2' : '3'];
    case 'upload':
      return ['--size', size, '--runs', quick ? '2' : '5'];
    case 's3':
      return ['--size', size, '--runs', quick ? '1' : '2'];
    case 'remote-node':
      return ['--size', size, '--runs', '1'];
    case 'listing':
      return quick ? ['--files', '10000', '--samples', '50', '--create', '1000'] : [];
    case 'delete':
      return quick ? ['--files', '1000', '--rest', '10000'] : [];
    case 'web-fcp':
      return quick ? ['--runs', '3'] : [];
  }
}

function run(name: Name): Promise<number> {
  const argv = ['tsx', `bench/${name}.ts`, ...benchArgs(name)];
  console.log(`\n=== ${name}: npx ${argv.join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn('npx', argv, { cwd: REPO_ROOT, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const results: BenchResult[] = [];
const startLoad = loadAverage();
let failed = false;
for (const name of only as Name[]) {
  const file = path.join(OUT_DIR, `${name}.json`);
  fs.rmSync(file, { force: true });
  const code = await run(name);
  if (fs.existsSync(file)) results.push(JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResult);
  else results.push({ bench: name, date: new Date().toISOString(), host: '', cpus: 0, loadBefore: '', loadAfter: '', command: '', params: {}, rows: [], notes: [], error: `exited with code ${code} and wrote no result`, passed: false });
  if (code !== 0) failed = true;
}

console.log(`\n=== summary (load average at start ${startLoad}, at end ${loadAverage()})\n`);
console.log(renderTable(results));
for (const r of results) console.log(`${r.bench}: ${r.passed ? 'PASS' : 'FAIL'}${r.error ? ` (${r.error.split('\n')[0]})` : ''}`);
process.exit(failed || results.some((r) => !r.passed) ? 1 : 0);
