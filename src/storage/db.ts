import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type MigrationProvider } from 'kysely'
import type { Database } from './schema.js'
import * as m0001 from './migrations/2026_11_23_0001_initial.js'
import * as m0002 from './migrations/2026_12_03_0002_idcard_sides.js'
import * as m0003 from './migrations/2026_12_06_0003_console_sessions.js'
import * as m0004 from './migrations/2026_12_06_0004_registry_faces.js'
import * as m0009 from './migrations/2026_12_06_0009_light_fallback.js'

export type Dialect = 'sqlite' | 'postgres'

export interface Db {
  kysely: Kysely<Database>
  dialect: Dialect
  close(): Promise<void>
}

// Migrations are listed here rather than read from a folder so the same list works from src (vitest) and dist.
const MIGRATIONS: Record<string, Migration> = {
  '2026_11_23_0001_initial': m0001,
  '2026_12_03_0002_idcard_sides': m0002,
  '2026_12_06_0003_console_sessions': m0003,
  '2026_12_06_0004_registry_faces': m0004,
  '2026_12_06_0009_light_fallback': m0009,
}

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS
  }
}

export function openDatabase(url: string): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    const sqlite = new SQLite(file)
    // WAL + a busy timeout let the CLI and a running server share one file
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() }
  }
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  // Kysely looks for its migration tables in every schema unless told which: a database holding
  // several shiren schemas (the tests' one per suite) would otherwise see another schema's tables
  const schema =
    db.dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s
      : undefined
  const migrator = new Migrator({
    db: db.kysely,
    provider: new StaticMigrationProvider(),
    ...(schema && { migrationTableSchema: schema }),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
