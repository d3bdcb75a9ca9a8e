import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, batchError } from '../../http/errors.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { siteBaseUrl } from '../../services/share-serialize.ts';
import { inTx } from '../../fs/db-errors.ts';
import * as entities from '../../fs/entities.ts';
import { chunks } from '../../fs/tree.ts';
import { EntityType, type Tx } from '../../fs/types.ts';
import { entityUrl } from '../../transfer/download-url.ts';
import { recycleEntities } from '../../transfer/recycler.ts';
import { HashType } from '../../util/hashid.ts';
import { typed } from '../typed.ts';
import { ADMIN, IdParams, intCondition, ListBody, listPage, parseId } from './common.ts';
import { adminFiles } from './file-edges.ts';
import { ADMIN_URL_TTL } from './files.ts';
import { blobObject, policyObject, rowsById, userObject, type BlobRow } from './objects.ts';

const entityNotFound = () => new AppError(Code.NotFound, 'Entity not found');

async function withEdges(ctx: Ctx, rows: BlobRow[]): Promise<Record<string, unknown>[]> {
  const db = ctx.db.kysely;
  const [users, policies] = await Promise.all([
    rowsById(db, 'users', rows.map((e) => e.created_by)),
    rowsById(db, 'storage_policies', rows.map((e) => e.storage_policy_id)),
  ]);
  return rows.map((e) => {
    const edges: Record<string, unknown> = {};
    const u = e.created_by !== null ? users.get(Number(e.created_by)) : undefined;
    if (u) edges.user = userObject(ctx, u);
    const p = policies.get(Number(e.storage_policy_id));
    if (p) edges.storage_policy = policyObject(p);
    const out = blobObject(e, edges);
    if (e.created_by !== null) out.user_hash_id = ctx.hashids.encode(Number(e.created_by), HashType.User);
    return out;
  });
}

/**
 * Force-removes a still-referenced blob from every file linking it: links go, owners' used storage
 * shrinks, and a file whose current version it was falls back to its newest remaining version
 * (or becomes empty). The entity ends at reference_count 0, ready for the recycler.
 */
async function detachEverywhere(ctx: Ctx, trx: Tx, entityId: number): Promise<void> {
  const links = await trx.selectFrom('file_entities as fe').innerJoin('files as f', 'f.id', 'fe.file_id').innerJoin('entities as e', 'e.id', 'fe.entity_id')
    .selectAll('e').select(['f.id as link_file_id', 'f.owner_id as link_owner_id', 'f.primary_entity as link_primary'])
    .where('fe.entity_id', '=', entityId).execute();
  const now = ctx.now();
  await entities.unlink(trx, links.map((l) => {
    const { link_file_id, link_owner_id, link_primary: _p, ...entity } = l;
    return { fileId: Number(link_file_id), ownerId: Number(link_owner_id), entity };
  }));
  for (const l of links) {
    if (Number(l.link_primary) !== entityId) continue;
    const fileId = Number(l.link_file_id);
    const next = await trx.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id').select(['e.id', 'e.size'])
      .where('fe.file_id', '=', fileId).where('e.type', '=', EntityType.Version).orderBy('e.id', 'desc').executeTakeFirst();
    if (next) await entities.setPrimary(trx, fileId, Number(next.id), Number(next.size), now);
    else await trx.updateTable('files').set({ primary_entity: null, size: 0, updated_at: now }).where('id', '=', fileId).execute();
  }
  // Links of files that vanished meanwhile leave nothing behind either.
  await trx.updateTable('entities').set({ reference_count: 0, updated_at: now }).where('id', '=', entityId).execute();
}

