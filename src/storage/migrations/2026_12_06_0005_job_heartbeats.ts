import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // a running job names its worker and when that worker last said it is alive: a job whose worker
  // stopped beating is taken over after a few missed beats instead of after the whole lock
  await db.schema.alterTable('jobs').addColumn('worker_id', 'varchar(64)').execute()
  await db.schema.alterTable('jobs').addColumn('heartbeat_at', 'varchar(32)').execute()
  // a job that failed its last try is a dead letter, kept with its last error until requeued
  await db.updateTable('jobs').set({ state: 'dead' }).where('state', '=', 'failed').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.updateTable('jobs').set({ state: 'failed' }).where('state', '=', 'dead').execute()
  await db.schema.alterTable('jobs').dropColumn('heartbeat_at').execute()
  await db.schema.alterTable('jobs').dropColumn('worker_id').execute()
}
