import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule of docs/architecture.md: the doors (api/, webdav/, http/, app.ts) may use
 * everything; the core below them never imports Fastify or a door, so it can be driven from any
 * of them (REST, WebDAV, tasks, CLI). The only HTTP-layer module the core may use is
 * http/errors.ts (AppError carries a contract code, not an HTTP concept).
 */
const SRC = path.join(import.meta.dirname, '../src');
const CORE = ['services', 'fs', 'storage', 'transfer', 'media', 'db', 'kv', 'util', 'config', 'tasks', 'mail'];

function* tsFiles(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

describe('layering', () => {
  it('the core imports neither Fastify nor the HTTP/WebDAV doors', () => {
    const violations: string[] = [];
    for (const layer of CORE) {
      for (const file of tsFiles(path.join(SRC, layer))) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
          const spec = (m[1] ?? m[2])!;
          const rel = path.relative(SRC, file);
          if (spec === 'fastify' || spec.startsWith('@fastify/')) violations.push(`${rel} imports ${spec}`);
          if (!spec.startsWith('.')) continue;
          const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
          const door = /^(api|webdav|http)\//.test(target) || target === 'app.ts' || target === 'bootstrap.ts';
          if (door && target !== path.join('http', 'errors.ts')) violations.push(`${rel} imports ${target}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
