import type { FastifyInstance } from 'fastify';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../../services/context.ts';
import { ok } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { recordAdminAction } from '../../services/admin-audit.ts';
import { siteBaseUrl } from '../../services/share-serialize.ts';
import { deleteShare } from '../../services/shares.ts';
import { typed } from '../typed.ts';
import { ADMIN, BatchIdsBody, IdParams, intCondition, ListBody, listPage, parseId, stringCondition } from './common.ts';
import { fileObject, rowsById, shareObject, userObject, type ShareRow } from './objects.ts';

async function withEdges(ctx: Ctx, rows: ShareRow[], baseUrl: string): Promise<Record<string, unknown>[]> {
  const db = ctx.db.kysely;
  const [users, files] = await Promise.all([rowsById(db, 'users', rows.map((s) => s.owner_id)), rowsById(db, 'files', rows.map((s) => s.file_id))]);
  return rows.map((s) => {
    const edges: Record<string, unknown> = {};
    const u = users.get(Number(s.owner_id));
    if (u) edges.user = userObject(ctx, u);
    const f = files.get(Number(s.file_id));
    if (f) edges.file = fileObject(f);
    return shareObject(ctx, s, baseUrl, edges);
  });
}

/** `share_id` condition: comma-separated ints (40001 otherwise). */
function shareIds(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d{1,15}$/.test(p))) throw new AppError(Code.ParamErr, 'Invalid share ID');
  return parts.map(Number);
}

/** Share links of all users (contract 60 §5): list, get, batch delete. */
export async function adminShareRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/admin/share', {
    config: ADMIN,
    schema: {
      tags: ['admin'], summary: 'List share links',
      description: 'Conditions `share_user_id`, `share_file_id` (ints), `share_id` (comma-separated ints); order_by `views`, `downloads`, `remain_downloads`.',
      body: ListBody,
    },
  }, async (req) => {
    let q = ctx.db.kysely.selectFrom('shares');
    const user = intCondition(req.body, 'share_user_id');
    const file = intCondition(req.body, 'share_file_id');
    const ids = shareIds(stringCondition(req.body, 'share_id'));
    if (user !== undefined) q = q.where('owner_id', '=', user);
    if (file !== undefined) q = q.where('file_id', '=', file);
    if (ids) q = q.where('id', 'in', ids);
    const { rows, pagination } = await listPage<ShareRow>(req.body, q, ['views', 'downloads', 'remain_downloads', 'created_at', 'updated_at']);
    return ok({ shares: await withEdges(ctx, rows, siteBaseUrl(ctx, req.headers.host)), pagination });
  });

  r.get('/admin/share/:id', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Get a share link', description: 'Missing → 404.', params: IdParams },
  }, async (req) => {
    const row = await ctx.db.kysely.selectFrom('shares').selectAll().where('id', '=', parseId(req.params.id)).executeTakeFirst();
    if (!row) throw new AppError(Code.NotFound, 'Share not found');
    return ok((await withEdges(ctx, [row], siteBaseUrl(ctx, req.headers.host)))[0]);
  });

  r.post('/admin/share/batch/delete', {
    config: ADMIN,
    schema: { tags: ['admin'], summary: 'Delete share links', description: 'Missing ids are ignored.', body: BatchIdsBody },
  }, async (req) => {
    for (const id of new Set(req.body.ids)) {
      try {
        await deleteShare(ctx, req.user, id);
      } catch (e) {
        if (!(e instanceof AppError && e.code === Code.NotFound)) throw e;
      }
    }
    await recordAdminAction(ctx, req.user, 'share.delete', 'share', { ids: req.body.ids });
    return ok();
  });
}
