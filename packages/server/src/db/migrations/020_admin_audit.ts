import type { Ddl } from '../dialect.ts';

/** Admin audit log (our design, docs/api.md "Admin audit log"): who changed what, when. */
export async function up(d: Ddl): Promise<void> {
  const nn = (c: any) => c.notNull();
  await d.table('admin_audit_logs')
    .addColumn('actor_id', d.bigint, nn)
    .addColumn('action', d.varchar(64), nn)
    .addColumn('target', d.varchar(255), nn)
    .addColumn('detail', d.text, nn)
    .addColumn('ip', d.varchar(64), nn)
    .addColumn('created_at', d.bigint, nn)
    .execute();
  await d.index('admin_audit_logs_created', 'admin_audit_logs', ['created_at']);
  await d.index('admin_audit_logs_actor', 'admin_audit_logs', ['actor_id']);
}
