import { sql } from 'kysely';
import { Code } from '@cloudreve-ts/protocol';
import type { Db } from '../db/connect.ts';
import { insertReturningId } from '../db/insert.ts';
import { AppError } from '../http/errors.ts';
import * as capacity from './capacity.ts';
import { chunks } from './tree.ts';
import { EntityType, type EntityRow, type EntityTypeValue, type FileRow, type Tx } from './types.ts';

/**
 * Entity (blob) lifecycle. A file links to its entities through `file_entities`; an entity's
 * `reference_count` counts those links. Linking charges the file owner's capacity, unlinking frees
 * it. Entities that reach reference_count 0 are left for the blob recycler (transfer helper), which
 * deletes the blob and the row.
 */

export const entityNotExist = (msg = 'Entity not exist') => new AppError(Code.EntityNotExist, msg);

export interface NewEntity {
  type: EntityTypeValue;
  source: string;
  size: number;
  policyId: number;
  createdBy: number | null;
  uploadSessionId?: string | null;
  props?: string | null;
}

/**
 * Creates an entity (reference_count 1) linked to `file`, charging `file.owner_id` its size
 * (40051 when over quota). With `makePrimary`, the file's primary entity and size point to it.
 * Call inside a transaction.
 */
export async function attachNew(db: Db, tx: Tx, file: FileRow, e: NewEntity, now: number, opts: { makePrimary?: boolean } = {}): Promise<number> {
  await capacity.reserve(tx, file.owner_id, e.size);
  const id = await insertReturningId(db, 'entities', {
    type: e.type, source: e.source, size: e.size, reference_count: 1, storage_policy_id: e.policyId,
    created_by: e.createdBy, upload_session_id: e.uploadSessionId ?? null, recycle_options: null,
    props: e.props ?? null, created_at: now, updated_at: now,
  }, tx);
  await tx.insertInto('file_entities').values({ file_id: file.id, entity_id: id }).execute();
  if (opts.makePrimary) await setPrimary(tx, file.id, id, e.size, now);
  return id;
}

/** Points a file at a version entity as its current content. */
export async function setPrimary(tx: Tx, fileId: number, entityId: number, size: number, now: number): Promise<void> {
  await tx.updateTable('files').set({ primary_entity: entityId, size, updated_at: now }).where('id', '=', fileId).execute();
}

/** Entities of many files: fileId → entities, newest id first. */
export async function ofFiles(tx: Tx, fileIds: number[]): Promise<Map<number, EntityRow[]>> {
  const out = new Map<number, EntityRow[]>();
  for (const id of fileIds) out.set(id, []);
  for (const part of chunks([...new Set(fileIds)])) {
    if (!part.length) continue;
    const rows = await tx.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id')
      .selectAll('e').select('fe.file_id as link_file_id').where('fe.file_id', 'in', part).orderBy('e.id', 'desc').execute();
    for (const r of rows) {
      const { link_file_id, ...entity } = r as EntityRow & { link_file_id: number };
      out.get(Number(link_file_id))?.push(entity);
    }
  }
  return out;
}

/**
 * Unlinks entities from files: removes the links, decrements reference counts and frees the
 * owners' capacity by the unlinked sizes. With `dropRows`, entities reaching 0 are deleted from
 * the database at once so the recycler never touches their blobs ("unlink" delete mode).
 * Returns ids of entities whose count reached 0.
 */
export async function unlink(
  tx: Tx,
  links: { fileId: number; ownerId: number; entity: EntityRow }[],
  opts: { dropRows?: boolean } = {},
): Promise<number[]> {
  if (!links.length) return [];
  const perEntity = new Map<number, number>();
  const perOwner = new Map<number, number>();
  for (const l of links) {
    perEntity.set(l.entity.id, (perEntity.get(l.entity.id) ?? 0) + 1);
    perOwner.set(l.ownerId, (perOwner.get(l.ownerId) ?? 0) + Number(l.entity.size));
  }
  // One statement per chunk of (file_id, entity_id) pairs, not one per file.
  for (const part of chunks(links)) {
    await tx.deleteFrom('file_entities')
      .where((eb) => eb(eb.refTuple('file_id', 'entity_id'), 'in', part.map((l) => eb.tuple(l.fileId, l.entity.id))))
      .execute();
  }
  // Group entities by decrement so one UPDATE handles each group.
  const byCount = new Map<number, number[]>();
  for (const [id, n] of perEntity) byCount.set(n, [...(byCount.get(n) ?? []), id]);
  for (const [n, ids] of byCount) {
    for (const part of chunks(ids)) {
      await tx.updateTable('entities')
        .set({ reference_count: sql<number>`case when reference_count - ${n} < 0 then 0 else reference_count - ${n} end` })
        .where('id', 'in', part).execute();
    }
  }
  for (const [owner, bytes] of perOwner) await capacity.release(tx, owner, bytes);
  const zero: number[] = [];
  for (const part of chunks([...perEntity.keys()])) {
    const rows = await tx.selectFrom('entities').select('id').where('id', 'in', part).where('reference_count', '<=', 0).execute();
    zero.push(...rows.map((r) => Number(r.id)));
  }
  if (opts.dropRows && zero.length) for (const part of chunks(zero)) await tx.deleteFrom('entities').where('id', 'in', part).execute();
  return zero;
}

/**
 * Links existing entities to new files (copy): +1 reference per link and the new owner is charged
 * every linked size (contract 20 §4.3: copies are charged even though blobs are shared).
 */
export async function linkExisting(tx: Tx, links: { fileId: number; entity: EntityRow }[], ownerId: number): Promise<void> {
  if (!links.length) return;
  const bytes = links.reduce((s, l) => s + Number(l.entity.size), 0);
  await capacity.reserve(tx, ownerId, bytes);
  for (const batch of chunks(links, 200)) {
    await tx.insertInto('file_entities').values(batch.map((l) => ({ file_id: l.fileId, entity_id: l.entity.id }))).execute();
  }
  const perEntity = new Map<number, number>();
  for (const l of links) perEntity.set(l.entity.id, (perEntity.get(l.entity.id) ?? 0) + 1);
  const byCount = new Map<number, number[]>();
  for (const [id, n] of perEntity) byCount.set(n, [...(byCount.get(n) ?? []), id]);
  for (const [n, ids] of byCount) {
    for (const part of chunks(ids)) {
      await tx.updateTable('entities').set({ reference_count: sql<number>`reference_count + ${n}` }).where('id', 'in', part).execute();
    }
  }
}

export const isVersion = (e: EntityRow) => Number(e.type) === EntityType.Version;
export const isUploading = (e: EntityRow) => !!e.upload_session_id;
