import type { Db } from '../db/connect.ts';
import { Boolset, GroupPermission as P } from '../util/boolset.ts';

export const ADMIN_GROUP_ID = 1;
export const USER_GROUP_ID = 2;
export const ANONYMOUS_GROUP_ID = 3;
export const DEFAULT_POLICY_ID = 1;

const GB = 1024 ** 3;

/** Seeds default groups, the local storage policy and the master node, once. */
export async function seedDefaults(db: Db): Promise<void> {
  const k = db.kysely;
  const now = Date.now();
  await k.transaction().execute(async (trx) => {
    const policy = await trx.selectFrom('storage_policies').select('id').where('id', '=', DEFAULT_POLICY_ID).executeTakeFirst();
    if (!policy) {
      await trx.insertInto('storage_policies').values({
        id: DEFAULT_POLICY_ID, name: 'Default storage policy', type: 'local', server: '', bucket_name: '', is_private: 1,
        access_key: '', secret_key: '', max_size: 0,
        dir_name_rule: '{uid}/{path}', file_name_rule: '{uid}_{randomkey8}_{originname}',
        settings: JSON.stringify({ chunk_size: 25 * 1024 * 1024, pre_allocate: true }),
        node_id: null, created_at: now, updated_at: now,
      } as never).execute();
    }
    const groups = await trx.selectFrom('groups').select('id').execute();
    if (groups.length === 0) {
      const base = { speed_limit: 0, storage_policy_id: DEFAULT_POLICY_ID, created_at: now, updated_at: now };
      const settings = (extra: object = {}) =>
        JSON.stringify({ source_batch: 10, aria2_batch: 1, max_walked_files: 100000, trash_retention: 7 * 24 * 3600, redirected_source: true, ...extra });
      await trx.insertInto('groups').values([
        { id: 1, name: 'Admin', max_storage: 1024 * GB, permissions: Boolset.fromFlags([P.IsAdmin, P.Share, P.WebDAV, P.ArchiveDownload, P.ArchiveTask, P.WebDAVProxy, P.ShareDownload, P.RemoteDownload, P.RedirectedSource, P.AdvanceDelete, P.IgnoreFileOwnership]).encode(), settings: settings({ source_batch: 1000, aria2_batch: 50 }), ...base },
        { id: 2, name: 'User', max_storage: 1 * GB, permissions: Boolset.fromFlags([P.Share, P.ShareDownload, P.RedirectedSource]).encode(), settings: settings(), ...base },
        { id: 3, name: 'Anonymous', max_storage: 0, permissions: Boolset.fromFlags([P.IsAnonymous, P.ShareDownload]).encode(), settings: settings({ source_batch: 0, trash_retention: 0 }), ...base },
      ] as never).execute();
    }
    const node = await trx.selectFrom('nodes').select('id').where('type', '=', 'master').executeTakeFirst();
    if (!node) {
      await trx.insertInto('nodes').values({
        name: 'Master (local machine)', status: 'active', type: 'master', server: '', slave_key: '',
        capabilities: Boolset.fromFlags([1, 2, 3]).encode(), settings: '{}', weight: 1, created_at: now, updated_at: now,
      }).execute();
    }
  });
  // PostgreSQL sequences do not advance for explicit ids.
  if (db.dialect === 'postgres') {
    const { sql } = await import('kysely');
    for (const t of ['groups', 'storage_policies']) {
      const table = `${db.prefix}${t}`;
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(db.kysely);
    }
  }
}
