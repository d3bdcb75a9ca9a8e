import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { fileManager } from '../fs/core.ts';
import { createShareNavigator } from '../fs/navigators/share.ts';
import { createSharedWithMeNavigator } from '../fs/navigators/shared-with-me.ts';
import { createShare, decodeShareId, deleteShare, editShare, listMyShares, saveSharedCopies, shareInfo } from '../services/shares.ts';

const Int32 = { minimum: -2147483648, maximum: 2147483647 };

/** ShareCreateService (contract 40 §3.1); `password` ≤ 32 alphanumerics (Go `alphanum`). */
const ShareBody = Type.Object({
  uri: Type.String({ minLength: 1, maxLength: 65536 }),
  is_private: Type.Optional(Type.Boolean()),
  password: Type.Optional(Type.String({ maxLength: 32, pattern: '^[A-Za-z0-9]*$' })),
  downloads: Type.Optional(Type.Integer(Int32)),
  expire: Type.Optional(Type.Integer(Int32)),
  share_view: Type.Optional(Type.Boolean()),
  show_readme: Type.Optional(Type.Boolean()),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const QueryBool = Type.Optional(Type.String({ maxLength: 5 }));

/** Go strconv.ParseBool for query flags (contract 00 §1). */
function parseBool(v: string | undefined, field: string): boolean {
  if (v === undefined || v === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new AppError(Code.ParamErr, `${field} is invalid`);
}

/**
 * Share links (contract 40 §3) and the `share` / `shared_with_me` file systems, which plug into the
 * file-system core here so every file route (list, info, url, thumb, archive) accepts their URIs.
 */
export async function shareRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const fm = fileManager(ctx);
  fm.registerNavigator('share', createShareNavigator);
  fm.registerNavigator('shared_with_me', createSharedWithMeNavigator);
  const r = typed(app);

  r.put('/share', {
    config: { scope: 'user' },
    schema: { tags: ['share'], summary: 'Create a share link; returns its URL', body: ShareBody },
  }, async (req) => ok(await createShare(ctx, req.user, req.body, req.headers.host)));

  r.post('/share/:id', {
    config: { scope: 'user' },
    schema: { tags: ['share'], summary: 'Edit a share link; returns its URL', params: IdParams, body: ShareBody },
  }, async (req) => ok(await editShare(ctx, req.user, decodeShareId(ctx, req.params.id), req.body, req.headers.host)));

  r.get('/share/info/:id', {
    config: { scope: 'share' },
    schema: {
      tags: ['share'], summary: 'Share link info (anonymous allowed)', params: IdParams,
      querystring: Type.Object({ password: Type.Optional(Type.String({ maxLength: 255 })), count_views: QueryBool, owner_extended: QueryBool }),
    },
  }, async (req) => ok(await shareInfo(ctx, req.user, req.params.id, {
    password: req.query.password,
    countViews: parseBool(req.query.count_views, 'CountViews'),
    ownerExtended: parseBool(req.query.owner_extended, 'OwnerExtended'),
  }, req.headers.host)));

  r.get('/share', {
    config: { scope: 'user' },
    schema: {
      tags: ['share'], summary: 'List my share links (cursor pagination)',
      querystring: Type.Object({
        page_size: Type.Integer({ minimum: 10, maximum: 100 }),
        order_by: Type.Optional(Type.String({ maxLength: 32 })),
        order_direction: Type.Optional(Type.String({ maxLength: 8 })),
        next_page_token: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
    },
  }, async (req) => ok(await listMyShares(ctx, req.user, {
    pageSize: req.query.page_size, orderBy: req.query.order_by, desc: req.query.order_direction === 'desc', pageToken: req.query.next_page_token,
  }, req.headers.host)));

  // A hyphen keeps this static path from shadowing `/share/:id` (hashids have no '-').
  r.post('/share/save-copy', {
    config: { scope: 'user' },
    schema: {
      tags: ['share'], summary: '[OURS] Copy shared objects into one of my folders',
      body: Type.Object({ uris: Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1 }), dst: Type.String({ minLength: 1, maxLength: 65536 }) }),
    },
  }, async (req) => {
    await saveSharedCopies(ctx, req.user, req.body.uris, req.body.dst);
    return ok();
  });

  r.delete('/share/:id', {
    config: { scope: 'user' },
    schema: { tags: ['share'], summary: 'Delete a share link (owner, or any for admins)', params: IdParams },
  }, async (req) => {
    await deleteShare(ctx, req.user, decodeShareId(ctx, req.params.id));
    return ok();
  });
}
