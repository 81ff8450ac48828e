import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // one completion webhook per app: the URL and its signing secret (sealed by the vault); during a
  // rotation the previous secret keeps signing (a second signature) until previous_until
  await db.schema
    .createTable('webhooks')
    .addColumn('app_id', 'varchar(32)', (c) => c.primaryKey().references('apps.app_id').onDelete('cascade'))
    .addColumn('url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('previous_secret_sealed', 'text')
    .addColumn('previous_until', 'varchar(32)')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  // one event per verification outcome (finished, expired): its body holds no personal data and is
  // sent unchanged at every try, under the same event id and idempotency key
  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('verification_id', 'varchar(40)', (c) => c.notNull().references('verifications.id'))
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('idempotency_key', 'varchar(80)', (c) => c.notNull().unique())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('webhook_events_app').on('webhook_events').columns(['app_id', 'created_at']).execute()
  await db.schema.createIndex('webhook_events_verification').on('webhook_events').column('verification_id').execute()
  // the delivery log: one row per try (no body, no URL: only what happened)
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('event_id', 'varchar(40)', (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
    .addColumn('verification_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('at', 'varchar(32)', (c) => c.notNull())
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'varchar(200)')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['event_id', 'at']).execute()
  await db.schema
    .createIndex('webhook_deliveries_verification')
    .on('webhook_deliveries')
    .column('verification_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute()
  await db.schema.dropTable('webhook_events').execute()
  await db.schema.dropTable('webhooks').execute()
}
