import type { Ddl } from '../dialect.ts';

/** The whole data model of DESIGN.md. */
export async function up(d: Ddl): Promise<void> {
  const { bigint, text } = d;
  const nn = (c: any) => c.notNull();
  const zero = (c: any) => c.notNull().defaultTo(0);

  await d.table('settings').addColumn('name', d.varchar(255), nn).addColumn('value', text, nn).execute();
  await d.index('settings_name', 'settings', ['name'], true);

  await d.table('groups')
    .addColumn('name', d.varchar(255), nn)
    .addColumn('max_storage', bigint, zero)
    .addColumn('speed_limit', bigint, zero)
    .addColumn('permissions', d.varchar(255), nn)
    .addColumn('settings', text, nn)
    .addColumn('storage_policy_id', bigint, zero)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();

  await d.table('users')
    .addColumn('email', d.varchar(255), nn)
    .addColumn('nick', d.varchar(255), nn)
    .addColumn('password', d.varchar(255), nn)
    .addColumn('status', d.varchar(32), nn)
    .addColumn('storage', bigint, zero)
    .addColumn('group_id', bigint, nn)
    .addColumn('two_factor_secret', d.varchar(255))
    .addColumn('avatar', d.varchar(32), (c) => c.notNull().defaultTo(''))
    .addColumn('settings', text, nn)
    .addColumn('credit', bigint, zero)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('users_email', 'users', ['email'], true);
  await d.index('users_group', 'users', ['group_id']);

  await d.table('passkeys')
    .addColumn('user_id', bigint, nn)
    .addColumn('credential_id', d.varchar(512), nn)
    .addColumn('name', d.varchar(255), nn)
    .addColumn('credential', text, nn)
    .addColumn('used_at', bigint)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('passkeys_user', 'passkeys', ['user_id']);
  await d.index('passkeys_credential', 'passkeys', ['credential_id'], true);

  await d.table('oauth_links')
    .addColumn('user_id', bigint, nn)
    .addColumn('provider', bigint, nn)
    .addColumn('subject', d.varchar(255), nn)
    .addColumn('created_at', bigint, nn)
    .execute();
  await d.index('oauth_links_subject', 'oauth_links', ['provider', 'subject'], true);
  await d.index('oauth_links_user', 'oauth_links', ['user_id']);

  await d.table('dav_accounts')
    .addColumn('owner_id', bigint, nn)
    .addColumn('name', d.varchar(255), nn)
    .addColumn('uri', text, nn)
    .addColumn('password', d.varchar(255), nn)
    .addColumn('options', d.varchar(255), nn)
    .addColumn('props', text, nn)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('dav_accounts_owner', 'dav_accounts', ['owner_id']);

  await d.table('storage_policies')
    .addColumn('name', d.varchar(255), nn)
    .addColumn('type', d.varchar(32), nn)
    .addColumn('server', text, nn)
    .addColumn('bucket_name', d.varchar(255), nn)
    .addColumn('is_private', bigint, zero)
    .addColumn('access_key', text, nn)
    .addColumn('secret_key', text, nn)
    .addColumn('max_size', bigint, zero)
    .addColumn('dir_name_rule', d.varchar(255), nn)
    .addColumn('file_name_rule', d.varchar(255), nn)
    .addColumn('settings', text, nn)
    .addColumn('node_id', bigint)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();

  await d.table('nodes')
    .addColumn('name', d.varchar(255), nn)
    .addColumn('status', d.varchar(32), nn)
    .addColumn('type', d.varchar(32), nn)
    .addColumn('server', text, nn)
    .addColumn('slave_key', text, nn)
    .addColumn('capabilities', d.varchar(255), nn)
    .addColumn('settings', text, nn)
    .addColumn('weight', bigint, zero)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();

  await d.table('files')
    .addColumn('type', bigint, nn)
    .addColumn('name', d.varchar(255), nn)
    .addColumn('owner_id', bigint, nn)
    .addColumn('parent_id', bigint)
    .addColumn('size', bigint, zero)
    .addColumn('primary_entity', bigint)
    .addColumn('storage_policy_id', bigint)
    .addColumn('props', text)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('files_parent_name', 'files', ['parent_id', 'name'], true);
  await d.index('files_parent_type_updated', 'files', ['parent_id', 'type', 'updated_at']);
  await d.index('files_parent_type_size', 'files', ['parent_id', 'type', 'size']);
  await d.index('files_parent_type_created', 'files', ['parent_id', 'type', 'created_at']);
  await d.index('files_owner', 'files', ['owner_id', 'parent_id']);
  await d.index('files_primary_entity', 'files', ['primary_entity']);

  await d.table('entities')
    .addColumn('type', bigint, nn)
    .addColumn('source', text, nn)
    .addColumn('size', bigint, zero)
    .addColumn('reference_count', bigint, (c) => c.notNull().defaultTo(1))
    .addColumn('storage_policy_id', bigint, nn)
    .addColumn('created_by', bigint)
    .addColumn('upload_session_id', d.varchar(64))
    .addColumn('recycle_options', text)
    .addColumn('props', text)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('entities_refcount', 'entities', ['reference_count']);
  await d.index('entities_policy', 'entities', ['storage_policy_id']);

  await d.table('file_entities', false)
    .addColumn('file_id', bigint, nn)
    .addColumn('entity_id', bigint, nn)
    .addPrimaryKeyConstraint(d.indexName('file_entities_pk'), ['file_id', 'entity_id'])
    .execute();
  await d.index('file_entities_entity', 'file_entities', ['entity_id']);

  await d.table('metadata')
    .addColumn('file_id', bigint, nn)
    .addColumn('name', d.varchar(255), nn)
    .addColumn('value', text, nn)
    .addColumn('is_public', bigint, zero)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('metadata_file_name', 'metadata', ['file_id', 'name'], true);
  await d.index('metadata_name', 'metadata', ['name']);

  await d.table('shares')
    .addColumn('password', d.varchar(255), nn)
    .addColumn('views', bigint, zero)
    .addColumn('downloads', bigint, zero)
    .addColumn('remain_downloads', bigint)
    .addColumn('expires', bigint)
    .addColumn('file_id', bigint, nn)
    .addColumn('owner_id', bigint, nn)
    .addColumn('props', text)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('shares_owner', 'shares', ['owner_id']);
  await d.index('shares_file', 'shares', ['file_id']);

  await d.table('direct_links')
    .addColumn('name', d.varchar(255), nn)
    .addColumn('downloads', bigint, zero)
    .addColumn('file_id', bigint, nn)
    .addColumn('speed', bigint, zero)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('direct_links_file', 'direct_links', ['file_id']);

  await d.table('tasks')
    .addColumn('type', d.varchar(64), nn)
    .addColumn('status', d.varchar(32), nn)
    .addColumn('public_state', text, nn)
    .addColumn('private_state', text, nn)
    .addColumn('correlation_id', d.varchar(64))
    .addColumn('owner_id', bigint)
    .addColumn('node_id', bigint)
    .addColumn('attempts', bigint, zero)
    .addColumn('lease_until', bigint)
    .addColumn('run_after', bigint)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('tasks_status', 'tasks', ['status', 'type']);
  await d.index('tasks_owner', 'tasks', ['owner_id']);

  await d.table('upload_sessions', false)
    .addColumn('id', d.varchar(64), (c) => c.primaryKey())
    .addColumn('owner_id', bigint, nn)
    .addColumn('file_id', bigint)
    .addColumn('entity_id', bigint)
    .addColumn('uri', text, nn)
    .addColumn('name', d.varchar(255), nn)
    .addColumn('size', bigint, zero)
    .addColumn('chunk_size', bigint, zero)
    .addColumn('storage_policy_id', bigint, nn)
    .addColumn('reserved', bigint, zero)
    .addColumn('state', text, nn)
    .addColumn('expires_at', bigint, nn)
    .addColumn('created_at', bigint, nn)
    .execute();
  await d.index('upload_sessions_owner', 'upload_sessions', ['owner_id']);
  await d.index('upload_sessions_expires', 'upload_sessions', ['expires_at']);

  await d.table('payments')
    .addColumn('trade_no', d.varchar(255), nn)
    .addColumn('provider', d.varchar(64), nn)
    .addColumn('status', d.varchar(32), nn)
    .addColumn('user_id', bigint, nn)
    .addColumn('amount', bigint, zero)
    .addColumn('currency', d.varchar(16), nn)
    .addColumn('product', text, nn)
    .addColumn('created_at', bigint, nn)
    .addColumn('updated_at', bigint, nn)
    .execute();
  await d.index('payments_trade_no', 'payments', ['trade_no'], true);

  await d.table('credit_changes')
    .addColumn('user_id', bigint, nn)
    .addColumn('diff', bigint, nn)
    .addColumn('reason', d.varchar(255), nn)
    .addColumn('created_at', bigint, nn)
    .execute();
  await d.index('credit_changes_user', 'credit_changes', ['user_id']);

  await d.table('gift_codes')
    .addColumn('code', d.varchar(255), nn)
    .addColumn('product', text, nn)
    .addColumn('used_by', bigint)
    .addColumn('used_at', bigint)
    .addColumn('created_at', bigint, nn)
    .execute();
  await d.index('gift_codes_code', 'gift_codes', ['code'], true);
}
