import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('apps')
    .addColumn('app_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('secret_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('services', 'text', (c) => c.notNull())
    .addColumn('valid_until', 'varchar(32)')
    .addColumn('daily_limit_per_person', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('concurrency_limit', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('rules')
    .addColumn('rule_id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull().references('apps.app_id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('liveness', 'varchar(16)', (c) => c.notNull())
    .addColumn('compare_source', 'varchar(16)', (c) => c.notNull())
    .addColumn('threshold', 'real', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('token_ttl_s', 'integer', (c) => c.notNull())
    .addColumn('action_count', 'integer', (c) => c.notNull().defaultTo(2))
    .addColumn('idcard_step', 'varchar(16)', (c) => c.notNull().defaultTo('none'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('rules_app').on('rules').column('app_id').execute()

  await db.schema
    .createTable('verifications')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull().references('apps.app_id'))
    .addColumn('rule_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('family', 'varchar(8)', (c) => c.notNull())
    .addColumn('token', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('order_no', 'varchar(64)')
    .addColumn('request_key', 'varchar(64)')
    .addColumn('user_id', 'varchar(64)')
    .addColumn('name_sealed', 'text')
    .addColumn('id_number_sealed', 'text')
    .addColumn('id_hash', 'varchar(64)')
    .addColumn('reference_blob', 'varchar(128)')
    .addColumn('reference_origin', 'varchar(16)')
    .addColumn('redirect_url', 'text')
    .addColumn('extra', 'text')
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('challenge', 'text')
    .addColumn('challenge_expires_at', 'varchar(32)')
    .addColumn('final_reason', 'varchar(48)')
    .addColumn('final_code', 'integer')
    .addColumn('final_billable', 'integer')
    .addColumn('similarity', 'real')
    .addColumn('best_frame_blob', 'varchar(128)')
    .addColumn('video_blob', 'varchar(128)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .addColumn('purge_after', 'varchar(32)', (c) => c.notNull())
    .execute()
  // an order number identifies one verification per app (the sdk family queries by it)
  await db.schema
    .createIndex('verifications_order')
    .on('verifications')
    .columns(['app_id', 'order_no'])
    .unique()
    .execute()
  // a signed request repeated (an SDK retry, a replay) maps to the verification it created
  await db.schema
    .createIndex('verifications_request')
    .on('verifications')
    .columns(['app_id', 'request_key'])
    .unique()
    .execute()
  await db.schema.createIndex('verifications_person').on('verifications').columns(['app_id', 'id_hash']).execute()
  await db.schema.createIndex('verifications_purge').on('verifications').column('purge_after').execute()

  await db.schema
    .createTable('attempts')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('verification_id', 'varchar(40)', (c) => c.notNull().references('verifications.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('media_blob', 'varchar(128)')
    .addColumn('media_kind', 'varchar(8)')
    .addColumn('media_hash', 'varchar(64)')
    .addColumn('reason', 'varchar(48)')
    .addColumn('code', 'integer')
    .addColumn('billable', 'integer')
    .addColumn('similarity', 'real')
    .addColumn('signals', 'text')
    .addColumn('best_frame_blob', 'varchar(128)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .execute()
  await db.schema.createIndex('attempts_seq').on('attempts').columns(['verification_id', 'seq']).unique().execute()
  await db.schema.createIndex('attempts_media').on('attempts').column('media_hash').execute()

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('job_key', 'varchar(96)', (c) => c.notNull().unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_after', 'varchar(32)', (c) => c.notNull())
    .addColumn('locked_until', 'varchar(32)')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['state', 'run_after']).execute()

  await db.schema
    .createTable('ledger')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('attempt_id', 'varchar(40)', (c) => c.notNull().unique())
    .addColumn('verification_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('rule_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('family', 'varchar(8)', (c) => c.notNull())
    .addColumn('code', 'integer', (c) => c.notNull())
    .addColumn('reason', 'varchar(48)', (c) => c.notNull())
    .addColumn('billable', 'integer', (c) => c.notNull())
    .addColumn('day', 'varchar(10)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('ledger_app_day').on('ledger').columns(['app_id', 'day']).execute()

  await db.schema
    .createTable('registry_persons')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('id_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('id_number_sealed', 'text', (c) => c.notNull())
    .addColumn('name_sealed', 'text', (c) => c.notNull())
    .addColumn('name_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('photo_blob', 'varchar(128)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('tickets')
    .addColumn('value_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value_sealed', 'text')
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)')
    .addColumn('parent_hash', 'varchar(64)')
    .addColumn('secret_version', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('used_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('tickets_app_kind').on('tickets').columns(['app_id', 'kind', 'expires_at']).execute()

  await db.schema
    .createTable('guards')
    .addColumn('scope', 'varchar(32)', (c) => c.notNull())
    .addColumn('key', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('guards_pk', ['scope', 'key'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'guards',
    'tickets',
    'registry_persons',
    'ledger',
    'jobs',
    'attempts',
    'verifications',
    'rules',
    'apps',
  ]) {
    await db.schema.dropTable(t).ifExists().execute()
  }
}
