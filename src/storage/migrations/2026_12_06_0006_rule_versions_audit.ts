import { sql, type Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
export async function up(db: Kysely<any>): Promise<void> {
  // one immutable row per version of a rule: its settings as JSON, who wrote it and when. The rules
  // table keeps the rule's identity and the number of its current version.
  await db.schema
    .createTable('rule_versions')
    .addColumn('rule_id', 'varchar(32)', (c) => c.notNull().references('rules.rule_id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_by', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_versions_pk', ['rule_id', 'version'])
    .execute()
  await db.schema
    .alterTable('rules')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  // the rules that exist become version 1 of themselves
  const rules = await db.selectFrom('rules').selectAll().execute()
  for (const r of rules) {
    await db
      .insertInto('rule_versions')
      .values({
        rule_id: r.rule_id,
        version: 1,
        settings: JSON.stringify({
          name: r.name,
          liveness: r.liveness,
          compareSource: r.compare_source,
          threshold: Number(r.threshold),
          maxAttempts: Number(r.max_attempts),
          tokenTtlS: Number(r.token_ttl_s),
          actionCount: Number(r.action_count),
          idcardStep: r.idcard_step,
          duplicateAction: r.duplicate_action === 'fail' ? 'fail' : 'flag',
          enabled: Number(r.enabled) !== 0,
        }),
        created_by: 'migration',
        created_at: r.updated_at,
      })
      .execute()
  }
  // the version a verification was created under (existing ones: 1, the only version there was)
  await db.schema
    .alterTable('verifications')
    .addColumn('rule_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()

  // the audit log of operator actions: append-only, without personal data
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('at', 'varchar(32)', (c) => c.notNull())
    .addColumn('actor', 'varchar(32)', (c) => c.notNull())
    .addColumn('source', 'varchar(64)')
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('subject', 'varchar(128)')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute()
  await db.schema.createIndex('audit_log_action_at').on('audit_log').columns(['action', 'at']).execute()

  // append-only in the database itself: an UPDATE or DELETE of an entry (or a rule version) fails
  if (await isPostgres(db)) {
    await sql`create or replace function shiren_append_only() returns trigger as $$
      begin raise exception '% is append-only', tg_table_name; end $$ language plpgsql`.execute(db)
    for (const t of ['audit_log', 'rule_versions'])
      await sql`create trigger ${sql.raw(`${t}_append_only`)} before update or delete on ${sql.table(t)}
        for each row execute function shiren_append_only()`.execute(db)
  } else {
    for (const t of ['audit_log', 'rule_versions'])
      for (const op of ['update', 'delete'])
        await sql`create trigger ${sql.raw(`${t}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(t)}
          begin select raise(abort, ${sql.lit(`${t} is append-only`)}); end`.execute(db)
  }
}

/** PostgreSQL has version(), SQLite does not (a failed prepare in SQLite leaves no transaction aborted) */
async function isPostgres(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select version()`.execute(db)
    return true
  } catch {
    return false
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (await isPostgres(db)) {
    await sql`drop function if exists shiren_append_only() cascade`.execute(db)
  }
  await db.schema.dropTable('audit_log').execute()
  await db.schema.alterTable('verifications').dropColumn('rule_version').execute()
  await db.schema.alterTable('rules').dropColumn('version').execute()
  await db.schema.dropTable('rule_versions').execute()
}
