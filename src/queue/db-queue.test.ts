import { Type } from '@sinclair/typebox'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryStore, type MemoryStore } from '../../test/support/fakes.js'
import { DbJobQueue, defineJob, type JobResult } from './db-queue.js'

// The queue's typed jobs on SQLite in memory: a handler sees only payloads of its own shape, a job
// is queued in the caller's transaction, and a job that keeps failing is handed to its giveUp.

const quiet = { warn() {}, error() {} }
const PING = defineJob('ping', Type.Object({ n: Type.Integer() }))

describe('DbJobQueue (typed jobs)', () => {
  let mem: MemoryStore
  let queue: DbJobQueue
  beforeEach(async () => {
    mem = await memoryStore()
    queue = new DbJobQueue(mem.store, quiet, { concurrency: 1, pollMs: 10, maxTries: 1 })
  })
  afterEach(async () => {
    await queue.stop()
    await mem.close()
  })

  it('runs a queued job with its typed payload, once per key', async () => {
    const seen: number[] = []
    queue.register(PING, { run: async (p) => (seen.push(p.n), 'success') })
    await mem.store.transaction(async (tx) => {
      await queue.enqueue(tx, PING, 'ping:1', { n: 1 })
      await queue.enqueue(tx, PING, 'ping:1', { n: 1 }) // the same key is one job
    })
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(seen).toEqual([1])
    expect((await mem.store.jobs.counts()).done).toBe(1)
  })

  it('a job rolled back with its transaction never runs', async () => {
    const seen: number[] = []
    queue.register(PING, { run: async (p) => (seen.push(p.n), 'success') })
    await expect(
      mem.store.transaction(async (tx) => {
        await queue.enqueue(tx, PING, 'ping:2', { n: 2 })
        throw new Error('the attempt row failed')
      }),
    ).rejects.toThrow('the attempt row failed')
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(seen).toEqual([])
  })

  it('a stored payload of the wrong shape fails at once and never reaches the handler', async () => {
    let ran = false
    queue.register(PING, { run: async () => ((ran = true), 'success') })
    await mem.store.jobs.enqueue({
      id: 'j1',
      kind: 'ping',
      jobKey: 'k',
      payload: '{"n":"one"}',
      now: new Date().toISOString(),
    })
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(ran).toBe(false)
    expect((await mem.store.jobs.counts()).failed).toBe(1)
  })

  it('a job that keeps failing is given up with its payload', async () => {
    const gaveUp: Array<[number, string]> = []
    queue.register(PING, {
      run: async (): Promise<JobResult> => {
        throw new Error('database is locked')
      },
      giveUp: async (p, error) => void gaveUp.push([p.n, error]),
    })
    await mem.store.transaction((tx) => queue.enqueue(tx, PING, 'ping:3', { n: 3 }))
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    expect(gaveUp).toEqual([[3, 'database is locked']])
  })

  it('refuses a kind registered twice, a job of an unregistered kind, and starting with no kinds', async () => {
    expect(() => queue.start()).toThrow('no registered job kinds')
    queue.register(PING, { run: async () => 'success' })
    expect(() => queue.register(PING, { run: async () => 'success' })).toThrow('registered twice')
    const OTHER = defineJob('other', Type.Object({}))
    await expect(mem.store.transaction((tx) => queue.enqueue(tx, OTHER, 'o', {}))).rejects.toThrow('no handler')
  })
})
