import type { Ddl } from '../dialect.ts';

/**
 * Upload bookkeeping: which chunks of a session arrived (so completion happens once, when the set is
 * complete, whatever the arrival order), a commit claim (so exactly one request or the recovery
 * sweep finishes a session), one live session per target file, and entity lookup by session.
 */
export async function up(d: Ddl): Promise<void> {
  const nn = (c: any) => c.notNull();

  await d.table('upload_chunks', false)
    .addColumn('session_id', d.varchar(64), nn)
    .addColumn('idx', d.bigint, nn)
    .addColumn('size', d.bigint, nn)
    .addColumn('write_id', d.varchar(64), nn)
    .addColumn('created_at', d.bigint, nn)
    .addPrimaryKeyConstraint(d.indexName('upload_chunks_pk'), ['session_id', 'idx'])
    .execute();

  await d.db.schema.alterTable('upload_sessions').addColumn('committing_at', d.bigint).execute();
  await d.index('upload_sessions_file', 'upload_sessions', ['file_id'], true);
  await d.index('entities_upload_session', 'entities', ['upload_session_id']);
}
