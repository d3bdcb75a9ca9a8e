import { Cap, requireCaps } from '../../fs/capability.ts';
import type { Existing } from '../../fs/core.ts';
import { inTx } from '../../fs/db-errors.ts';
import * as metadata from '../../fs/metadata.ts';
import { assertPolicyAllowsName, assertValidName, fileExtension, type PolicyNameSettings } from '../../fs/names.ts';
import { createObject } from '../../fs/ops/create.ts';
import { softDelete } from '../../fs/ops/delete.ts';
import { copyTrees } from '../../fs/ops/move.ts';
import { insertFile, isSelfOrDescendant, moveRow } from '../../fs/tree.ts';
import { FileType, MetaKey, type FileRow } from '../../fs/types.ts';
import { loadPolicy, policySettings } from '../../storage/policies.ts';
import {
  existing, hidesSystemFiles, isFolder, isSystemFileName, lockPathAt, lockReq, refuseSystemFile, requireParentFolder, resolveAt, uriAt,
  type DavContext,
} from '../context.ts';
import { announcesBody } from '../body.ts';
import { DavError } from '../errors.ts';
import { dropLocksBelow, effectiveTokens, evaluateIf, requireWritable } from '../locking.ts';
import { parseDestination } from '../paths.ts';
import { header, type DavReply, type DavRequest } from '../types.ts';

/** Tokens the request proves it holds, for writes touching `paths` (412 when the If header fails). */
async function tokensFor(dc: DavContext, req: DavRequest, paths: (readonly string[])[]): Promise<string[]> {
  const { tokens } = await evaluateIf(dc, header(req.headers, 'if'), req.elements);
  return effectiveTokens(dc, tokens, paths.map((p) => lockPathAt(dc, p)));
}

const hiddenGone = (dc: DavContext, elements: readonly string[]) =>
  hidesSystemFiles(dc) && elements.length > 0 && isSystemFileName(elements[elements.length - 1]!);

/** MKCOL (RFC 4918 §9.3): 201; body → 415; exists → 405; missing parent → 409. */
export async function mkcol(dc: DavContext, req: DavRequest): Promise<DavReply> {
  if (announcesBody(req.headers)) throw new DavError(415, 'MKCOL does not take a request body');
  if (!req.elements.length) throw new DavError(405, 'The root collection exists');
  refuseSystemFile(dc, req.elements[req.elements.length - 1]!);
  const r = await resolveAt(dc, req.elements);
  if (r.file) throw new DavError(405, 'Resource already exists');
  requireParentFolder(r);
  const tokens = await tokensFor(dc, req, [req.elements]);
  await requireWritable(dc, [lockReq(dc, r, 'create', 0)], tokens);
  await createObject(dc.fm, dc.user, uriAt(dc, req.elements), { type: FileType.Folder, onExisting: 'error', tokens });
  return { status: 201 };
}

/** DELETE: moves the resource to the trash (contract 50 §2.3) and drops the locks below it; 204. */
export async function del(dc: DavContext, req: DavRequest): Promise<DavReply> {
  if (!req.elements.length) throw new DavError(403, 'The root collection cannot be deleted');
  const depth = header(req.headers, 'depth');
  if (depth !== undefined && depth.trim().toLowerCase() !== 'infinity') throw new DavError(400, 'DELETE needs Depth: infinity');
  const r = await resolveAt(dc, req.elements);
  existing(r);
  if (hiddenGone(dc, req.elements)) throw new DavError(404, 'Not found');
  const tokens = await tokensFor(dc, req, [req.elements]);
  await requireWritable(dc, [lockReq(dc, r, 'softDelete', 'infinity')], tokens);
  const target = await dc.fm.getForMutation(dc.user, r.uri, [Cap.SoftDelete]);
  await softDelete(dc.fm, dc.user, target, { tokens });
  await dropLocksBelow(dc, req.elements);
  return { status: 204 };
}

function parseOverwrite(v: string | undefined): boolean {
  if (v === undefined) return true;
  const s = v.trim().toUpperCase();
  if (s === 'T') return true;
  if (s === 'F') return false;
  throw new DavError(400, 'Overwrite must be T or F');
}

async function ownerPolicyRules(dc: DavContext): Promise<PolicyNameSettings> {
  return policySettings(await loadPolicy(dc.ctx, dc.nav.owner.group.storage_policy_id)) as PolicyNameSettings;
}

/**
 * COPY and MOVE (RFC 4918 §9.8–9.9; contract 50 §2.3 with CE's COPY quirk fixed): one step into
 * the destination's parent under the destination's name, honouring Depth and Overwrite (an
 * overwritten destination goes to the trash). 201 when the destination was new, 204 when replaced.
 */
