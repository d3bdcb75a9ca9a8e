import type { Boolset } from '../util/boolset.ts';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser, GroupRow, UserRow } from '../services/users.ts';
import type { FileUri, SearchQuery } from './uri.ts';
import type { FileRow, FsName, Tx } from './types.ts';

/**
 * A Navigator is one file system's view of the tree (contract 20 §1.4): it maps URI paths to file
 * rows, lists folders, and builds the user-view URI of what it returns. Each `cloudreve://` file
 * system (`my`, `trash`, later `share` and `shared_with_me`) implements it; the core operations in
 * fs/ops/* work on any navigator, checking its capability bits. Navigators never do HTTP.
 */
export interface Navigator {
  readonly fs: FsName;
  /** The file system capability boolset (contract 20 §1.5). */
  readonly caps: Boolset;
  /** The requester. */
  readonly viewer: CurrentUser;
  /** Owner of the tree this navigator exposes: lock namespace and ownership checks. */
  readonly owner: { row: UserRow; group: GroupRow };
  /** The URI the navigator root answers to (no query). */
  readonly rootUri: FileUri;

  /** Resolves a URI of this file system (its query is ignored). */
  resolve(tx: Tx, uri: FileUri): Promise<Resolved>;

  /** Where rows of a listing of `folder` come from (children, trash items, …). */
  listScope(folder: Resolved): ListScope;

  /** Search scope: the folder ids to search below (bounded walk) or a flat scope. */
  searchScope(tx: Tx, folder: Resolved, limit: number): Promise<SearchScope>;

  /** User-view URI of a row found through this navigator, given its parent's URI. */
  childUri(parentUri: FileUri, child: FileRow): FileUri;

  /** User-view URI of any row of this navigator's tree (walks ancestors); undefined when outside. */
  uriOf(tx: Tx, file: FileRow): Promise<FileUri | undefined>;

  /** Name shown to the user (trash shows the original name). */
  displayName(file: FileRow, publicMeta: Record<string, string> | undefined): string;

  /** Owner-view lock path (elements) of a URI of this navigator. */
  lockPath(uri: FileUri): string[];

  /** Order options while listing / searching (NavigatorProps). */
  orderOptions(searching: boolean): { by: string[] | null; direction: string[] | null };

  /**
   * Optional: runs once per download of `file` through this navigator (each download URL, each
   * direct link created, each archive that includes it) and may refuse it — e.g. the share file
   * system counts single-file share downloads and refuses exhausted links.
   */
  beforeDownload?(file: FileRow): Promise<void>;
}

/** The outcome of resolving a URI. */
export interface Resolved {
  nav: Navigator;
  uri: FileUri;
  /** The object at the URI; undefined when it does not exist (or the URI is a virtual root). */
  file?: FileRow;
  /** Existing objects from the navigator root down to the deepest one found. */
  chain: FileRow[];
  /** URI elements below the last chain object that do not exist. */
  missing: string[];
  /** The URI addresses the navigator root. */
  isRoot: boolean;
  /** The navigator root has no row (trash). */
  virtualRoot?: boolean;
  /** A listing of this folder shows a single shared file (`single_file_view`, no pagination). */
  singleFileView?: boolean;
  /** Listings of this folder carry no `view` (a share without `share_view`, seen by a non-owner). */
  hideView?: boolean;
}

/** Rows a listing draws from. */
export type ListScope =
  | { kind: 'children'; parentId: number }
  | { kind: 'trash'; ownerId: number }
  | { kind: 'files'; ownerId: number; ids: number[] };

/** Rows a search draws from: direct children of these folders, or a flat scope. */
export type SearchScope =
  | { kind: 'folders'; folders: { id: number; uri: FileUri }[]; limitReached: boolean }
  | { kind: 'flat'; scope: ListScope };

export interface NavigatorFactoryInput {
  ctx: Ctx;
  viewer: CurrentUser;
  uri: FileUri;
}

/** Builds the navigator of one file system for a request (may throw 401/403/40001). */
export type NavigatorFactory = (tx: Tx, input: NavigatorFactoryInput) => Promise<Navigator>;

export type { SearchQuery };
