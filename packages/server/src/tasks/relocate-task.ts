import type { Ctx } from '../services/context.ts';
import { fileManager } from '../fs/core.ts';
import { ancestors, chunks, walkSubtree } from '../fs/tree.ts';
import type { EntityRow, FileRow } from '../fs/types.ts';
import { FileType } from '../fs/types.ts';
import { isNotFound, type StorageDriver } from '../storage/driver.ts';
import { generateSavePath } from '../storage/keys.ts';
import { driverFor, loadPolicy, type PolicyRow } from '../storage/policies.ts';
import { HashType } from '../util/hashid.ts';
import { taskUser } from './archive-task.ts';
import { registerTaskHandler } from './queue.ts';
import { CriticalTaskError, type RunningTask } from './types.ts';

export const RELOCATE = 'relocate';

/** The entity being moved when the state was last saved (what a resumed run must settle first). */
interface InFlight { entity_id: number; key: string; from_policy: number; from_source: string }

export interface RelocateState {
  user_id: number;
  src: string[];
  dst_policy_id: number;
  failed: number;
  relocated: number;
  current?: InFlight;
}

export const relocateSummary = (ctx: Ctx, s: RelocateState) => ({
  phase: '',
  props: { src_multiple: s.src, dst_policy_id: ctx.hashids.encode(s.dst_policy_id, HashType.Policy), failed: s.failed },
});

/** Deletes a blob unless some entity still points at it (imported blobs may be shared that way). */
async function deleteUnreferenced(ctx: Ctx, policyId: number, source: string): Promise<void> {
  const used = await ctx.db.kysely.selectFrom('entities').select('id').where('storage_policy_id', '=', policyId).where('source', '=', source).executeTakeFirst();
  if (used) return;
  const policy = await loadPolicy(ctx, policyId);
  const left = await driverFor(ctx, policy).delete([source]);
  if (left.length) ctx.log.warn('relocate: old blob could not be deleted', { policy: policyId });
}

/**
 * Settles the entity a crashed run was moving: when the switch committed, only the old blob's
 * deletion may be missing; otherwise the copy on the destination is an orphan and goes away.
 */
async function settle(ctx: Ctx, c: InFlight, dstPolicyId: number): Promise<void> {
  const e = await ctx.db.kysely.selectFrom('entities').select(['source', 'storage_policy_id']).where('id', '=', c.entity_id).executeTakeFirst();
  if (e && Number(e.storage_policy_id) === dstPolicyId && e.source === c.key) {
    await deleteUnreferenced(ctx, c.from_policy, c.from_source);
  } else {
    await deleteUnreferenced(ctx, dstPolicyId, c.key);
  }
}

/** Entities of the selected files (folders recursively) that are not on the destination yet, oldest first. */
async function collect(task: RunningTask<RelocateState>): Promise<{ entities: EntityRow[]; fileOf: Map<number, FileRow> }> {
  const { ctx } = task;
  const user = await taskUser(ctx, task.state.user_id);
  const fm = fileManager(ctx);
  const roots: FileRow[] = [];
  for (const uri of task.state.src) {
    try {
      const r = await fm.get(user, uri);
      fm.requireOwner(user, r);
      roots.push(r.file);
    } catch (e) {
      ctx.log.info('relocate: source skipped', { task: task.id, error: String((e as Error).message) });
      task.state.failed++;
    }
  }
  const { rows } = await walkSubtree(ctx.db.kysely, roots, fm.maxWalked(user));
  const files = rows.filter((f) => Number(f.type) === FileType.File);
  const fileOf = new Map<number, FileRow>();
  const entities = new Map<number, EntityRow>();
  for (const part of chunks(files.map((f) => f.id))) {
    if (!part.length) continue;
    const linked = await ctx.db.kysely.selectFrom('file_entities as fe').innerJoin('entities as e', 'e.id', 'fe.entity_id')
      .selectAll('e').select('fe.file_id as link_file_id').where('fe.file_id', 'in', part)
      .where('e.storage_policy_id', '!=', task.state.dst_policy_id).where('e.upload_session_id', 'is', null)
      .where('e.reference_count', '>', 0).execute();
    for (const r of linked) {
      const { link_file_id, ...e } = r as EntityRow & { link_file_id: number };
      entities.set(Number(e.id), e);
      if (!fileOf.has(Number(e.id))) fileOf.set(Number(e.id), files.find((f) => f.id === Number(link_file_id))!);
    }
  }
  return { entities: [...entities.values()].sort((a, b) => Number(a.id) - Number(b.id)), fileOf };
}

