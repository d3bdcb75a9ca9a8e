import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { isAdmin, type CurrentUser, type GroupSettings } from '../services/users.ts';
import { AppError, batchError } from '../http/errors.ts';
import { parseJson } from '../util/json.ts';
import { Cap, requireCaps, type CapBit } from './capability.ts';
import { LockService, type LockApp, type LockRequest } from './locks.ts';
import type { Navigator, NavigatorFactory, Resolved } from './navigator.ts';
import { createMyNavigator } from './navigators/my.ts';
import { createTrashNavigator } from './navigators/trash.ts';
import { FileUri, InvalidUriError } from './uri.ts';
import { pathNotExist } from './tree.ts';
import type { FileRow, FsName, Tx } from './types.ts';

export const ownerOnly = () => new AppError(Code.OwnerOnly, 'Owner only');

/** A resolved URI whose object exists. */
export type Existing = Resolved & { file: FileRow };

/**
 * The file-system core shared by every door (REST, WebDAV, share pages, tasks). One instance per
 * service context (`fileManager(ctx)`). It resolves URIs through per-file-system navigators,
 * checks capabilities/ownership, and owns the lock service; tree operations live in fs/ops/*.
 */
export class FileManager {
  readonly locks: LockService;
  private readonly factories = new Map<FsName, NavigatorFactory>();

  constructor(readonly ctx: Ctx) {
    this.locks = new LockService(ctx.kv, () => ctx.now());
    this.registerNavigator('my', createMyNavigator);
    this.registerNavigator('trash', createTrashNavigator);
  }

  /** Plugs in a file system (`share`, `shared_with_me` register themselves this way). */
  registerNavigator(fs: FsName, factory: NavigatorFactory): void {
    this.factories.set(fs, factory);
  }

  /** Parses an untrusted URI (40001 when malformed). */
  parse(uri: string | FileUri): FileUri {
    return typeof uri === 'string' ? FileUri.parse(uri) : uri;
  }

  /** The navigator for a URI's file system, as seen by `user` (401/403/40001). */
  async navigator(user: CurrentUser, uri: string | FileUri, tx: Tx = this.ctx.db.kysely): Promise<Navigator> {
    const u = this.parse(uri);
    const factory = this.factories.get(u.fs);
    if (!factory) throw new InvalidUriError('unknown file system');
    return factory(tx, { ctx: this.ctx, viewer: user, uri: u });
  }

  /** Resolves a URI (the object may be missing: see `missing`). */
  async resolve(user: CurrentUser, uri: string | FileUri, tx: Tx = this.ctx.db.kysely): Promise<Resolved> {
    const u = this.parse(uri);
    const nav = await this.navigator(user, u, tx);
    return nav.resolve(tx, u);
  }

  /**
   * Resolves a URI that must exist (40016 otherwise) on a file system having every `caps` bit
   * (403 "Not supported action" otherwise).
   */
  async get(user: CurrentUser, uri: string | FileUri, opts: { caps?: CapBit[]; tx?: Tx } = {}): Promise<Existing> {
    const tx = opts.tx ?? this.ctx.db.kysely;
    const u = this.parse(uri);
    const nav = await this.navigator(user, u, tx);
    requireCaps(nav.caps, ...(opts.caps ?? []));
    const r = await nav.resolve(tx, u);
    if (!r.file) throw pathNotExist();
    return r as Existing;
  }

