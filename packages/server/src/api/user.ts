import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { CapacitySchema, Code, UserSchema, UserSettingsSchema } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { typed } from './typed.ts';
import { loadUser, searchActiveUsers, serializeRedactedUser, serializeUser, type CurrentUser } from '../services/users.ts';
import { HashType, type HashTypeValue } from '../util/hashid.ts';
import { beginTwoFactor, buildUserSettings, patchUserSettings, userStoragePolicies } from '../services/user-settings.ts';
import { listShareRows, serializeShare, siteBaseUrl, type CursorPagination, type WireShare } from '../services/share-serialize.ts';
import {
  AVATAR_FILE, AVATAR_GRAVATAR, generatedAvatar, gravatarUrl, openAvatarFile, storeUploadedAvatar, useGravatar,
} from '../services/avatar.ts';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

// Documentation-only payload shapes (see http/openapi.ts).
const ShareListDoc = Type.Object({
  shares: Type.Array(Type.Object({}, { additionalProperties: true, description: 'Share, contract 40 §2 (built locked)' })),
  pagination: Type.Object({ page: Type.Integer(), page_size: Type.Integer(), next_token: Type.Optional(Type.String()), is_cursor: Type.Boolean() }),
});
const StoragePolicyDoc = Type.Object({
  id: Type.String(), name: Type.String(), type: Type.String(), max_size: Type.Integer(),
  allowed_suffix: Type.Optional(Type.Array(Type.String())), denied_suffix: Type.Optional(Type.Array(Type.String())),
  allowed_name_regexp: Type.Optional(Type.String()), denied_name_regexp: Type.Optional(Type.String()),
  relay: Type.Optional(Type.Boolean()), chunk_concurrency: Type.Optional(Type.Integer()), encryption: Type.Optional(Type.Boolean()),
});

/** Path hashid → numeric id, or 40001 `Failed to parse object ID`. */
function decodeId(ctx: Ctx, s: string, type: HashTypeValue): number {
  const id = ctx.hashids.decode(s, type);
  if (id === undefined) throw new AppError(Code.ParamErr, 'Failed to parse object ID');
  return id;
}

/** Go strconv.ParseBool for query flags; undefined/empty is false, anything unknown is 40001. */
function queryBool(name: string, v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new AppError(Code.ParamErr, `${name} is invalid`);
}

