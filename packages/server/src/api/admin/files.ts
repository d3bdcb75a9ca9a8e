import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import type { CurrentUser } from '../../services/users.ts';
import { loadUser } from '../../services/users.ts';
import { ok } from '../../http/envelope.ts';
import { AppError, batchError } from '../../http/errors.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { siteBaseUrl } from '../../services/share-serialize.ts';
import { directLinkUrl } from '../../services/direct-links.ts';
import { fileManager, isItemError } from '../../fs/core.ts';
import { inTx, isUniqueViolation } from '../../fs/db-errors.ts';
import { assertValidName } from '../../fs/names.ts';
import { deletePermanently, purgeRows } from '../../fs/ops/delete.ts';
import { getById, locate, moveRow, walkSubtree } from '../../fs/tree.ts';
import { FileUri } from '../../fs/uri.ts';
import { EntityType, type FileRow } from '../../fs/types.ts';
import { entityUrl } from '../../transfer/download-url.ts';
import { HashType } from '../../util/hashid.ts';
import { typed } from '../typed.ts';
import { ADMIN, BatchIdsBody, IdParams, intCondition, likeLower, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { adminFiles } from './file-edges.ts';

/** Admin download URLs live one hour (contract 60 §5). */
export const ADMIN_URL_TTL = 3600;

const MetadataItem = Type.Object({
  id: Type.Optional(Type.Integer({ minimum: 0 })),
  name: Type.String({ minLength: 1, maxLength: 255 }),
  value: Type.String({ maxLength: 65535 }),
  is_public: Type.Optional(Type.Boolean()),
});
const FileBody = Type.Object({
  file: Type.Object({
    id: Type.Optional(Type.Integer()),
    name: Type.String({ maxLength: 1024 }),
    storage_policy_files: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    edges: Type.Optional(Type.Object({
      metadata: Type.Optional(Type.Union([Type.Array(MetadataItem, { maxItems: 10000 }), Type.Null()])),
      direct_links: Type.Optional(Type.Union([Type.Array(Type.Object({ id: Type.Integer() }), { maxItems: 10000 }), Type.Null()])),
    })),
  }),
});

export const fileNotFound = () => new AppError(Code.NotFound, 'File not found');

async function fileResponse(ctx: Ctx, id: number, host: string | undefined, withLinkMap: boolean): Promise<Record<string, unknown>> {
  const row = await getById(ctx.db.kysely, id);
  if (!row) throw fileNotFound();
  const base = siteBaseUrl(ctx, host);
  const [out] = await adminFiles(ctx, [row], base);
  if (withLinkMap) {
    const links = await ctx.db.kysely.selectFrom('direct_links').select(['id', 'name']).where('file_id', '=', id).orderBy('id').execute();
    out!.direct_link_map = Object.fromEntries(links.map((l) => [String(l.id), directLinkUrl(base, ctx.hashids.encode(Number(l.id), HashType.SourceLink), l.name)]));
  }
  return out!;
}

/**
 * Permanently deletes one file or folder (with its subtree) on behalf of the admin: resolved as its
 * owner so the owner's locks are honoured, purged like a user's permanent delete (capacity freed,
 * blobs left to the recycler). A row no URI leads to any more (orphan) is purged directly.
 */
async function hardDelete(ctx: Ctx, admin: CurrentUser, row: FileRow): Promise<void> {
  const fm = fileManager(ctx);
  if (row.root_owner_id !== null) throw new AppError(Code.RootProtected, 'A root folder cannot be deleted');
  const walkLimit = fm.maxWalked(admin);
  const where = await locate(ctx.db.kysely, row.id);
  const owner = await loadUser(ctx, row.owner_id);
  if (where && owner) {
    const r = await fm.get(owner, FileUri.of({ fs: where.fs, elements: where.names }));
    if (r.file.id === row.id) return deletePermanently(fm, owner, r, { walkLimit });
  }
  await inTx(ctx.db, async (trx) => {
    const fresh = await getById(trx, row.id);
    if (!fresh) return;
    const { rows } = await walkSubtree(trx, [fresh], walkLimit);
    await purgeRows(trx, rows);
  });
}

/** Files across all users (contract 60 §5): list, get, update, download URL, hard delete. */
export async function adminFileRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/file', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'List files of all users',
      description: 'Conditions `file_name` (substring, case-insensitive), `file_user`, `file_policy` (ints); order_by `name`, `size`, `created_at`, `updated_at`.',
      body: ListBody,
    },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('files');
    const name = stringCondition(req.body, 'file_name');
    const user = intCondition(req.body, 'file_user');
    const policy = intCondition(req.body, 'file_policy');
    if (name !== undefined) q = q.where(likeLower('name', name));
    if (user !== undefined) q = q.where('owner_id', '=', user);
    if (policy !== undefined) q = q.where('storage_policy_id', '=', policy);
    const { rows, pagination } = await listPage<FileRow>(req.body, q, ['name', 'size', 'created_at', 'updated_at']);
    return ok({ files: await adminFiles(ctx, rows, siteBaseUrl(ctx, req.headers.host)), pagination });
  });

  r.get('/admin/file/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a file with its edges and direct link URLs', description: 'Missing → 404.', params: IdParams },
  }, async (req) => ok(await fileResponse(ctx, parseId(req.params.id), req.headers.host, true)));

  r.put('/admin/file/:id', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Update a file: name, storage policy, metadata',
      description: '`edges.metadata` is authoritative (rows missing from it are deleted, others updated by id or added); so is `edges.direct_links` when sent. A sibling with the new name → 40004; invalid name → 40052; unknown policy → 40035.',
      params: IdParams, body: FileBody,
    },
  }, async (req) => {
    const id = parseId(req.params.id);
    const body = req.body.file;
    await inTx(ctx.db, async (trx) => {
      const file = await getById(trx, id);
      if (!file) throw fileNotFound();
      const now = ctx.now();
      if (body.name !== file.name) {
        if (file.root_owner_id !== null) throw new AppError(Code.RootProtected, 'A root folder cannot be renamed');
        assertValidName(body.name);
        await moveRow(trx, id, file.parent_id, body.name, now, { parentId: file.parent_id, name: file.name });
      }
      if (body.storage_policy_files !== undefined) {
        const policyId = body.storage_policy_files || null;
        if (policyId !== null && !(await trx.selectFrom('storage_policies').select('id').where('id', '=', policyId).executeTakeFirst())) {
          throw new AppError(Code.PolicyNotExist, 'Storage policy not exist');
        }
        await trx.updateTable('files').set({ storage_policy_id: policyId, updated_at: now }).where('id', '=', id).execute();
      }
      // Absent = unchanged; null (CE's empty slice) = no metadata left.
      const meta = body.edges?.metadata === null ? [] : body.edges?.metadata;
      if (meta !== undefined) {
        const existing = new Set((await trx.selectFrom('metadata').select('id').where('file_id', '=', id).execute()).map((m) => Number(m.id)));
        const kept = meta.filter((m) => m.id && existing.has(m.id)).map((m) => m.id!);
        let del = trx.deleteFrom('metadata').where('file_id', '=', id);
        if (kept.length) del = del.where('id', 'not in', kept);
        await del.execute();
        try {
          for (const m of meta) {
            const values = { name: m.name, value: m.value, is_public: m.is_public === false ? 0 : 1, updated_at: now };
            if (m.id && existing.has(m.id)) await trx.updateTable('metadata').set(values).where('id', '=', m.id).execute();
            else await trx.insertInto('metadata').values({ ...values, file_id: id, created_at: now }).execute();
          }
        } catch (e) {
          if (isUniqueViolation(e)) throw new AppError(Code.ParamErr, 'Duplicate metadata name');
          throw e;
        }
      }
      const links = body.edges?.direct_links;
      if (Array.isArray(links)) {
        let del = trx.deleteFrom('direct_links').where('file_id', '=', id);
        if (links.length) del = del.where('id', 'not in', links.map((l) => l.id));
        await del.execute();
      }
    });
    await recordAdminAction(ctx, req.user, 'file.update', `file:${id}`, { name: body.name, storage_policy_files: body.storage_policy_files });
    return ok(await fileResponse(ctx, id, req.headers.host, true));
  });

  r.get('/admin/file/url/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'A URL of the file\'s current content, valid 1 h', description: 'No current version → 404.', params: IdParams },
  }, async (req) => {
    const id = parseId(req.params.id);
    const file = await getById(ctx.db.kysely, id);
    if (!file) throw fileNotFound();
    const primary = file.primary_entity ? await ctx.db.kysely.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id')
      .select(['e.id', 'e.type']).where('fe.file_id', '=', id).where('e.id', '=', Number(file.primary_entity)).executeTakeFirst() : undefined;
    if (!primary || Number(primary.type) !== EntityType.Version) throw new AppError(Code.NotFound, 'Primary entity not exist');
    const url = await entityUrl(ctx, {
      entityId: Number(primary.id), name: file.name, speed: 0, download: false, siteUrl: siteBaseUrl(ctx, req.headers.host), noCache: true, ttlSeconds: ADMIN_URL_TTL,
    });
    return ok(url.url);
  });

  r.post('/admin/file/batch/delete', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'Permanently delete files and folders of any user',
      description: 'Hard delete: subtrees, shares, direct links and metadata go; owners\' used storage shrinks by the blobs unlinked; unreferenced blobs are recycled. Missing ids are ignored; a root folder → 40053 for that id inside 40081.',
      body: BatchIdsBody,
    },
  }, async (req) => {
    const failures: Record<string, AppError> = {};
    for (const id of [...new Set(req.body.ids)]) {
      try {
        const row = await getById(ctx.db.kysely, id);
        if (!row) continue;
        await hardDelete(ctx, req.user, row);
      } catch (e) {
        if (!isItemError(e)) throw e;
        failures[String(id)] = e;
      }
    }
    await recordAdminAction(ctx, req.user, 'file.delete', 'file', { ids: req.body.ids, failed: Object.keys(failures) });
    if (Object.keys(failures).length) throw batchError(failures);
    return ok();
  });
}
