import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { ulid } from 'ulid'
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { JobRow, Store } from '../storage/index.js'

// Why a queue of our own rather than graphile-worker or pg-boss: an attempt's analysis job must be
// written in the attempt's own transaction, through the store the services already use, on SQLite
// (the single-process default) as on PostgreSQL, behind one interface and one test suite. Both
// libraries are PostgreSQL-only, keep their own schema and migrations, and enqueue through their own
// client or SQL function (graphile-worker's `add_job` could run in our transaction, pg-boss only with
// a hand-wired executor), so SQLite would still need this queue and the two would drift apart. What
// the libraries add on PostgreSQL is small here: a `FOR UPDATE SKIP LOCKED` claim, a `pg_notify` in
// the enqueueing transaction and a LISTEN connection (src/storage: repositories.ts, job-wakeups.ts).
// See docs/architecture.md ("queue").

export type JobResult = 'success' | 'retry'

/** How often a kind of job is tried, and how long it waits before the next try. */
export interface JobOptions {
  /** tries before the job is dead (default: the queue's, 5) */
  maxTries?: number
  /** the pause after failed try number `tries` (1-based; default 2^tries s) */
  backoffMs?: (tries: number) => number
}

/**
 * One kind of job and the shape of its payload. The payload is stored as JSON and checked against
 * the schema when it is read back, so a handler only ever sees a payload of its own type.
 */
export interface JobDefinition<S extends TSchema = TSchema> {
  readonly kind: string
  readonly payload: S
  /** compiled once: a stored payload that does not match fails the job without retries */
  readonly check: TypeCheck<S>
  readonly maxTries?: number
  readonly backoffMs?: (tries: number) => number
}

export type JobPayload<J extends JobDefinition> = Static<J['payload']>

export function defineJob<S extends TSchema>(kind: string, payload: S, opts?: JobOptions): JobDefinition<S> {
  if (opts?.maxTries !== undefined && (!Number.isInteger(opts.maxTries) || opts.maxTries < 1))
    throw new Error(`job kind "${kind}": maxTries must be a positive integer`)
  return {
    kind,
    payload,
    check: TypeCompiler.Compile(payload),
    ...(opts?.maxTries !== undefined && { maxTries: opts.maxTries }),
    ...(opts?.backoffMs && { backoffMs: opts.backoffMs }),
  }
}

/** What runs a job of one kind, and what closes its subject when the job has failed for the last time. */
export interface JobHandler<S extends TSchema = TSchema> {
  run(payload: Static<S>): Promise<JobResult>
  giveUp?(payload: Static<S>, error: string): Promise<void>
}

export interface QueueLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** What a service needs to queue work: the job row is written in the caller's transaction. */
export interface JobEnqueuer {
  enqueue<S extends TSchema>(tx: Store, job: JobDefinition<S>, key: string, payload: Static<S>): Promise<void>
}

/** How a job's run ended: done, to be tried again, dead, handed back at shutdown, or taken over meanwhile. */
export type JobOutcome = 'success' | 'retry' | 'dead' | 'released' | 'lost'

/** Told when a job starts and ends (metrics: job time per kind, outcomes). Must not throw or block. */
export interface JobObserver {
  jobStarted?(e: { kind: string; jobId: string }): void
  jobFinished?(e: { kind: string; jobId: string; durationMs: number; outcome: JobOutcome }): void
}

export interface QueueStats {
  queued: number
  running: number
  dead: number
  /** how long the oldest queued job has waited (seconds, as /metrics reports it), 0 when none */
  oldestQueuedAgeS: number
}

/** A dead job as the console shows it (never the payload). */
export interface DeadJob {
  id: string
  kind: string
  key: string
  tries: number
  lastError: string | null
  createdAt: string
  diedAt: string
}

/** The queue as operators see it: its depth, its dead letters, and requeueing one. */
export interface JobQueueAdmin {
  stats(): Promise<QueueStats>
  /** queued plus running jobs: what admission control compares with its limit */
  depth(): Promise<number>
  dead(limit?: number): Promise<DeadJob[]>
  /** a dead job queued again with fresh tries; false when there is no dead job of this id */
  requeue(id: string): Promise<boolean>
}

