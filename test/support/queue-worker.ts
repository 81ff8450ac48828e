/**
 * A worker process for the multi-process queue tests (test/queue-processes.test.ts): it migrates the
 * database at SHIREN_DATABASE_URL, runs a queue of `slow` jobs and prints one JSON line per event
 * (migrated, ready, started, finished, stopped). SIGTERM stops the queue with SHIREN_JOB_GRACE_MS of
 * grace, as the `serve` command does. Run with `node --import tsx test/support/queue-worker.ts`.
 */
import { Type } from '@sinclair/typebox'
import { DbJobQueue, defineJob } from '../../src/queue/index.js'
import { KyselyStore, migrateToLatest, openDatabase } from '../../src/storage/index.js'

const SLOW_JOB = defineJob('slow', Type.Object({ n: Type.Integer() }))

const say = (o: object) => process.stdout.write(JSON.stringify({ pid: process.pid, ...o }) + '\n')
const url = process.env.SHIREN_DATABASE_URL!
const slowMs = Number(process.env.SLOW_MS ?? 0)
const graceMs = Number(process.env.SHIREN_JOB_GRACE_MS ?? 30_000)

const db = openDatabase(url)
say({ event: 'migrated', applied: await migrateToLatest(db) })
const log = {
  warn: (o: object, msg: string) => say({ event: 'log', msg, ...o }),
  error: (o: object, msg: string) => say({ event: 'log', msg, ...o }),
}
const queue = new DbJobQueue(new KyselyStore(db.kysely), log, { concurrency: 1, pollMs: 20, heartbeatMs: 100 })
queue.register(SLOW_JOB, {
  run: async ({ n }) => {
    say({ event: 'started', n })
    await new Promise((r) => setTimeout(r, slowMs))
    say({ event: 'finished', n })
    return 'success'
  },
})
if (process.env.NO_QUEUE !== '1') queue.start()
// a server stays up until told to stop (SQLite holds no handle that would keep the process alive)
const alive = setInterval(() => {}, 60_000)
process.once('SIGTERM', async () => {
  clearInterval(alive)
  await queue.stop({ graceMs })
  say({ event: 'stopped' })
  await db.close()
  process.exit(0)
})
say({ event: 'ready' })