/** A key on the destination that no blob uses yet (name rules may repeat, e.g. `{uid}/{originname}`). */
async function freshKey(ctx: Ctx, dst: PolicyRow, driver: StorageDriver, userId: number, file: FileRow): Promise<string> {
  const chain = await ancestors(ctx.db.kysely, file.id);
  const folder = `/${chain.slice(1, -1).map((f) => f.name).join('/')}`;
  for (let i = 0; i < 5; i++) {
    const key = generateSavePath({ dirRule: dst.dir_name_rule, fileRule: dst.file_name_rule, userId, folderPath: folder, originName: file.name, now: ctx.now() });
    const taken = await ctx.db.kysely.selectFrom('entities').select('id').where('storage_policy_id', '=', dst.id).where('source', '=', key).executeTakeFirst();
    if (!taken && !(await driver.stat(key))) return key;
  }
  throw new Error('No free storage key on the destination policy (name rule without random parts?)');
}

/**
 * Moves every entity (versions, thumbnails, live photos) of the selected files to the destination
 * policy: copy the blob (source driver get → destination put), switch the entity's source and
 * policy in one conditional transaction (also the policy of files whose current version it is),
 * then delete the old blob. An entity shared by several files moves once and all of them follow;
 * capacity is unchanged (same sizes). The entity in flight is checkpointed before its copy starts,
 * so a crash leaves at most one orphan copy or one undeleted old blob, which the resumed run
 * settles first; entities already on the destination are not collected again.
 */
async function runRelocate(task: RunningTask<RelocateState>) {
  const { ctx } = task;
  const s = task.state;
  const dst = await loadPolicy(ctx, s.dst_policy_id).catch(() => {
    throw new CriticalTaskError('Destination storage policy no longer exists');
  });
  const dstDriver = driverFor(ctx, dst);
  if (s.current) {
    await settle(ctx, s.current, dst.id);
    s.current = undefined;
    await task.checkpoint(s, relocateSummary(ctx, s));
  }
  const failedBefore = s.failed;
  const { entities, fileOf } = await collect(task);
  if (s.failed !== failedBefore) await task.checkpoint(s, relocateSummary(ctx, s));
  const total = entities.length;
  let done = 0;
  task.progress('relocate', { total, current: 0, identifier: '' });
  for (const e of entities) {
    if (task.signal.aborted) throw task.signal.reason;
    const from = Number(e.storage_policy_id);
    const file = fileOf.get(Number(e.id))!;
    let srcDriver: StorageDriver;
    try {
      srcDriver = driverFor(ctx, await loadPolicy(ctx, from));
    } catch (err) {
      ctx.log.warn('relocate: source policy unusable', { task: task.id, entity: e.id, error: String((err as Error).message) });
      s.failed++;
      await task.checkpoint(s, relocateSummary(ctx, s));
      continue;
    }
    const key = await freshKey(ctx, dst, dstDriver, Number(e.created_by ?? s.user_id), file);
    s.current = { entity_id: Number(e.id), key, from_policy: from, from_source: e.source };
    await task.checkpoint(s);
    try {
      const body = await srcDriver.get(e.source, { signal: task.signal });
      await dstDriver.put(key, body, { size: Number(e.size) });
    } catch (err) {
      if (!isNotFound(err)) throw err; // I/O on either side: retry the task
      ctx.log.warn('relocate: source blob missing', { task: task.id, entity: e.id });
      s.failed++;
      s.current = undefined;
      await task.checkpoint(s, relocateSummary(ctx, s));
      continue;
    }
    const switched = await ctx.db.kysely.transaction().execute(async (trx) => {
      const now = ctx.now();
      const r = await trx.updateTable('entities').set({ source: key, storage_policy_id: dst.id, updated_at: now })
        .where('id', '=', e.id).where('source', '=', e.source).where('storage_policy_id', '=', from)
        .where('reference_count', '>', 0).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await trx.updateTable('files').set({ storage_policy_id: dst.id }).where('primary_entity', '=', e.id).execute();
      return true;
    });
    if (switched) {
      await deleteUnreferenced(ctx, from, e.source);
      s.relocated++;
    } else {
      // Changed or deleted meanwhile: the copy is not needed.
      await deleteUnreferenced(ctx, dst.id, key);
    }
    s.current = undefined;
    await task.checkpoint(s, relocateSummary(ctx, s));
    task.progress('relocate', { total, current: ++done, identifier: '' });
  }
  return { status: 'completed' as const };
}

registerTaskHandler({ type: RELOCATE, queue: 'io_intense', run: runRelocate });
