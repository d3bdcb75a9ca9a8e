#!/usr/bin/env node
// Bundles the server (packages/server/src + packages/protocol) into dist/main.mjs so `npm start`
// runs under plain `node` instead of the tsx loader: no on-the-fly TypeScript transform, ~35 MB
// less resident memory, faster start. npm dependencies stay external (loaded from node_modules as
// usual, native addons included). With `--if-stale` it builds only when an input changed since the
// last build (a stamp holds a hash of the inputs), so prestart costs milliseconds when up to date.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverRoot, '../..');
const outDir = path.join(serverRoot, 'dist');
const outFile = path.join(outDir, 'main.mjs');
const stampFile = path.join(outDir, '.build-stamp');

const INPUTS = [
  fileURLToPath(import.meta.url),
  path.join(serverRoot, 'src'),
  path.join(serverRoot, 'package.json'),
  path.join(repoRoot, 'packages/protocol/src'),
  path.join(repoRoot, 'package-lock.json'),
];

function* files(p) {
  if (!fs.existsSync(p)) return;
  if (fs.statSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) yield* files(path.join(p, name));
  } else yield p;
}

function sourceHash() {
  const h = crypto.createHash('sha256');
  for (const input of INPUTS) for (const f of files(input)) h.update(path.relative(repoRoot, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  return h.digest('hex');
}

async function build(hash) {
  const { build: esbuild } = await import('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(serverRoot, 'package.json'), 'utf8'));
  // Workspace packages are TypeScript source: they must be bundled, everything else is external.
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => !d.startsWith('@cloudreve-ts/'));
  const tmp = `${outFile}.${process.pid}.tmp`;
  await esbuild({
    entryPoints: [path.join(serverRoot, 'src/main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Code that builds a require() from import.meta.url keeps working from dist/.
    banner: { js: "import { createRequire as __crCreateRequire } from 'node:module'; const require = __crCreateRequire(import.meta.url);" },
  });
  fs.renameSync(`${tmp}.map`, `${outFile}.map`);
  // The sourceMappingURL comment names the temp file; point it at the final map.
  fs.writeFileSync(tmp, fs.readFileSync(tmp, 'utf8').replace(/sourceMappingURL=.*$/m, `sourceMappingURL=${path.basename(outFile)}.map`));
  fs.renameSync(tmp, outFile);
  fs.writeFileSync(stampFile, `${hash}\n`);
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const hash = sourceHash();
  if (process.argv.includes('--if-stale') && fs.existsSync(stampFile) && fs.existsSync(outFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash) return;
  const started = Date.now();
  await build(hash);
  process.stdout.write(`Server bundled into ${path.relative(repoRoot, outFile)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((e) => {
  process.stderr.write(`Bundling the server failed: ${e?.stack ?? e}\n`);
  process.exit(1);
});
