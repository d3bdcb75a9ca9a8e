import type { FileResponse } from '@cloudreve-ts/protocol';
import { FileKind } from '@cloudreve-ts/protocol';
import { api } from '../api/client.ts';
import { fileDetails } from '../api/file-details.ts';
import { extensionOf } from '../util/format.ts';

/**
 * Thumbnail URLs (GET /file/thumb, contract 20 §3.3) shared by the grid and the image preview:
 * one request per file version, at most a few at a time (the server may render them on demand),
 * remembered until shortly before the signed URL expires; "no thumbnail" is remembered too.
 */
const CONCURRENCY = 4;
const EXPIRY_MARGIN_MS = 60_000;

interface Entry { url: string | null; until: number }
const cache = new Map<string, Entry>();
let running = 0;
const waiting: (() => void)[] = [];

const keyOf = (f: FileResponse) => `${f.path}#${f.primary_entity ?? ''}`;

/** No thumbnail can exist: folders, empty files, files the server marked `thumb:disabled`, uploads. */
export function thumbnailImpossible(f: FileResponse): boolean {
  return f.type !== FileKind.File || !f.path || f.size === 0 || Boolean(f.metadata && ('thumb:disabled' in f.metadata || 'sys:upload_session_id' in f.metadata));
}

async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** A cached answer without asking: a URL, null (none), or undefined (not asked yet). */
export function cachedThumbnail(f: FileResponse): string | null | undefined {
  const hit = cache.get(keyOf(f));
  return hit && hit.until > Date.now() ? hit.url : undefined;
}

let extsPromise: Promise<Set<string> | undefined> | undefined;
/** Extensions some thumbnail generator of the site handles (site config `thumb`); undefined = unknown, ask anyway. */
function thumbExts(): Promise<Set<string> | undefined> {
  extsPromise ??= api.get<{ thumb_exts?: string[] }>('/site/config/thumb').then(
    (c) => (c.thumb_exts ? new Set(c.thumb_exts.map((e) => e.toLowerCase())) : undefined),
    () => {
      extsPromise = undefined;
      return undefined;
    },
  );
  return extsPromise;
}

interface Pending { promise: Promise<string | null>; interested: number }
const pending = new Map<string, Pending>();

/**
 * The thumbnail URL of a file, or null when it has none. A request still queued when every caller
 * that wanted it has aborted (rows scrolled away) is skipped.
 */
export function thumbnailUrl(f: FileResponse, signal?: AbortSignal): Promise<string | null> {
  if (thumbnailImpossible(f)) return Promise.resolve(null);
  const key = keyOf(f);
  const hit = cachedThumbnail(f);
  if (hit !== undefined) return Promise.resolve(hit);
  let entry = pending.get(key);
  if (!entry) {
    const created: Pending = { interested: 0, promise: Promise.resolve(null) };
    created.promise = slot(async () => {
      const exts = await thumbExts();
      // Checked after an await: the caller registers its interest right after this job was queued.
      if (created.interested <= 0) throw new DOMException('aborted', 'AbortError');
      if (exts && !exts.has(extensionOf(f.name))) {
        cache.set(key, { url: null, until: Number.POSITIVE_INFINITY });
        return null;
      }
      try {
        const res = await fileDetails.thumb(f.path!);
        const expires = res.expires ? Date.parse(res.expires) : NaN;
        cache.set(key, { url: res.url, until: Number.isNaN(expires) ? Date.now() + 30 * 60_000 : expires - EXPIRY_MARGIN_MS });
        return res.url;
      } catch {
        cache.set(key, { url: null, until: Date.now() + 10 * 60_000 });
        return null;
      }
    }).finally(() => pending.delete(key));
    entry = created;
    pending.set(key, entry);
  }
  const e = entry;
  e.interested++;
  signal?.addEventListener('abort', () => e.interested--, { once: true });
  return e.promise;
}
