import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import type { CurrentUser } from '../services/users.ts';
import { AppError } from '../http/errors.ts';
import { inTx, isUniqueViolation } from '../fs/db-errors.ts';
import { StorageError } from '../storage/driver.ts';
import { driverFor, loadPolicy, policySettings } from '../storage/policies.ts';
import { chunkWriteId } from '../util/boot-id.ts';
import { chunkLength, loadSession, type UploadSession } from './session-store.ts';
import { runningHashes } from './hashes.ts';
import { allChunksStored, commitSession, uploadExpired, type CommitResult } from './upload-commit.ts';
import { uploadOngoing } from './upload-create.ts';

export interface ChunkRequest {
  sessionId: string;
  index: number;
  body: Readable;
  /** Content-Length, or X-Expected-Entity-Length for streamed bodies; undefined when neither was sent. */
  declaredLength: number | undefined;
  /** Raw `Content-Digest` header (RFC 9530), optional. */
  contentDigest?: string;
}

export interface ChunkResult {
  /** Set when this chunk completed the upload. */
  committed?: CommitResult;
}

/**
 * Parses the sha-256 member of a Content-Digest header: `sha-256=:<base64>:` (other algorithms
 * are ignored, RFC 9530 §2). undefined when the header has no sha-256; 40001 when it is malformed.
 */
export function parseContentDigest(header: string | undefined): Buffer | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  for (const member of header.split(',')) {
    const m = /^\s*([A-Za-z0-9*_.-]+)\s*=\s*(.*?)\s*$/.exec(member);
    if (!m) throw new AppError(Code.ParamErr, 'Malformed Content-Digest header');
    if (m[1]!.toLowerCase() !== 'sha-256') continue;
    const v = /^:([A-Za-z0-9+/]*={0,2}):$/.exec(m[2]!);
    const bytes = v ? Buffer.from(v[1]!, 'base64') : undefined;
    if (!bytes || bytes.length !== 32) throw new AppError(Code.ParamErr, 'Malformed sha-256 Content-Digest');
    return bytes;
  }
  return undefined;
}

/** Session of `user` that can still take chunks; 40011 otherwise (also for another user's session). */
export async function liveSessionOf(ctx: Ctx, user: CurrentUser, sessionId: string): Promise<UploadSession> {
  const s = await loadSession(ctx.db.kysely, sessionId);
  if (!s || user.anonymous || s.row.owner_id !== user.row.id || s.row.expires_at <= ctx.now()) throw uploadExpired();
  return s;
}

/**
 * Stores one chunk of a local/relay upload (contract 30 §1.3) at `index * chunk_size`, streaming
 * the body to the driver with its length enforced here (the raw body bypasses Fastify's limit).
 * A chunk may be sent again; it replaces the earlier bytes. When the last missing chunk arrives
 * the upload is committed before this returns.
 */
export async function uploadChunk(ctx: Ctx, user: CurrentUser, req: ChunkRequest): Promise<ChunkResult> {
  const s = await liveSessionOf(ctx, user, req.sessionId);
  if (s.row.committing_at !== null) throw uploadOngoing();
  const policy = await loadPolicy(ctx, s.row.storage_policy_id);
  const driver = driverFor(ctx, policy);
  if (!driver.capabilities.serverSideUpload && !policySettings(policy).relay) throw new AppError(Code.PolicyNotAllowed, 'Storage policy does not accept uploads through this server');

  const { size, chunk_size: chunkSize } = s.row;
  const index = req.index;
  if (!Number.isSafeInteger(index) || index < 0) throw new AppError(Code.InvalidChunkIndex, 'Invalid chunk index');
  if (chunkSize === 0 && index > 0) throw new AppError(Code.InvalidChunkIndex, 'Invalid chunk index');
  if (chunkSize > 0 && index > 0 && index * chunkSize >= size) throw new AppError(Code.InvalidChunkIndex, 'Invalid chunk index');
  const expected = chunkLength(s.row, index);
  if (req.declaredLength !== expected) throw new AppError(Code.InvalidContentLength, `Invalid Content-Length (expected: ${expected})`);
  const wantDigest = parseContentDigest(req.contentDigest);

  const offset = index * chunkSize;
  const feeder = runningHashes.begin(s.row.id, offset);
  const chunkHash: Hash | undefined = wantDigest ? createHash('sha256') : undefined;
  let received = 0;
  // Pulled lazily by the driver, so nothing flows (and nothing can fail unobserved) before it reads.
  // The request stream is not destroyed when the driver stops early: the error reply still goes out.
  async function* tapped(): AsyncGenerator<Buffer> {
    for await (const piece of req.body.iterator({ destroyOnReturn: false })) {
      const buf = piece as Buffer;
      received += buf.length;
      if (received > expected) throw new AppError(Code.InvalidContentLength, `Invalid Content-Length (expected: ${expected})`);
      feeder?.update(buf);
      chunkHash?.update(buf);
      yield buf;
    }
  }
  // Tagged with the OS boot, so a commit can tell chunks that predate a system crash (upload-commit.ts).
  const writeId = chunkWriteId();
  try {
    await driver.writeChunk(s.state.handle, { index, offset, length: expected, body: tapped() });
    if (wantDigest && !chunkHash!.digest().equals(wantDigest)) {
      throw new AppError(Code.MetaMismatch, 'Chunk digest mismatch: Content-Digest does not match the received bytes');
    }
  } catch (e) {
    feeder?.done(false, index, expected, writeId);
    if (e instanceof AppError) throw e;
    if (received > expected) throw new AppError(Code.InvalidContentLength, `Invalid Content-Length (expected: ${expected})`);
    if (e instanceof StorageError && e.kind === 'not_found') throw uploadExpired();
    if (received < expected) throw new AppError(Code.IOFailed, `Chunk incomplete: received ${received} of ${expected} bytes`, { cause: e });
    throw new AppError(Code.IOFailed, 'Cannot store chunk', { cause: e });
  }
  feeder?.done(true, index, expected, writeId);

  const stillLive = await inTx(ctx.db, async (trx) => {
    const live = await trx.selectFrom('upload_sessions').select(['id', 'committing_at']).where('id', '=', s.row.id).executeTakeFirst();
    if (!live) return false;
    const now = ctx.now();
    const updated = await trx.updateTable('upload_chunks').set({ size: expected, write_id: writeId, created_at: now })
      .where('session_id', '=', s.row.id).where('idx', '=', index).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      try {
        await trx.insertInto('upload_chunks').values({ session_id: s.row.id, idx: index, size: expected, write_id: writeId, created_at: now }).execute();
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        throw new AppError(Code.ConflictUploadOngoing, 'The same chunk is being uploaded concurrently');
      }
    }
    return true;
  });
  if (!stillLive) throw uploadExpired();

  if (!(await allChunksStored(ctx.db.kysely, s))) return {};
  const committed = await commitSession(ctx, s);
  return committed ? { committed } : {};
}
