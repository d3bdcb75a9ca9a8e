import type { Ctx } from '../../services/context.ts';
import * as entities from '../../fs/entities.ts';
import { MetaKey, type FileRow } from '../../fs/types.ts';
import { HashType } from '../../util/hashid.ts';
import { blobObject, directLinkObject, fileObject, metadataObject, policyObject, rowsById, rowsByColumn, shareObject, userObject } from './objects.ts';

/**
 * AdminFile objects with their edges (owner, storage policy, metadata, blobs, shares, direct
 * links), loaded in one batch per edge kind for a whole page of files.
 */
export async function adminFiles(ctx: Ctx, files: FileRow[], baseUrl: string): Promise<Record<string, unknown>[]> {
  const db = ctx.db.kysely;
  const ids = files.map((f) => Number(f.id));
  const [owners, policies, meta, blobs, shares, links] = await Promise.all([
    rowsById(db, 'users', files.map((f) => f.owner_id)),
    rowsById(db, 'storage_policies', files.map((f) => f.storage_policy_id)),
    rowsByColumn(db, 'metadata', 'file_id', ids),
    entities.ofFiles(db, ids),
    rowsByColumn(db, 'shares', 'file_id', ids),
    rowsByColumn(db, 'direct_links', 'file_id', ids),
  ]);
  return files.map((f) => {
    const id = Number(f.id);
    const edges: Record<string, unknown> = {};
    const owner = owners.get(Number(f.owner_id));
    if (owner) edges.owner = userObject(ctx, owner);
    const policy = f.storage_policy_id ? policies.get(Number(f.storage_policy_id)) : undefined;
    if (policy) edges.storage_policies = policyObject(policy);
    const m = meta.get(id) ?? [];
    if (m.length) edges.metadata = m.map(metadataObject);
    const b = (blobs.get(id) ?? []).slice().sort((x, y) => Number(x.id) - Number(y.id));
    if (b.length) edges.entities = b.map((e) => blobObject(e));
    const s = shares.get(id) ?? [];
    if (s.length) edges.shares = s.map((x) => shareObject(ctx, x, baseUrl));
    const l = links.get(id) ?? [];
    if (l.length) edges.direct_links = l.map(directLinkObject);
    const out = fileObject(f, edges);
    if (m.some((x) => x.name === MetaKey.SharedRedirect)) out.is_symbolic = true;
    out.user_hash_id = ctx.hashids.encode(Number(f.owner_id), HashType.User);
    out.file_hash_id = ctx.hashids.encode(id, HashType.File);
    return out;
  });
}
