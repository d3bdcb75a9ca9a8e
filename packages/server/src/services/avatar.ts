import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadSharp } from '../util/lazy-modules.ts';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import type { UserRow } from './users.ts';
import { AppError } from '../http/errors.ts';
import { randomString } from '../util/random.ts';

export const AVATAR_NONE = '';
export const AVATAR_FILE = 'file';
export const AVATAR_GRAVATAR = 'gravatar';

/** Decoding more pixels than this is refused (decompression bombs). */
const MAX_INPUT_PIXELS = 50_000_000;

/** Directory holding uploaded avatars: setting `avatar_path`, relative to the data directory. */
export function avatarDir(ctx: Ctx): string {
  const p = ctx.settings.get('avatar_path', 'avatar') || 'avatar';
  return path.isAbsolute(p) ? p : path.join(ctx.cfg.dataDir, p);
}

export const avatarFile = (ctx: Ctx, userId: number) => path.join(avatarDir(ctx), `avatar_${userId}.png`);

/** Longest side of a stored avatar in pixels (`avatar_size_l`). */
export const avatarSide = (ctx: Ctx) => Math.min(Math.max(ctx.settings.int('avatar_size_l', 200), 16), 2048);

export function gravatarUrl(ctx: Ctx, email: string): string {
  const server = ctx.settings.get('gravatar_server', 'https://www.gravatar.com/') || 'https://www.gravatar.com/';
  const hash = createHash('md5').update(email.toLowerCase()).digest('hex');
  try {
    return new URL(`/avatar/${hash}?d=mm&s=200`, server).toString();
  } catch (cause) {
    throw new AppError(Code.InternalSetting, 'Failed to parse Gravatar server', { cause });
  }
}

async function setAvatar(ctx: Ctx, userId: number, avatar: string): Promise<void> {
  await ctx.db.kysely.updateTable('users').set({ avatar, updated_at: ctx.now() }).where('id', '=', userId).execute();
}

export const useGravatar = (ctx: Ctx, userId: number) => setAvatar(ctx, userId, AVATAR_GRAVATAR);

class TooLarge extends Error {}
class NotAnImage extends Error {}

/** JPEG, PNG, GIF or WebP by magic number: SVG and exotic formats never reach a decoder. */
function isRasterImage(head: Buffer): boolean {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return true;
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return true;
  if (head.length >= 6 && /^GIF8[79]a$/.test(head.subarray(0, 6).toString('latin1'))) return true;
  return head.length >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
}

const SNIFF_BYTES = 12;

/**
 * Passes bytes through until more than `limit` arrived, then fails the pipeline; the first bytes
 * must be a supported raster format.
 */
function guardedBody(limit: number): Transform {
  let seen = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) return done(new TooLarge());
      if (!head) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES) return done();
      const ok = isRasterImage(head);
      const out = head;
      head = undefined;
      return ok ? done(null, out) : done(new NotAnImage());
    },
    flush(done) {
      if (head && !isRasterImage(head)) return done(new NotAnImage());
      if (head?.length) this.push(head);
      done();
    },
  });
}

/**
 * Streams an uploaded image through a size guard into sharp, scales it to fit the configured
 * square, and stores it as PNG via a temp file renamed into place, then marks the avatar `file`.
 * Over `limit` bytes → 40049; undecodable → 40001; disk failure → 50004.
 */
export async function storeUploadedAvatar(ctx: Ctx, userId: number, body: Readable, limit: number): Promise<void> {
  const dir = avatarDir(ctx);
  const final = avatarFile(ctx, userId);
  const tmp = path.join(dir, `.avatar_${userId}.${randomString(12)}.tmp`);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new AppError(Code.IOFailed, 'Failed to create avatar directory', { cause });
  }
  const side = avatarSide(ctx);
  const sharp = await loadSharp();
  const image = sharp({ failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .png();
  // The request stream is piped, not handed to pipeline(): a decode failure must not destroy the
  // socket, so the rest of the body is drained and the error envelope can still be sent.
  const limiter = guardedBody(limit);
  const onBodyError = (e: Error) => limiter.destroy(e);
  body.once('error', onBodyError);
  body.pipe(limiter);
  try {
    await pipeline(limiter, image, fs.createWriteStream(tmp, { mode: 0o644 }));
  } catch (cause) {
    body.unpipe(limiter);
    body.resume();
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    if (cause instanceof TooLarge) throw new AppError(Code.FileTooLarge, `Avatar is larger than ${limit} bytes`);
    if (isIoError(cause)) throw new AppError(Code.IOFailed, 'Failed to save avatar file', { cause });
    if ((cause as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE' || (cause as { code?: string })?.code === 'ECONNRESET') {
      throw new AppError(Code.ParamErr, 'Upload was interrupted', { cause });
    }
    throw new AppError(Code.ParamErr, 'Invalid image', { cause });
  } finally {
    body.off('error', onBodyError);
  }
  try {
    await fs.promises.rename(tmp, final);
  } catch (cause) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw new AppError(Code.IOFailed, 'Failed to save avatar file', { cause });
  }
  await setAvatar(ctx, userId, AVATAR_FILE);
}

function isIoError(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return typeof code === 'string' && /^E(ACCES|PERM|NOSPC|ROFS|IO|MFILE|NFILE|NOENT|EXIST|ISDIR|NOTDIR|DQUOT)$/.test(code);
}

/** The stored avatar file, or undefined when it is missing. */
export async function openAvatarFile(ctx: Ctx, userId: number): Promise<{ stream: fs.ReadStream; size: number } | undefined> {
  const file = avatarFile(ctx, userId);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return undefined;
    }
    return { stream: handle.createReadStream(), size: st.size };
  } catch {
    await handle.close().catch(() => undefined);
    return undefined;
  }
}

/** One or two letters for a generated avatar: first letters of the first two words, upper-cased. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const first = (w: string) => seg.segment(w)[Symbol.iterator]().next().value?.segment ?? '';
  const letters = words.slice(0, 2).map(first).join('');
  return (letters || '?').toLocaleUpperCase();
}

/** A stable background hue per user: ids spread by the golden angle. */
export const hueOf = (userId: number) => Math.round((userId * 137.508) % 360);

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const generated = new Map<string, Buffer>();
const GENERATED_CACHE_SIZE = 256;

/**
 * Our default avatar (not part of the Cloudreve contract): the user's initials on a colour derived
 * from their id, rendered from SVG to PNG. Small LRU cache keyed by id, name and size.
 */
export async function generatedAvatar(ctx: Ctx, user: Pick<UserRow, 'id' | 'nick' | 'email'>): Promise<Buffer> {
  const side = avatarSide(ctx);
  const name = user.nick || user.email.split('@')[0] || '?';
  const key = `${user.id}\u0000${name}\u0000${side}`;
  const hit = generated.get(key);
  if (hit) {
    generated.delete(key);
    generated.set(key, hit);
    return hit;
  }
  const text = initialsOf(name);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}" viewBox="0 0 100 100">` +
    `<rect width="100" height="100" fill="hsl(${hueOf(user.id)}, 55%, 45%)"/>` +
    `<text x="50" y="50" dy="0.35em" text-anchor="middle" font-family="DejaVu Sans, Noto Sans, Arial, sans-serif" ` +
    `font-size="${text.length > 1 ? 40 : 50}" font-weight="600" fill="#ffffff">${xmlEscape(text)}</text></svg>`;
  const sharp = await loadSharp();
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  generated.set(key, png);
  if (generated.size > GENERATED_CACHE_SIZE) generated.delete(generated.keys().next().value!);
  return png;
}
