import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The shared folder beside the checkout: test data and staged models. */
export const SHARED = resolve(process.cwd(), '..', 'shared')
export const DATA = join(SHARED, 'data')
export const MODELS = join(SHARED, 'models')
export const hasData = existsSync(join(DATA, 'pairs.tsv'))

export const PG_URL = process.env.SHIREN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export function tempDir(prefix = 'shiren-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

let pgReachable: boolean | null = null
export async function postgresReachable(): Promise<boolean> {
  if (pgReachable !== null) return pgReachable
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 })
  try {
    await c.connect()
    await c.query('select 1')
    pgReachable = true
  } catch {
    pgReachable = false
  } finally {
    await c.end().catch(() => {})
  }
  return pgReachable
}

/**
 * A fresh PostgreSQL schema per test suite, so suites run side by side on one database and leave
 * nothing behind. Returns the URL that points at it and a function that drops it.
 */
export async function freshPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`
  const c = new pg.Client({ connectionString: PG_URL })
  await c.connect()
  await c.query(`create schema ${schema}`)
  await c.end()
  const sep = PG_URL.includes('?') ? '&' : '?'
  return {
    url: `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const d = new pg.Client({ connectionString: PG_URL })
      await d.connect()
      await d.query(`drop schema ${schema} cascade`)
      await d.end()
    },
  }
}

export type DialectName = 'sqlite' | 'postgres'

/**
 * Dialects under test: `DIALECTS=sqlite` narrows it. PostgreSQL is required in CI (CI=true): there a
 * missing server fails the run instead of skipping, so a green CI always means both were tested.
 */
export async function dialects(): Promise<DialectName[]> {
  const wanted = (process.env.DIALECTS ?? 'sqlite,postgres').split(',') as DialectName[]
  const out: DialectName[] = []
  for (const d of wanted) {
    if (d === 'postgres' && !(await postgresReachable())) {
      if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_URL}, and CI requires it`)
      console.warn(`[skip] PostgreSQL not reachable at ${PG_URL}: storage tests run on SQLite only`)
      continue
    }
    out.push(d)
  }
  return out
}

export async function databaseUrl(d: DialectName, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (d === 'sqlite') return { url: `sqlite:${join(dir, 'shiren.db')}`, drop: async () => {} }
  return freshPostgresSchema()
}

/** Cuts the PostgreSQL connections with this application_name (a database restart as a client sees it). */
export async function terminatePostgresConnections(applicationName: string): Promise<number> {
  const c = new pg.Client({ connectionString: PG_URL })
  await c.connect()
  try {
    const r = await c.query(
      'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1',
      [applicationName],
    )
    return r.rows[0].n as number
  } finally {
    await c.end()
  }
}
