/**
 * Path safety: THE ONLY WAY code may join an untrusted path onto a disk root or into a storage key.
 *
 * "Untrusted" is anything derived from a request or from data a user influenced: file names, URI
 * elements, WebDAV hrefs, archive entry names, storage keys built from `{originname}`/`{path}`,
 * node-protocol paths, import prefixes. Never `path.join(root, untrusted)` directly — call
 * `resolveUnder(root, untrusted)` (disk) or `joinStorageKey(...)` (object keys). Both throw
 * `UnsafePathError` (40001) instead of returning anything that could leave the root.
 *
 * Rules, applied to the raw string (we never decode it, so the rules hold whatever decoding a later
 * layer might apply — "percent-decoding-agnostic"):
 * - `/` is the only separator; empty segments (`a//b`, trailing `/`) are collapsed.
 * - Refused outright: absolute paths (leading `/`), backslashes, NUL and other control characters,
 *   lone surrogates, `.` and `..` segments, Windows drive prefixes (`C:`), a segment over 255 UTF-8
 *   bytes, a resolved path over 4095 bytes (a storage key over 1024 bytes).
 * - Each segment is also examined after every level of percent-decoding (so `%2e%2e`, `%252e%252e`,
 *   `%2f`, `%5c`, `%00` …) and, at each level, in all four Unicode normalization forms. If any of
 *   those views is a dot segment, a drive prefix, contains a separator or a control character, or
 *   decodes to invalid UTF-8 (overlong `%C0%AE` …), the path is refused.
 * - Unicode: names are kept byte-exact; we never normalize what we store. Normalization only serves
 *   to refuse segments whose meaning a normalizing layer would change (fullwidth `．．` or `／`,
 *   `‥` U+2025 → `..` under NFKC). NFC/NFD variants of ordinary names are accepted unchanged.
 * - The result is checked lexically with `path.relative` (defence in depth); `resolveRealUnder` /
 *   `assertRealpathInside` also check the real path (symlinks) of the nearest existing ancestor and
 *   refuse dangling symlinks. Writers should still create files with exclusive flags in a checked
 *   directory (temp + rename) since symlinks can change between check and use.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';

export const MAX_SEGMENT_BYTES = 255;
/** Linux PATH_MAX is 4096 including the terminating NUL. */
export const MAX_PATH_BYTES = 4095;
/** S3 and most object stores limit keys to 1024 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Levels of percent-decoding examined; anything still changing after that is refused. */
const MAX_DECODE_LEVELS = 8;

