import pg from 'pg'
import { JOBS_CHANNEL } from './repositories.js'

/** What a worker needs to hear about new jobs at once instead of at its next poll. */
export interface JobWakeups {
  /** calls `fn` on every notification, and after each reconnect (jobs may have come meanwhile) */
  subscribe(fn: () => void): () => void
  close(): Promise<void>
}

interface WakeupLogger {
  warn(obj: object, msg: string): void
}

/**
 * PostgreSQL LISTEN on the jobs channel, on a connection of its own: a pooled connection cannot
 * listen (it is handed to other queries between them). The connection is re-opened with a growing
 * pause when it drops (a database restart, a network cut); the queue's slow poll covers the gap.
 * Returns null for SQLite, where the queue polls (one process enqueues and runs, and it wakes
 * itself on enqueue).
 */
export function listenForJobs(databaseUrl: string, log: WakeupLogger): JobWakeups | null {
  if (databaseUrl.startsWith('sqlite:')) return null
  const subscribers = new Set<() => void>()
  let client: pg.Client | null = null
  let closed = false
  let retryMs = 250
  let timer: NodeJS.Timeout | null = null
  const wake = () => {
    for (const fn of subscribers) fn()
  }
  const connect = async () => {
    if (closed) return
    // named, so that an operator (and the tests) can tell this process's listener in pg_stat_activity
    const c = new pg.Client({ connectionString: databaseUrl, application_name: `shiren-jobs:${process.pid}` })
    client = c
    let failed = false
    const lost = (err?: Error) => {
      if (failed) return
      failed = true
      c.removeAllListeners('notification')
      c.end().catch(() => {})
      if (closed) return
      log.warn({ err: err?.message, retryMs }, 'job notifications lost: reconnecting')
      timer = setTimeout(() => void connect(), retryMs)
      retryMs = Math.min(retryMs * 2, 5000)
    }
    c.on('error', lost)
    c.on('end', () => lost())
    c.on('notification', (n) => {
      if (n.channel === JOBS_CHANNEL) wake()
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${JOBS_CHANNEL}`)
      retryMs = 250
      wake()
    } catch (err) {
      lost(err as Error)
    }
  }
  void connect()
  return {
    subscribe(fn) {
      subscribers.add(fn)
      return () => void subscribers.delete(fn)
    },
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      subscribers.clear()
      await client?.end().catch(() => {})
    },
  }
}