export interface JobQueue extends JobEnqueuer, JobQueueAdmin {
  /** every kind must be registered (once) before `start`, and before the first job of it is queued */
  register<S extends TSchema>(job: JobDefinition<S>, handler: JobHandler<S>): void
  start(): void
  /**
   * Stops taking jobs; a running job gets `graceMs` to finish, after which it is released (queued
   * again without spending a try) for another worker. Resolves when nothing of this queue runs or
   * holds a job any more.
   */
  stop(opts?: { graceMs?: number }): Promise<void>
  /** resolves when no job is queued or running (tests and graceful shutdown) */
  idle(timeoutMs?: number): Promise<boolean>
  observe(observer: JobObserver | null): void
}

/** What wakes a worker when a job is queued elsewhere (PostgreSQL LISTEN); see src/storage. */
export interface QueueWakeups {
  subscribe(fn: () => void): () => void
}

export interface DbJobQueueOptions {
  concurrency: number
  /** the poll interval: due retries and abandoned jobs are found by it, and new jobs when nothing wakes us */
  pollMs?: number
  /** a running job whose process died is taken over after this long even without heartbeats */
  lockMs?: number
  /** the default tries of a kind that sets none */
  maxTries?: number
  /** a running job's row is touched this often (default 5 s) */
  heartbeatMs?: number
  /** a running job whose heartbeat is older than this lost its worker (default 3 heartbeats) */
  staleAfterMs?: number
  /** names this worker in the job rows (default host:pid:random) */
  workerId?: string
  /** notifications of new jobs (PostgreSQL); without them the poll finds new jobs */
  wakeups?: QueueWakeups | null
  observer?: JobObserver | null
}

/** The stored payload when it parses and has the job's shape; undefined otherwise. */
function parsePayload(job: JobDefinition, raw: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  return job.check.Check(value) ? value : undefined
}

interface Registered {
  job: JobDefinition
  handler: JobHandler
}

/** A job this worker holds right now. */
interface Holding {
  row: JobRow
  startedAt: number
  beat: NodeJS.Timeout
  /** released at shutdown or taken over: whatever the handler ends with is dropped */
  letGo: boolean
  /** the handler has ended and its result is being written: heartbeats stop */
  ending: boolean
}

const DEFAULT_BACKOFF = (tries: number) => 1000 * 2 ** tries

/**
 * A job queue in the database: the job row is written in the same transaction as the work it
 * describes, so an acknowledged upload always has its analysis queued, and a restart picks up
 * whatever was queued or running. Running jobs carry their worker's id and heartbeat, so a job whose
 * worker vanished is taken over after a few missed beats; every later write of a job is made only
 * while its worker still holds it, so a taken-over job is finished once.
 */
export class DbJobQueue implements JobQueue {
  private running = 0
  private stopped = true
  private timer: NodeJS.Timeout | null = null
  private unsubscribe: (() => void) | null = null
  private readonly inFlight = new Set<Promise<void>>()
  private readonly holding = new Map<string, Holding>()
  private readonly kinds = new Map<string, Registered>()
  private observer: JobObserver | null
  readonly workerId: string

  constructor(
    private readonly store: Store,
    private readonly log: QueueLogger,
    private readonly opts: DbJobQueueOptions,
  ) {
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.observer = opts.observer ?? null
  }

  private get heartbeatMs(): number {
    return this.opts.heartbeatMs ?? 5000
  }

  private get lockMs(): number {
    return this.opts.lockMs ?? 120_000
  }

  observe(observer: JobObserver | null): void {
    this.observer = observer
  }

  register<S extends TSchema>(job: JobDefinition<S>, handler: JobHandler<S>): void {
    if (this.kinds.has(job.kind)) throw new Error(`job kind "${job.kind}" is registered twice`)
    this.kinds.set(job.kind, { job, handler: handler as unknown as JobHandler })
  }

