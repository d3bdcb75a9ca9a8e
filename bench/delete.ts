/**
 * Deleting a folder of 10,000 files, with the rest of the tree small and then large.
 * Folders are made through the API; their files (each with a real 1-byte blob) and the "rest of
 * the tree" are written straight into the database (seeding only; see lib/seed.ts).
 *  A. permanent delete (DELETE /file, skip_soft_delete) with no other files: < 5 s
 *  B. permanent delete after --rest more files were added elsewhere in the tree: < 5 s
 *  C. delete to trash (default DELETE /file): < 5 s
 *  D. permanent delete of that folder from the trash: < 5 s
 * Beside them: nginx deleting a directory of as many files by WebDAV DELETE.
 *   npx tsx bench/delete.ts [--files 10000] [--rest 100000] [--recycle-wait 0]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Api, myUri } from './lib/api.ts';
import { parseArgs } from './lib/args.ts';
import { request } from './lib/http.ts';
import { watchdog } from './lib/proc.ts';
import { Report, runBench } from './lib/report.ts';
import { Seeder } from './lib/seed.ts';
import { startOurServer, type OurServer } from './lib/server.ts';
import { nginxBinary, startNginx, type NginxPeer } from './peers/nginx.ts';

const args = parseArgs();
const files = args.int('files', 10_000);
const rest = args.int('rest', 100_000);
const recycleWait = args.int('recycle-wait', 0);
const cpuProf = args.raw.has('cpu-prof') ? path.resolve(args.str('cpu-prof', 'bench/out/prof-delete')) : undefined;
watchdog(args.int('timeout', 600) + recycleWait, 'delete');

const LIMIT_MS = 5000;
const EMAIL = 'bench@example.com';

const report = new Report('delete', { files, rest });
let ours: OurServer | undefined;
let nginx: NginxPeer | undefined;

await runBench(report, async () => {
  console.log(`delete bench: folder of ${files} files; rest of tree ${rest} files`);
  ours = await startOurServer({ cpuProfDir: cpuProf, keep: !!cpuProf });
  const api = new Api(ours.url);
  await api.signUpAndIn(EMAIL, 'bench-password-1');
  const blobDir = path.join(ours.dataDir, 'uploads');
  for (const name of ['del-a', 'del-b', 'del-c', 'rest']) await api.call('POST', '/file/create', { uri: myUri(name), type: 'folder' });
  const seeder = new Seeder(ours.dbFile, EMAIL);
  const fill = (name: string) => {
    const t = performance.now();
    seeder.addFiles(seeder.folderId(name), files, { blobDir });
    return performance.now() - t;
  };
  const timed = async (body: unknown) => {
    const t = performance.now();
    await api.call('DELETE', '/file', body);
    return performance.now() - t;
  };
  const ownerFiles = () => seeder.count('select count(*) as n from files where owner_id = ?', seeder.ownerId);

  // A: nothing else in the tree.
  fill('del-a');
  const before = ownerFiles();
  const tA = await timed({ uris: [myUri('del-a')], skip_soft_delete: true });
  if (ownerFiles() !== before - files - 1) throw new Error(`A: ${before - ownerFiles()} rows removed, expected ${files + 1}`);

  // B: the same after growing the rest of the tree.
  let t = performance.now();
  const perFolder = 1000;
  seeder.addTree(seeder.folderId('rest'), Math.ceil(rest / perFolder), perFolder);
  report.note(`seeded ${Math.ceil(rest / perFolder) * perFolder} other files into the database directly in ${((performance.now() - t) / 1000).toFixed(1)} s (seeding only)`);
  fill('del-b');
  fill('del-c');
  const beforeB = ownerFiles();
  const tB = await timed({ uris: [myUri('del-b')], skip_soft_delete: true });
  if (ownerFiles() !== beforeB - files - 1) throw new Error(`B: ${beforeB - ownerFiles()} rows removed, expected ${files + 1}`);

  // C: to the trash, then D: from the trash.
  const tC = await timed({ uris: [myUri('del-c')] });
  const trash = await api.call<{ files: { name: string; path: string }[] }>('GET', `/file?uri=${encodeURIComponent('cloudreve://trash')}&page_size=100`);
  const item = trash.files.find((f) => f.name === 'del-c');
  if (!item) throw new Error('C: the folder is not in the trash');
  const beforeD = ownerFiles();
  const tD = await timed({ uris: [item.path], skip_soft_delete: true });
  if (ownerFiles() !== beforeD - files - 1) throw new Error(`D: ${beforeD - ownerFiles()} rows removed, expected ${files + 1}`);

  // Peer: nginx deleting a directory of as many files (WebDAV DELETE of a collection).
  let peer: { value: number; name: string } | undefined;
  if (nginxBinary()) {
    nginx = await startNginx();
    const dir = path.join(nginx.root, 'victim');
    fs.mkdirSync(dir);
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, `file-${i}.bin`), 'a');
    t = performance.now();
    const r = await request('DELETE', `${nginx.url}/victim/`);
    if (r.status !== 204 || fs.existsSync(dir)) throw new Error(`nginx DELETE: HTTP ${r.status}`);
    peer = { value: performance.now() - t, name: 'nginx DELETE' };
  }

  report.below(`A: permanent delete of ${files} files, tree otherwise empty`, tA, LIMIT_MS, 'ms', peer);
  report.below(`B: same with ${rest} more files in the tree`, tB, LIMIT_MS, 'ms', peer);
  report.below(`C: move the folder of ${files} to trash`, tC, LIMIT_MS, 'ms');
  report.below(`D: permanent delete of it from the trash`, tD, LIMIT_MS, 'ms', peer);
  report.info('B/A: growth with the rest of the tree', `${(tB / tA).toFixed(2)}×`);

  const pending = () => seeder.count('select count(*) as n from entities where reference_count <= 0');
  report.info('entities left for the blob recycler right after', String(pending()));
  if (recycleWait > 0) {
    const deadline = Date.now() + recycleWait * 1000;
    while (pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    report.info(`entities still unrecycled after ${recycleWait} s`, String(pending()));
  }
  seeder.close();
  if (cpuProf) report.note(`CPU profile of the server in ${cpuProf}`);
});

await ours?.stop().catch(() => undefined);
await nginx?.stop().catch(() => undefined);
process.exit(process.exitCode ?? 0);
