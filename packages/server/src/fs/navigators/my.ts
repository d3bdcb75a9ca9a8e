import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { isAdmin, loadUser, type CurrentUser } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { HashType } from '../../util/hashid.ts';
import { FS_CAPABILITIES } from '../capability.ts';
import type { ListScope, Navigator, NavigatorFactory, Resolved, SearchScope } from '../navigator.ts';
import { FileUri } from '../uri.ts';
import { ensureRoot, locate, subfolderUris, walkPath } from '../tree.ts';
import { MetaKey, type FileRow, type Tx } from '../types.ts';

const ORDER_BY = ['name', 'size', 'updated_at', 'created_at'];
const DIRECTIONS = ['asc', 'desc'];

export const loginRequired = () => new AppError(Code.CheckLogin, 'Login required');
export const permissionDenied = () => new AppError(Code.NoPermission, 'Permission denied');
export const symbolicWalk = () => new AppError(Code.NoPermission, 'Symbolic folder cannot be walked into');

/**
 * `cloudreve://[<uid>@]my/…` — the owner's tree below their root folder. Another user's tree is
 * reachable only by administrators (`cloudreve://<uid>@my`), read-only: mutations check ownership.
 */
export class MyNavigator implements Navigator {
  readonly fs = 'my' as const;
  readonly caps = FS_CAPABILITIES.my;
  readonly rootUri: FileUri;

  constructor(
    private readonly ctx: Ctx,
    readonly viewer: CurrentUser,
    readonly owner: CurrentUser,
    private readonly root: FileRow,
  ) {
    // Own tree: plain `cloudreve://my`; another user's: keep the uid so URIs round-trip.
    this.rootUri = owner.row.id === viewer.row.id
      ? FileUri.root('my')
      : FileUri.root('my', { fsId: ctx.hashids.encode(owner.row.id, HashType.User) });
  }

  async resolve(tx: Tx, uri: FileUri): Promise<Resolved> {
    const { chain, missing } = await walkPath(tx, this.root, [...uri.elements]);
    // Folders we walked through must not be symbolic shortcuts (contract 20 §4.5).
    const through = chain.slice(1, missing.length ? chain.length : chain.length - 1).map((f) => f.id);
    if (through.length) {
      const sym = await tx.selectFrom('metadata').select('file_id').where('file_id', 'in', through)
        .where('name', '=', MetaKey.SharedRedirect).executeTakeFirst();
      if (sym) throw symbolicWalk();
    }
    const file = missing.length ? undefined : chain[chain.length - 1];
    return { nav: this, uri: uri.withoutQuery(), file, chain, missing, isRoot: uri.elements.length === 0 };
  }

  listScope(folder: Resolved): ListScope {
    return { kind: 'children', parentId: folder.file!.id };
  }

  async searchScope(tx: Tx, folder: Resolved, limit: number): Promise<SearchScope> {
    return { kind: 'folders', ...(await subfolderUris(tx, { id: folder.file!.id, uri: folder.uri }, limit)) };
  }

  childUri(parentUri: FileUri, child: FileRow): FileUri {
    return parentUri.join(child.name);
  }

  async uriOf(tx: Tx, file: FileRow): Promise<FileUri | undefined> {
    const loc = await locate(tx, file.id);
    if (!loc || loc.fs !== 'my' || loc.chain[0]!.id !== this.root.id) return undefined;
    return FileUri.of({ fs: 'my', fsId: this.rootUri.fsId, elements: loc.names });
  }

  displayName(file: FileRow): string {
    return file.name;
  }

  lockPath(uri: FileUri): string[] {
    return ['my', ...uri.elements];
  }

  orderOptions(searching: boolean) {
    return searching ? { by: null, direction: null } : { by: ORDER_BY, direction: DIRECTIONS };
  }
}

/** Resolves who owns the `my` tree a URI addresses (401 anonymous, 403 someone else's tree). */
export async function myTreeOwner(ctx: Ctx, viewer: CurrentUser, uri: FileUri): Promise<CurrentUser> {
  if (viewer.anonymous) throw loginRequired();
  if (!uri.fsId) return viewer;
  const id = ctx.hashids.decode(uri.fsId, HashType.User);
  if (id === viewer.row.id) return viewer;
  if (id === undefined || !isAdmin(viewer)) throw permissionDenied();
  const owner = await loadUser(ctx, id);
  if (!owner) throw new AppError(Code.ParentNotExist, 'Path not exist');
  return owner;
}

export const createMyNavigator: NavigatorFactory = async (tx, { ctx, viewer, uri }) => {
  const owner = await myTreeOwner(ctx, viewer, uri);
  const root = await ensureRoot(ctx.db, tx, owner.row.id, ctx.now(), owner.group.storage_policy_id);
  return new MyNavigator(ctx, viewer, owner, root);
};
