/**
 * Summarises a V8 .cpuprofile (from a bench run with --cpu-prof DIR): the functions with the most
 * self time, and the project functions with the most total (inclusive) time.
 *   npx tsx bench/profile-top.ts <file.cpuprofile | DIR (largest profile in it)> [--top 25] [--after SECONDS]
 * `--after` drops the first seconds of the profile (server start-up, seeding).
 */
import fs from 'node:fs';
import path from 'node:path';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const argv = process.argv.slice(2);
let target = argv.find((a, i) => !a.startsWith('--') && !['--top', '--after'].includes(argv[i - 1] ?? ''));
const topIdx = argv.indexOf('--top');
const top = topIdx >= 0 ? Number(argv[topIdx + 1]) : 25;
const afterIdx = argv.indexOf('--after');
const afterUs = afterIdx >= 0 ? Number(argv[afterIdx + 1]) * 1e6 : 0;
if (!target) throw new Error('usage: profile-top.ts <file.cpuprofile | dir>');
if (fs.statSync(target).isDirectory()) {
  const files = fs.readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(target!, f));
  if (!files.length) throw new Error(`no .cpuprofile in ${target}`);
  target = files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
}
const p = JSON.parse(fs.readFileSync(target, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
let elapsed = 0;
p.samples.forEach((id, i) => {
  elapsed += p.timeDeltas[i] ?? 0;
  if (elapsed >= afterUs) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm:').replace(/^.*\/packages\/server\/src\//, 'src/');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

const selfBy = new Map<string, number>();
for (const [id, t] of self) {
  const k = label(byId.get(id)!);
  selfBy.set(k, (selfBy.get(k) ?? 0) + t);
}
// Inclusive time of project functions: each sample counts once per distinct function on its stack.
const inclBy = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (!/\/packages\/server\/(src\/|dist\/main\.mjs)/.test(n.callFrame.url)) continue;
    const k = label(n);
    if (seen.has(k)) continue;
    seen.add(k);
    inclBy.set(k, (inclBy.get(k) ?? 0) + t);
  }
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`${target}: ${(total / 1e6).toFixed(2)} s sampled${afterUs ? ` after the first ${afterUs / 1e6} s` : ''}`);
console.log(`\nself time, top ${top}:`);
for (const [k, t] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
const busy = total - (selfBy.get('(idle) ') ?? 0);
console.log(`busy (not idle): ${(busy / 1e6).toFixed(2)} s`);
console.log(`\nproject functions by total time, top ${top}:`);
for (const [k, t] of [...inclBy].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
