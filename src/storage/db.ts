import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely'
import type { Database } from './schema.js'
import * as m0001 from './migrations/2026_11_23_0001_initial.js'
import * as m0002 from './migrations/2026_12_03_0002_idcard_sides.js'
import * as m0003 from './migrations/2026_12_06_0003_console_sessions.js'
import * as m0004 from './migrations/2026_12_06_0004_registry_faces.js'
import * as m0005 from './migrations/2026_12_06_0005_job_heartbeats.js'
import * as m0006 from './migrations/2026_12_06_0006_rule_versions_audit.js'
import * as m0007 from './migrations/2026_12_06_0007_webhooks.js'
import * as m0008 from './migrations/2026_12_06_0008_retention.js'
import * as m0011 from './migrations/2026_12_06_0011_challenge_issued_at.js'
import * as m0012 from './migrations/2026_12_06_0012_well_known_apps.js'
import * as m0014 from './migrations/2026_12_06_0014_verification_partial_indexes.js'

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
  '2026_12_06_0005_job_heartbeats': m0005,
  '2026_12_06_0006_rule_versions_audit': m0006,
  '2026_12_06_0007_webhooks': m0007,
  '2026_12_06_0008_retention': m0008,
  '2026_12_06_0011_challenge_issued_at': m0011,
  '2026_12_06_0012_well_known_apps': m0012,
  '2026_12_06_0014_verification_partial_indexes': m0014,
}

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS
  }
}

/**
 * How SQLite makes a commit durable. `normal` (the default; WAL mode): a commit is written to the WAL
 * but not fsynced; the WAL is synced at each checkpoint. The database is never corrupted and a crash
 * of the process loses nothing (the OS holds the write); a power loss or kernel crash may roll back the
 * last commits — whole transactions, so a verdict and its ledger row still come or go together.
 * `full`: every commit is fsynced before it returns, which on this machine's disk blocks the one
 * event loop ≈ 1.5 ms per write (docs/benchmarks.md, bench:load). Operators who must not lose an
 * acknowledged write to a power cut set SHIREN_SQLITE_SYNC=full or run on PostgreSQL.
 */
export type SqliteSync = 'normal' | 'full'

export interface OpenOptions {
  sqliteSync?: SqliteSync
}

/** Prepared statements kept per connection (least recently used dropped past this). */
const STATEMENT_CACHE = 256

/**
 * better-sqlite3 behind Kysely with a cache of prepared statements: Kysely's driver prepares every
 * query it runs, and the same few dozen SQL texts (one per repository method) make nearly all the
 * traffic. A statement is reused only by the one connection that prepared it; Kysely's SQLite driver
 * runs one query at a time on it, so a statement is never used by two queries at once.
 */
function cachingDatabase(db: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>()
  return {
    close: () => db.close(),
    prepare(text: string) {
      let st = cache.get(text)
      if (st) {
        // most recently used last: the first key is the one to drop
        cache.delete(text)
        cache.set(text, st)
        return st
      }
      st = db.prepare(text)
      cache.set(text, st)
      if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!)
      return st
    },
  }
}

export function openDatabase(url: string, opts: OpenOptions = {}): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    const sqlite = new SQLite(file)
    // WAL + a busy timeout let the CLI and a running server share one file
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    // erased and purged personal data must be gone from the file, not only unlinked: SQLite then
    // overwrites deleted content with zeros (the erasure also checkpoints the WAL, see Store.scrub)
    sqlite.pragma('secure_delete = ON')
    sqlite.pragma(`synchronous = ${opts.sqliteSync === 'full' ? 'FULL' : 'NORMAL'}`)
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite) }) })
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() }
  }
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() }
}

/**
 * A write that lost to another connection's and may simply be run again: SQLite's write lock held
 * past the busy timeout, or a transaction whose snapshot another process wrote past (SQLITE_BUSY_*);
 * PostgreSQL's serialization failure or deadlock (40001, 40P01).
 */
export function isWriteContention(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01')
}

/**
 * Brings the schema up to date, once even when several processes start together on one database:
 * on PostgreSQL a session advisory lock (per schema) is held around the whole run, table checks
 * included, so the second process waits and then finds nothing to do; on SQLite the run is one
 * `BEGIN IMMEDIATE` transaction (the file's write lock, waited for with the busy timeout), which also
 * makes a failed run leave nothing half-applied. A process that dies while holding either lock drops
 * it with its connection.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (db.dialect === 'postgres') {
    // Kysely looks for its migration tables in every schema unless told which: a database holding
    // several shiren schemas (the tests' one per suite) would otherwise see another schema's tables
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s
    const key = `shiren:migrate:${schema ?? ''}`
    return db.kysely.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(hashtext(${key}))`.execute(conn)
      try {
        return await runMigrator(db.kysely, schema)
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn)
      }
    })
  }
  return db.kysely.connection().execute(async (conn) => {
    // another process migrating holds the write lock: wait for it (longer than the busy timeout, as a
    // slow disk can make a first migration take a while), then find the schema up to date
    for (const end = Date.now() + 120_000; ;) {
      try {
        await sql`begin immediate`.execute(conn)
        break
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > end) throw err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    try {
      const done = await runMigrator(conn, undefined)
      await sql`commit`.execute(conn)
      return done
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {})
      throw err
    }
  })
}

async function runMigrator(kysely: Kysely<Database>, schema: string | undefined): Promise<string[]> {
  const migrator = new Migrator({
    db: kysely,
    provider: new StaticMigrationProvider(),
    ...(schema && { migrationTableSchema: schema }),
    // numbers are handed out per branch and branches merge in any order: a database that already ran
    // 0007 must still run a 0006 merged after it (each migration touches only its own tables and columns)
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
