import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { rmSync } from 'node:fs'
import { KyselyStore, migrateToLatest, openDatabase, type Db } from '../src/storage/index.js'
import { AppService } from '../src/apps/index.js'
import { databaseUrl, dialects, tempDir } from './support/env.js'
import { testVault } from './support/fakes.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/**
 * The demo app printed at start-up: api processes started together on one empty database each
 * call ensureDemo. Here two connections of their own (as two processes have) race on one database.
 */
describe.each(await dialects())('the demo app on %s', (dialect) => {
  it('processes starting together on an empty database make one demo app and one rule, and all print it', async () => {
    const dir = tempDir('shiren-demo-')
    dirs.push(dir)
    const target = await databaseUrl(dialect, dir)
    const vault = testVault()
    const dbs: Db[] = []
    try {
      for (let i = 0; i < 3; i++) dbs.push(openDatabase(target.url))
      // In one process, better-sqlite3's busy wait would hold up the very event loop that the lock's
      // holder needs to commit: these connections are told "busy" at once instead (separate processes
      // wait for each other, and the same retry follows)
      if (dialect === 'sqlite') for (const db of dbs) await sql`pragma busy_timeout = 0`.execute(db.kysely)
      await migrateToLatest(dbs[0]!)
      const services = dbs.map((db) => new AppService(new KyselyStore(db.kysely), vault))
      const printed = await Promise.all(services.map((s) => s.ensureDemo()))
      const apps = await services[0]!.listApps()
      expect(apps.filter((a) => a.name === 'demo')).toHaveLength(1)
      expect(await services[0]!.listRules(apps[0]!.appId)).toHaveLength(1)
      expect(new Set(printed.map((p) => JSON.stringify(p))).size).toBe(1)
      expect(printed[0]).toMatchObject({ appId: apps[0]!.appId })
      // a later start finds the same one
      expect(await services[1]!.ensureDemo()).toEqual(printed[0])
    } finally {
      for (const db of dbs) await db.close()
      await target.drop()
    }
  }, 30_000)

  it('a database from before the record keeps its earliest demo app (given a rule if it had none)', async () => {
    const dir = tempDir('shiren-demo-')
    dirs.push(dir)
    const target = await databaseUrl(dialect, dir)
    const db = openDatabase(target.url)
    try {
      await migrateToLatest(db)
      const apps = new AppService(new KyselyStore(db.kysely), testVault())
      const earlier = await apps.createApp({ name: 'demo' })
      await apps.createApp({ name: 'demo' })
      const demo = await apps.ensureDemo()
      expect(demo).toMatchObject({ appId: earlier.app.appId, secret: earlier.secret })
      expect((await apps.listRules(earlier.app.appId)).map((r) => r.ruleId)).toEqual([demo.ruleId])
      expect(await apps.listApps()).toHaveLength(2)
    } finally {
      await db.close()
      await target.drop()
    }
  })
})
