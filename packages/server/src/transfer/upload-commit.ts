import { createHash } from 'node:crypto';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { AppError } from '../http/errors.ts';
import { fileManager } from '../fs/core.ts';
import { inTx } from '../fs/db-errors.ts';
import * as entities from '../fs/entities.ts';
import * as metadata from '../fs/metadata.ts';
import { getById } from '../fs/tree.ts';
import { EntityType, MetaKey, type EntityRow, type FileRow, type Tx } from '../fs/types.ts';
import { isNotFound, StorageError, type StorageDriver } from '../storage/driver.ts';
import { driverFor, loadPolicy } from '../storage/policies.ts';
import type { UserSettings } from '../services/users.ts';
import { parseJson } from '../util/json.ts';
import { faultPoint } from '../util/fault.ts';
import { writtenThisBoot } from '../util/boot-id.ts';
import { chunkCount, dropSession, loadSession, type UploadSession } from './session-store.ts';
import { runningHashes } from './hashes.ts';
import { cancelSession } from './upload-cancel.ts';
import { queueThumbnail } from './thumb-queue.ts';
import { kickThumbnails } from './background.ts';

/** How long a commit claim protects a session from a second committer (refreshed while hashing). */
const LEASE_SECONDS = 30;
const leaseKey = (id: string) => `upload_commit_${id}`;

export const uploadExpired = (msg = 'Upload session expired') => new AppError(Code.UploadSessionExpired, msg);

export interface CommitResult { file: FileRow; entityId: number }

/** True when every chunk of the session has been stored. */
export async function allChunksStored(tx: Tx, s: UploadSession): Promise<boolean> {
  const r = await tx.selectFrom('upload_chunks').select((eb) => eb.fn.countAll<number>().as('n')).where('session_id', '=', s.row.id).executeTakeFirst();
  return Number(r?.n ?? 0) >= chunkCount(s.row);
}

/**
 * Completes an upload whose chunks are all stored (contract 30 §1.6): the blob is published under
 * its key by the driver (fsync + link/rename for local), its SHA-256 recorded, and then ONE
 * transaction turns the placeholder into the file's content — entity, file size/primary version,
 * metadata, version retention, thumbnail job and session removal. Capacity was charged when the
 * session was created, so it does not change.
 *
 * Exactly one caller commits a session: the claim is a KV lease plus `committing_at`. A process
 * that dies mid-commit leaves `committing_at` set and the lease expiring; `recoverCommit` (startup
 * and sweeper) finishes the job — every step is repeatable (the driver's completion is idempotent).
 * Returns undefined when someone else holds the claim.
 */
export async function commitSession(ctx: Ctx, s: UploadSession): Promise<CommitResult | undefined> {
  if (!(await ctx.kv.setIfAbsent(leaseKey(s.row.id), 1, LEASE_SECONDS))) return undefined;
  try {
    const claimed = await ctx.db.kysely.updateTable('upload_sessions').set({ committing_at: ctx.now() })
      .where('id', '=', s.row.id).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) throw uploadExpired();
    return await finish(ctx, s);
  } finally {
    await ctx.kv.delete(leaseKey(s.row.id)).catch(() => undefined);
  }
}

/** Finishes an interrupted commit (the session has `committing_at` set and nobody holds the lease). */
export async function recoverCommit(ctx: Ctx, id: string): Promise<'done' | 'busy' | 'gone' | 'failed'> {
  if (!(await ctx.kv.setIfAbsent(leaseKey(id), 1, LEASE_SECONDS))) return 'busy';
  try {
    const s = await loadSession(ctx.db.kysely, id);
    if (!s) return 'gone';
    await finish(ctx, s);
    return 'done';
  } catch (e) {
    ctx.log.warn('upload: interrupted commit could not be finished', { session: id, error: String((e as Error)?.message ?? e) });
    return 'failed';
  } finally {
    await ctx.kv.delete(leaseKey(id)).catch(() => undefined);
  }
}

