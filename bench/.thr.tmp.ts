import fs from 'node:fs';
import path from 'node:path';
import { Api, myUri } from './lib/api.ts';
import { makeTestFile } from './lib/data.ts';
import { benchTemp, startOurServer } from './lib/server.ts';
const threads = (pid: number) => Object.fromEntries(fs.readdirSync(`/proc/${pid}/task`).map((t) => {
  const st = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
  const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return [`${t}:${comm}`, [Number(f[11]) * 10, Number(f[12]) * 10]];
}));
const size = 512 * 1024 * 1024;
const dir = benchTemp('thr');
const file = path.join(dir, 'p.bin');
await makeTestFile(file, size);
const s = await startOurServer();
const api = new Api(s.url);
await api.signUpAndIn('b@example.com', 'bench-password-1');
const pol = await api.policyFor(myUri());
await api.upload(myUri('w.bin'), file, 8 << 20, pol);
const before = threads(s.pid);
const t = performance.now();
await api.upload(myUri('x.bin'), file, size, pol);
console.log('upload ms', (performance.now() - t).toFixed(0));
const after = threads(s.pid);
for (const k of Object.keys(after)) {
  const b = before[k] ?? [0, 0];
  const du = after[k]![0]! - b[0]!, ds = after[k]![1]! - b[1]!;
  if (du + ds > 0) console.log(k.padEnd(28), 'user', du, 'ms  sys', ds, 'ms');
}
const t2 = performance.now();
const b2 = threads(s.pid);
const url = await api.downloadUrl(myUri('x.bin'));
const { download } = await import('./lib/http.ts');
await download(url);
console.log('download ms', (performance.now() - t2).toFixed(0));
const a2 = threads(s.pid);
for (const k of Object.keys(a2)) {
  const b = b2[k] ?? [0, 0];
  const du = a2[k]![0]! - b[0]!, ds = a2[k]![1]! - b[1]!;
  if (du + ds > 0) console.log(k.padEnd(28), 'user', du, 'ms  sys', ds, 'ms');
}
await s.stop();
fs.rmSync(dir, { recursive: true, force: true });
