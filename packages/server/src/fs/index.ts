/**
 * The file-system core — the API other modules (REST routes, uploads/downloads, WebDAV, share
 * pages, tasks) use. Nothing here knows about HTTP.
 *
 *   const fm = fileManager(ctx);                     // one per service context
 *
 * Resolving (URIs are `cloudreve://…` strings or FileUri; malformed → 40001):
 *   fm.navigator(user, uri)                          → Navigator of the URI's file system (401/403)
 *   fm.resolve(user, uri)                            → Resolved {nav, uri, file?, chain, missing, isRoot}
 *   fm.get(user, uri, {caps:[Cap.DownloadFile]})     → Existing (40016 missing, 403 capability)
 *   fm.getForMutation(user, uri, [Cap.X, …])         → Existing, also owner-only (40082), not root (403)
 *   fm.requireOwner(user, resolved)                  → 40082 unless requester owns it
 *
 * Creating (mkdir -p, name + policy rules, conflict rules, path lock):
 *   createObject(fm, user, uri, {type: FileType.File, onExisting: 'return'|'error', metadata, caps, lock, tokens})
 *     → CreateResult {…Existing, created}
 *
 * Entities and capacity (call inside one transaction: `inTx(ctx.db, async (trx) => …)`):
 *   entities.attachNew(db, trx, file, {type, source, size, policyId, createdBy, uploadSessionId}, now, {makePrimary})
 *                                                    → entity id; charges the file owner (40051)
 *   entities.setPrimary(trx, fileId, entityId, size, now)
 *   entities.unlink(trx, [{fileId, ownerId, entity}], {dropRows?}) → frees capacity, ref-count −1
 *   entities.ofFiles(trx, fileIds)                    → Map fileId → EntityRow[] (newest first)
 *   capacity.reserve(trx, userId, bytes) / capacity.release(trx, userId, bytes) / capacity.recalculate(ctx, userId)
 *
 * Deleting: deleteFiles(fm, user, uris, {skipSoftDelete, unlink}); purgeRows(fm, trx, ownerId, rows, {unlink})
 *   for an already-resolved subtree (upload cancel of a file this session created).
 *
 * Locks (state in KV, works across instances): fm.locks.acquire(ownerId, holderId, [LockRequest], {ttlSeconds, tokens})
 *   → LockHandle {tokens, release()}; fm.lockRequest(resolved, 'upload', 0) builds a request;
 *   fm.locks.confirm / refresh / release / list / get; conflicts → 40073 with ConflictDetail[] data.
 *
 * Metadata: metadata.validateMap(ctx, map) (40001), metadata.upsert/remove/loadPublic.
 * Serializing: serializeFiles / serializeOne(ctx, tx, nav, viewer, [{file, uri}]) → FileResponse.
 * New file systems: fm.registerNavigator('share', factory) with a Navigator implementation.
 */
export { FileManager, fileManager, ownerOnly, type Existing } from './core.ts';
export { Cap, FS_CAPABILITIES, requireCaps, notSupported, type CapBit } from './capability.ts';
export type { Navigator, Resolved, ListScope, SearchScope, NavigatorFactory } from './navigator.ts';
export { LockService, type LockApp, type LockRequest, type LockEntry, type LockHandle, type ConflictDetail } from './locks.ts';
export { createObject, type CreateOptions, type CreateResult } from './ops/create.ts';
export * as entities from './entities.ts';
export * as capacity from './capacity.ts';
export * as metadata from './metadata.ts';
export * as tree from './tree.ts';
export { inTx, isUniqueViolation } from './db-errors.ts';
export { serializeFiles, serializeOne, loadPolicies, type FileResponse, type WirePolicy } from './serialize.ts';
export { FileType, EntityType, MetaKey, type FileRow, type EntityRow, type Tx, type FsName } from './types.ts';
export { FileUri } from './uri.ts';
