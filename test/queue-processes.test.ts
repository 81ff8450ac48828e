import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { KyselyStore, openDatabase, type Db } from '../src/storage/index.js'
import { Type } from '@sinclair/typebox'
import { DbJobQueue, defineJob } from '../src/queue/index.js'
import { databaseUrl, dialects, tempDir, type DialectName } from './support/env.js'

// Real processes against one database: several starting together migrate it once, and SIGTERM on
// a busy worker loses no job. The worker is test/support/queue-worker.ts (one JSON line per event).

const DIALECTS = await dialects()
const quiet = { warn() {}, error() {} }
/** the worker's job kind (the same definition in test/support/queue-worker.ts) */
const SLOW_JOB = defineJob('slow', Type.Object({ n: Type.Integer() }))

interface Worker {
  child: ChildProcess
  events: Array<Record<string, any>>
  waitFor(event: string, ms?: number): Promise<Record<string, any>>
  exited: Promise<number | null>
}

function startWorker(url: string, env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/queue-worker.ts'], {
    env: { ...process.env, SHIREN_DATABASE_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const events: Array<Record<string, any>> = []
  let stderr = ''
  child.stderr!.on('data', (b) => (stderr += String(b)))
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line))
    } catch {
      return
    }
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code, signal) => (r(code ?? (signal as never)), waiters.forEach((w) => w()))),
  )
  return {
    child,
    events,
    exited,
    async waitFor(event, ms = 50_000) {
      const end = Date.now() + ms
      for (;;) {
        const e = events.find((x) => x.event === event)
        if (e) return e
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(
            `no "${event}" from the worker (exit ${child.exitCode} ${child.signalCode}): ${JSON.stringify(events)} ${stderr.slice(-2000)}`,
          )
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
    },
  }
}

describe.each(DIALECTS)('queue processes on %s', (dialect: DialectName) => {
  const cleanup: Array<() => Promise<unknown>> = []
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {})
  })

  it('two processes starting together on an empty database migrate it once, and both come up', async () => {
    const target = await databaseUrl(dialect, tempDir())
    cleanup.push(target.drop)
    const workers = [startWorker(target.url, { NO_QUEUE: '1' }), startWorker(target.url, { NO_QUEUE: '1' })]
    cleanup.push(async () => workers.forEach((w) => w.child.kill('SIGKILL')))
    const migrated = await Promise.all(workers.map((w) => w.waitFor('migrated')))
    await Promise.all(workers.map((w) => w.waitFor('ready')))
    const applied = migrated.map((m) => m.applied as string[])
    // every migration applied by exactly one of them; the other found the schema up to date
    expect(applied.flat().sort()).toEqual([...applied.find((a) => a.length > 0)!].sort())
    expect(applied.filter((a) => a.length === 0)).toHaveLength(1)
    expect(applied.flat()).toContain('2026_12_06_0005_job_heartbeats')
    // both are up, and both stop cleanly on SIGTERM
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true)
    for (const w of workers) w.child.kill('SIGTERM')
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0])
  })

  it('SIGTERM on a busy worker loses no job: released after the grace, finished once by another worker', async () => {
    const target = await databaseUrl(dialect, tempDir())
    cleanup.push(target.drop)
    const busy = startWorker(target.url, { SLOW_MS: '60000', SHIREN_JOB_GRACE_MS: '300' })
    cleanup.push(async () => busy.child.kill('SIGKILL'))
    await busy.waitFor('ready')
    let db: Db | null = openDatabase(target.url)
    cleanup.push(async () => db?.close())
    const store = new KyselyStore(db.kysely)
    const other = new DbJobQueue(store, quiet, { concurrency: 1, pollMs: 20, heartbeatMs: 100 })
    const done: number[] = []
    other.register(SLOW_JOB, { run: async ({ n }) => (done.push(n), 'success') })
    await store.transaction((tx) => other.enqueue(tx, SLOW_JOB, 'slow:1', { n: 1 }))
    await busy.waitFor('started')
    busy.child.kill('SIGTERM')
    await busy.waitFor('stopped')
    expect(await busy.exited).toBe(0)
    expect(busy.events.some((e) => e.event === 'finished')).toBe(false)
    const [row] = await db.kysely.selectFrom('jobs').selectAll().execute()
    expect(row).toMatchObject({ state: 'queued', worker_id: null })
    expect(Number(row!.tries)).toBe(0) // the interrupted try is not counted against the job

    other.start()
    expect(await other.idle(10_000)).toBe(true)
    await other.stop()
    expect(done).toEqual([1])
    expect(await store.jobs.counts()).toEqual({ done: 1 })
    await db.close()
    db = null
  })
})
