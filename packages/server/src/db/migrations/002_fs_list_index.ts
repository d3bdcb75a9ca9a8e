import type { Ddl } from '../dialect.ts';

/** File-system core: name-ordered listings range-scan (parent_id, type, name) per type section. */
export async function up(d: Ddl): Promise<void> {
  await d.index('files_parent_type_name', 'files', ['parent_id', 'type', 'name']);
}
