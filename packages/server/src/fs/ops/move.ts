import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser } from '../../services/users.ts';
import { AppError, batchError } from '../../http/errors.ts';
import { Cap, notSupported } from '../capability.ts';
import { isItemError, type Existing, type FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as entities from '../entities.ts';
import * as metadata from '../metadata.ts';
import type { LockRequest } from '../locks.ts';
import { symbolicWalk } from '../navigators/my.ts';
import { chunks, insertFile, isSelfOrDescendant, moveRow, objectExists, pathNotExist, walkSubtree } from '../tree.ts';
import { FileUri } from '../uri.ts';
import { FileType, MetaKey, type EntityRow, type FileRow, type Tx } from '../types.ts';
import { softDelete } from './delete.ts';
import { isUniqueViolation } from '../db-errors.ts';

const intoItself = () => new AppError(Code.NoPermission, 'Cannot move or copy a folder into itself or its descendant');

/** File-system pairs a move/copy may go between (contract 20 §1.5). */
function allowed(copy: boolean, from: string, to: string): boolean {
  if (copy) return from === 'my' && to === 'my';
  return (from === 'my' && (to === 'my' || to === 'trash')) || (from === 'trash' && to === 'my');
}

/**
 * POST /file/move. Sources failing their own checks are reported per item (40081) after the
 * valid ones are processed; a name conflict in the destination aborts the whole transaction
 * (40004). Copy deep-copies rows, sharing entities (reference +1) and charging the destination
 * owner every copied entity size (40051 when over quota).
 */
export async function moveOrCopy(fm: FileManager, user: CurrentUser, uris: string[], dstRaw: string, copy: boolean): Promise<void> {
  const ctx = fm.ctx;
  fm.checkBatch(uris);
  const dstUri = fm.parse(dstRaw).withoutQuery();
  const dstNav = await fm.navigator(user, dstUri);

  const failures: Record<string, AppError> = {};
  const sources: Existing[] = [];
  for (const raw of uris) {
    try {
      const uri = fm.parse(raw);
      const nav = await fm.navigator(user, uri);
      if (!allowed(copy, nav.fs, dstNav.fs)) throw notSupported();
      sources.push(await fm.getForMutation(user, uri, [Cap.LockFile]));
    } catch (e) {
      if (!isItemError(e)) throw e;
      failures[FileUri.tryParse(raw)?.toString() ?? String(raw)] = e;
    }
  }

  if (dstNav.fs === 'trash') {
    // my → trash is a soft delete.
    for (const s of sources) await softDelete(fm, user, s);
    if (Object.keys(failures).length) throw batchError(failures);
    return;
  }

  if (!dstNav.caps.has(Cap.LockFile)) throw notSupported();
  const dst = await dstNav.resolve(ctx.db.kysely, dstUri);
  if (!dst.file) throw pathNotExist();
  if (Number(dst.file.type) !== FileType.Folder) throw pathNotExist('Destination is not a folder');
  const sym = await metadata.getValue(ctx.db.kysely, dst.file.id, MetaKey.SharedRedirect);
  if (sym !== undefined) throw symbolicWalk();
  fm.requireOwner(user, dst);
  const dstFolder = dst.file;

  // Per-source checks that depend on the destination.
  const valid: { src: Existing; name: string }[] = [];
  for (const s of sources) {
    const key = s.uri.toString();
    try {
      if (Number(s.file.type) === FileType.Folder && (await isSelfOrDescendant(ctx.db.kysely, s.file.id, dstFolder.id))) throw intoItself();
      let name = s.file.name;
      if (s.nav.fs === 'trash') {
        const restore = FileUri.tryParse((await metadata.getValue(ctx.db.kysely, s.file.id, MetaKey.RestoreUri)) ?? '');
        if (restore?.name) name = restore.name;
      }
      valid.push({ src: s, name });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      failures[key] = e;
    }
  }

  if (valid.length) {
    const locks: LockRequest[] = [];
    for (const v of valid) {
      if (!copy) locks.push(fm.lockRequest(v.src, 'moveCopy', 'infinity'));
      locks.push(fm.lockRequest(dst, 'moveCopy', 'infinity', dst.uri.join(v.name)));
    }
    // Sources of one request live in one namespace (their owner = requester), as does dst.
    await fm.withLocks(user, dstNav, locks, async () => {
      for (const v of valid) await fm.revalidate(v.src);
      await fm.revalidate(dst as Existing);
      const now = ctx.now();
      await inTx(ctx.db, async (trx) => {
        if (copy) await copyTrees(fm, trx, user, valid.map((v) => v.src.file), dstFolder, now);
        else {
          for (const v of valid) {
            if (v.src.file.parent_id === dstFolder.id && v.src.file.name === v.name) continue;
            await moveRow(trx, v.src.file.id, dstFolder.id, v.name, now, { parentId: v.src.file.parent_id, name: v.src.file.name });
          }
          const fromTrash = valid.filter((v) => v.src.nav.fs === 'trash').map((v) => v.src.file.id);
          await metadata.remove(trx, fromTrash, [MetaKey.RestoreUri, MetaKey.ExpectedCollectTime]);
        }
      });
    });
  }
  if (Object.keys(failures).length) throw batchError(failures);
}

/**
 * Deep-copies `roots` (with subtrees) into `dst` inside `trx`: one batched insert per tree level,
 * ids mapped back by (parent, name); entities shared (+1 reference, skipping in-progress uploads);
 * metadata and props copied; the destination owner charged every linked entity size.
 */
export async function copyTrees(fm: FileManager, trx: Tx, user: CurrentUser, roots: FileRow[], dst: FileRow, now: number): Promise<void> {
  const ctx = fm.ctx;
  const { rows } = await walkSubtree(trx, roots, fm.maxWalked(user));
  const children = new Map<number, FileRow[]>();
  for (const r of rows) if (r.parent_id !== null) children.set(r.parent_id, [...(children.get(r.parent_id) ?? []), r]);
  const newId = new Map<number, number>();

  // Level 0: the roots themselves (names are unique in dst or the unique index says 40004).
  for (const root of roots) {
    const f = await insertFile(ctx.db, trx, {
      type: Number(root.type), name: root.name, ownerId: dst.owner_id, parentId: dst.id, policyId: root.storage_policy_id,
      size: Number(root.size), primaryEntity: root.primary_entity, props: root.props, now, createdAt: now,
    });
    newId.set(root.id, f.id);
  }
  let level = roots.filter((r) => Number(r.type) === FileType.Folder);
  while (level.length) {
    const next: FileRow[] = [];
    for (const part of chunks(level, 200)) {
      const kids = part.flatMap((p) => children.get(p.id) ?? []);
      if (!kids.length) continue;
      for (const batch of chunks(kids, 200)) {
        try {
          await trx.insertInto('files').values(batch.map((k) => ({
            type: Number(k.type), name: k.name, owner_id: dst.owner_id, parent_id: newId.get(k.parent_id!)!, size: Number(k.size),
            primary_entity: k.primary_entity, storage_policy_id: k.storage_policy_id, props: k.props, created_at: now, updated_at: now,
            root_owner_id: null,
          }))).execute();
        } catch (e) {
          if (isUniqueViolation(e)) throw objectExists();
          throw e;
        }
      }
      const newParents = part.map((p) => newId.get(p.id)!);
      const inserted = await trx.selectFrom('files').select(['id', 'parent_id', 'name']).where('parent_id', 'in', newParents).execute();
      const byKey = new Map(inserted.map((r) => [`${r.parent_id}/${r.name}`, Number(r.id)]));
      for (const k of kids) {
        newId.set(k.id, byKey.get(`${newId.get(k.parent_id!)}/${k.name}`)!);
        if (Number(k.type) === FileType.Folder) next.push(k);
      }
    }
    level = next;
  }

  const pairs: [number, number][] = rows.map((r) => [r.id, newId.get(r.id)!]);
  await metadata.copyAll(trx, pairs, now);
  const copied = pairs.map(([, to]) => to);
  await metadata.remove(trx, copied, [MetaKey.UploadSessionId]);

  const byFile = await entities.ofFiles(trx, rows.map((r) => r.id));
  const links: { fileId: number; entity: EntityRow }[] = [];
  const resetPrimary: number[] = [];
  for (const r of rows) {
    for (const e of byFile.get(r.id) ?? []) {
      if (entities.isUploading(e)) {
        if (Number(r.primary_entity) === e.id) resetPrimary.push(newId.get(r.id)!);
        continue;
      }
      links.push({ fileId: newId.get(r.id)!, entity: e });
    }
  }
  for (const part of chunks(resetPrimary)) await trx.updateTable('files').set({ primary_entity: null, size: 0 }).where('id', 'in', part).execute();
  await entities.linkExisting(trx, links, dst.owner_id);
}
