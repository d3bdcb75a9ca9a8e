import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { HashType } from '../../util/hashid.ts';
import { Cap } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as entities from '../entities.ts';
import { EntityType, FileType, type EntityRow } from '../types.ts';

/** Resolves a version target: a file (403 otherwise), owned, with the named entity linked to it (40077). */
async function versionTarget(fm: FileManager, user: CurrentUser, uri: string, version: string): Promise<{ r: Existing; entity: EntityRow; all: EntityRow[] }> {
  const entityId = fm.ctx.hashids.decode(version, HashType.Entity);
  if (entityId === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  const r = await fm.get(user, uri, { caps: [Cap.VersionControl] });
  fm.requireNotRoot(r);
  fm.requireOwner(user, r);
  if (Number(r.file.type) !== FileType.File) throw new AppError(Code.NoPermission, 'Not supported action');
  const all = (await entities.ofFiles(fm.ctx.db.kysely, [r.file.id])).get(r.file.id) ?? [];
  const entity = all.find((e) => e.id === entityId && Number(e.type) === EntityType.Version);
  if (!entity) throw entities.entityNotExist();
  return { r, entity, all };
}

/**
 * POST /file/version/current: makes a finished version entity the file's content; thumbnails are
 * dropped (regenerated later). Already current → no-op.
 */
export async function setCurrentVersion(fm: FileManager, user: CurrentUser, uri: string, version: string): Promise<void> {
  const { r, entity, all } = await versionTarget(fm, user, uri, version);
  if (entities.isUploading(entity)) throw entities.entityNotExist('Entity is still uploading');
  if (Number(r.file.primary_entity) === entity.id) return;
  await fm.withLocks(user, r.nav, [fm.lockRequest(r, 'versionControl', 0)], async () => {
    await fm.revalidate(r);
    const now = fm.ctx.now();
    await inTx(fm.ctx.db, async (trx) => {
      await entities.setPrimary(trx, r.file.id, entity.id, Number(entity.size), now);
      const thumbs = all.filter((e) => Number(e.type) === EntityType.Thumbnail);
      await entities.unlink(trx, thumbs.map((e) => ({ fileId: r.file.id, ownerId: r.file.owner_id, entity: e })));
    });
  });
}

/** DELETE /file/version: unlinks a non-current version (403 for the current one), freeing its size. */
export async function deleteVersion(fm: FileManager, user: CurrentUser, uri: string, version: string): Promise<void> {
  const { r, entity } = await versionTarget(fm, user, uri, version);
  if (Number(r.file.primary_entity) === entity.id) throw new AppError(Code.NoPermission, 'Cannot delete current version');
  await fm.withLocks(user, r.nav, [fm.lockRequest(r, 'versionControl', 0)], async () => {
    await fm.revalidate(r);
    await inTx(fm.ctx.db, async (trx) => {
      await entities.unlink(trx, [{ fileId: r.file.id, ownerId: r.file.owner_id, entity }]);
    });
  });
}
