import type { Ddl } from '../dialect.ts';
import * as m001 from './001_initial.ts';
import * as m002 from './002_fs_core.ts';
import * as m003 from './003_uploads.ts';
import * as m002b from './002_fs_list_index.ts';
import * as m009 from './009_fs_list_id_index.ts';
import * as m020 from './020_admin_audit.ts';

export interface Migration { name: string; up(d: Ddl): Promise<void> }

/** Ordered, append-only list of schema migrations. Never edit a released one: add a new file. */
export const MIGRATIONS: Migration[] = [
  { name: '001_initial', up: m001.up },
  { name: '002_fs_core', up: m002.up },
  // The list order is the apply order; 002_ is the fs core's prefix.
  { name: '002_fs_list_index', up: m002b.up },
  { name: '003_uploads', up: m003.up },
  { name: '009_fs_list_id_index', up: m009.up },
  { name: '020_admin_audit', up: m020.up },
];
