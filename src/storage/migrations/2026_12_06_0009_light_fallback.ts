import type { Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // light-reflection rules (issue 17): the mode a person who declines the screen flashes is offered
  // ('action' | 'silent' | 'digital'); null: none, the person cannot decline
  await db.schema.alterTable('rules').addColumn('light_fallback', 'varchar(8)').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('rules').dropColumn('light_fallback').execute()
}
