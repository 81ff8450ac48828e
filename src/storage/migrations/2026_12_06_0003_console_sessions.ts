import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // server-side console sessions (when no Redis is configured): the cookie holds the id, this table
  // only its SHA-256, so a copy of the database does not hand out live sessions
  await db.schema
    .createTable('console_sessions')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('password_fp', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('idle_until', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('console_sessions_idle').on('console_sessions').column('idle_until').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_sessions').execute()
}