  /** 40082 unless `user` owns the object (or, for missing objects, its deepest existing ancestor). */
  requireOwner(user: CurrentUser, r: Resolved): void {
    const target = r.file ?? r.chain[r.chain.length - 1];
    if (user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
    if (r.nav.owner.row.id !== user.row.id || (target && target.owner_id !== user.row.id)) throw ownerOnly();
  }

  /** 403 for the navigator root (roots are never renamed, moved, deleted, locked or queried). */
  requireNotRoot(r: Resolved): void {
    if (r.isRoot || (r.file && r.file.root_owner_id !== null)) throw new AppError(Code.NoPermission, 'Not supported action');
  }

  /** Owner-only, not-root, caps: the usual gate of a mutation on an existing object. */
  async getForMutation(user: CurrentUser, uri: string | FileUri, caps: CapBit[], tx?: Tx): Promise<Existing> {
    const r = await this.get(user, uri, { caps, tx });
    this.requireNotRoot(r);
    this.requireOwner(user, r);
    return r;
  }

  /**
   * Re-resolves an object after its locks are held: the path must still lead to the same row
   * (missing → 40016, another row → 409 "Object conflict"). Returns the fresh resolution.
   */
  async revalidate(r: Existing, tx: Tx = this.ctx.db.kysely): Promise<Existing> {
    const fresh = await r.nav.resolve(tx, r.uri);
    if (!fresh.file) throw pathNotExist();
    if (fresh.file.id !== r.file.id) throw new AppError(Code.Conflict, 'Object conflict');
    return fresh as Existing;
  }

  /** A lock request for a resolved URI. */
  lockRequest(r: Resolved, app: LockApp, depth: 0 | 'infinity' = 0, uri: FileUri = r.uri): LockRequest {
    const ownerView = r.nav.fs === 'my' || r.nav.fs === 'trash' ? FileUri.of({ fs: r.nav.fs, elements: uri.elements }) : uri;
    return { path: r.nav.lockPath(uri), depth, app, fileType: r.file?.type ?? 0, uri: ownerView.toString() };
  }

  /** Runs `fn` holding short-lived operation locks in the tree owner's namespace. */
  withLocks<T>(user: CurrentUser, nav: Navigator, reqs: LockRequest[], fn: () => Promise<T>, tokens?: string[]): Promise<T> {
    if (!reqs.length) return fn();
    return this.locks.with(nav.owner.row.id, user.row.id, reqs, fn, { tokens });
  }

  /** Group settings of a user (max_walked_files, trash_retention …). */
  groupSettings(user: { group: { settings: string } }): GroupSettings {
    return parseJson<GroupSettings>(user.group.settings, {});
  }

  /** The group's walk limit (`max_walked_files`, default 100000). */
  maxWalked(user: { group: { settings: string } }): number {
    const n = Number(this.groupSettings(user).max_walked_files);
    return Number.isFinite(n) && n > 0 ? n : 100000;
  }

  /** 40074 when a batch is over setting `max_batched_file`. */
  checkBatch(uris: unknown[]): void {
    const max = this.ctx.settings.int('max_batched_file', 3000);
    if (uris.length > max) throw new AppError(Code.TooManyUris, `Maximum allowed batch size: ${max}`);
  }

  isAdmin(user: CurrentUser): boolean {
    return isAdmin(user);
  }

  /**
   * Runs `fn` for every URI of a batch, collecting per-item AppErrors keyed by the URI string;
   * throws 40081 with all of them at the end. Non-AppErrors propagate at once.
   */
  async forEachItem<T>(uris: string[], fn: (uri: FileUri, raw: string) => Promise<T>): Promise<T[]> {
    const failures: Record<string, AppError> = {};
    const out: T[] = [];
    for (const raw of uris) {
      try {
        out.push(await fn(this.parse(raw), raw));
      } catch (e) {
        if (!isItemError(e)) throw e;
        failures[FileUri.tryParse(raw)?.toString() ?? String(raw)] = e;
      }
    }
    if (Object.keys(failures).length) throw batchError(failures);
    return out;
  }
}

/**
 * Errors reported per item in batches. Sign-in (401), lock conflicts (40073, whose ConflictDetail
 * data the client needs) and internal errors fail the whole request instead (contract 20 §0.1).
 */
export function isItemError(e: unknown): e is AppError {
  return e instanceof AppError && e.code !== Code.CheckLogin && e.code !== Code.LockConflict;
}

const instances = new WeakMap<Ctx, FileManager>();

/** The FileManager of a service context (one per context, created on first use). */
export function fileManager(ctx: Ctx): FileManager {
  let fm = instances.get(ctx);
  if (!fm) instances.set(ctx, (fm = new FileManager(ctx)));
  return fm;
}

export { Cap };
