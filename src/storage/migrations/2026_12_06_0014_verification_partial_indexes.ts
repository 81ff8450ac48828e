import { sql, type Kysely } from 'kysely'

// Frozen: never import application types here; later changes get a new migration file.
//
// The indexes of verifications whose column is often NULL hold only the rows that have a value:
// a DetectAuth has no order number and, without IdCard, no ID-number hash, yet every index entry is
// a page written at its commit (8 B-trees → 5 for such a row; bench:load, docs/benchmarks.md). The
// queries that use them all compare the column with `=`, which implies IS NOT NULL, so SQLite and
// PostgreSQL still pick them; uniqueness is unchanged (NULLs never conflicted).
const PARTIAL = [
  { name: 'verifications_order', columns: ['app_id', 'order_no'], unique: true, notNull: 'order_no' },
  { name: 'verifications_request', columns: ['app_id', 'request_key'], unique: true, notNull: 'request_key' },
  { name: 'verifications_person', columns: ['app_id', 'id_hash'], unique: false, notNull: 'id_hash' },
  { name: 'verifications_id_hash', columns: ['id_hash'], unique: false, notNull: 'id_hash' },
] as const

/** drop and create each index again: partial (up) or over every row (down) */
async function recreate(db: Kysely<any>, partial: boolean): Promise<void> {
  for (const ix of PARTIAL) {
    await db.schema.dropIndex(ix.name).execute()
    let b = db.schema
      .createIndex(ix.name)
      .on('verifications')
      .columns([...ix.columns])
    if (ix.unique) b = b.unique()
    await (partial ? b.where(sql.ref(ix.notNull), 'is not', null) : b).execute()
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await recreate(db, true)
}

export async function down(db: Kysely<any>): Promise<void> {
  await recreate(db, false)
}
