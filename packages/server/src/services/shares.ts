import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from './context.ts';
import { loadUser, serializeRedactedUser, type CurrentUser } from './users.ts';
import {
  listShareRows, serializeShare, shareUrl, siteBaseUrl, type CursorPagination, type ShareProps, type ShareRow, type WireShare,
} from './share-serialize.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError } from '../http/errors.ts';
import { Cap, notSupported } from '../fs/capability.ts';
import { fileManager, type Existing } from '../fs/core.ts';
import * as metadata from '../fs/metadata.ts';
import { chunks, getById, locate, pathNotExist } from '../fs/tree.ts';
import { FileUri } from '../fs/uri.ts';
import { FileType, MetaKey, type FileRow, type Tx } from '../fs/types.ts';
import { inTx } from '../fs/db-errors.ts';
import { symbolicWalk } from '../fs/navigators/my.ts';
import { copyTrees } from '../fs/ops/move.ts';
import { parseJson } from '../util/json.ts';
import { GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { randomString, safeEqual } from '../util/random.ts';

/**
 * Share links (contract 40): creating, editing, deleting and listing them, the validity rules of
 * §1, counters, and the lookup rate limit. The `share` file system itself is
 * fs/navigators/share.ts; both use `openShare` here so a link is judged the same way everywhere.
 */

const PASSWORD_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export const shareNotFound = (msg = 'Share not found') => new AppError(Code.NotFound, msg);
export const shareExpired = () => new AppError(Code.NotFound, 'Share link expired');
export const incorrectSharePassword = () => new AppError(Code.IncorrectPassword, 'Incorrect share password');

/** Decodes a share hashid from a path parameter (40001 when malformed). */
export function decodeShareId(ctx: Ctx, id: string): number {
  const n = ctx.hashids.decode(id, HashType.Share);
  if (n === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  return n;
}

/** Compares a presented password with the share's in constant time; a share without one is open. */
export function passwordMatches(share: Pick<ShareRow, 'password'>, presented: string | undefined): boolean {
  if (!share.password) return true;
  return safeEqual(presented ?? '', share.password);
}

// ---------------------------------------------------------------------------------------------
// Lookup rate limit: failed lookups (unknown or invalid id, wrong password) per client, counted in
// fixed windows in the KV (shared by all instances with Redis). Over the limit every lookup of that
// client is refused until the window ends — so share ids and passwords cannot be enumerated.

function lookupLimits(ctx: Ctx) {
  return {
    max: Math.max(0, ctx.settings.int('share_lookup_rate_limit', 100)),
    window: Math.max(1, ctx.settings.int('share_lookup_rate_window', 600)),
  };
}

/** The rate-limit subject of a caller: the user for signed-in callers, the client address otherwise. */
export function lookupSubject(user: CurrentUser): string | undefined {
  if (!user.anonymous) return `u${user.row.id}`;
  return user.clientIp ? `ip${user.clientIp}` : undefined;
}

const failKey = (subject: string) => `share_lookup_fail_${subject}`;

export async function assertLookupAllowed(ctx: Ctx, user: CurrentUser): Promise<void> {
  const subject = lookupSubject(user);
  const { max, window } = lookupLimits(ctx);
  if (!subject || !max) return;
  const n = Number((await ctx.kv.get<number>(failKey(subject))) ?? 0);
  if (n >= max) {
    throw new AppError(Code.CaptchaRefreshNeeded, `Too many failed share link attempts, please try again in ${Math.ceil(window / 60)} minutes`);
  }
}

export async function recordLookupFailure(ctx: Ctx, user: CurrentUser): Promise<void> {
  const subject = lookupSubject(user);
  const { max, window } = lookupLimits(ctx);
  if (subject && max) await ctx.kv.incr(failKey(subject), window);
}

/** Runs a lookup, counting the failures that could reveal ids or passwords. */
export async function countingFailures<T>(ctx: Ctx, user: CurrentUser, fn: () => Promise<T>): Promise<T> {
  await assertLookupAllowed(ctx, user);
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && (e.code === Code.NotFound || e.code === Code.IncorrectPassword || e.code === Code.ParamErr)) {
      await recordLookupFailure(ctx, user);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Validity (contract 40 §1)

/** A share with its owner and source file, and whether it is valid. */
export interface OpenedShare {
  share: ShareRow;
  owner: CurrentUser | undefined;
  file: FileRow | undefined;
  /** Names from the owner's root down to the shared file (when it sits in the owner's tree). */
  path: string[] | undefined;
  valid: boolean;
}

/**
 * Loads a share by numeric id; undefined when there is no such row. Valid = not expired, downloads
 * left, owner active, and the file still in its owner's tree (not trashed — at any ancestor — and
 * still owned by the share owner).
 */
export async function openShare(ctx: Ctx, tx: Tx, id: number): Promise<OpenedShare | undefined> {
  const share = await tx.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
  if (!share) return undefined;
  const [owner, file] = await Promise.all([loadUser(ctx, Number(share.owner_id)), getById(tx, Number(share.file_id))]);
  let path: string[] | undefined;
  if (file && file.owner_id === share.owner_id) {
    const loc = await locate(tx, file.id);
    if (loc && loc.fs === 'my' && loc.chain[0]!.root_owner_id === share.owner_id && loc.names.length > 0) path = loc.names;
  }
  const now = ctx.now();
  const valid = (share.expires === null || Number(share.expires) > now)
    && (share.remain_downloads === null || Number(share.remain_downloads) > 0)
    && owner?.row.status === 'active'
    && path !== undefined;
  return { share, owner, file, path, valid };
}

// ---------------------------------------------------------------------------------------------
// Counters

/** `views + 1` (share page visits). */
export async function countView(ctx: Ctx, shareId: number): Promise<void> {
  await ctx.db.kysely.updateTable('shares').set((eb) => ({ views: eb('views', '+', 1) })).where('id', '=', shareId).execute();
}

/**
 * One download of a share: `downloads + 1`, `remain_downloads − 1`, atomically and only while the
 * link still has downloads left and has not expired (so concurrent downloads never overdraw it).
 * Refuses with 404 when the link ran out meanwhile.
 */
export async function countDownload(ctx: Ctx, shareId: number): Promise<void> {
  const now = ctx.now();
  const res = await ctx.db.kysely.updateTable('shares')
    .set((eb) => ({ downloads: eb('downloads', '+', 1), remain_downloads: eb('remain_downloads', '-', 1) }))
    .where('id', '=', shareId)
    .where((eb) => eb.or([eb('remain_downloads', 'is', null), eb('remain_downloads', '>', 0)]))
    .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', now)]))
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw shareExpired();
}

// ---------------------------------------------------------------------------------------------
// Create / edit / delete

export interface ShareOptions {
  uri: string;
  is_private?: boolean;
  password?: string;
  downloads?: number;
  expire?: number;
  share_view?: boolean;
  show_readme?: boolean;
}

/** Resolves the object a share points at: shareable file system, exists, not root, owned, not a shortcut. */
async function shareSource(ctx: Ctx, user: CurrentUser, rawUri: string): Promise<FileRow> {
  if (!user.permissions.has(GroupPermission.Share)) throw new AppError(Code.GroupNotAllowed, 'Group permission denied');
  const fm = fileManager(ctx);
  const uri = fm.parse(rawUri);
  const nav = await fm.navigator(user, uri);
  if (!nav.caps.has(Cap.Share)) throw notSupported();
  const r = await nav.resolve(ctx.db.kysely, uri);
  if (!r.file) throw new AppError(Code.NotFound, 'src file not found');
  fm.requireNotRoot(r);
  if (user.anonymous || r.file.owner_id !== user.row.id) throw new AppError(Code.NoPermission, 'permission denied');
  if ((await metadata.getValue(ctx.db.kysely, r.file.id, MetaKey.SharedRedirect)) !== undefined) {
    throw new AppError(Code.NoPermission, 'cannot share symbolic file');
  }
  return r.file;
}

function limitsOf(ctx: Ctx, o: ShareOptions) {
  return {
    remain_downloads: o.downloads && o.downloads > 0 ? o.downloads : null,
    expires: o.expire && o.expire > 0 ? ctx.now() + o.expire * 1000 : null,
  };
}

const newPassword = () => randomString(8, PASSWORD_ALPHABET);

function propsOf(o: ShareOptions, previous?: ShareProps): string {
  const p: ShareProps = { ...previous };
  delete p.share_view;
  delete p.show_readme;
  if (o.share_view) p.share_view = true;
  if (o.show_readme) p.show_readme = true;
  return JSON.stringify(p);
}

/** PUT /share: a new link (several per file are allowed); returns the share URL. */
export async function createShare(ctx: Ctx, user: CurrentUser, o: ShareOptions, host?: string): Promise<string> {
  const file = await shareSource(ctx, user, o.uri);
  const password = o.is_private ? (o.password?.trim() ? o.password : newPassword()) : '';
  const now = ctx.now();
  const id = await insertReturningId(ctx.db, 'shares', {
    password, views: 0, downloads: 0, ...limitsOf(ctx, o), file_id: file.id, owner_id: user.row.id,
    props: propsOf(o), created_at: now, updated_at: now,
  });
  return shareUrl(siteBaseUrl(ctx, host), ctx.hashids.encode(id, HashType.Share), password);
}

/**
 * POST /share/:id: updates limits (relative to now), props and — our addition to CE — privacy and
 * password. `uri` must be the link's own source; counters are kept. Returns the share URL.
 */
export async function editShare(ctx: Ctx, user: CurrentUser, shareId: number, o: ShareOptions, host?: string): Promise<string> {
  const share = await ctx.db.kysely.selectFrom('shares').selectAll().where('id', '=', shareId).executeTakeFirst();
  if (!share) throw new AppError(Code.NotFound, 'share link not found');
  const file = await shareSource(ctx, user, o.uri);
  if (Number(share.file_id) !== file.id) throw new AppError(Code.NotFound, 'share link not found');
  let password = '';
  if (o.is_private) password = o.password?.trim() ? o.password : share.password || newPassword();
  await ctx.db.kysely.updateTable('shares').set({
    password, ...limitsOf(ctx, o), props: propsOf(o, parseJson<ShareProps>(share.props, {})), updated_at: ctx.now(),
  }).where('id', '=', shareId).execute();
  return shareUrl(siteBaseUrl(ctx, host), ctx.hashids.encode(shareId, HashType.Share), password);
}

/** DELETE /share/:id: the owner's link, or any link for administrators; otherwise 404. */
export async function deleteShare(ctx: Ctx, user: CurrentUser, shareId: number): Promise<void> {
  let q = ctx.db.kysely.deleteFrom('shares').where('id', '=', shareId);
  if (!fileManager(ctx).isAdmin(user)) q = q.where('owner_id', '=', user.row.id);
  const res = await q.executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new AppError(Code.NotFound, 'share not found');
}

// ---------------------------------------------------------------------------------------------
// Info and lists

export interface InfoQuery { password?: string; countViews?: boolean; ownerExtended?: boolean }

/** Owner-view URI of the share root: the shared folder, or a shared file's parent folder. */
function sourceRootUri(opened: OpenedShare): string {
  const names = opened.path!;
  const elements = Number(opened.file!.type) === 1 ? names : names.slice(0, -1);
  return FileUri.of({ fs: 'my', elements }).toString();
}

/**
 * GET /share/info/:id (contract 40 §3.3). Missing → 404 "Share not found", invalid → 404 "Share
 * link expired"; `unlocked` when the link has no password, the right one was given, or the caller
 * owns it. Failed lookups and wrong passwords count against the caller's lookup limit.
 */
export async function shareInfo(ctx: Ctx, viewer: CurrentUser, rawId: string, q: InfoQuery, host?: string): Promise<WireShare> {
  return countingFailures(ctx, viewer, async () => {
    const id = decodeShareId(ctx, rawId);
    const opened = await openShare(ctx, ctx.db.kysely, id);
    if (!opened) throw shareNotFound();
    if (!opened.valid) throw shareExpired();
    const { share, owner, file } = opened;
    const isOwner = !viewer.anonymous && viewer.row.id === Number(share.owner_id);
    const rightPassword = passwordMatches(share, q.password);
    // A wrong password is reported as locked, but still counted: the route must not be a free oracle.
    if (share.password && q.password && !rightPassword) await recordLookupFailure(ctx, viewer);
    if (q.countViews) {
      await countView(ctx, id);
      share.views = Number(share.views) + 1;
    }
    const out = serializeShare(ctx, {
      share, source: { name: file!.name, type: Number(file!.type), parent_id: file!.parent_id, owner_id: file!.owner_id },
      owner: serializeRedactedUser(ctx, owner!.row, owner!.group, viewer), ownerId: owner!.row.id, ownerActive: true,
    }, { viewer, unlocked: rightPassword || isOwner, baseUrl: siteBaseUrl(ctx, host) });
    if (q.ownerExtended && isOwner) {
      // CE resolves this through the share file system, so a private link needs its password too.
      if (!rightPassword) throw new AppError(Code.NotFound, 'File not found');
      out.source_uri = sourceRootUri(opened);
    }
    return out;
  });
}

export interface ListQuery { pageSize: number; orderBy?: string; desc?: boolean; pageToken?: string }

/** GET /share: the caller's links, built unlocked with owner fields; trashed sources show their original name. */
export async function listMyShares(ctx: Ctx, user: CurrentUser, q: ListQuery, host?: string): Promise<{ shares: WireShare[]; pagination: CursorPagination }> {
  const { rows, pagination } = await listShareRows(ctx, { ownerId: user.row.id, ...q });
  const trashed = rows.filter((r) => r.source && r.source.parent_id === null).map((r) => Number(r.share.file_id));
  const originalNames = new Map<number, string>();
  for (const part of chunks(trashed)) {
    if (!part.length) continue;
    const meta = await ctx.db.kysely.selectFrom('metadata').select(['file_id', 'value'])
      .where('file_id', 'in', part).where('name', '=', MetaKey.RestoreUri).execute();
    for (const m of meta) {
      const name = FileUri.tryParse(m.value)?.name;
      if (name) originalNames.set(Number(m.file_id), name);
    }
  }
  const ownerWire = serializeRedactedUser(ctx, user.row, user.group, user);
  const baseUrl = siteBaseUrl(ctx, host);
  const shares = rows.map((r) => {
    const source = r.source && originalNames.has(Number(r.share.file_id)) ? { ...r.source, name: originalNames.get(Number(r.share.file_id))! } : r.source;
    return serializeShare(ctx, { share: r.share, source, owner: ownerWire, ownerId: user.row.id, ownerActive: user.row.status === 'active' }, { viewer: user, unlocked: true, baseUrl });
  });
  return { shares, pagination };
}

// ---------------------------------------------------------------------------------------------
// Shortcuts ("save to my files", contract 40 §5)

/**
 * 40059 when a shortcut being created redirects into one of the caller's own shares: saving your
 * own share into your own files is pointless and CE's code for it is kept.
 */
export async function assertNotOwnShare(ctx: Ctx, user: CurrentUser, meta: Record<string, unknown> | undefined): Promise<void> {
  const redirect = meta?.[MetaKey.SharedRedirect];
  if (typeof redirect !== 'string' || user.anonymous) return;
  const uri = FileUri.tryParse(redirect);
  const id = uri?.fs === 'share' && uri.fsId ? ctx.hashids.decode(uri.fsId, HashType.Share) : undefined;
  if (id === undefined) return;
  const share = await ctx.db.kysely.selectFrom('shares').select('owner_id').where('id', '=', id).executeTakeFirst();
  if (share && Number(share.owner_id) === user.row.id) throw new AppError(Code.SaveOwnShare, 'You cannot save your own share');
}

/**
 * [OURS] `POST /share/save-copy`: copies objects reached through share URIs into one of the caller's own
 * folders — a real copy (new rows sharing the blobs, charged to the caller's quota), unlike the
 * shortcut the web client makes. Any failing source fails the whole request with its own code:
 * not a share URI → 403, your own share → 40059, plus the usual 40016/40082/40004/40051/40079.
 * A single-file share counts one download.
 */
export async function saveSharedCopies(ctx: Ctx, user: CurrentUser, uris: string[], dstRaw: string): Promise<void> {
  const fm = fileManager(ctx);
  fm.checkBatch(uris);
  const dstUri = fm.parse(dstRaw).withoutQuery();
  const dstNav = await fm.navigator(user, dstUri);
  if (dstNav.fs !== 'my') throw notSupported();
  const dst = await fm.get(user, dstUri, { caps: [Cap.CreateFile, Cap.LockFile] });
  if (Number(dst.file.type) !== FileType.Folder) throw pathNotExist('Destination is not a folder');
  if ((await metadata.getValue(ctx.db.kysely, dst.file.id, MetaKey.SharedRedirect)) !== undefined) throw symbolicWalk();
  fm.requireOwner(user, dst);

  const sources: Existing[] = [];
  for (const raw of uris) {
    const uri = fm.parse(raw);
    if (uri.fs !== 'share') throw notSupported();
    const r = await fm.get(user, uri, { caps: [Cap.DownloadFile] });
    if (r.nav.owner.row.id === user.row.id) throw new AppError(Code.SaveOwnShare, 'You cannot save your own share');
    // The root of a single-file share is its parent folder, which is not shared.
    if (r.singleFileView) throw notSupported();
    sources.push(r);
  }
  for (const r of sources) await r.nav.beforeDownload?.(r.file);
  const locks = sources.map((r) => fm.lockRequest(dst, 'moveCopy', 'infinity', dst.uri.join(r.file.name)));
  await fm.withLocks(user, dstNav, locks, async () => {
    const fresh = await fm.revalidate(dst);
    await inTx(ctx.db, (trx) => copyTrees(fm, trx, user, sources.map((r) => r.file), fresh.file, ctx.now()));
  });
}
