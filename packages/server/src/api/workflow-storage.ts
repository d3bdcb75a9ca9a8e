import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Code } from '@cloudreve-ts/protocol';
import type { Ctx } from '../services/context.ts';
import { loadUser } from '../services/users.ts';
import { ok } from '../http/envelope.ts';
import { AppError } from '../http/errors.ts';
import { GroupPermission } from '../util/boolset.ts';
import { HashType } from '../util/hashid.ts';
import { typed } from './typed.ts';
import { fileManager } from '../fs/core.ts';
import { assertValidName } from '../fs/names.ts';
import { loadPolicy } from '../storage/policies.ts';
import { enqueueTask } from '../tasks/queue.ts';
import { masterNode, serializeTask } from '../tasks/serialize.ts';
import { RELOCATE, relocateSummary, type RelocateState } from '../tasks/relocate-task.ts';
import { IMPORT, importPrefix, importSummary, type ImportState } from '../tasks/import-task.ts';

const UriList = Type.Array(Type.String({ minLength: 1, maxLength: 65536 }), { minItems: 1, maxItems: 1000 });

/** Workflows that move bytes between storage and the tree: relocate (§1.7) and import (§1.8). */
export async function workflowStorageRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const r = typed(app);

  r.post('/workflow/relocate', {
    config: { scope: 'user' },
    schema: {
      tags: ['workflow'], summary: 'Move files to another storage policy (background task)',
      description: 'Moves every entity (versions, thumbnails) of the selected files and folders (recursively) to `dst_policy_id` (policy hashid): copy, switch, delete the old blob. Needs group permission "relocate" (40007); the policy must be one the user may use (40006).',
      body: Type.Object({ src: UriList, dst_policy_id: Type.String({ minLength: 1, maxLength: 64 }) }),
    },
  }, async (req) => {
    const user = req.user;
    if (!user.permissions.has(GroupPermission.Relocate)) throw new AppError(Code.GroupNotAllowed, 'Group not allowed to do this');
    const policyId = ctx.hashids.decode(req.body.dst_policy_id, HashType.Policy);
    if (policyId === undefined) throw new AppError(Code.ParamErr, 'Invalid dst_policy_id');
    const policy = await loadPolicy(ctx, policyId);
    // The policies a user may use (user/setting/policies): in CE the group's one.
    if (policy.id !== user.group.storage_policy_id) throw new AppError(Code.PolicyNotAllowed, 'Storage policy not available to this user');
    const fm = fileManager(ctx);
    fm.checkBatch(req.body.src);
    const src: string[] = [];
    for (const raw of req.body.src) {
      const uri = fm.parse(raw).withoutQuery();
      if (uri.fs !== 'my') throw new AppError(Code.ParamErr, 'Only files in "my" can be relocated');
      const got = await fm.get(user, uri);
      fm.requireOwner(user, got);
      src.push(got.uri.toString());
    }
    const state: RelocateState = { user_id: user.row.id, src, dst_policy_id: policy.id, failed: 0, relocated: 0 };
    const row = await enqueueTask(ctx, { type: RELOCATE, ownerId: user.row.id, state: { ...state }, summary: relocateSummary(ctx, state) });
    return ok(serializeTask(ctx, row, await masterNode(ctx)));
  });

  r.post('/workflow/import', {
    config: { scope: 'admin' },
    schema: {
      tags: ['workflow'], summary: 'Import existing blobs of a storage policy into a user\'s files (admin)',
      description: '`src` = folder in the policy\'s storage (key prefix; for local policies also an absolute path inside the storage root), `dst` = folder path below the user\'s root. Creates files pointing at the blobs (no copy), charges the user\'s capacity; existing names are skipped, blobs already used by a file are refused (`failed`). The task belongs to the admin who started it.',
      body: Type.Object({
        src: Type.String({ maxLength: 4096 }),
        dst: Type.String({ minLength: 1, maxLength: 4096 }),
        user_id: Type.String({ minLength: 1, maxLength: 64 }),
        policy_id: Type.Integer({ minimum: 1 }),
        recursive: Type.Optional(Type.Boolean()),
        extract_media_meta: Type.Optional(Type.Boolean()),
      }),
    },
  }, async (req) => {
    const userId = ctx.hashids.decode(req.body.user_id, HashType.User);
    if (userId === undefined) throw new AppError(Code.ParamErr, 'Invalid user_id');
    const target = await loadUser(ctx, userId);
    if (!target) throw new AppError(Code.UserNotFound, 'User not found');
    const policy = await loadPolicy(ctx, req.body.policy_id);
    const prefix = importPrefix(ctx, policy, req.body.src);
    const segs = req.body.dst.split('/').filter(Boolean);
    for (const s of segs) assertValidName(s);
    const state: ImportState = {
      user_id: userId, src: req.body.src, prefix, dst: `/${segs.join('/')}`, policy_id: policy.id,
      recursive: req.body.recursive ?? false, extract_media_meta: req.body.extract_media_meta ?? false,
      next_index: 0, failed: 0, imported: 0,
    };
    const row = await enqueueTask(ctx, { type: IMPORT, ownerId: req.user.row.id, state: { ...state }, summary: importSummary(ctx, state) });
    return ok(serializeTask(ctx, row, await masterNode(ctx)));
  });
}
