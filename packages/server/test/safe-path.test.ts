import fc from 'fast-check';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidName } from '../src/fs/names.ts';
import {
  UnsafePathError, assertRealpathInside, isSafeSegment, joinStorageKey, resolveRealUnder, resolveUnder, segmentProblem,
} from '../src/storage/safe-path.ts';

const ROOT = '/srv/cloudreve/root';

/** Independent containment check: under ROOT, no dot segments, already normalized. */
function strictlyInside(root: string, p: string): boolean {
  if (!p.startsWith(root + '/')) return false;
  const rest = p.slice(root.length + 1).split('/');
  return path.normalize(p) === p && rest.every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Every decoding a later layer might apply: repeated lenient percent-decoding, then NFKC. */
function decodeEverything(s: string): string {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
    } catch {
      next = cur.replace(/%([0-9a-fA-F]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16)));
    }
    if (next === cur) break;
    cur = next;
  }
  return cur.normalize('NFKC').replace(/\\/g, '/');
}

function outcome(root: string, rel: unknown): { ok: true; path: string } | { ok: false } {
  try {
    return { ok: true, path: resolveUnder(root, rel) };
  } catch (e) {
    expect(e).toBeInstanceOf(UnsafePathError);
    expect((e as UnsafePathError).code).toBe(40001);
    expect((e as Error).message).not.toContain(root);
    return { ok: false };
  }
}

const refuses = (rel: unknown) => expect(outcome(ROOT, rel).ok, JSON.stringify(rel)).toBe(false);

const adversarialToken = fc.constantFrom(
  '..', '.', '...', '%2e', '%2E', '%2e%2e', '.%2e', '%2e.', '%252e', '%252e%252e', '%25252e%25252e', '%2f', '%2F', '%252f', '%5c', '%5C', '%255c',
  '%00', '%2500', '%c0%ae', '%C0%AF', '%e0%80%ae', '/', '//', '\\', 'a', 'b', 'C:', 'c:', '%43:', '\u0000', '\u001b', '\u0085',
  '．', '．．', '／', '＼', '\u2024', '\u2025', '\ufe52', '\uff0e\uff0e', 'e\u0301', '\u00e9', '😀', '%', '%%', '%zz', '~', ' ', 'x'.repeat(256), '\ud800',
);
const adversarialPath = fc.array(adversarialToken, { minLength: 1, maxLength: 10 }).map((t) => t.join(''));
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: 'grapheme', maxLength: 64 }), adversarialPath);

describe('resolveUnder: examples', () => {
  it('resolves ordinary relative paths under the root, byte-exact', () => {
    expect(resolveUnder(ROOT, 'a/b.txt')).toBe(`${ROOT}/a/b.txt`);
    expect(resolveUnder(ROOT, 'uploads/1/1_x_report 2024.pdf')).toBe(`${ROOT}/uploads/1/1_x_report 2024.pdf`);
    expect(resolveUnder(ROOT, 'a//b/')).toBe(`${ROOT}/a/b`);
    expect(resolveUnder(ROOT + '/', 'x')).toBe(`${ROOT}/x`);
    expect(resolveUnder(ROOT, '..a/b..')).toBe(`${ROOT}/..a/b..`);
    expect(resolveUnder(ROOT, '...')).toBe(`${ROOT}/...`);
    expect(resolveUnder(ROOT, '100% sure/50%')).toBe(`${ROOT}/100% sure/50%`);
    expect(resolveUnder(ROOT, 'a%20b')).toBe(`${ROOT}/a%20b`); // never decoded
    // No normalization: NFD and NFC spellings stay distinct.
    expect(resolveUnder(ROOT, 'cafe\u0301')).toBe(`${ROOT}/cafe\u0301`);
    expect(resolveUnder(ROOT, 'caf\u00e9')).toBe(`${ROOT}/caf\u00e9`);
    expect(resolveUnder(ROOT, '你好/😀')).toBe(`${ROOT}/你好/😀`);
  });

  it('returns the root only when allowed', () => {
    refuses('');
    refuses('/');
    expect(resolveUnder(ROOT, '', { allowRoot: true })).toBe(ROOT);
    expect(resolveUnder(ROOT, 'a//', { allowRoot: true })).toBe(`${ROOT}/a`);
  });

  it('refuses traversal in every spelling', () => {
    for (const rel of [
      '..', '../x', 'a/../../x', 'a/..', './a', 'a/.', '.',
      '%2e%2e/x', '%2E%2E', '.%2e', '%2e', 'a/%2e%2e%2fb', '%252e%252e/x', '%25252e%25252e', '%c0%ae%c0%ae', '%e0%80%ae',
      'a%2fb', 'a%2Fb', 'a%252fb', 'a%5cb', 'a%5Cb', '..%5c..', 'a%00b', 'a%2500',
      '/etc/passwd', '//server/share', '\\\\server\\share', 'a\\..\\b', 'a\\b',
      'C:', 'C:\\Windows', 'c:/x', 'a/C:x', '%43:x',
      'a\u0000b', 'a\nb', 'a\u0085b', '\ud800x',
      '．．/x', '\uff0e\uff0e', '\u2025', '\u2024\u2024', '\ufe52\ufe52', 'a／b', 'a＼b', '%EF%BC%8F', '%E2%80%A5',
      'x'.repeat(256), `${'a/'.repeat(2100)}x`,
    ]) {
      refuses(rel);
    }
  });

  it('refuses non-strings and requires an absolute root', () => {
    refuses(undefined);
    refuses(null);
    refuses(['a']);
    expect(() => resolveUnder('relative/root', 'a')).toThrow(TypeError);
  });

  it('explains the refusal without echoing the root', () => {
    expect(() => resolveUnder(ROOT, '../x')).toThrow('Unsafe path: dot segment');
    expect(() => resolveUnder(ROOT, '%252e%252e/x')).toThrow('Unsafe path: encoded dot segment');
    expect(segmentProblem('a%2fb')).toBe('encoded separator inside a name');
    expect(isSafeSegment('report.pdf')).toBe(true);
  });
});

