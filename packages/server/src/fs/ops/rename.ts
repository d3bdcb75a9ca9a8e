import type { CurrentUser } from '../../services/users.ts';
import { Cap } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import { inTx } from '../db-errors.ts';
import * as metadata from '../metadata.ts';
import { assertPolicyAllowsName, assertValidName, fileExtension, type PolicyNameSettings } from '../names.ts';
import { moveRow } from '../tree.ts';
import { FileType, MetaKey } from '../types.ts';
import { parseJson } from '../../util/json.ts';

/**
 * Renames an object in place. Name rules → 40052 (files also the owner's policy rules), a sibling
 * with that name → 40004, root → 403, not owner → 40082. A changed extension drops `thumb:disabled`.
 * Returns the renamed object with its new URI.
 */
export async function renameFile(fm: FileManager, user: CurrentUser, uri: string, newName: string): Promise<Existing> {
  const ctx = fm.ctx;
  assertValidName(newName);
  const r = await fm.getForMutation(user, uri, [Cap.RenameFile, Cap.LockFile]);
  if (r.file.name === newName) return r;
  if (Number(r.file.type) === FileType.File) {
    const p = await ctx.db.kysely.selectFrom('storage_policies').select('settings')
      .where('id', '=', r.file.storage_policy_id ?? r.nav.owner.group.storage_policy_id).executeTakeFirst();
    assertPolicyAllowsName(newName, parseJson<PolicyNameSettings>(p?.settings, {}));
  }
  const newUri = r.uri.parent().join(newName);
  const locks = [fm.lockRequest(r, 'rename', 'infinity'), fm.lockRequest(r, 'rename', 0, newUri)];
  return fm.withLocks(user, r.nav, locks, async () => {
    await fm.revalidate(r);
    const now = ctx.now();
    await inTx(ctx.db, async (trx) => {
      await moveRow(trx, r.file.id, r.file.parent_id, newName, now, { parentId: r.file.parent_id, name: r.file.name });
      if (fileExtension(newName) !== fileExtension(r.file.name)) await metadata.remove(trx, [r.file.id], [MetaKey.ThumbDisabled]);
    });
    const file = { ...r.file, name: newName, updated_at: now };
    return { ...r, uri: newUri, file, chain: [...r.chain.slice(0, -1), file] };
  });
}
