import type { Ctx } from '../services/context.ts';
import { fileManager } from '../fs/core.ts';
import { inTx } from '../fs/db-errors.ts';
import * as entities from '../fs/entities.ts';
import * as metadata from '../fs/metadata.ts';
import { getById } from '../fs/tree.ts';
import { MetaKey, type Tx } from '../fs/types.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import { dropSession, loadSession, type UploadSession } from './session-store.ts';
import { runningHashes } from './hashes.ts';

export interface CancelOptions {
  reason: 'user' | 'expired' | 'replaced' | 'failed' | 'recycled';
}

/**
 * Ends an upload session without completing it (contract 30 §1.4 / §1.8): the placeholder entity is
 * unlinked (capacity returned); a file row the session created and that holds nothing else is
 * deleted; the session row, its chunk records, the driver-side data and the upload lock go away.
 * Idempotent: a session already gone is a no-op.
 */
export async function cancelSession(ctx: Ctx, s: UploadSession, _opts: CancelOptions): Promise<void> {
  await inTx(ctx.db, async (trx) => {
    const live = await loadSession(trx, s.row.id);
    if (!live) return;
    await removePlaceholder(trx, live);
    await dropSession(trx, live.row.id);
  });
  runningHashes.forget(s.row.id);
  try {
    const policy = await loadPolicy(ctx, s.row.storage_policy_id);
    await driverFor(ctx, policy).abortUpload(s.state.handle);
  } catch (e) {
    ctx.log.warn('upload: could not discard upload data', { session: s.row.id, error: String((e as Error)?.message ?? e) });
  }
  if (s.state.lockToken) await fileManager(ctx).locks.release([s.state.lockToken]).catch(() => undefined);
}

async function removePlaceholder(trx: Tx, s: UploadSession): Promise<void> {
  if (s.row.file_id === null || s.row.entity_id === null) return;
  const file = await getById(trx, s.row.file_id);
  const entity = await trx.selectFrom('entities').selectAll().where('id', '=', s.row.entity_id).executeTakeFirst();
  if (!file) return; // the file was deleted meanwhile: its delete already unlinked the placeholder
  const linked = await trx.selectFrom('file_entities').select('entity_id').where('file_id', '=', file.id).execute();
  const isLinked = linked.some((l) => Number(l.entity_id) === s.row.entity_id);
  if (entity && isLinked) await entities.unlink(trx, [{ fileId: file.id, ownerId: file.owner_id, entity }]);
  const onlyPlaceholder = linked.every((l) => Number(l.entity_id) === s.row.entity_id);
  if (s.state.createdFile && onlyPlaceholder && file.primary_entity === null) {
    await deleteEmptyFileRow(trx, file.id);
    return;
  }
  if ((await metadata.getValue(trx, file.id, MetaKey.UploadSessionId)) === s.row.id) {
    await metadata.remove(trx, [file.id], [MetaKey.UploadSessionId, MetaKey.ThumbDisabled]);
  }
}

/** Deletes a file row that holds no entity (a never-completed upload target) and what hangs off it. */
async function deleteEmptyFileRow(trx: Tx, fileId: number): Promise<void> {
  await trx.deleteFrom('metadata').where('file_id', '=', fileId).execute();
  await trx.deleteFrom('direct_links').where('file_id', '=', fileId).execute();
  await trx.deleteFrom('shares').where('file_id', '=', fileId).execute();
  await trx.deleteFrom('files').where('id', '=', fileId).execute();
}