/** The signed-in user's own data and public profiles (contract 10 §5–6). */
export async function userRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.get('/user/me', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'Current user', data: UserSchema } }, async (req) => ok(serializeUser(ctx, req.user)));

  r.get('/user/capacity', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'Quota used/total', data: CapacitySchema } }, async (req) =>
    ok({ total: req.user.group.max_storage, used: req.user.row.storage }));

  r.get('/user/info/:id', {
    config: { scope: 'public' },
    schema: { tags: ['user'], summary: 'Public profile of a user (redacted)', params: IdParams, data: UserSchema },
  }, async (req) => {
    const user = await loadUser(ctx, decodeId(ctx, req.params.id, HashType.User));
    if (!user) throw new AppError(Code.UserNotFound, 'User not found');
    return ok(serializeRedactedUser(ctx, user.row, user.group, req.user));
  });

  r.get('/user/search', {
    config: { scope: 'user' },
    schema: {
      tags: ['user'], summary: 'Find active users by e-mail or nickname (max 10)',
      querystring: Type.Object({ keyword: Type.String({ minLength: 2, maxLength: 255 }) }),
      data: Type.Array(UserSchema),
    },
  }, async (req) => {
    const keyword = req.query.keyword.trim();
    if ([...keyword].length < 2) throw new AppError(Code.ParamErr, 'Keyword too short');
    const rows = await searchActiveUsers(ctx, keyword, 10);
    return ok(rows.map((row) => serializeRedactedUser(ctx, row, undefined, req.user)));
  });

  r.get('/user/shares/:id', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'], summary: "A user's shares shown on their profile (cursor pagination)",
      params: IdParams,
      data: ShareListDoc,
      querystring: Type.Object({
        page_size: Type.Integer({ minimum: 10, maximum: 100 }),
        order_by: Type.Optional(Type.String({ maxLength: 32 })),
        order_direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
        next_page_token: Type.Optional(Type.String({ maxLength: 1024 })),
      }),
    },
  }, async (req) => {
    const ownerId = decodeId(ctx, req.params.id, HashType.User);
    const q = req.query;
    return ok(await listProfileShares(ctx, ownerId, req.user, {
      pageSize: q.page_size,
      orderBy: q.order_by,
      desc: q.order_direction === 'desc',
      pageToken: q.next_page_token,
      host: req.headers.host,
    }));
  });

  r.get('/user/setting', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'Preferences page data', data: UserSettingsSchema } }, async (req) =>
    ok(await buildUserSettings(ctx, req.user)));

  r.patch('/user/setting', {
    config: { scope: 'user' },
    schema: {
      tags: ['user'], summary: 'Update preferences, password or 2FA (all or nothing)',
      body: Type.Object({
        nick: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        language: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        preferred_theme: Type.Optional(Type.String({ maxLength: 64 })),
        version_retention_enabled: Type.Optional(Type.Boolean()),
        version_retention_ext: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 1000 })),
        version_retention_max: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647 })),
        current_password: Type.Optional(Type.String({ minLength: 4, maxLength: 128 })),
        new_password: Type.Optional(Type.String({ minLength: 6, maxLength: 128 })),
        two_fa_enabled: Type.Optional(Type.Boolean()),
        two_fa_code: Type.Optional(Type.String({ maxLength: 16 })),
        disable_view_sync: Type.Optional(Type.Boolean()),
        share_links_in_profile: Type.Optional(Type.String({ maxLength: 32 })),
        group_expires: Type.Optional(Type.Unknown()),
      }),
    },
  }, async (req) => {
    await patchUserSettings(ctx, req.user, req.body);
    return ok();
  });

  r.get('/user/setting/2fa', { config: { scope: 'user' }, schema: { tags: ['user'], summary: 'New TOTP secret for enabling 2FA (valid 600 s)', data: Type.String() } }, async (req) =>
    ok(await beginTwoFactor(ctx, req.user)));

  r.get('/user/setting/policies', { config: { scope: 'user' }, schema: { tags: ['user'], summary: "Storage policies the user's group may use", data: Type.Array(StoragePolicyDoc) } }, async (req) =>
    ok(await userStoragePolicies(ctx, req.user)));

  r.get('/user/avatar/:id', {
    config: { scope: 'public' },
    schema: {
      tags: ['user'],
      summary: 'Avatar image: 302 to Gravatar, 200 image/png, or 404 with an empty body',
      description: '`nocache=1` drops the public Cache-Control. `default=1` (cloudreve-ts extension) answers a generated initials PNG instead of 404 when no avatar is set.',
      rawResponse: '302 to Gravatar, 200 image/png (304 when not modified), or 404 with an empty body; bad or unknown ids answer a JSON envelope (40001, 40021).',
      params: IdParams,
      querystring: Type.Object({
        nocache: Type.Optional(Type.String({ maxLength: 8 })),
        default: Type.Optional(Type.String({ maxLength: 8 })),
      }),
    },
  }, async (req, reply) => {
    const id = decodeId(ctx, req.params.id, HashType.User);
    const noCache = queryBool('Nocache', req.query.nocache);
    const wantDefault = queryBool('Default', req.query.default);
    const user = await ctx.db.kysely.selectFrom('users').select(['id', 'email', 'nick', 'avatar', 'updated_at']).where('id', '=', id).executeTakeFirst();
    if (!user) throw new AppError(Code.UserNotFound, 'User not found');
    if (!noCache) reply.header('Cache-Control', `public, max-age=${Math.max(ctx.settings.int('public_resource_maxage', 86400), 0)}`);
    if (user.avatar === AVATAR_GRAVATAR) return reply.redirect(gravatarUrl(ctx, user.email), 302);
    if (user.avatar === AVATAR_FILE) {
      const file = await openAvatarFile(ctx, user.id);
      if (file) return sendPng(req, reply, file.stream, file.size, user.updated_at);
      ctx.log.warn('avatar file missing', { user: user.id });
    }
    if (wantDefault) {
      const png = await generatedAvatar(ctx, user);
      return sendPng(req, reply, png, png.length, user.updated_at);
    }
    return reply.code(404).send();
  });

  // Raw image body: the parser is registered only in this encapsulated scope, and since Fastify's
  // bodyLimit does not apply to a passed-through stream, the size is enforced while streaming.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    typed(scope).put('/user/setting/avatar', {
      config: { scope: 'user' },
      schema: {
        tags: ['user'], summary: 'Upload (raw image body) or reset to Gravatar (empty body)',
        description: 'Content-Length is required and must not exceed the `avatar_size` setting (40049). The image is scaled to fit `avatar_size_l` and stored as PNG.',
      },
    }, async (req) => {
      const limit = ctx.settings.int('avatar_size', 4194304);
      const declared = req.headers['content-length'];
      if (declared === undefined) throw new AppError(Code.FileTooLarge, 'Content-Length is required');
      const length = Number(declared);
      if (!Number.isSafeInteger(length) || length < 0) throw new AppError(Code.FileTooLarge, 'Invalid Content-Length');
      if (length > limit) throw new AppError(Code.FileTooLarge, `Avatar is larger than ${limit} bytes`);
      if (length === 0) await useGravatar(ctx, req.user.row.id);
      else await storeUploadedAvatar(ctx, req.user.row.id, req.raw, limit);
      return ok();
    });
  });
}