export async function copyMove(dc: DavContext, req: DavRequest, copy: boolean): Promise<DavReply> {
  const ctx = dc.ctx;
  const dst = parseDestination(header(req.headers, 'destination'), dc.host);
  const depthRaw = header(req.headers, 'depth')?.trim().toLowerCase();
  const depth = depthRaw === undefined || depthRaw === 'infinity' ? 'infinity' : depthRaw === '0' && copy ? '0' : undefined;
  if (!depth) throw new DavError(400, copy ? 'COPY takes Depth 0 or infinity' : 'MOVE needs Depth: infinity');
  const overwrite = parseOverwrite(header(req.headers, 'overwrite'));
  if (!req.elements.length) throw new DavError(403, 'The root collection cannot be moved or copied');
  if (!dst.length) throw new DavError(403, 'The root collection cannot be replaced');

  const sr = await resolveAt(dc, req.elements);
  const srcFile = existing(sr);
  if (hiddenGone(dc, req.elements)) throw new DavError(404, 'Not found');
  const same = dst.length === req.elements.length && dst.every((s, i) => s === req.elements[i]);
  if (same) throw new DavError(403, 'Source and destination are the same resource');
  const dstName = dst[dst.length - 1]!;
  refuseSystemFile(dc, dstName);
  assertValidName(dstName);
  if (Number(srcFile.type) === FileType.File) assertPolicyAllowsName(dstName, await ownerPolicyRules(dc));

  const dr = await resolveAt(dc, dst);
  if (dr.file && !overwrite) throw new DavError(412, 'Destination exists and Overwrite is F');
  const dstParent: FileRow | undefined = dr.file ? dr.chain[dr.chain.length - 2] : requireParentFolder(dr);
  if (!dstParent || !isFolder(dstParent)) throw new DavError(409, 'Destination parent is not a collection');
  requireCaps(dr.nav.caps, Cap.CreateFile, Cap.LockFile);
  dc.fm.requireOwner(dc.user, dr);
  if ((await metadata.getValue(ctx.db.kysely, dstParent.id, MetaKey.SharedRedirect)) !== undefined) {
    throw new DavError(403, 'Cannot write into a shortcut folder');
  }
  if (isFolder(srcFile) && (await isSelfOrDescendant(ctx.db.kysely, srcFile.id, dstParent.id))) {
    throw new DavError(403, 'Cannot move or copy a collection into itself');
  }
  if (dr.file && (await isSelfOrDescendant(ctx.db.kysely, dr.file.id, srcFile.id))) {
    throw new DavError(403, 'Cannot replace an ancestor of the source');
  }

  const src: Existing = copy
    ? await dc.fm.get(dc.user, sr.uri, { caps: [Cap.DownloadFile] })
    : await dc.fm.getForMutation(dc.user, sr.uri, [Cap.RenameFile, Cap.LockFile]);
  const tokens = await tokensFor(dc, req, [req.elements, dst]);
  const reqs = [lockReq(dc, dr, 'moveCopy', 'infinity')];
  if (!copy) reqs.push(lockReq(dc, sr, 'moveCopy', 'infinity'));
  await requireWritable(dc, reqs, tokens);

  if (dr.file) {
    const victim = await dc.fm.getForMutation(dc.user, dr.uri, [Cap.SoftDelete]);
    await softDelete(dc.fm, dc.user, victim, { tokens });
    await dropLocksBelow(dc, dst);
  }

  await dc.fm.withLocks(dc.user, dc.nav, reqs, async () => {
    const now = ctx.now();
    if (!copy) {
      const cur = await dc.fm.revalidate(src);
      await inTx(ctx.db, async (trx) => {
        await moveRow(trx, cur.file.id, dstParent.id, dstName, now, { parentId: cur.file.parent_id, name: cur.file.name });
        if (fileExtension(dstName) !== fileExtension(cur.file.name)) await metadata.remove(trx, [cur.file.id], [MetaKey.ThumbDisabled]);
      });
      return;
    }
    await inTx(ctx.db, async (trx) => {
      if (depth === 'infinity' || !isFolder(src.file)) {
        await copyTrees(dc.fm, trx, dc.user, [{ ...src.file, name: dstName }], dstParent, now);
        return;
      }
      const folder = await insertFile(ctx.db, trx, {
        type: FileType.Folder, name: dstName, ownerId: dstParent.owner_id, parentId: dstParent.id, policyId: null, props: src.file.props, now,
      });
      await metadata.copyAll(trx, [[src.file.id, folder.id]], now);
      await metadata.remove(trx, [folder.id], [MetaKey.UploadSessionId, MetaKey.RestoreUri, MetaKey.ExpectedCollectTime]);
    });
  }, tokens);

  if (!copy) await dropLocksBelow(dc, req.elements);
  return { status: dr.file ? 204 : 201 };
}
