import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // apps shiren itself makes and finds again by a name of its own ('demo': the app printed at start-up).
  // The primary key is what lets processes starting together on one database agree on a single one
  await db.schema
    .createTable('well_known_apps')
    .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(32)', (c) => c.notNull().references('apps.app_id'))
    .addColumn('rule_id', 'varchar(32)', (c) => c.notNull().references('rules.rule_id'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('well_known_apps').execute()
}
