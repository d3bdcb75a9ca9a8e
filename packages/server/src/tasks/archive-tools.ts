import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CriticalTaskError } from './types.ts';

/**
 * Archive formats read by external tools (contract 50 §1.5): 7z and encrypted zip through 7-Zip
 * (`7zz`, Debian package `7zip`), RAR and tar (plain or gz/bz2/xz/zst/lz4-compressed) through
 * libarchive's `bsdtar` (Debian `libarchive-tools`). Plain zips stay on the streaming yauzl path.
 *
 * Both tools extract the whole archive into a private scratch folder; the task then walks that
 * folder. Safety does not rest on the tools alone: the walk only takes regular files and folders
 * (symlinks, devices, fifos are never followed or stored), every name is vetted again by the
 * caller, and a watcher stops the tool once the extracted bytes or entries exceed the limits
 * (bombs that lie about their sizes).
 */

export type ArchiveFormat = 'zip' | '7z' | 'rar' | 'tar';

/** Detects the format from the first bytes, then from the name. */
export function detectFormat(head: Buffer, name: string): ArchiveFormat | undefined {
  const starts = (...b: number[]) => b.every((v, i) => head[i] === v);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06) || starts(0x50, 0x4b, 0x07, 0x08)) return 'zip';
  if (starts(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)) return '7z';
  if (starts(0x52, 0x61, 0x72, 0x21, 0x1a, 0x07)) return 'rar';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  // Compressed streams: only taken as tar when the name says so (a lone .gz is not an archive).
  const compressed = starts(0x1f, 0x8b) || starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)
    || starts(0x28, 0xb5, 0x2f, 0xfd) || starts(0x04, 0x22, 0x4d, 0x18);
  const n = name.toLowerCase();
  if (compressed && /\.(tar\.(gz|bz2|xz|zst|lz4)|tgz|tbz2?|txz|tzst)$/.test(n)) return 'tar';
  if (/\.zip$/.test(n)) return 'zip';
  if (/\.7z$/.test(n)) return '7z';
  if (/\.rar$/.test(n)) return 'rar';
  if (/\.tar$/.test(n)) return 'tar';
  return undefined;
}

export const toolFor = (f: ArchiveFormat) => (f === 'rar' || f === 'tar' ? 'bsdtar' : '7zz');

/** The tools' messages for entries they would not write (traversal, absolute, through or as an escaping link). */
const UNSAFE_REFUSALS = /Path contains '\.\.'|Cannot extract through symlink|Hard-link target .* (contains|outside)|Path is absolute|Removing leading|Dangerous (symbolic )?link path was ignored/;
const SUMMARY_LINES = /Error exit delayed from previous errors|^(Sub items Errors|Archives with Errors|Errors):/;

export interface ExtractLimits { maxSize: number; maxFiles: number }

/** Σ size and count of everything below `dir` (no symlink following). */
async function usage(dir: string): Promise<{ bytes: number; count: number }> {
  let bytes = 0;
  let count = 0;
  const walk = async (d: string): Promise<void> => {
    let list: fs.Dirent[];
    try {
      list = await fs.promises.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      count++;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) bytes += (await fs.promises.lstat(p).catch(() => undefined))?.size ?? 0;
    }
  };
  await walk(dir);
  return { bytes, count };
}

/**
 * Extracts `archive` into the empty folder `out` with the format's tool. The password (zip/7z) goes
 * through stdin, never the command line. Wrong/missing password, corrupt data and exceeded limits
 * are CriticalTaskErrors (retrying cannot help); a missing tool is a plain error.
 */