/** An untrusted path that could leave its root. Maps to 40001; the message never echoes the root. */
export class UnsafePathError extends AppError {
  constructor(reason: string) {
    super(Code.ParamErr, `Unsafe path: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const DRIVE = /^[A-Za-z]:/;
const ENCODED = /%[0-9a-fA-F]{2}/;
const FORMS = ['NFC', 'NFD', 'NFKC', 'NFKD'] as const;
const utf8 = new TextEncoder();
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One level of percent-decoding; invalid escapes stay literal. undefined = decoded bytes are not UTF-8. */
function decodeOnce(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of utf8.encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  try {
    return fatalUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

function viewProblem(v: string): string | undefined {
  if (v === '.' || v === '..') return 'dot segment';
  if (v.includes('/') || v.includes('\\')) return 'separator inside a name';
  if (CONTROL.test(v)) return 'control character';
  if (DRIVE.test(v)) return 'drive prefix';
  return undefined;
}

/** Why one path segment (a single name) is unsafe, or undefined when it is safe. */
export function segmentProblem(seg: string): string | undefined {
  if (typeof seg !== 'string' || seg === '') return 'empty segment';
  if (LONE_SURROGATE.test(seg)) return 'invalid Unicode';
  if (Buffer.byteLength(seg, 'utf8') > MAX_SEGMENT_BYTES) return 'segment too long';
  let level: string = seg;
  for (let depth = 0; ; depth++) {
    for (const view of [level, ...FORMS.map((f) => level.normalize(f))]) {
      const problem = viewProblem(view);
      if (problem) return depth === 0 ? problem : `encoded ${problem}`;
    }
    if (!ENCODED.test(level)) return undefined;
    if (depth >= MAX_DECODE_LEVELS) return 'too deeply encoded';
    const next = decodeOnce(level);
    if (next === undefined) return 'encoded invalid UTF-8';
    level = next;
  }
}

/** True when `seg` can be used as one name on disk / in a key (see the rules above). */
export function isSafeSegment(seg: string): boolean {
  return segmentProblem(seg) === undefined;
}

/** Validates an untrusted relative path and returns its segments (possibly none). */
export function safeSegments(untrusted: unknown): string[] {
  if (typeof untrusted !== 'string') throw new UnsafePathError('not a string');
  if (untrusted.includes('\u0000')) throw new UnsafePathError('NUL byte');
  if (untrusted.includes('\\')) throw new UnsafePathError('backslash');
  if (untrusted.startsWith('/')) throw new UnsafePathError('absolute path');
  if (DRIVE.test(untrusted)) throw new UnsafePathError('drive prefix');
  if (untrusted.length > MAX_PATH_BYTES) throw new UnsafePathError('path too long');
  const segs = untrusted.split('/').filter((s) => s !== '');
  for (const s of segs) {
    const problem = segmentProblem(s);
    if (problem) throw new UnsafePathError(problem);
  }
  return segs;
}

/** Lexical containment: `candidate` is `root` (only with allowRoot) or below it. Both must be absolute. */
export function isInside(root: string, candidate: string, allowRoot = false): boolean {
  const rel = path.relative(root, candidate);
  if (rel === '') return allowRoot;
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export interface ResolveOptions {
  /** Accept an empty relative path and return the root itself (for listing/import of a whole root). */
  allowRoot?: boolean;
}

/**
 * Resolves an untrusted relative path (`/`-separated) under an absolute, trusted `root`.
 * Returns an absolute path guaranteed (lexically) to be inside root; throws UnsafePathError otherwise.
 */
export function resolveUnder(root: string, untrustedRelative: unknown, opts: ResolveOptions = {}): string {
  if (typeof root !== 'string' || !path.isAbsolute(root)) throw new TypeError('resolveUnder: root must be an absolute path');
  const base = path.resolve(root);
  const segs = safeSegments(untrustedRelative);
  if (segs.length === 0 && !opts.allowRoot) throw new UnsafePathError('empty path');
  const abs = path.join(base, ...segs);
  if (!isInside(base, abs, opts.allowRoot)) throw new UnsafePathError('escapes its root');
  if (Buffer.byteLength(abs, 'utf8') > MAX_PATH_BYTES) throw new UnsafePathError('path too long');
  return abs;
}

const isMissing = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * Real path of `p` where it exists: realpath of the nearest existing ancestor plus the missing tail.
 * A path component that exists but does not resolve (dangling symlink, loop) is refused, because
 * creating through it would follow the link.
 */
async function realpathOfNearestAncestor(p: string): Promise<string> {
  const tail: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await realpath(cur), ...tail);
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === 'ELOOP') throw new UnsafePathError('symlink loop');
      if (!isMissing(e)) throw e;
    }
    try {
      await lstat(cur);
      throw new UnsafePathError('dangling symlink');
    } catch (e) {
      if (e instanceof UnsafePathError) throw e;
      if (!isMissing(e)) throw e;
    }
    const parent = path.dirname(cur);
    if (parent === cur) return path.join(cur, ...tail);
    tail.unshift(path.basename(cur));
    cur = parent;
  }
}

/** Throws UnsafePathError unless `absPath`, after resolving symlinks, is inside the real `root`. */
export async function assertRealpathInside(root: string, absPath: string, allowRoot = false): Promise<void> {
  const realRoot = await realpathOfNearestAncestor(path.resolve(root));
  const real = await realpathOfNearestAncestor(path.resolve(absPath));
  if (!isInside(realRoot, real, allowRoot)) throw new UnsafePathError('escapes its root through a symlink');
}

/** `resolveUnder` plus the symlink check (async; use before touching the disk). */
export async function resolveRealUnder(root: string, untrustedRelative: unknown, opts: ResolveOptions = {}): Promise<string> {
  const abs = resolveUnder(root, untrustedRelative, opts);
  await assertRealpathInside(root, abs, opts.allowRoot);
  return abs;
}

/**
 * Joins untrusted relative parts into an object-storage key `a/b/c` (no leading `/`, no empty,
 * `.` or `..` segments). Each part may itself contain `/`; empty parts are skipped.
 */
export function joinStorageKey(...parts: unknown[]): string {
  const segs: string[] = [];
  for (const p of parts) segs.push(...safeSegments(p));
  if (segs.length === 0) throw new UnsafePathError('empty key');
  const key = segs.join('/');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new UnsafePathError('key too long');
  return key;
}
