import { Code } from '@cloudreve-ts/protocol';
import type { CurrentUser, UserSettings } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { parseJson } from '../../util/json.ts';
import { Cap, requireCaps } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as metadata from '../metadata.ts';
import { viewProblem } from '../serialize.ts';
import { FileUri } from '../uri.ts';
import { FileType, type ExplorerView, type FileProps } from '../types.ts';

/**
 * PATCH /file/metadata: validates the patches (40001), then every target must exist, be owned
 * (40082 fails the whole request) and not be a root; upserts then removals in one transaction.
 */
export async function patchMetadata(fm: FileManager, user: CurrentUser, uris: string[], patches: metadata.MetadataPatch[]): Promise<void> {
  const ctx = fm.ctx;
  fm.checkBatch(uris);
  metadata.validatePatches(ctx, patches);
  const targets: Existing[] = [];
  for (const raw of uris) targets.push(await fm.getForMutation(user, raw, [Cap.UpdateMetadata, Cap.LockFile]));
  if (!targets.length) return;
  const nav = targets[0]!.nav;
  await fm.withLocks(user, nav, targets.map((t) => fm.lockRequest(t, 'updateMetadata', 0)), async () => {
    for (const t of targets) await fm.revalidate(t);
    const now = ctx.now();
    const ids = [...new Set(targets.map((t) => t.file.id))];
    await inTx(ctx.db, async (trx) => {
      await metadata.upsert(trx, ids, patches.filter((p) => !p.remove).map((p) => ({ key: p.key, value: p.value ?? '' })), now);
      await metadata.remove(trx, ids, patches.filter((p) => p.remove).map((p) => p.key));
    });
  });
}

/** Reads and writes the requester's user settings JSON atomically enough for per-user data. */
async function updateUserSettings(fm: FileManager, user: CurrentUser, fn: (s: UserSettings) => void): Promise<void> {
  const db = fm.ctx.db;
  await inTx(db, async (trx) => {
    let q = trx.selectFrom('users').select('settings').where('id', '=', user.row.id);
    if (db.dialect !== 'sqlite') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    const settings = parseJson<UserSettings>(row?.settings, {});
    fn(settings);
    await trx.updateTable('users').set({ settings: JSON.stringify(settings), updated_at: fm.ctx.now() }).where('id', '=', user.row.id).execute();
  });
}

const normalized = (uri: string) => FileUri.tryParse(uri)?.toString() ?? uri;

/** PUT /file/pin: same URI pinned under another name → 40004; identical → no-op. */
export async function pin(fm: FileManager, user: CurrentUser, uri: string, name?: string): Promise<void> {
  if (user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
  const u = fm.parse(uri).toString();
  await updateUserSettings(fm, user, (s) => {
    const pins = s.pined ?? [];
    const existing = pins.find((p) => normalized(p.uri) === u);
    if (existing) {
      if ((existing.name ?? '') !== (name ?? '')) throw new AppError(Code.ObjectExist, 'Already pinned');
      return;
    }
    pins.push(name ? { uri: u, name } : { uri: u });
    s.pined = pins;
  });
}

/** DELETE /file/pin: removes by URI. */
export async function unpin(fm: FileManager, user: CurrentUser, uri: string): Promise<void> {
  if (user.anonymous) throw new AppError(Code.CheckLogin, 'Login required');
  const u = fm.parse(uri).toString();
  await updateUserSettings(fm, user, (s) => {
    s.pined = (s.pined ?? []).filter((p) => normalized(p.uri) !== u);
    if (!s.pined.length) delete s.pined;
  });
}

/**
 * PATCH /file/view. Roots of file systems without a root object (trash, shared_with_me) store the
 * view in the user's `fs_view_map`; otherwise on the folder (owner or admin, 40082).
 */
export async function setView(fm: FileManager, user: CurrentUser, uri: string, view: ExplorerView | null): Promise<void> {
  if (view) {
    const problem = viewProblem(view);
    if (problem) throw new AppError(Code.ParamErr, problem);
  }
  const u = fm.parse(uri);
  const nav = await fm.navigator(user, u);
  if (u.isRoot && (nav.fs === 'trash' || nav.fs === 'shared_with_me')) {
    await updateUserSettings(fm, user, (s) => {
      const map = (s.fs_view_map as Record<string, ExplorerView> | undefined) ?? {};
      if (view) map[nav.fs] = view;
      else delete map[nav.fs];
      s.fs_view_map = map;
    });
    return;
  }
  requireCaps(nav.caps, Cap.ModifyProps, Cap.LockFile);
  const r = await fm.get(user, u);
  if (Number(r.file.type) !== FileType.Folder) throw new AppError(Code.NoPermission, 'Not supported action');
  if (r.file.owner_id !== user.row.id && !fm.isAdmin(user)) throw new AppError(Code.OwnerOnly, 'Owner only');
  await inTx(fm.ctx.db, async (trx) => {
    const row = await trx.selectFrom('files').select('props').where('id', '=', r.file.id).executeTakeFirst();
    const props = parseJson<FileProps>(row?.props, {});
    if (view) props.view = view;
    else delete props.view;
    await trx.updateTable('files').set({ props: Object.keys(props).length ? JSON.stringify(props) : null }).where('id', '=', r.file.id).execute();
  });
}