  async enqueue<S extends TSchema>(tx: Store, job: JobDefinition<S>, key: string, payload: Static<S>): Promise<void> {
    if (this.kinds.get(job.kind)?.job !== job) throw new Error(`no handler for job kind "${job.kind}"`)
    await tx.jobs.enqueue({
      id: `job_${ulid().toLowerCase()}`,
      kind: job.kind,
      jobKey: key,
      payload: JSON.stringify(payload),
      now: new Date().toISOString(),
    })
    // wake up after the caller's transaction has had a chance to commit
    setImmediate(() => this.pump())
  }

  start(): void {
    if (!this.stopped) return
    if (this.kinds.size === 0) throw new Error('the job queue has no registered job kinds')
    this.stopped = false
    this.unsubscribe = this.opts.wakeups?.subscribe(() => this.pump()) ?? null
    const tick = () => {
      this.pump()
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 250)
    }
    tick()
  }

  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.unsubscribe?.()
    this.unsubscribe = null
    const all = Promise.allSettled([...this.inFlight])
    const graceMs = opts.graceMs ?? this.lockMs
    let grace: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((r) => (grace = setTimeout(() => r(false), graceMs))),
    ])
    clearTimeout(grace)
    if (finished) return
    // the grace ran out: hand every job still running back to the queue, its try not spent
    const now = new Date().toISOString()
    await Promise.all(
      // (a job whose result is being written right now is left to that write)
      [...this.holding.values()]
        .filter((h) => !h.ending)
        .map(async (h) => {
          h.letGo = true
          clearInterval(h.beat)
          const ok = await this.store.jobs.release(h.row.id, this.workerId, now).catch((err) => {
            this.log.error({ jobId: h.row.id, err: (err as Error).message }, 'releasing a job at shutdown failed')
            return false
          })
          if (ok) this.log.warn({ jobId: h.row.id, kind: h.row.kind }, 'job released at shutdown')
          this.finished(h, ok ? 'released' : 'lost')
        }),
    )
  }

  async idle(timeoutMs = 60_000): Promise<boolean> {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
      const c = await this.store.jobs.counts()
      if (!c.queued && !c.running && this.running === 0) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    return false
  }

  async stats(): Promise<QueueStats> {
    const s = await this.store.jobs.stats()
    return {
      queued: s.queued,
      running: s.running,
      dead: s.dead,
      oldestQueuedAgeS: s.oldestQueuedAt ? Math.max(0, (Date.now() - Date.parse(s.oldestQueuedAt)) / 1000) : 0,
    }
  }

  depth(): Promise<number> {
    return this.store.jobs.depth()
  }

  async dead(limit = 100): Promise<DeadJob[]> {
    return (await this.store.jobs.listDead(Math.max(1, Math.min(limit, 1000)))).map((r) => ({
      id: r.id,
      kind: r.kind,
      key: r.jobKey,
      tries: r.tries,
      lastError: r.lastError,
      createdAt: r.createdAt,
      diedAt: r.updatedAt,
    }))
  }

  async requeue(id: string): Promise<boolean> {
    const ok = await this.store.jobs.requeue(id, new Date().toISOString())
    if (ok) setImmediate(() => this.pump())
    return ok
  }

  private pump(): void {
    if (this.stopped) return
    if (this.running >= this.opts.concurrency) return
    this.running++
    // one claim at a time per pump; the next one is started when this one finds work
    const p = this.runOne()
      .catch((err) => {
        this.log.error({ err: (err as Error).message }, 'job loop failed')
        return false
      })
      .then((ran) => {
        this.running--
        this.inFlight.delete(p)
        if (ran) this.pump()
      })
    this.inFlight.add(p)
  }

  private finished(h: Holding, outcome: JobOutcome): void {
    clearInterval(h.beat)
    // once per job: a heartbeat that raced the final write must not report it a second time
    if (this.holding.get(h.row.id) !== h) return
    this.holding.delete(h.row.id)
    try {
      this.observer?.jobFinished?.({
        kind: h.row.kind,
        jobId: h.row.id,
        durationMs: Date.now() - h.startedAt,
        outcome,
      })
    } catch {
      // an observer's failure is not the job's
    }
  }

  private async runOne(): Promise<boolean> {
    const now = new Date()
    const job = await this.store.jobs.claim(now.toISOString(), new Date(now.getTime() + this.lockMs).toISOString(), {
      workerId: this.workerId,
      staleBefore: new Date(now.getTime() - (this.opts.staleAfterMs ?? 3 * this.heartbeatMs)).toISOString(),
    })
    if (!job) return false
    if (this.stopped) {
      // stop() came while the claim was on its way: hand the job straight back
      await this.store.jobs.release(job.id, this.workerId, new Date().toISOString())
      return false
    }
    const h: Holding = {
      row: job,
      startedAt: Date.now(),
      beat: setInterval(() => void this.beat(h), this.heartbeatMs),
      letGo: false,
      ending: false,
    }
    h.beat.unref()
    this.holding.set(job.id, h)
    try {
      this.observer?.jobStarted?.({ kind: job.kind, jobId: job.id })
    } catch {
      // see finished()
    }
    const kind = this.kinds.get(job.kind)
    const payload = kind ? parsePayload(kind.job, job.payload) : undefined
    if (!kind || payload === undefined) {
      // no retry can fix an unknown kind or a payload of the wrong shape: it is dead at once
      const error = kind
        ? `the stored payload of a "${job.kind}" job does not have its shape`
        : `no handler for job kind "${job.kind}"`
      this.log.error({ jobId: job.id, kind: job.kind }, error)
      const ok = await this.store.jobs.kill(job.id, this.workerId, error, new Date().toISOString())
      this.finished(h, ok ? 'dead' : 'lost')
      return true
    }
    let result: JobResult | Error
    try {
      result = await kind.handler.run(payload)
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err))
    }
    if (h.letGo) return true // released at shutdown or taken over: the row is no longer ours
    h.ending = true
    clearInterval(h.beat)
    try {
      if (result === 'success') {
        const ok = await this.store.jobs.complete(job.id, this.workerId, new Date().toISOString())
        this.finished(h, ok ? 'success' : 'lost')
      } else {
        const error = result === 'retry' ? 'handler asked for a retry' : result.message
        if (result !== 'retry')
          this.log.warn({ jobId: job.id, kind: job.kind, tries: job.tries, err: error }, 'job failed')
        this.finished(h, await this.retryOrKill(job, kind, payload, error))
      }
    } catch (err) {
      this.finished(h, 'lost')
      throw err
    }
    return true
  }

  /** heartbeat: keeps the job ours; a job found taken over is let go (its result will be dropped) */
  private async beat(h: Holding): Promise<void> {
    if (h.letGo || h.ending) return
    const now = new Date()
    try {
      const ours = await this.store.jobs.heartbeat(
        h.row.id,
        this.workerId,
        now.toISOString(),
        new Date(now.getTime() + this.lockMs).toISOString(),
      )
      if (!ours && !h.letGo && !h.ending) {
        h.letGo = true
        this.log.warn({ jobId: h.row.id, kind: h.row.kind }, 'job was taken over by another worker')
        this.finished(h, 'lost')
      }
    } catch (err) {
      // a missed beat is harmless; several in a row and another worker takes the job over
      this.log.warn({ jobId: h.row.id, err: (err as Error).message }, 'job heartbeat failed')
    }
  }

  private async retryOrKill(job: JobRow, kind: Registered, payload: unknown, error: string): Promise<JobOutcome> {
    const now = new Date()
    const maxTries = kind.job.maxTries ?? this.opts.maxTries ?? 5
    if (job.tries < maxTries) {
      const wait = Math.max(0, (kind.job.backoffMs ?? DEFAULT_BACKOFF)(job.tries))
      const ok = await this.store.jobs.retry(
        job.id,
        this.workerId,
        error,
        new Date(now.getTime() + wait).toISOString(),
        now.toISOString(),
      )
      return ok ? 'retry' : 'lost'
    }
    if (!(await this.store.jobs.kill(job.id, this.workerId, error, now.toISOString()))) return 'lost'
    try {
      await kind.handler.giveUp?.(payload, error)
    } catch (err) {
      this.log.error({ jobId: job.id, err: (err as Error).message }, 'giving up on a job failed too')
    }
    return 'dead'
  }
}
