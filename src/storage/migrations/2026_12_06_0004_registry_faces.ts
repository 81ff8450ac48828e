import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // one row per registry person with a face: the embedding sealed by the vault (personal data), and the
  // registry revision of its last change. A deleted person leaves a row with no embedding (a tombstone)
  // so that other processes, refreshing by revision, learn of the deletion too.
  await db.schema
    .createTable('registry_faces')
    .addColumn('person_id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('embedding_sealed', 'text')
    .addColumn('model', 'varchar(64)')
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('registry_faces_revision').on('registry_faces').column('revision').execute()
  // the change counter every process reads before a search (one row)
  await db.schema
    .createTable('registry_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .execute()
  await db.insertInto('registry_state').values({ id: 1, revision: 0 }).execute()
  // what a rule does with a duplicate identity found on a passed verification: 'flag' (null) or 'fail'
  await db.schema.alterTable('rules').addColumn('duplicate_action', 'varchar(8)').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rules').dropColumn('duplicate_action').execute()
  await db.schema.dropTable('registry_state').execute()
  await db.schema.dropTable('registry_faces').execute()
}