interface ProfileShareQuery { pageSize: number; orderBy?: string; desc: boolean; pageToken?: string; host?: string }

/**
 * Shares listed on a profile, honouring the owner's `share_links_in_profile`: "" → password-less
 * only, "all_share" → all, "hide_share" → none. Built locked (no counters, limits or password).
 */
async function listProfileShares(ctx: Ctx, ownerId: number, viewer: CurrentUser, q: ProfileShareQuery): Promise<{ shares: WireShare[]; pagination: CursorPagination }> {
  const owner = await loadUser(ctx, ownerId);
  if (!owner) throw new AppError(Code.UserNotFound, 'User not found');
  const visibility = owner.settings.share_links_in_profile ?? '';
  if (visibility === 'hide_share') return { shares: [], pagination: { page: 0, page_size: q.pageSize, is_cursor: true } };
  const { rows, pagination } = await listShareRows(ctx, {
    ownerId, passwordlessOnly: visibility !== 'all_share', pageSize: q.pageSize, orderBy: q.orderBy, desc: q.desc, pageToken: q.pageToken,
  });
  const ownerWire = serializeRedactedUser(ctx, owner.row, owner.group, viewer);
  const baseUrl = siteBaseUrl(ctx, q.host);
  const ownerActive = owner.row.status === 'active';
  const shares = rows.map((r) => serializeShare(ctx, { ...r, owner: ownerWire, ownerId, ownerActive }, { viewer, unlocked: false, baseUrl }));
  return { shares, pagination };
}

/** 200 image/png with Last-Modified, or 304 when If-Modified-Since is not older. */
function sendPng(req: FastifyRequest, reply: FastifyReply, body: Readable | Buffer, size: number, modifiedMs: number): FastifyReply {
  const modifiedSec = Math.floor(modifiedMs / 1000) * 1000;
  const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
  if (modifiedMs > 0) reply.header('Last-Modified', new Date(modifiedSec).toUTCString());
  if (modifiedMs > 0 && !Number.isNaN(since) && since >= modifiedSec) {
    if (!Buffer.isBuffer(body)) body.destroy();
    return reply.code(304).send();
  }
  return reply.code(200).type('image/png').header('Content-Length', size).send(body);
}
