import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // one row per card side read for a verification; a retake of the same side replaces its row
  await db.schema
    .createTable('idcard_sides')
    .addColumn('verification_id', 'varchar(40)', (c) => c.notNull().references('verifications.id'))
    .addColumn('side', 'varchar(8)', (c) => c.notNull())
    .addColumn('image_blob', 'varchar(128)')
    .addColumn('portrait_blob', 'varchar(128)')
    .addColumn('fields_sealed', 'text')
    .addColumn('reason', 'varchar(48)', (c) => c.notNull())
    .addColumn('read_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('idcard_sides_pk', ['verification_id', 'side'])
    .execute()
  // where the verification's name and number came from: the caller ('request') or the card ('idcard')
  await db.schema.alterTable('verifications').addColumn('identity_origin', 'varchar(16)').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('verifications').dropColumn('identity_origin').execute()
  await db.schema.dropTable('idcard_sides').execute()
}