describe('resolveUnder: properties', () => {
  it('never returns a path outside root, for arbitrary and adversarial strings', () => {
    fc.assert(
      fc.property(anyString, (rel) => {
        const r = outcome(ROOT, rel);
        if (r.ok) expect(strictlyInside(ROOT, r.path), r.path).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('stays inside root even if a later layer percent-decodes (repeatedly) and NFKC-normalizes what it accepted', () => {
    fc.assert(
      fc.property(anyString, (rel) => {
        const r = outcome(ROOT, rel);
        if (!r.ok) return;
        const accepted = r.path.slice(ROOT.length + 1);
        const decoded = decodeEverything(accepted);
        expect(decoded.split('/').some((s) => s === '..' || s === '.'), decoded).toBe(false);
        expect(decoded).not.toMatch(/[\u0000-\u001f]/);
        expect(strictlyInside(ROOT, path.resolve(ROOT, decoded))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('works for other roots, including the filesystem root', () => {
    fc.assert(
      fc.property(fc.constantFrom('/', '/a', '/tmp/x y', '/srv/你好'), adversarialPath, (root, rel) => {
        const r = outcome(root, rel);
        if (!r.ok) return;
        const rest = path.relative(path.resolve(root), r.path);
        expect(rest !== '' && rest !== '..' && !rest.startsWith('../') && !path.isAbsolute(rest), r.path).toBe(true);
        expect(rest.split('/').every((s) => s !== '..' && s !== '.' && s !== '')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid object name that has no encoded or look-alike separator, unchanged', () => {
    const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => isValidName(s) && !/%/.test(s) && s.normalize('NFKC') === s.normalize('NFC') && !/^[A-Za-z]:/.test(s));
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), (names) => {
        expect(resolveUnder(ROOT, names.join('/'))).toBe(`${ROOT}/${names.join('/')}`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('joinStorageKey', () => {
  it('joins relative parts into a clean key', () => {
    expect(joinStorageKey('uploads/1', '', '1_abc_report.pdf')).toBe('uploads/1/1_abc_report.pdf');
    expect(joinStorageKey('a//b/', 'c')).toBe('a/b/c');
    expect(joinStorageKey('你好', '😀 x.png')).toBe('你好/😀 x.png');
  });

  it('refuses unsafe parts and empty or overlong keys', () => {
    for (const parts of [['..'], ['a', '../b'], ['/abs'], ['a\\b'], ['%2e%2e'], ['a', 'b%2fc'], [''], [], ['a', 'x'.repeat(256)], Array.from({ length: 5 }, () => 'y'.repeat(250))]) {
      expect(() => joinStorageKey(...parts), JSON.stringify(parts).slice(0, 60)).toThrow(UnsafePathError);
    }
  });

  it('never yields a key with a leading slash or dot/empty segments (property)', () => {
    fc.assert(
      fc.property(fc.array(anyString, { minLength: 1, maxLength: 4 }), (parts) => {
        let key: string;
        try {
          key = joinStorageKey(...parts);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafePathError);
          return;
        }
        expect(key.startsWith('/')).toBe(false);
        expect(key.includes('\\')).toBe(false);
        expect(key.split('/').every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
        expect(decodeEverything(key).split('/').some((s) => s === '..')).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('realpath containment (symlinks)', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'cr-safe-path-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'inner'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret'), 'x');
    await symlink(outside, path.join(root, 'escape'));
    await symlink(path.join(root, 'inner'), path.join(root, 'alias'));
    await symlink(path.join(base, 'missing-target'), path.join(root, 'dangling'));
    await symlink(path.join(root, 'loop'), path.join(root, 'loop'));
  });
  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('accepts existing and not-yet-existing paths inside the root', async () => {
    expect(await resolveRealUnder(root, 'inner/new/file.txt')).toBe(path.join(root, 'inner/new/file.txt'));
    expect(await resolveRealUnder(root, 'alias/x')).toBe(path.join(root, 'alias/x'));
    expect(await resolveRealUnder(root, 'fresh')).toBe(path.join(root, 'fresh'));
  });

  it('refuses paths that leave the root through a symlink, dangling links and loops', async () => {
    for (const rel of ['escape/secret', 'escape', 'escape/new/file', 'dangling', 'dangling/x', 'loop/x']) {
      await expect(resolveRealUnder(root, rel), rel).rejects.toBeInstanceOf(UnsafePathError);
    }
    await expect(assertRealpathInside(root, path.join(root, 'escape', 'secret'))).rejects.toThrow('Unsafe path');
  });

  it('works when the root itself does not exist yet', async () => {
    const fresh = path.join(base, 'not-created', 'root');
    expect(await resolveRealUnder(fresh, 'a/b')).toBe(path.join(fresh, 'a/b'));
  });
});
