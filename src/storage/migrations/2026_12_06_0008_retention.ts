import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // an app's own retention of media and personal data, in days (0–365); null: the server default
  // (SHIREN_RETENTION_S)
  await db.schema.alterTable('apps').addColumn('retention_days', 'integer').execute()
  // bumps at every erasure of a registry person: an erased face leaves no row behind (not even a
  // tombstone), so the other processes learn of it from this counter and drop faces no longer stored
  await db.schema
    .alterTable('registry_state')
    .addColumn('erasures', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
  // the erasure finds a person's verifications in every app by the blind index of the ID number
  await db.schema.createIndex('verifications_id_hash').on('verifications').column('id_hash').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('verifications_id_hash').execute()
  await db.schema.alterTable('registry_state').dropColumn('erasures').execute()
  await db.schema.alterTable('apps').dropColumn('retention_days').execute()
}
