/**
 * Cursor page tokens (contract 00 §8, 20 §3.1).
 *
 * Shape stays Cloudreve's — standard base64 (with padding) of JSON
 * `{"id":"<hashid of last row>","time"?,"string"?,"int"?,"start_with_file"?}` — plus one field
 * `"sig"`: base64url HMAC-SHA256 over the other fields and an optional caller `context`, keyed by a
 * key derived from the `secret_key` setting. Clients treat tokens as opaque, so the extra field is
 * harmless; a token that was altered, forged, or minted for another context is refused with 40001.
 *
 * `context` binds a token to the listing it came from (e.g. folder id + order + direction): decoding
 * with a different context fails, so a cursor cannot be replayed against another listing/order.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';

export interface PageCursor {
  /** Hashid of the last row of the page. */
  id: string;
  /** Order key when ordering by a time (RFC 3339 string, as CE). */
  time?: string;
  /** Order key when ordering by a string (name). */
  string?: string;
  /** Order key when ordering by an integer (size). */
  int?: number;
  /** Folders-first listings: the next page starts in the files section. */
  start_with_file?: boolean;
  /** [OURS] recursive search: folder level the cursor belongs to (CE uses a `<level>|` prefix instead). */
  level?: number;
}

/** Longest token accepted before any decoding work. */
export const MAX_PAGE_TOKEN_LENGTH = 4096;
const FIELDS = ['id', 'time', 'string', 'int', 'start_with_file', 'level', 'sig'] as const;

const invalid = () => new AppError(Code.ParamErr, 'Invalid page token');

let derived: { secret: string; key: Buffer } | undefined;

function signingKey(secret: string): Buffer {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('page token secret is empty');
  if (derived?.secret !== secret) derived = { secret, key: createHmac('sha256', secret).update('cloudreve-ts/page-token/v1').digest() };
  return derived.key;
}

function signature(secret: string, c: PageCursor, context: string): Buffer {
  const canonical = JSON.stringify([context, c.id, c.time ?? null, c.string ?? null, c.int ?? null, c.start_with_file ?? false, c.level ?? null]);
  return createHmac('sha256', signingKey(secret)).update(canonical).digest();
}

function checkCursor(c: PageCursor): boolean {
  if (typeof c.id !== 'string' || c.id === '' || c.id.length > 64) return false;
  if (c.time !== undefined && (typeof c.time !== 'string' || c.time.length > 64)) return false;
  if (c.string !== undefined && (typeof c.string !== 'string' || c.string.length > 1024)) return false;
  if (c.int !== undefined && !Number.isSafeInteger(c.int)) return false;
  if (c.start_with_file !== undefined && typeof c.start_with_file !== 'boolean') return false;
  if (c.level !== undefined && (!Number.isSafeInteger(c.level) || c.level < 0)) return false;
  return true;
}

/** Mints a signed page token for `cursor` (the last row of the current page). */
export function encodePageToken(secret: string, cursor: PageCursor, context = ''): string {
  if (!checkCursor(cursor)) throw new TypeError('encodePageToken: invalid cursor');
  const body: Record<string, unknown> = { id: cursor.id };
  if (cursor.time !== undefined) body.time = cursor.time;
  if (cursor.string !== undefined) body.string = cursor.string;
  if (cursor.int !== undefined) body.int = cursor.int;
  if (cursor.start_with_file) body.start_with_file = true;
  if (cursor.level !== undefined) body.level = cursor.level;
  body.sig = signature(secret, cursor, context).toString('base64url');
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

/** Verifies and decodes a client-supplied `next_page_token`; throws 40001 when it is not ours. */
export function decodePageToken(secret: string, token: unknown, context = ''): PageCursor {
  if (typeof token !== 'string' || token === '' || token.length > MAX_PAGE_TOKEN_LENGTH) throw invalid();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const o = parsed as Record<string, unknown>;
  if (Object.keys(o).some((k) => !(FIELDS as readonly string[]).includes(k))) throw invalid();
  const cursor: PageCursor = { id: o.id as string };
  if (o.time !== undefined) cursor.time = o.time as string;
  if (o.string !== undefined) cursor.string = o.string as string;
  if (o.int !== undefined) cursor.int = o.int as number;
  if (o.start_with_file !== undefined) cursor.start_with_file = o.start_with_file as boolean;
  if (o.level !== undefined) cursor.level = o.level as number;
  if (!checkCursor(cursor) || typeof o.sig !== 'string') throw invalid();
  const given = Buffer.from(o.sig, 'base64url');
  const expected = signature(secret, cursor, context);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  if (cursor.start_with_file === false) delete cursor.start_with_file;
  return cursor;
}

/** Like decodePageToken, but an absent/empty token means "first page" (undefined). */
export function decodeOptionalPageToken(secret: string, token: unknown, context = ''): PageCursor | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  return decodePageToken(secret, token, context);
}
