import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // when the live challenge was issued: an upload repeated after a dropped connection (the same
  // recording, no new challenge since its attempt) is the same upload, not a replay
  await db.schema.alterTable('verifications').addColumn('challenge_issued_at', 'varchar(32)').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('verifications').dropColumn('challenge_issued_at').execute()
}