export async function extractWithTool(format: ArchiveFormat, archive: string, out: string, opts: { password?: string; limits: ExtractLimits; signal: AbortSignal }): Promise<{ refused: number }> {
  const tool = toolFor(format);
  const args = tool === '7zz'
    // -y: answer prompts; -bd: no progress; -snld is NOT given, so links escaping `out` are refused.
    ? ['x', '-y', '-bd', '-bso0', '-bsp0', `-o${out}`, `-t${format}`, '--', archive]
    // bsdtar refuses `..` and absolute names and never extracts through symlinks unless -P is given.
    : ['-x', '-f', archive, '-C', out, '--no-same-owner', '--no-same-permissions', '--no-acls', '--no-xattrs', '--no-fflags'];
  const child = spawn(tool, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
  let stderr = '';
  let limitHit: string | undefined;
  child.stderr.on('data', (d: Buffer) => { if (stderr.length < 8192) stderr += d.toString(); });
  child.stdin.on('error', () => undefined);
  child.stdin.end(tool === '7zz' ? `${opts.password ?? ''}\n` : '');
  const kill = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  const onAbort = () => kill();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  let checking = false;
  const watcher = setInterval(() => {
    if (checking) return;
    checking = true;
    void usage(out).then((u) => {
      if (u.bytes > opts.limits.maxSize) limitHit = `Archive expands to more than ${opts.limits.maxSize} bytes`;
      else if (u.count > opts.limits.maxFiles) limitHit = `Archive has more than ${opts.limits.maxFiles} entries`;
      if (limitHit) kill();
    }).finally(() => { checking = false; });
  }, 200);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new Error(`${tool} is not installed (Debian package ${tool === '7zz' ? '7zip' : 'libarchive-tools'})`) : e));
      child.once('close', (c) => resolve(c));
    });
    if (opts.signal.aborted) throw opts.signal.reason;
    if (!limitHit) {
      const u = await usage(out);
      if (u.bytes > opts.limits.maxSize) limitHit = `Archive expands to more than ${opts.limits.maxSize} bytes`;
      else if (u.count > opts.limits.maxFiles) limitHit = `Archive has more than ${opts.limits.maxFiles} entries`;
    }
    if (limitHit) throw new CriticalTaskError(limitHit);
    if (code !== 0) {
      // Both tools report entries they refused for safety, then exit non-zero: those are skipped entries.
      const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !SUMMARY_LINES.test(l));
      const refused = lines.filter((l) => UNSAFE_REFUSALS.test(l)).length;
      if (refused === lines.length && refused > 0) return { refused };
    }
    if (code !== 0) {
      if (/wrong password/i.test(stderr)) throw new CriticalTaskError(opts.password ? 'Wrong password for the archive' : 'The archive is encrypted: a password is required');
      if (/passphrase|encrypt/i.test(stderr)) throw new CriticalTaskError('Encrypted archives of this format are not supported');
      const msg = stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join('; ').replaceAll(out, '').replaceAll(archive, '<archive>');
      throw new CriticalTaskError(`Unsupported or corrupt archive (${tool} exit ${code}${msg ? `: ${msg}` : ''})`);
    }
    return { refused: 0 };
  } finally {
    clearInterval(watcher);
    opts.signal.removeEventListener('abort', onAbort);
    kill();
  }
}

export interface ExtractedEntry {
  /** Path relative to the extraction folder as raw bytes ("/"-separated), as the archive named it. */
  raw: Buffer;
  dir: boolean;
  size: number;
  abs: string;
}

/**
 * Regular files and folders below `root`, sorted by raw path (stable across re-extractions, so a
 * resumed task can skip what it already stored). Anything else (symlinks, devices …) is counted
 * in `skipped` and never opened.
 */
export async function walkExtracted(root: string): Promise<{ entries: ExtractedEntry[]; skipped: number }> {
  const entries: ExtractedEntry[] = [];
  let skipped = 0;
  const walk = async (dirAbs: Buffer, rel: Buffer | undefined): Promise<void> => {
    const names = await fs.promises.readdir(dirAbs, { encoding: 'buffer' });
    for (const name of names) {
      const abs = Buffer.concat([dirAbs, Buffer.from('/'), name]);
      const relPath = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      const st = await fs.promises.lstat(abs);
      if (st.isDirectory()) {
        entries.push({ raw: relPath, dir: true, size: 0, abs: abs.toString('latin1') });
        await walk(abs, relPath);
      } else if (st.isFile()) {
        entries.push({ raw: relPath, dir: false, size: st.size, abs: abs.toString('latin1') });
      } else {
        skipped++;
      }
    }
  };
  await walk(Buffer.from(root), undefined);
  entries.sort((a, b) => Buffer.compare(a.raw, b.raw));
  return { entries, skipped };
}

/** Opens an extracted file by its raw byte path (names need not be valid UTF-8). */
export function openExtracted(e: ExtractedEntry): fs.ReadStream {
  return fs.createReadStream(Buffer.from(e.abs, 'latin1'));
}
