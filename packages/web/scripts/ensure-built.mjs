#!/usr/bin/env node
// Builds packages/web/dist when it is missing or older than its sources (run by `npm start` via
// prestart, and by the e2e tests). A stamp in dist/ holds a hash of every input, so a fresh clone,
// an edited source file or a new dependency version all trigger one build; otherwise this is a
// few milliseconds of hashing. Concurrent callers (parallel test files) serialise on a lock dir,
// and the new dist replaces the old one by rename, so a running server never sees half a build.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(webRoot, '../..');
const distDir = path.join(webRoot, 'dist');
const stampFile = path.join(distDir, '.build-stamp');
const lockDir = path.join(webRoot, '.build-lock');
const STALE_LOCK_MS = 5 * 60_000;

const INPUTS = [
  fileURLToPath(import.meta.url),
  path.join(webRoot, 'index.html'),
  path.join(webRoot, 'vite.config.ts'),
  path.join(webRoot, 'package.json'),
  path.join(webRoot, 'src'),
  path.join(webRoot, 'public'),
  path.join(repoRoot, 'packages/protocol/src'),
  path.join(repoRoot, 'packages/protocol/package.json'),
];

function* files(p) {
  if (!fs.existsSync(p)) return;
  if (fs.statSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) yield* files(path.join(p, name));
  } else yield p;
}

function sourceHash() {
  const h = crypto.createHash('sha256');
  for (const input of INPUTS) {
    for (const f of files(input)) {
      h.update(path.relative(repoRoot, f)).update('\0').update(fs.readFileSync(f)).update('\0');
    }
  }
  // Dependency versions shape the bundle too.
  const lock = path.join(repoRoot, 'package-lock.json');
  if (fs.existsSync(lock)) {
    const pkgs = JSON.parse(fs.readFileSync(lock, 'utf8')).packages ?? {};
    for (const name of Object.keys(pkgs).filter((k) => k.startsWith('node_modules/')).sort()) h.update(`${name}@${pkgs[name].version}\n`);
  }
  return h.digest('hex');
}

const isFresh = (hash) => fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash;

async function acquireLock() {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const age = Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs;
      if (age > STALE_LOCK_MS) fs.rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function build(hash) {
  // Callers such as vitest set NODE_ENV=test, which would make vite emit React's development build.
  process.env.NODE_ENV = 'production';
  const { build: viteBuild } = await import('vite');
  const outDir = path.join(webRoot, `.dist-${process.pid}`);
  await viteBuild({ root: webRoot, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  fs.writeFileSync(path.join(outDir, '.build-stamp'), `${hash}\n`);
  const old = path.join(webRoot, `.dist-old-${process.pid}`);
  if (fs.existsSync(distDir)) fs.renameSync(distDir, old);
  fs.renameSync(outDir, distDir);
  fs.rmSync(old, { recursive: true, force: true });
}

async function main() {
  const hash = sourceHash();
  if (isFresh(hash)) return;
  await acquireLock();
  try {
    if (isFresh(hash)) return; // another process built it while we waited
    const started = Date.now();
    process.stdout.write('Building the web UI (packages/web) …\n');
    await build(hash);
    process.stdout.write(`Web UI built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`Building the web UI failed: ${e?.stack ?? e}\n`);
  process.exit(1);
});
