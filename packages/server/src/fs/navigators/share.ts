import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import type { CurrentUser } from '../../services/users.ts';
import {
  countDownload, countingFailures, decodeShareId, incorrectSharePassword, openShare, passwordMatches, type OpenedShare,
} from '../../services/shares.ts';
import { AppError } from '../../http/errors.ts';
import { GroupPermission } from '../../util/boolset.ts';
import { parseJson } from '../../util/json.ts';
import type { ShareProps } from '../../services/share-serialize.ts';
import { FS_CAPABILITIES } from '../capability.ts';
import type { ListScope, Navigator, NavigatorFactory, Resolved, SearchScope } from '../navigator.ts';
import { FileUri } from '../uri.ts';
import { ancestors, getById, subfolderUris, walkPath } from '../tree.ts';
import { FileType, MetaKey, type FileRow, type Tx } from '../types.ts';
import { symbolicWalk } from './my.ts';

const ORDER_BY = ['name', 'size', 'updated_at', 'created_at'];
const DIRECTIONS = ['asc', 'desc'];

export const sharedFileNotExist = () => new AppError(Code.NotFound, 'Shared file does not exist');
const noShareAccess = () => new AppError(Code.NoPermission, "You don't have permission to access share links");

/**
 * `cloudreve://<share id>[:<password>]@share[/…]` — the tree below one share link (contract 40 §4),
 * read-only for everyone (capability `gIaYAQ==`). The root is the shared folder; for a file share it
 * is the file's parent, of which only the shared file is visible. Nothing outside the root can be
 * reached: URI paths are cleaned before they get here (`..` never climbs above the root), every
 * element is looked up as a child name of the row above it, and `uriOf` answers only for rows
 * whose ancestor chain passes through the root.
 */
export class ShareNavigator implements Navigator {
  readonly fs = 'share' as const;
  readonly caps = FS_CAPABILITIES.share;
  readonly rootUri: FileUri;
  readonly owner: CurrentUser;
  private readonly root: FileRow;
  private readonly sharedFile: FileRow;
  private readonly singleFile: boolean;
  /** Owner-view path elements of the root (lock namespace = the owner's `my` tree). */
  private readonly rootPath: string[];
  private readonly hideView: boolean;
  private readonly shareId: number;

  constructor(
    private readonly ctx: Ctx,
    readonly viewer: CurrentUser,
    opened: OpenedShare,
    root: FileRow,
    shareHash: string,
    password: string | undefined,
  ) {
    this.owner = opened.owner!;
    this.sharedFile = opened.file!;
    this.singleFile = Number(opened.file!.type) === FileType.File;
    this.root = root;
    this.rootPath = this.singleFile ? opened.path!.slice(0, -1) : opened.path!;
    this.rootUri = FileUri.root('share', { fsId: shareHash, password });
    const props = parseJson<ShareProps>(opened.share.props, {});
    this.hideView = !props.share_view && (viewer.anonymous || viewer.row.id !== this.owner.row.id);
    this.shareId = Number(opened.share.id);
  }

  private base(uri: FileUri): FileUri {
    return this.rootUri.join(...uri.elements);
  }

  async resolve(tx: Tx, uri: FileUri): Promise<Resolved> {
    const clean = this.base(uri);
    const common = { nav: this, uri: clean, isRoot: uri.elements.length === 0, hideView: this.hideView };
    if (this.singleFile) {
      if (uri.elements.length === 0) return { ...common, file: this.root, chain: [this.root], missing: [], singleFileView: true };
      // The shared file is re-read each time, so a rename is seen at once.
      const file = await getById(tx, this.sharedFile.id);
      if (!file || uri.elements.length > 1 || file.name !== uri.elements[0]) {
        return { ...common, chain: [this.root], missing: [...uri.elements] };
      }
      return { ...common, file, chain: [this.root, file], missing: [] };
    }
    const { chain, missing } = await walkPath(tx, this.root, [...uri.elements]);
    const through = chain.slice(1, missing.length ? chain.length : chain.length - 1).map((f) => f.id);
    if (through.length) {
      const sym = await tx.selectFrom('metadata').select('file_id').where('file_id', 'in', through)
        .where('name', '=', MetaKey.SharedRedirect).executeTakeFirst();
      if (sym) throw symbolicWalk();
    }
    return { ...common, file: missing.length ? undefined : chain[chain.length - 1], chain, missing };
  }

  listScope(folder: Resolved): ListScope {
    if (this.singleFile && folder.file?.id === this.root.id) return { kind: 'files', ownerId: this.owner.row.id, ids: [this.sharedFile.id] };
    return { kind: 'children', parentId: folder.file!.id };
  }

  async searchScope(tx: Tx, folder: Resolved, limit: number): Promise<SearchScope> {
    if (this.singleFile) return { kind: 'flat', scope: { kind: 'files', ownerId: this.owner.row.id, ids: [this.sharedFile.id] } };
    return { kind: 'folders', ...(await subfolderUris(tx, { id: folder.file!.id, uri: folder.uri }, limit)) };
  }

  childUri(parentUri: FileUri, child: FileRow): FileUri {
    return parentUri.join(child.name);
  }

  async uriOf(tx: Tx, file: FileRow): Promise<FileUri | undefined> {
    if (this.singleFile) {
      if (file.id === this.root.id) return this.rootUri;
      const current = file.id === this.sharedFile.id ? await getById(tx, file.id) : undefined;
      return current && current.parent_id !== null ? this.rootUri.join(current.name) : undefined;
    }
    const chain = await ancestors(tx, file.id);
    const at = chain.findIndex((f) => f.id === this.root.id);
    if (at < 0) return undefined;
    return this.rootUri.join(...chain.slice(at + 1).map((f) => f.name));
  }

  displayName(file: FileRow): string {
    return file.name;
  }

  lockPath(uri: FileUri): string[] {
    return ['my', ...this.rootPath, ...uri.elements];
  }

  orderOptions(searching: boolean) {
    return searching ? { by: null, direction: null } : { by: ORDER_BY, direction: DIRECTIONS };
  }

  /** Single-file shares count every download and refuse once the link ran out (contract 40 §4). */
  async beforeDownload(file: FileRow): Promise<void> {
    if (this.singleFile && file.id === this.sharedFile.id) await countDownload(this.ctx, this.shareId);
  }
}

/**
 * Opens the share a URI names (contract 40 §4 resolution rules): missing or invalid → 404, wrong
 * password → 40069 (the owner too), a non-owner whose group lacks "download shares" → 403. Failed
 * lookups count against the caller's rate limit.
 */
export const createShareNavigator: NavigatorFactory = async (tx, { ctx, viewer, uri }) =>
  countingFailures(ctx, viewer, async () => {
    if (!uri.fsId) throw sharedFileNotExist();
    let id: number;
    try {
      id = decodeShareId(ctx, uri.fsId);
    } catch {
      throw sharedFileNotExist();
    }
    const opened = await openShare(ctx, tx, id);
    if (!opened || !opened.valid) throw sharedFileNotExist();
    if (!passwordMatches(opened.share, uri.password)) throw incorrectSharePassword();
    const isOwner = !viewer.anonymous && viewer.row.id === opened.owner!.row.id;
    if (!isOwner && !viewer.permissions.has(GroupPermission.ShareDownload)) throw noShareAccess();
    const file = opened.file!;
    const root = Number(file.type) === FileType.File ? await getById(tx, file.parent_id!) : file;
    if (!root) throw sharedFileNotExist();
    return new ShareNavigator(ctx, viewer, opened, root, uri.fsId, uri.password);
  });
