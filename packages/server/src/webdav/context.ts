import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { DavOption, type DavAccountRow } from '../services/dav-accounts.ts';
import type { FileManager } from '../fs/core.ts';
import type { Navigator, Resolved } from '../fs/navigator.ts';
import type { LockApp, LockRequest } from '../fs/locks.ts';
import { FileType, type FileRow } from '../fs/types.ts';
import type { FileUri } from '../fs/uri.ts';
import { Boolset } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { DavError } from './errors.ts';
import { hrefOf } from './paths.ts';

/** One authenticated WebDAV request: who, through which account, seen from which root. */
export interface DavContext {
  ctx: Ctx;
  fm: FileManager;
  user: CurrentUser;
  account: DavAccountRow;
  options: Boolset;
  /** The account root (no query). Every path of the request is below it. */
  root: FileUri;
  /** Navigator of the account root's file system (lock namespace, capabilities). */
  nav: Navigator;
  /** Host header of the request (Destination / If tag checks). */
  host: string | undefined;
}

export function accountOptions(account: DavAccountRow): Boolset {
  return Boolset.decode(account.options);
}

export const isFolder = (f: FileRow | undefined) => !!f && Number(f.type) === FileType.Folder;

/** The URI of `elements` below the account root (invalid names → InvalidUriError → 400). */
export function uriAt(dc: DavContext, elements: readonly string[]): FileUri {
  return dc.root.join(...elements);
}

/** Resolves `elements` below the account root; the object may be missing. */
export async function resolveAt(dc: DavContext, elements: readonly string[]): Promise<Resolved> {
  return dc.fm.resolve(dc.user, uriAt(dc, elements));
}

/** The resolved object or 404. */
export function existing(r: Resolved): FileRow {
  if (!r.file) throw new DavError(404, 'Not found');
  return r.file;
}

/** The parent of a missing target must be an existing folder: 409 Conflict otherwise (RFC 4918 §9.7.1). */
export function requireParentFolder(r: Resolved): FileRow {
  const parent = r.chain[r.chain.length - 1];
  if (r.missing.length !== 1 || !parent || !isFolder(parent)) throw new DavError(409, 'Parent collection does not exist');
  return parent;
}

// Hashid encoding costs ~50 µs; a PROPFIND of a big folder asks for thousands of ETags, and the
// same ones again on every refresh. Values never change for a salt, so a bounded memo is safe.
const etagMemo = new WeakMap<object, Map<number, string>>();
const ETAG_MEMO_MAX = 100_000;

/** Strong ETag of a file: its current version (contract 50 §2.3); content-less files get a stable stand-in. */
export function etagOf(dc: DavContext, f: FileRow): string | undefined {
  if (isFolder(f)) return undefined;
  if (f.primary_entity === null) return `"${dc.ctx.hashids.encode(f.id, HashType.File)}-0"`;
  let memo = etagMemo.get(dc.ctx.hashids);
  if (!memo) etagMemo.set(dc.ctx.hashids, (memo = new Map()));
  const id = Number(f.primary_entity);
  let tag = memo.get(id);
  if (tag === undefined) {
    if (memo.size >= ETAG_MEMO_MAX) memo.clear();
    tag = `"${dc.ctx.hashids.encode(id, HashType.Entity)}"`;
    memo.set(id, tag);
  }
  return tag;
}

export function hrefFor(elements: readonly string[], f: FileRow | undefined): string {
  return hrefOf(elements, isFolder(f));
}

/** Owner-view lock path of `elements` (the namespace all doors share). */
export function lockPathAt(dc: DavContext, elements: readonly string[]): string[] {
  return dc.nav.lockPath(uriAt(dc, elements));
}

export function lockReq(dc: DavContext, r: Resolved, app: LockApp, depth: 0 | 'infinity'): LockRequest {
  return dc.fm.lockRequest(r, app, depth);
}

/** The lock namespace: the owner of the tree the account exposes. */
export const lockNs = (dc: DavContext) => dc.nav.owner.row.id;

/** The elements of a lock path relative to the account root, or undefined when outside it. */
export function elementsOfLockPath(dc: DavContext, path: string[]): string[] | undefined {
  const base = lockPathAt(dc, []);
  if (path.length < base.length || !base.every((s, i) => path[i] === s)) return undefined;
  return path.slice(base.length);
}

/** OS metadata files hidden and refused when the account has "disable system files" (contract 50 §2.2). */
export function isSystemFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === '.ds_store' || name.startsWith('._') || lower === 'thumbs.db' || lower === 'desktop.ini'
    || lower === '.spotlight-v100' || lower === '.trashes' || lower === '.fseventsd' || lower === 'ehthumbs.db';
}

export const hidesSystemFiles = (dc: DavContext) => dc.options.has(DavOption.DisableSysFiles);

/** 403 when the account refuses OS metadata files and `name` is one. */
export function refuseSystemFile(dc: DavContext, name: string): void {
  if (hidesSystemFiles(dc) && isSystemFileName(name)) throw new DavError(403, 'System files are disabled for this WebDAV account');
}
