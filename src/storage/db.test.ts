import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { openDatabase } from './db.js'

const file = () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'shiren-db-')), 'db.sqlite')}`

describe('openDatabase (SQLite)', () => {
  it('commits with synchronous=NORMAL in WAL mode by default, FULL when asked', async () => {
    for (const [opts, want] of [
      [{}, 1],
      [{ sqliteSync: 'full' as const }, 2],
    ] as const) {
      const db = openDatabase(file(), opts)
      try {
        const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.kysely)
        const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely)
        expect(mode.rows[0]?.journal_mode).toBe('wal')
        expect(sync.rows[0]?.synchronous).toBe(want)
      } finally {
        await db.close()
      }
    }
  })

  it('answers correctly past the prepared-statement cache (more distinct queries than it keeps)', async () => {
    const db = openDatabase(file())
    try {
      await sql`create table t (k integer primary key, v text)`.execute(db.kysely)
      await sql`insert into t (k, v) values (1, 'one'), (2, 'two')`.execute(db.kysely)
      for (let round = 0; round < 2; round++)
        for (let i = 0; i < 300; i++) {
          // 300 distinct SQL texts, each run twice: evicted statements are prepared anew
          const r = await sql<{
            v: string
            n: number
          }>`select v, ${sql.raw(String(i))} as n from t where k = ${1 + (i % 2)}`.execute(db.kysely)
          expect(r.rows).toEqual([{ v: i % 2 ? 'two' : 'one', n: i }])
        }
    } finally {
      await db.close()
    }
  })
})