async function finish(ctx: Ctx, s: UploadSession): Promise<CommitResult> {
  const policy = await loadPolicy(ctx, s.row.storage_policy_id);
  const driver = driverFor(ctx, policy);
  const chunks = await ctx.db.kysely.selectFrom('upload_chunks').select(['idx', 'write_id']).where('session_id', '=', s.row.id).execute();
  if (driver.capabilities.chunksSurviveOsCrash === false) await refuseChunksFromEarlierBoot(ctx, s, chunks);
  let sha256: string | undefined;
  try {
    // Bytes a client sent straight to a bucket never passed through us: reading them all back just
    // to hash them would double the transfer, so such blobs have no recorded digest (like CE).
    sha256 = runningHashes.take(s.row.id, s.row.size, chunks) ?? reportedDigest(s)
      ?? (driver.capabilities.serverSideUpload || !driver.presignUpload ? await hashStored(ctx, driver, s) : undefined);
    faultPoint('upload-commit-before-publish');
    await driver.completeUpload(s.state.handle);
  } catch (e) {
    if (e instanceof StorageError && (e.kind === 'not_found' || e.kind === 'size_mismatch' || e.kind === 'conflict')) {
      // The data is gone or unusable: fail the session cleanly (placeholder removed, capacity returned).
      await cancelSession(ctx, s, { reason: 'failed' });
      throw new AppError(Code.IOFailed, 'Upload data could not be completed', { cause: e });
    }
    throw e;
  }
  faultPoint('upload-commit-after-publish');

  const result = await inTx(ctx.db, async (trx) => {
    const live = await loadSession(trx, s.row.id);
    if (!live) throw uploadExpired();
    const file = live.row.file_id === null ? undefined : await getById(trx, live.row.file_id);
    const entity = live.row.entity_id === null ? undefined
      : await trx.selectFrom('entities').selectAll().where('id', '=', live.row.entity_id).executeTakeFirst();
    if (!file || !entity || Number(entity.reference_count) <= 0) {
      // The target was deleted while uploading: nothing to attach the blob to; the recycler removes it.
      await dropSession(trx, live.row.id);
      return undefined;
    }
    const now = ctx.now();
    const stamp = live.state.lastModified ?? now;
    const props = { ...parseJson<Record<string, unknown>>(entity.props, {}), ...(sha256 ? { sha256 } : {}) };
    await trx.updateTable('entities').set({ upload_session_id: null, props: JSON.stringify(props), updated_at: stamp })
      .where('id', '=', entity.id).execute();
    if (Number(entity.type) === EntityType.Version) {
      await entities.setPrimary(trx, file.id, entity.id, Number(entity.size), stamp);
      await applyRetention(ctx, trx, file, entity.id);
    }
    await metadata.remove(trx, [file.id], [MetaKey.UploadSessionId, MetaKey.ThumbDisabled]);
    if (live.state.metadata && Object.keys(live.state.metadata).length) {
      await metadata.upsert(trx, [file.id], Object.entries(live.state.metadata).map(([key, value]) => ({ key, value })), now);
    }
    if (Number(entity.type) === EntityType.Version) await queueThumbnail(ctx, trx, file, entity.id);
    await dropSession(trx, live.row.id);
    return { file: (await getById(trx, file.id))!, entityId: entity.id };
  });
  if (s.state.lockToken) await fileManager(ctx).locks.release([s.state.lockToken]).catch(() => undefined);
  kickThumbnails(ctx);
  if (!result) throw new AppError(Code.ParentNotExist, 'Upload target no longer exists');
  return result;
}

/**
 * Chunks the driver stored without fsync during an earlier OS boot may have been lost in the crash
 * or power cut that ended it. They are forgotten (so a resumed upload sends them again) and the
 * commit is refused with a clear message, instead of publishing a file that may contain holes.
 */
async function refuseChunksFromEarlierBoot(ctx: Ctx, s: UploadSession, chunks: { idx: number; write_id: string }[]): Promise<void> {
  const stale = chunks.filter((c) => !writtenThisBoot(c.write_id)).map((c) => Number(c.idx));
  if (stale.length === 0) return;
  await inTx(ctx.db, async (trx) => {
    await trx.deleteFrom('upload_chunks').where('session_id', '=', s.row.id).where('idx', 'in', stale).execute();
    await trx.updateTable('upload_sessions').set({ committing_at: null }).where('id', '=', s.row.id).execute();
  });
  throw new AppError(Code.IOFailed, `The server restarted after chunks ${stale.join(', ')} were received and they may not have reached the disk; upload them again`);
}

/** The digest the backend reported for this upload (a remote node's callback), if any. */
function reportedDigest(s: UploadSession): string | undefined {
  const d = s.state.handle.state.sha256;
  return typeof d === 'string' && /^[0-9a-f]{64}$/.test(d) ? d : undefined;
}

/** SHA-256 of the uploaded bytes, read from the driver (the in-progress upload, or the published blob after a crash). */
async function hashStored(ctx: Ctx, driver: StorageDriver, s: UploadSession): Promise<string> {
  const refresh = setInterval(() => void ctx.kv.set(leaseKey(s.row.id), 1, LEASE_SECONDS).catch(() => undefined), (LEASE_SECONDS * 1000) / 3);
  try {
    let stream;
    try {
      if (!driver.readUpload) throw new StorageError('not_found', 'no readable upload');
      stream = await driver.readUpload(s.state.handle);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      stream = await driver.get(s.state.handle.key);
    }
    const h = createHash('sha256');
    for await (const chunk of stream) h.update(chunk as Buffer);
    return h.digest('hex');
  } finally {
    clearInterval(refresh);
  }
}

/**
 * Version retention (contract 30 §1.6 step 5): keep only the new version unless the owner enabled
 * retention for this extension, then at most `version_retention_max` (0 = unlimited). Older
 * versions and all thumbnails are unlinked (capacity returned; blobs recycled at reference 0).
 */
async function applyRetention(ctx: Ctx, trx: Tx, file: FileRow, newEntityId: number): Promise<void> {
  const all = (await entities.ofFiles(trx, [file.id])).get(file.id) ?? [];
  const owner = await trx.selectFrom('users').select('settings').where('id', '=', file.owner_id).executeTakeFirst();
  const us = parseJson<UserSettings>(owner?.settings, {});
  const ext = file.name.includes('.') ? file.name.slice(file.name.lastIndexOf('.') + 1).toLowerCase() : '';
  const exts = (us.version_retention_ext ?? []).map((e) => String(e).toLowerCase().replace(/^\./, ''));
  const retain = us.version_retention && (exts.length === 0 || exts.includes(ext));
  const max = retain ? Math.max(0, Number(us.version_retention_max ?? 0)) : 1;
  const versions = all.filter((e) => Number(e.type) === EntityType.Version && !e.upload_session_id && e.id !== newEntityId)
    .sort((a, b) => Number(b.id) - Number(a.id));
  const keepOthers = max === 0 ? versions.length : Math.max(0, max - 1);
  const drop: EntityRow[] = [...versions.slice(keepOthers), ...all.filter((e) => Number(e.type) === EntityType.Thumbnail)];
  if (drop.length) await entities.unlink(trx, drop.map((entity) => ({ fileId: file.id, ownerId: file.owner_id, entity })));
}
