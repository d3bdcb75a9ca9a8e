import type { Ddl } from '../dialect.ts';

/**
 * File-system core: `files.root_owner_id` is set (to the owner id) only on a user's root folder.
 * Its unique index makes the lazy root creation race-free on every dialect (NULLs never collide).
 */
export async function up(d: Ddl): Promise<void> {
  await d.db.schema.alterTable('files').addColumn('root_owner_id', d.bigint).execute();
  await d.index('files_root_owner', 'files', ['root_owner_id'], true);
}
