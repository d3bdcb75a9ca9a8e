import type { UploadSessionRequest } from '@cloudreve-ts/protocol';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { Cap, requireCaps } from '../fs/capability.ts';
import { fileManager } from '../fs/core.ts';
import { inTx, isUniqueViolation } from '../fs/db-errors.ts';
import * as entities from '../fs/entities.ts';
import * as metadata from '../fs/metadata.ts';
import { assertPolicyAllowsName, assertValidName } from '../fs/names.ts';
import { createObject } from '../fs/ops/create.ts';
import { loadPolicies, type WirePolicy } from '../fs/serialize.ts';
import { insertFile, objectExists } from '../fs/tree.ts';
import { EntityType, FileType, MetaKey, type FileRow } from '../fs/types.ts';
import type { FileUri } from '../fs/uri.ts';
import type { LockHandle } from '../fs/locks.ts';
import { generateSavePath } from '../storage/keys.ts';
import { DEFAULT_CHUNK_SIZE, driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import { StorageError, type UploadHandle } from '../storage/driver.ts';
import { HashType } from '../util/hashid.ts';
import { randomString, uuid } from '../util/random.ts';
import { loadSession, type SessionState, type UploadSession } from './session-store.ts';
import { cancelSession } from './upload-cancel.ts';
import { transferSettings } from './settings.ts';
import { siteBaseUrl } from '../services/share-serialize.ts';

/** Body of PUT /file/upload (contract 30 §1.2). */
export type CreateUploadRequest = UploadSessionRequest;

/** UploadSessionResponse (contract 30 §1.2), local/relay flavour. */
export interface UploadSessionResponse {
  session_id: string;
  upload_id: string;
  chunk_size: number;
  expires: number;
  storage_policy?: WirePolicy;
  uri: string;
  callback_secret: string;
  /** Where the client sends chunks itself (remote node …); absent = this server. */
  upload_urls?: string[];
  credential?: string;
  completeURL?: string;
}

export interface CreateOptions {
  /** PUT /file/content: an existing file gets a new version without `entity_type`, missing ones are created. */
  forEdit?: boolean;
  /** Chunk size override (0 = one chunk), used by server-side uploads. */
  chunkSize?: number;
  /** Lock tokens the caller holds on the target (a WebDAV client's If-header tokens). */
  tokens?: string[];
  /**
   * The session id, chosen by the caller (server-side uploads): a task records it before the
   * session exists, so a task killed right after the creation still knows what to clean up.
   */
  sessionId?: string;
}

export const uploadOngoing = () => new AppError(Code.ConflictUploadOngoing, 'Upload session already exists for this file');

/**
 * Creates an upload session (contract 30 §1.2): validates the request, creates the target file (and
 * missing folders) or picks the existing one, charges the declared size against the owner's
 * capacity through a placeholder entity, takes the `upload` lock on the target and opens the
 * driver-side upload. File row, placeholder entity, `sys:upload_session_id` and the session row are
 * written in ONE transaction, so a crash leaves either all or nothing (an orphaned temp file at
 * most, which the sweeper removes).
 */
export async function createUploadSession(ctx: Ctx, user: CurrentUser, req: CreateUploadRequest, opts: CreateOptions = {}): Promise<UploadSession> {
  const fm = fileManager(ctx);
  const metaPatches = metadata.validateMap(ctx, req.metadata);
  if (req.policy_id && ctx.hashids.decode(req.policy_id, HashType.Policy) === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  if (!Number.isSafeInteger(req.size) || req.size < 0) throw new AppError(Code.ParamErr, 'Size is invalid');
  const uri = fm.parse(req.uri).withoutQuery();
  const nav = await fm.navigator(user, uri);
  requireCaps(nav.caps, Cap.UploadFile, Cap.LockFile);
  if (uri.isRoot) throw objectExists();
  assertValidName(uri.name);
  const entityType = req.entity_type === 'live_photo' ? EntityType.LivePhoto : EntityType.Version;

  const r = await nav.resolve(ctx.db.kysely, uri);
  fm.requireOwner(user, r);
  if (r.file) {
    if (Number(r.file.type) !== FileType.File) throw objectExists();
    await refuseOrClearExistingSession(ctx, r.file);
    if (!req.entity_type && !opts.forEdit) throw objectExists();
  } else {
    if (entityType === EntityType.LivePhoto) throw new AppError(Code.ParentNotExist, 'Live photo target does not exist');
    const parent = r.chain[r.chain.length - 1];
    if (parent && r.missing.length === 1 && Number(parent.type) !== FileType.Folder) throw objectExists();
    if (parent && (await metadata.getValue(ctx.db.kysely, parent.id, MetaKey.SharedRedirect)) !== undefined) {
      throw new AppError(Code.NoPermission, 'Symbolic folder cannot be walked into');
    }
  }

  const policy = await loadPolicy(ctx, nav.owner.group.storage_policy_id);
  const settings = policySettings(policy);
  const driver = driverFor(ctx, policy);
  assertPolicyAllowsName(uri.name, settings);
  if (Number(policy.max_size) > 0 && req.size > Number(policy.max_size)) throw new AppError(Code.FileTooLarge, 'File is too large');

  const ts = transferSettings(ctx);
  let lock: LockHandle;
  try {
    lock = await fm.locks.acquire(nav.owner.row.id, user.row.id, [fm.lockRequest(r, 'upload', 0)], { ttlSeconds: ts.uploadSessionTimeout, waitMs: 2000, tokens: opts.tokens });
  } catch (e) {
    // Another upload of the same path holds the lock: report it as the upload conflict it is.
    const data = e instanceof AppError ? (e.options.data as { owner?: { application?: { type?: string } } }[] | undefined) : undefined;
    if (e instanceof AppError && e.code === Code.LockConflict && data?.every((d) => d.owner?.application?.type === 'upload')) throw uploadOngoing();
    throw e;
  }

  let handle: UploadHandle | undefined;
  try {
    // Missing parent folders first (mkdir -p through the core), then the file itself below.
    let parent: FileRow = r.chain[r.chain.length - 1]!;
    if (!r.file && r.missing.length > 1) {
      const created = await createObject(fm, user, uri.parent(), { type: FileType.Folder, lock: false });
      parent = created.file;
    }
    const id = opts.sessionId ?? uuid();
    const now = ctx.now();
    const chunkSize = opts.chunkSize ?? Math.max(0, Number(settings.chunk_size ?? DEFAULT_CHUNK_SIZE));
    const callbackSecret = randomString(32);
    const expiresAt = now + ts.uploadSessionTimeout * 1000;
    // Backends that take browser uploads themselves (remote nodes) report completion here; relayed
    // uploads are completed by this server on the last chunk instead.
    const relay = !driver.capabilities.serverSideUpload && !!settings.relay;
    const callbackUrl = driver.presignUpload && !relay ? `${siteBaseUrl(ctx)}/api/v4/callback/${policy.type}/${id}/${callbackSecret}` : undefined;
    const folderPath = '/' + uri.elements.slice(0, -1).join('/');
    let key = generateSavePath({ dirRule: policy.dir_name_rule, fileRule: policy.file_name_rule, userId: nav.owner.row.id, folderPath, originName: uri.name, now });
    try {
      // Rules without a random part give a new version the key of the old one: never share a blob key.
      if (await driver.stat(key)) key = uniqueKey(key);
      // Relayed cloud uploads arrive in one request (contract 30 §1.5: chunk_size forced to 0).
      const relayed = relay || (!!settings.relay && policy.type !== 'local');
      const effectiveChunk = relayed || chunkSize >= req.size ? 0 : chunkSize;
      handle = await driver.createUpload({ id, key, size: req.size, chunkSize: effectiveChunk, contentType: req.mime_type, expiresAt, callbackUrl });
    } catch (e) {
      if (e instanceof StorageError && e.kind === 'invalid_key') throw new AppError(Code.IllegalObjectName, 'This name cannot be stored by the storage policy');
      // A storage backend that cannot be reached (a remote node that is down) is not an internal error.
      if (e instanceof StorageError && e.kind === 'io') throw new AppError(Code.IOFailed, 'Storage backend unavailable', { cause: e });
      throw e;
    }
    const state: SessionState = {
      handle, entityType, createdFile: !r.file, callbackSecret, lockToken: lock.tokens[0], lockPath: fm.lockRequest(r, 'upload').path,
    };
    if (req.last_modified && Number.isSafeInteger(req.last_modified) && req.last_modified > 0) state.lastModified = req.last_modified;
    if (req.mime_type) state.mimeType = req.mime_type;
    const userMeta = metaPatches.filter((p) => !p.remove);
    if (userMeta.length) state.metadata = Object.fromEntries(userMeta.map((p) => [p.key, p.value ?? '']));

    const session = await inTx(ctx.db, async (trx) => {
      let file = r.file;
      if (!file) {
        try {
          file = await insertFile(ctx.db, trx, { type: FileType.File, name: uri.name, ownerId: parent.owner_id, parentId: parent.id, policyId: policy.id, now });
        } catch (e) {
          if (e instanceof AppError && e.code === Code.ObjectExist) throw await sameNameConflict(ctx, parent.id, uri.name);
          throw e;
        }
        if (userMeta.length) await metadata.upsert(trx, [file.id], userMeta.map((p) => ({ key: p.key, value: p.value ?? '' })), now);
      }
      const entityId = await entities.attachNew(ctx.db, trx, file, {
        type: entityType, source: key, size: req.size, policyId: policy.id, createdBy: user.row.id, uploadSessionId: id,
      }, now);
      await metadata.upsert(trx, [file.id], [{ key: MetaKey.UploadSessionId, value: id }], now);
      const row = {
        id, owner_id: user.row.id, file_id: file.id, entity_id: entityId, uri: uri.toString(), name: uri.name, size: req.size,
        chunk_size: handle!.chunkSize, storage_policy_id: policy.id, reserved: req.size, state: JSON.stringify(state),
        expires_at: expiresAt, created_at: now, committing_at: null,
      };
      try {
        await trx.insertInto('upload_sessions').values(row).execute();
      } catch (e) {
        if (isUniqueViolation(e)) throw uploadOngoing();
        throw e;
      }
      return { row, state } satisfies UploadSession;
    });
    return session;
  } catch (e) {
    if (handle) await driver.abortUpload(handle).catch(() => undefined);
    await lock.release().catch(() => undefined);
    throw e;
  }
}

/** `dir/name` → `dir/<random>_name`. */
function uniqueKey(key: string): string {
  const i = key.lastIndexOf('/');
  return `${key.slice(0, i + 1)}${randomString(8)}_${key.slice(i + 1)}`;
}

/** A same-name sibling appeared concurrently: 40054 when it is being uploaded, 40004 otherwise. */
async function sameNameConflict(ctx: Ctx, parentId: number, name: string): Promise<AppError> {
  const other = await ctx.db.kysely.selectFrom('files').select('id').where('parent_id', '=', parentId).where('name', '=', name).executeTakeFirst();
  if (other) {
    const s = await ctx.db.kysely.selectFrom('upload_sessions').select('id').where('file_id', '=', Number(other.id)).executeTakeFirst();
    if (s) return uploadOngoing();
  }
  return objectExists();
}

/**
 * An existing target with an upload in flight → 40054. A session that already expired is cleared
 * first (placeholder removed, capacity returned), so a new upload can replace it.
 */
async function refuseOrClearExistingSession(ctx: Ctx, file: FileRow): Promise<void> {
  const row = await ctx.db.kysely.selectFrom('upload_sessions').select(['id', 'expires_at', 'committing_at']).where('file_id', '=', file.id).executeTakeFirst();
  if (!row) return;
  if (Number(row.expires_at) > ctx.now() || row.committing_at !== null) throw uploadOngoing();
  const s = await loadSession(ctx.db.kysely, row.id);
  if (s) await cancelSession(ctx, s, { reason: 'replaced' });
}

/** The wire response for a session. */
export async function sessionResponse(ctx: Ctx, s: UploadSession): Promise<UploadSessionResponse> {
  const policies = await loadPolicies(ctx, ctx.db.kysely, [s.row.storage_policy_id]);
  const out: UploadSessionResponse = {
    session_id: s.row.id,
    // The multipart upload id of cloud policies (S3 family); "" otherwise.
    upload_id: typeof s.state.handle.state.uploadId === 'string' ? s.state.handle.state.uploadId : '',
    chunk_size: s.row.chunk_size,
    expires: Math.floor(s.row.expires_at / 1000),
    uri: s.row.uri,
    callback_secret: s.state.callbackSecret,
  };
  const p = policies.get(s.row.storage_policy_id);
  if (p) out.storage_policy = p;
  const policy = await loadPolicy(ctx, s.row.storage_policy_id);
  const driver = driverFor(ctx, policy);
  if (driver.presignUpload && !(!driver.capabilities.serverSideUpload && policySettings(policy).relay)) {
    const signed = await driver.presignUpload(s.state.handle, { expiresAt: Math.floor(s.row.expires_at / 1000) });
    out.upload_urls = signed.urls;
    if (signed.credential) out.credential = signed.credential;
    if (signed.completeUrl) out.completeURL = signed.completeUrl;
  }
  return out;
}

export type { FileUri };