/** Blobs (contract 60 §5): list, get, URL, batch delete (recycle). */
export async function adminEntityRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/entity', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'List blobs',
      description: 'Conditions `entity_user` (creator), `entity_policy`, `entity_type` (ints); order_by `size`, `reference_count`, `created_at`, `updated_at`.',
      body: ListBody,
    },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('entities');
    const user = intCondition(req.body, 'entity_user');
    const policy = intCondition(req.body, 'entity_policy');
    const type = intCondition(req.body, 'entity_type');
    if (user !== undefined) q = q.where('created_by', '=', user);
    if (policy !== undefined) q = q.where('storage_policy_id', '=', policy);
    if (type !== undefined) q = q.where('type', '=', type);
    const { rows, pagination } = await listPage<BlobRow>(req.body, q, ['size', 'reference_count', 'created_at', 'updated_at']);
    return ok({ entities: await withEdges(ctx, rows), pagination });
  });

  r.get('/admin/entity/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a blob with the files using it', description: 'Missing → 404.', params: IdParams },
  }, async (req) => {
    const id = parseId(req.params.id);
    const row = await ctx.db.kysely.selectFrom('entities').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw entityNotFound();
    const [out] = await withEdges(ctx, [row]);
    const files = await ctx.db.kysely.selectFrom('file_entities as fe').innerJoin('files as f', 'f.id', 'fe.file_id').selectAll('f')
      .where('fe.entity_id', '=', id).orderBy('f.id').execute();
    const edges = out!.edges as Record<string, unknown>;
    if (files.length) edges.file = await adminFiles(ctx, files, siteBaseUrl(ctx, req.headers.host));
    out!.user_hash_id_map = Object.fromEntries(files.map((f) => [String(f.owner_id), ctx.hashids.encode(Number(f.owner_id), HashType.User)]));
    return ok(out);
  });

  r.get('/admin/entity/url/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'A download URL of a blob, valid 1 h', description: 'Missing → 404.', params: IdParams },
  }, async (req) => {
    const id = parseId(req.params.id);
    const row = await ctx.db.kysely.selectFrom('entities').select(['id', 'source']).where('id', '=', id).executeTakeFirst();
    if (!row) throw entityNotFound();
    const name = path.posix.basename(row.source.replace(/\\/g, '/')) || `entity-${id}`;
    const url = await entityUrl(ctx, { entityId: id, name, speed: 0, download: true, siteUrl: siteBaseUrl(ctx, req.headers.host), noCache: true, ttlSeconds: ADMIN_URL_TTL });
    return ok(url.url);
  });

  r.post('/admin/entity/batch/delete', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Delete blobs',
      description: 'Unreferenced blobs are recycled (blob and row removed). A blob still used by files → 40001 for that id inside 40081, unless `force`: then it is detached from those files first (their owners\' used storage shrinks; a file losing its current version falls back to its newest remaining one). Missing ids are ignored.',
      body: Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10000 }), force: Type.Optional(Type.Boolean()) }),
    },
  }, async (req) => {
    const failures: Record<string, AppError> = {};
    const ids = [...new Set(req.body.ids)];
    for (const id of ids) {
      await inTx(ctx.db, async (trx) => {
        const row = await trx.selectFrom('entities').select(['id', 'reference_count']).where('id', '=', id).executeTakeFirst();
        if (!row || Number(row.reference_count) <= 0) return;
        if (!req.body.force) {
          failures[String(id)] = new AppError(Code.ParamErr, `Entity is still used by ${Number(row.reference_count)} file(s)`);
          return;
        }
        await detachEverywhere(ctx, trx, id);
      });
    }
    // The recycler deletes the blobs of every unreferenced entity, ours first.
    for (const part of chunks(ids.filter((id) => !failures[String(id)]), 200)) {
      const left = await ctx.db.kysely.selectFrom('entities').select('id').where('id', 'in', part).where('reference_count', '<=', 0).execute();
      if (left.length) await recycleEntities(ctx, { ids: left.map((e) => Number(e.id)) });
    }
    await recordAdminAction(ctx, req.user, 'entity.delete', 'entity', { ids, force: !!req.body.force, failed: Object.keys(failures) });
    if (Object.keys(failures).length) throw batchError(failures);
    return ok();
  });
}
