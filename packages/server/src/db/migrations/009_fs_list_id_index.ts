import type { Ddl } from '../dialect.ts';

/** Listings in the default (id) order range-scan (parent_id, type, id) instead of sorting the folder per page. */
export async function up(d: Ddl): Promise<void> {
  await d.index('files_parent_type_id', 'files', ['parent_id', 'type', 'id']);
}
