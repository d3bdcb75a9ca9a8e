import type { CurrentUser } from '../../services/users.ts';
import { FS_CAPABILITIES, notSupported } from '../capability.ts';
import type { ListScope, Navigator, NavigatorFactory, Resolved, SearchScope } from '../navigator.ts';
import { FileUri } from '../uri.ts';
import { locate, pathNotExist } from '../tree.ts';
import { MetaKey, type FileRow, type Tx } from '../types.ts';
import { loginRequired } from './my.ts';

/**
 * `cloudreve://trash[/<stored name>]` — the requester's trash: a flat list of detached items
 * (parent NULL, not a root), each renamed to a random UUID; subtrees stay attached to their
 * trashed folder but are not addressable through this file system.
 */
export class TrashNavigator implements Navigator {
  readonly fs = 'trash' as const;
  readonly caps = FS_CAPABILITIES.trash;
  readonly rootUri = FileUri.root('trash');

  constructor(readonly viewer: CurrentUser) {}

  get owner() {
    return this.viewer;
  }

  async resolve(tx: Tx, uri: FileUri): Promise<Resolved> {
    const clean = FileUri.of({ fs: 'trash', elements: uri.elements });
    if (uri.elements.length === 0) return { nav: this, uri: clean, chain: [], missing: [], isRoot: true, virtualRoot: true };
    if (uri.elements.length > 1) throw pathNotExist();
    const file = await tx.selectFrom('files').selectAll()
      .where('owner_id', '=', this.viewer.row.id).where('parent_id', 'is', null).where('root_owner_id', 'is', null)
      .where('name', '=', uri.elements[0]!).executeTakeFirst();
    return file
      ? { nav: this, uri: clean, file, chain: [file], missing: [], isRoot: false }
      : { nav: this, uri: clean, chain: [], missing: [...uri.elements], isRoot: false };
  }

  /** Only the trash root can be listed: trash items (even folders) cannot be entered. */
  listScope(folder?: Resolved): ListScope {
    if (folder && !folder.isRoot) throw notSupported();
    return { kind: 'trash', ownerId: this.viewer.row.id };
  }

  async searchScope(_tx: Tx, folder: Resolved): Promise<SearchScope> {
    return { kind: 'flat', scope: this.listScope(folder) };
  }

  childUri(_parent: FileUri, child: FileRow): FileUri {
    return FileUri.of({ fs: 'trash', elements: [child.name] });
  }

  async uriOf(tx: Tx, file: FileRow): Promise<FileUri | undefined> {
    const loc = await locate(tx, file.id);
    if (!loc || loc.fs !== 'trash' || loc.names.length !== 1 || file.owner_id !== this.viewer.row.id) return undefined;
    return FileUri.of({ fs: 'trash', elements: loc.names });
  }

  /** The original name, taken from `sys:restore_uri`. */
  displayName(file: FileRow, meta: Record<string, string> | undefined): string {
    const restore = meta?.[MetaKey.RestoreUri];
    const u = restore ? FileUri.tryParse(restore) : undefined;
    return u && u.name ? u.name : file.name;
  }

  lockPath(uri: FileUri): string[] {
    return ['trash', ...uri.elements];
  }

  orderOptions(searching: boolean) {
    return searching ? { by: ['created_at'], direction: ['asc', 'desc'] } : { by: ['name', 'size', 'updated_at', 'created_at'], direction: ['asc', 'desc'] };
  }
}

export const createTrashNavigator: NavigatorFactory = async (_tx, { viewer }) => {
  if (viewer.anonymous) throw loginRequired();
  return new TrashNavigator(viewer);
};
