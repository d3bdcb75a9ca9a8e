import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { HashType } from '../util/hashid.ts';
import { FileUri } from './uri.ts';
import { chunks } from './tree.ts';
import { MetaKey, type Tx } from './types.ts';

/** Metadata rows of files (contract 20 §1.7). Only public metadata ever reaches the wire. */

export interface MetadataPatch { key: string; value?: string; remove?: boolean }

const MAX_VALUE_BYTES = 65535;
const MAX_KEY_BYTES = 255;

const COLOR_RE = new RegExp(
  '^(#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}' +
  '|rgba?\\(\\s*\\d{1,3}%?\\s*,\\s*\\d{1,3}%?\\s*,\\s*\\d{1,3}%?\\s*(,\\s*(0|1|0?\\.\\d+|\\d{1,3}%)\\s*)?\\)' +
  '|hsla?\\(\\s*\\d{1,3}(deg)?\\s*,\\s*\\d{1,3}%\\s*,\\s*\\d{1,3}%\\s*(,\\s*(0|1|0?\\.\\d+|\\d{1,3}%)\\s*)?\\))$',
);
export const isColor = (s: string) => COLOR_RE.test(s.trim());

const invalid = (msg: string) => new AppError(Code.ParamErr, msg);

/** Emoji values allowed for `customize:emoji`: every value of every group of setting `emojis`. */
function emojiPreset(ctx: Ctx): Set<string> {
  const groups = ctx.settings.json<Record<string, string[]>>('emojis', {});
  const out = new Set<string>();
  for (const list of Object.values(groups)) if (Array.isArray(list)) for (const e of list) out.add(String(e));
  return out;
}

/**
 * Validates user-supplied metadata patches (PATCH /file/metadata, create, upload sessions).
 * Throws 40001 with a clear message for the first offending key.
 */
export function validatePatches(ctx: Ctx, patches: MetadataPatch[]): void {
  let emojis: Set<string> | undefined;
  for (const p of patches) {
    const key = p.key;
    const value = p.value ?? '';
    if (typeof key !== 'string' || !key.includes(':')) throw invalid('Invalid metadata key');
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalid('Metadata key too long');
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw invalid('Metadata value too long');
    const ns = key.slice(0, key.indexOf(':'));
    const rest = key.slice(key.indexOf(':') + 1);
    switch (ns) {
      case 'sys':
        if (key !== MetaKey.SharedOwner && key !== MetaKey.SharedRedirect) throw invalid('Invalid metadata key');
        if (p.remove) throw invalid('System metadata cannot be removed');
        if (key === MetaKey.SharedOwner && ctx.hashids.decode(value, HashType.User) === undefined) throw invalid('Invalid shared owner');
        if (key === MetaKey.SharedRedirect) {
          const u = FileUri.tryParse(value);
          if (!u || u.fs !== 'share') throw invalid('Invalid shared redirect URI');
        }
        break;
      case 'customize':
        if (p.remove) break;
        if (key === 'customize:icon_color' && !isColor(value)) throw invalid('Invalid icon color');
        if (key === 'customize:emoji') {
          emojis ??= emojiPreset(ctx);
          if (!emojis.has(value)) throw invalid('Invalid emoji');
        }
        break;
      case 'tag':
        if (!rest) throw invalid('Tag name cannot be empty');
        if (!p.remove && value !== '' && !isColor(value)) throw invalid('Invalid tag color');
        break;
      case 'dav':
        break;
      default:
        throw invalid('Invalid metadata key');
    }
  }
}

/** Validates a `metadata` map (create / upload) and returns it as patches. */
export function validateMap(ctx: Ctx, map: Record<string, unknown> | undefined): MetadataPatch[] {
  if (!map) return [];
  const patches = Object.entries(map).map(([key, value]) => {
    if (typeof value !== 'string') throw invalid('Invalid metadata value');
    return { key, value };
  });
  validatePatches(ctx, patches);
  return patches;
}

/** Public metadata of many files: fileId → {key: value}. One query per 500 ids. */
export async function loadPublic(tx: Tx, fileIds: number[]): Promise<Map<number, Record<string, string>>> {
  const out = new Map<number, Record<string, string>>();
  for (const id of fileIds) out.set(id, {});
  for (const part of chunks([...new Set(fileIds)])) {
    if (!part.length) continue;
    const rows = await tx.selectFrom('metadata').select(['file_id', 'name', 'value'])
      .where('file_id', 'in', part).where('is_public', '=', 1).execute();
    for (const r of rows) out.get(Number(r.file_id))![r.name] = r.value;
  }
  return out;
}

/** One metadata value of one file (public or not). */
export async function getValue(tx: Tx, fileId: number, key: string): Promise<string | undefined> {
  const r = await tx.selectFrom('metadata').select('value').where('file_id', '=', fileId).where('name', '=', key).executeTakeFirst();
  return r?.value;
}

export interface MetaEntry { key: string; value: string; isPublic?: boolean }

/** Upserts entries on every file (inside the caller's transaction). */
export async function upsert(tx: Tx, fileIds: number[], entries: MetaEntry[], now: number): Promise<void> {
  if (!entries.length || !fileIds.length) return;
  const keys = entries.map((e) => e.key);
  for (const part of chunks(fileIds, 200)) {
    await tx.deleteFrom('metadata').where('file_id', 'in', part).where('name', 'in', keys).execute();
    const rows = part.flatMap((fileId) => entries.map((e) => ({
      file_id: fileId, name: e.key, value: e.value, is_public: e.isPublic === false ? 0 : 1, created_at: now, updated_at: now,
    })));
    for (const batch of chunks(rows, 200)) await tx.insertInto('metadata').values(batch).execute();
  }
}

/** Removes keys from every file. */
export async function remove(tx: Tx, fileIds: number[], keys: string[]): Promise<void> {
  if (!keys.length || !fileIds.length) return;
  for (const part of chunks(fileIds)) await tx.deleteFrom('metadata').where('file_id', 'in', part).where('name', 'in', keys).execute();
}

/** Copies all metadata rows of `from` to `to` (deep copy). */
export async function copyAll(tx: Tx, pairs: [from: number, to: number][], now: number): Promise<void> {
  const map = new Map(pairs);
  for (const part of chunks(pairs.map(([f]) => f))) {
    const rows = await tx.selectFrom('metadata').select(['file_id', 'name', 'value', 'is_public']).where('file_id', 'in', part).execute();
    const copies = rows.map((r) => ({ file_id: map.get(Number(r.file_id))!, name: r.name, value: r.value, is_public: r.is_public, created_at: now, updated_at: now }));
    for (const batch of chunks(copies, 200)) await tx.insertInto('metadata').values(batch).execute();
  }
}
