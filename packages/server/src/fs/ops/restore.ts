import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { Cap } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as metadata from '../metadata.ts';
import { moveRow, pathNotExist } from '../tree.ts';
import { FileUri } from '../uri.ts';
import { FileType, MetaKey } from '../types.ts';

/**
 * Puts a trash item back at its `sys:restore_uri`: into that URI's parent folder (which must
 * still exist → 40016), under its original name (taken → 40004), dropping the trash metadata.
 */
export async function restoreOne(fm: FileManager, user: CurrentUser, r: Existing): Promise<void> {
  const ctx = fm.ctx;
  const raw = await metadata.getValue(ctx.db.kysely, r.file.id, MetaKey.RestoreUri);
  const target = raw ? FileUri.tryParse(raw) : undefined;
  if (!target || target.fs !== 'my' || target.isRoot) throw new AppError(Code.NoPermission, 'No restore path for this item');
  // Restore into the owner's own tree, whatever user part the stored URI carries.
  const dest = await fm.resolve(user, FileUri.of({ fs: 'my', elements: target.parent().elements }));
  if (!dest.file || Number(dest.file.type) !== FileType.Folder) throw pathNotExist('Restore destination not exist');
  fm.requireOwner(user, dest);
  const destUri = dest.uri.join(target.name);
  // Trash item and destination are in the requester's own namespace: one atomic acquisition.
  await fm.withLocks(user, r.nav, [fm.lockRequest(r, 'moveCopy', 'infinity'), fm.lockRequest(dest, 'moveCopy', 'infinity', destUri)], async () => {
    const cur = await fm.revalidate(r);
    await fm.revalidate(dest as Existing);
    const now = ctx.now();
    await inTx(ctx.db, async (trx) => {
      await moveRow(trx, cur.file.id, dest.file!.id, target.name, now, { parentId: cur.file.parent_id, name: cur.file.name });
      await metadata.remove(trx, [r.file.id], [MetaKey.RestoreUri, MetaKey.ExpectedCollectTime]);
    });
  });
}

/** POST /file/restore: per-item failures are aggregated into 40081. */
export async function restoreFiles(fm: FileManager, user: CurrentUser, uris: string[]): Promise<void> {
  fm.checkBatch(uris);
  await fm.forEachItem(uris, async (uri) => {
    const r = await fm.getForMutation(user, uri, [Cap.Restore]);
    await restoreOne(fm, user, r);
  });
}
