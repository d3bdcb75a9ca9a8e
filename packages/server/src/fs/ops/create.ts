import type { CurrentUser } from '../../services/users.ts';
import { AppError } from '../../http/errors.ts';
import { Cap, requireCaps, type CapBit } from '../capability.ts';
import type { Existing, FileManager } from '../core.ts';
import * as metadata from '../metadata.ts';
import { assertPolicyAllowsName, assertValidName, type PolicyNameSettings } from '../names.ts';
import type { Navigator } from '../navigator.ts';
import { childByName, insertFile, objectExists } from '../tree.ts';
import { inTx } from '../db-errors.ts';
import { FileType, type FileRow, type FileTypeValue } from '../types.ts';
import type { FileUri } from '../uri.ts';
import { parseJson } from '../../util/json.ts';
import { Code } from '@cloudreve-ts/protocol';

export interface CreateOptions {
  type: FileTypeValue;
  /** Validated metadata to set on a newly created object (see metadata.validateMap). */
  metadata?: metadata.MetadataPatch[];
  /** What to do when the exact URI already exists with the same type: return it (default) or 40004. */
  onExisting?: 'return' | 'error';
  /** Capability bits the file system must have (default create + lock). */
  caps?: CapBit[];
  /** Take the short-lived `create` lock on the path (default true). */
  lock?: boolean;
  /** Lock tokens the caller holds (e.g. an upload session's). */
  tokens?: string[];
}

export interface CreateResult extends Existing { created: boolean }

/** The name rules of the storage policy new files of `nav`'s owner go to. */
async function ownerPolicyRules(fm: FileManager, nav: Navigator): Promise<PolicyNameSettings> {
  const p = await fm.ctx.db.kysely.selectFrom('storage_policies').select('settings')
    .where('id', '=', nav.owner.group.storage_policy_id).executeTakeFirst();
  return parseJson<PolicyNameSettings>(p?.settings, {});
}

/**
 * Creates a file or folder at `uri`, creating missing parent folders (mkdir -p). Existing object
 * of the same type → returned (or 40004 with onExisting 'error'); of another type → 40004.
 * Names are validated (40052), files also against the owner's policy name rules (40052); the
 * deepest existing ancestor must be owned by the requester (40082). Concurrent creates of one
 * path serialise on the path lock; races from other doors are settled by the unique index.
 */
export async function createObject(fm: FileManager, user: CurrentUser, uriIn: string | FileUri, opts: CreateOptions): Promise<CreateResult> {
  const ctx = fm.ctx;
  const uri = fm.parse(uriIn).withoutQuery();
  const nav = await fm.navigator(user, uri);
  requireCaps(nav.caps, ...(opts.caps ?? [Cap.CreateFile, Cap.LockFile]));
  if (!uri.isRoot) assertValidName(uri.name);

  const run = async (): Promise<CreateResult> => {
    const r = await nav.resolve(ctx.db.kysely, uri);
    if (r.file) {
      if (Number(r.file.type) !== opts.type || opts.onExisting === 'error') throw objectExists();
      return { ...r, file: r.file, created: false };
    }
    fm.requireOwner(user, r);
    let parent = r.chain[r.chain.length - 1];
    if (!parent) throw new AppError(Code.ParentNotExist, 'Parent not exist');
    if (Number(parent.type) !== FileType.Folder) throw objectExists();
    for (const n of r.missing) assertValidName(n);
    if (opts.type === FileType.File) assertPolicyAllowsName(uri.name, await ownerPolicyRules(fm, nav));

    const now = ctx.now();
    const chain = [...r.chain];
    // Intermediate folders: each its own statement, tolerating a concurrent creator (mkdir -p).
    for (const name of r.missing.slice(0, -1)) {
      let folder: FileRow | undefined;
      try {
        folder = await insertFile(ctx.db, ctx.db.kysely, { type: FileType.Folder, name, ownerId: parent.owner_id, parentId: parent.id, policyId: null, now });
      } catch (e) {
        if (!(e instanceof AppError) || e.code !== Code.ObjectExist) throw e;
        folder = await childByName(ctx.db.kysely, parent.id, name);
        if (!folder || Number(folder.type) !== FileType.Folder) throw objectExists();
      }
      chain.push(folder);
      parent = folder;
    }
    const name = r.missing[r.missing.length - 1]!;
    const parentRow = parent;
    const file = await inTx(ctx.db, async (trx) => {
      const f = await insertFile(ctx.db, trx, {
        type: opts.type, name, ownerId: parentRow.owner_id, parentId: parentRow.id,
        policyId: opts.type === FileType.File ? nav.owner.group.storage_policy_id : null, now,
      });
      const entries = (opts.metadata ?? []).filter((p) => !p.remove).map((p) => ({ key: p.key, value: p.value ?? '' }));
      await metadata.upsert(trx, [f.id], entries, now);
      return f;
    });
    chain.push(file);
    return { ...r, file, chain, missing: [], created: true };
  };

  if (opts.lock === false) return run();
  const lock = { ...fm.lockRequest({ nav, uri, chain: [], missing: [], isRoot: uri.isRoot }, 'create', 0), fileType: opts.type };
  return fm.withLocks(user, nav, [lock], run, opts.tokens);
}
