import type { Ctx } from '../../services/context.ts';
import type { CurrentUser } from '../../services/users.ts';
import { HashType } from '../../util/hashid.ts';
import { FS_CAPABILITIES } from '../capability.ts';
import type { ListScope, Navigator, NavigatorFactory, Resolved, SearchScope } from '../navigator.ts';
import { FileUri } from '../uri.ts';
import { pathNotExist } from '../tree.ts';
import { MetaKey, type FileRow, type Tx } from '../types.ts';
import { loginRequired } from './my.ts';

const ORDER_BY = ['name', 'size', 'updated_at', 'created_at'];
const DIRECTIONS = ['asc', 'desc'];

/**
 * `cloudreve://shared_with_me` — a flat, read-only list of the caller's share shortcuts (objects
 * with `sys:shared_redirect`) wherever they sit in their `my` tree (contract 20 §1.4, 40 §5). Only
 * the root is addressable; items carry `cloudreve://shared_with_me/<file hashid>` and are opened by
 * the client through their redirect.
 */
export class SharedWithMeNavigator implements Navigator {
  readonly fs = 'shared_with_me' as const;
  readonly caps = FS_CAPABILITIES.shared_with_me;
  readonly rootUri = FileUri.root('shared_with_me');
  private shortcutIds: number[] = [];

  constructor(private readonly ctx: Ctx, readonly viewer: CurrentUser) {}

  get owner() {
    return this.viewer;
  }

  async resolve(tx: Tx, uri: FileUri): Promise<Resolved> {
    if (uri.elements.length) throw pathNotExist();
    // Shortcuts still attached to a parent (CE's rule); trashed ones are not listed.
    const rows = await tx.selectFrom('files').innerJoin('metadata', 'metadata.file_id', 'files.id').select('files.id')
      .where('files.owner_id', '=', this.viewer.row.id).where('files.parent_id', 'is not', null)
      .where('metadata.name', '=', MetaKey.SharedRedirect).execute();
    this.shortcutIds = rows.map((r) => Number(r.id));
    return { nav: this, uri: this.rootUri, chain: [], missing: [], isRoot: true, virtualRoot: true };
  }

  listScope(): ListScope {
    return { kind: 'files', ownerId: this.viewer.row.id, ids: this.shortcutIds };
  }

  async searchScope(): Promise<SearchScope> {
    return { kind: 'flat', scope: this.listScope() };
  }

  childUri(_parent: FileUri, child: FileRow): FileUri {
    return FileUri.of({ fs: 'shared_with_me', elements: [this.ctx.hashids.encode(child.id, HashType.File)] });
  }

  async uriOf(_tx: Tx, file: FileRow): Promise<FileUri | undefined> {
    return file.owner_id === this.viewer.row.id && this.shortcutIds.includes(file.id) ? this.childUri(this.rootUri, file) : undefined;
  }

  displayName(file: FileRow): string {
    return file.name;
  }

  lockPath(uri: FileUri): string[] {
    return ['shared_with_me', ...uri.elements];
  }

  orderOptions(searching: boolean) {
    return searching ? { by: ['created_at'], direction: DIRECTIONS } : { by: ORDER_BY, direction: DIRECTIONS };
  }
}

export const createSharedWithMeNavigator: NavigatorFactory = async (_tx, { ctx, viewer }) => {
  if (viewer.anonymous) throw loginRequired();
  return new SharedWithMeNavigator(ctx, viewer);
};
