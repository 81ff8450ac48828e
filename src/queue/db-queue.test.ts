import { Type } from '@sinclair/typebox'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  databaseUrl,
  dialects,
  tempDir,
  terminatePostgresConnections,
  type DialectName,
} from '../../test/support/env.js'
import {
  KyselyStore,
  listenForJobs,
  migrateToLatest,
  openDatabase,
  type Db,
  type JobWakeups,
  type Store,
} from '../storage/index.js'
import { DbJobQueue, defineJob, type DbJobQueueOptions, type JobObserver, type JobResult } from './db-queue.js'

// One queue suite, every dialect: SQLite (the single-machine default, polled) and PostgreSQL
// (SKIP LOCKED claims, LISTEN/NOTIFY wake-ups). Each test gets empty tables; queues are fast here
// (10 ms polls, 100 ms heartbeats) so that takeovers and retries happen within the test.

const quiet = { warn() {}, error() {} }
const PING = defineJob('ping', Type.Object({ n: Type.Integer() }))
const DIALECTS = await dialects()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const iso = (ms = 0) => new Date(Date.now() + ms).toISOString()

async function until(cond: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return true
    await sleep(10)
  }
  return false
}

describe.each(DIALECTS)('DbJobQueue on %s', (dialect: DialectName) => {
  let url: string
  let drop: () => Promise<void>
  const dbs: Db[] = []
  const queues: DbJobQueue[] = []
  const wakeups: JobWakeups[] = []
  let store: Store

  /** another process's view of the same database */
  const open = (): Store => {
    const db = openDatabase(url)
    dbs.push(db)
    return new KyselyStore(db.kysely)
  }
  const queueOn = (s: Store, o: Partial<DbJobQueueOptions> = {}): DbJobQueue => {
    // a running job counts as abandoned after 2 s without a beat (10 missed): wide enough for a loaded
    // test machine; the takeover test narrows it
    const q = new DbJobQueue(s, quiet, { concurrency: 1, pollMs: 10, heartbeatMs: 100, staleAfterMs: 2000, ...o })
    queues.push(q)
    return q
  }

  beforeAll(async () => {
    const target = await databaseUrl(dialect, tempDir())
    url = target.url
    drop = target.drop
    const db = openDatabase(url)
    await migrateToLatest(db)
    await db.close()
  })
  afterAll(async () => {
    await drop()
  })
  beforeEach(async () => {
    store = open()
    await dbs[0]!.kysely.deleteFrom('jobs').execute()
  })
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop({ graceMs: 0 })
    for (const w of wakeups.splice(0)) await w.close()
    for (const d of dbs.splice(0)) await d.close()
  })

  it('runs a queued job with its typed payload, once per key', async () => {
    const queue = queueOn(store)
    const seen: number[] = []
    queue.register(PING, { run: async (p) => (seen.push(p.n), 'success') })
    await store.transaction(async (tx) => {
      await queue.enqueue(tx, PING, 'ping:1', { n: 1 })
      await queue.enqueue(tx, PING, 'ping:1', { n: 1 }) // the same key is one job
    })
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(seen).toEqual([1])
    expect((await store.jobs.counts()).done).toBe(1)
  })

  it('a job rolled back with its transaction never runs', async () => {
    const queue = queueOn(store)
    const seen: number[] = []
    queue.register(PING, { run: async (p) => (seen.push(p.n), 'success') })
    await expect(
      store.transaction(async (tx) => {
        await queue.enqueue(tx, PING, 'ping:2', { n: 2 })
        throw new Error('the attempt row failed')
      }),
    ).rejects.toThrow('the attempt row failed')
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(seen).toEqual([])
  })

  it('a stored payload of the wrong shape is dead at once and never reaches the handler', async () => {
    const queue = queueOn(store)
    let ran = false
    queue.register(PING, { run: async () => ((ran = true), 'success') })
    await store.jobs.enqueue({ id: 'j1', kind: 'ping', jobKey: 'k', payload: '{"n":"one"}', now: iso() })
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(ran).toBe(false)
    expect(await queue.dead()).toMatchObject([{ id: 'j1', tries: 1, lastError: expect.stringContaining('shape') }])
  })

  it('refuses a kind registered twice, a job of an unregistered kind, and starting with no kinds', async () => {
    const queue = queueOn(store)
    expect(() => queue.start()).toThrow('no registered job kinds')
    queue.register(PING, { run: async () => 'success' })
    expect(() => queue.register(PING, { run: async () => 'success' })).toThrow('registered twice')
    const OTHER = defineJob('other', Type.Object({}))
    await expect(store.transaction((tx) => queue.enqueue(tx, OTHER, 'o', {}))).rejects.toThrow('no handler')
    expect(() => defineJob('bad', Type.Object({}), { maxTries: 0 })).toThrow('maxTries')
  })

  it('retries with the kind’s own policy, then the job is dead with its last error, given up and requeueable', async () => {
    const waits: number[] = []
    const FLAKY = defineJob('flaky', Type.Object({ n: Type.Integer() }), {
      maxTries: 3,
      backoffMs: (tries) => (waits.push(tries), 20 * tries),
    })
    const queue = queueOn(store, { maxTries: 10 })
    let calls = 0
    let failing = true
    const gaveUp: Array<[number, string]> = []
    queue.register(FLAKY, {
      run: async (): Promise<JobResult> => {
        calls++
        if (failing) throw new Error(`database is locked (${calls})`)
        return 'success'
      },
      giveUp: async (p, error) => void gaveUp.push([p.n, error]),
    })
    await store.transaction((tx) => queue.enqueue(tx, FLAKY, 'flaky:1', { n: 7 }))
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(calls).toBe(3)
    expect(waits).toEqual([1, 2]) // the pause after the 1st and 2nd failed tries; the 3rd is the last
    expect(gaveUp).toEqual([[7, 'database is locked (3)']])
    const [dead] = await queue.dead()
    expect(dead).toMatchObject({ kind: 'flaky', key: 'flaky:1', tries: 3, lastError: 'database is locked (3)' })
    expect(await queue.stats()).toMatchObject({ queued: 0, running: 0, dead: 1 })

    failing = false
    expect(await queue.requeue(dead!.id)).toBe(true)
    expect(await queue.requeue(dead!.id)).toBe(false) // no longer dead
    expect(await queue.idle(5000)).toBe(true)
    expect(calls).toBe(4)
    expect(await store.jobs.counts()).toMatchObject({ done: 1 })
    expect(await queue.dead()).toEqual([])
  })

  it('a job whose worker vanished is taken over by heartbeat long before its lock runs out, and finished once', async () => {
    await store.jobs.enqueue({ id: 'j1', kind: 'ping', jobKey: 'ping:ghost', payload: '{"n":1}', now: iso() })
    // a worker claims it with the full 120 s lock, beats once, and dies
    const ghost = await open().jobs.claim(iso(), iso(120_000), { workerId: 'ghost', staleBefore: iso(-150) })
    expect(ghost).toMatchObject({ id: 'j1', tries: 1, workerId: 'ghost' })
    const queue = queueOn(open(), { staleAfterMs: 300 })
    let runs = 0
    queue.register(PING, { run: async () => (runs++, 'success') })
    const t0 = Date.now()
    queue.start()
    expect(await until(async () => (await store.jobs.counts()).done === 1)).toBe(true)
    const tookMs = Date.now() - t0
    expect(tookMs).toBeLessThan(10_000) // the lock alone would hold it for 120 s
    expect(runs).toBe(1)
    // the ghost comes back: the job is no longer its, nothing it writes counts
    expect(await store.jobs.complete('j1', 'ghost', iso())).toBe(false)
    expect(await store.jobs.retry('j1', 'ghost', 'late', iso(), iso())).toBe(false)
  })

  it('a live worker’s heartbeat keeps its long job from being taken over', async () => {
    // the job runs 2 s, over three times the stale limit: only its heartbeats keep it
    const a = queueOn(open(), { staleAfterMs: 600 })
    const b = queueOn(open(), { staleAfterMs: 600 })
    let runs = 0
    const slow = { run: async (): Promise<JobResult> => (runs++, await sleep(2000), 'success') }
    a.register(PING, slow)
    b.register(PING, slow)
    await store.transaction((tx) => a.enqueue(tx, PING, 'ping:long', { n: 1 }))
    a.start()
    expect(await until(async () => (await store.jobs.counts()).running === 1)).toBe(true)
    b.start()
    expect(await a.idle(5000)).toBe(true)
    expect(runs).toBe(1)
    expect(await store.jobs.counts()).toMatchObject({ done: 1 })
  })

  it('two workers on their own connections run 20 jobs exactly once each', async () => {
    const seen: number[] = []
    const handler = { run: async (p: { n: number }): Promise<JobResult> => (seen.push(p.n), await sleep(5), 'success') }
    const a = queueOn(open(), { concurrency: 2 })
    const b = queueOn(open(), { concurrency: 2 })
    a.register(PING, handler)
    b.register(PING, handler)
    await store.transaction(async (tx) => {
      for (let n = 0; n < 20; n++) await a.enqueue(tx, PING, `ping:${n}`, { n })
    })
    a.start()
    b.start()
    expect(await a.idle(10_000)).toBe(true)
    expect(seen.sort((x, y) => x - y)).toEqual([...Array(20).keys()])
  })

  it('stop: a running job gets its grace, then goes back to the queue with its try unspent; another worker finishes it once', async () => {
    const a = queueOn(open())
    let release!: () => void
    const stuck = new Promise<void>((r) => (release = r))
    const done: string[] = []
    a.register(PING, { run: async () => (await stuck, done.push('a'), 'success') })
    await store.transaction((tx) => a.enqueue(tx, PING, 'ping:drain', { n: 1 }))
    a.start()
    expect(await until(async () => (await store.jobs.counts()).running === 1)).toBe(true)
    await a.stop({ graceMs: 100 })
    const [row] = await dbs[0]!.kysely.selectFrom('jobs').selectAll().execute()
    expect(row).toMatchObject({ state: 'queued', worker_id: null })
    expect(Number(row!.tries)).toBe(0)
    release() // the first worker's handler ends after all: its result is dropped
    const b = queueOn(open())
    b.register(PING, { run: async () => (done.push('b'), 'success') })
    b.start()
    expect(await b.idle(5000)).toBe(true)
    expect(await store.jobs.counts()).toMatchObject({ done: 1 })
    expect(done.filter((x) => x === 'b')).toEqual(['b'])
    expect(await until(() => done.length === 2)).toBe(true)
    expect((await store.jobs.counts()).done).toBe(1)
  })

  it('stop within the grace lets the running job finish', async () => {
    const a = queueOn(open())
    a.register(PING, { run: async () => (await sleep(100), 'success') })
    await store.transaction((tx) => a.enqueue(tx, PING, 'ping:grace', { n: 1 }))
    a.start()
    expect(await until(async () => (await store.jobs.counts()).running === 1)).toBe(true)
    await a.stop({ graceMs: 5000 })
    expect(await store.jobs.counts()).toMatchObject({ done: 1 })
  })

  it('reports stats and tells its observer when each job starts and ends', async () => {
    const events: string[] = []
    const observer: JobObserver = {
      jobStarted: (e) => void events.push(`start ${e.kind}`),
      jobFinished: (e) => void events.push(`end ${e.kind} ${e.outcome} ${e.durationMs >= 0}`),
    }
    const queue = queueOn(store)
    queue.observe(observer)
    queue.register(PING, { run: async (p) => (p.n === 1 ? 'success' : 'retry') })
    await store.jobs.enqueue({ id: 'j0', kind: 'ping', jobKey: 'old', payload: '{"n":1}', now: iso(-60_000) })
    const s = await queue.stats()
    expect(s).toMatchObject({ queued: 1, running: 0, dead: 0 })
    expect(s.oldestQueuedAgeS).toBeGreaterThanOrEqual(59)
    expect(await queue.depth()).toBe(1)
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(events).toEqual(['start ping', 'end ping success true'])
    expect(await queue.stats()).toEqual({ queued: 0, running: 0, dead: 0, oldestQueuedAgeS: 0 })
  })

  it.runIf(dialect === 'postgres')(
    'a job queued by another process wakes the worker by NOTIFY at commit, not by its poll',
    async () => {
      const w = listenForJobs(url, quiet)!
      wakeups.push(w)
      const queue = queueOn(open(), { pollMs: 60_000, wakeups: w })
      const seen: number[] = []
      queue.register(PING, { run: async (p) => (seen.push(p.n), 'success') })
      queue.start()
      await sleep(300) // the LISTEN connection is up, and the first poll found nothing
      const api = open()
      // queued in a transaction that waits before committing: no wake-up before the commit
      await api.transaction(async (tx) => {
        await tx.jobs.enqueue({ id: 'jn', kind: 'ping', jobKey: 'ping:n', payload: '{"n":5}', now: iso() })
        await sleep(200)
        expect(seen).toEqual([])
      })
      expect(await until(() => seen.length === 1, 3000)).toBe(true)
      expect(seen).toEqual([5])

      // the listening connection is cut (a database restart, a proxy timeout): it comes back by itself
      expect(await terminatePostgresConnections(`shiren-jobs:${process.pid}`)).toBe(1)
      await sleep(1000) // reconnected; its wake-up on reconnect found nothing
      await api.jobs.enqueue({ id: 'jm', kind: 'ping', jobKey: 'ping:m', payload: '{"n":6}', now: iso() })
      expect(await until(() => seen.length === 2, 3000)).toBe(true)
      expect(seen).toEqual([5, 6])
    },
  )
})
