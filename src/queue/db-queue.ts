import { ulid } from 'ulid'
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Store } from '../storage/index.js'

export type JobResult = 'success' | 'retry'

/**
 * One kind of job and the shape of its payload. The payload is stored as JSON and checked against
 * the schema when it is read back, so a handler only ever sees a payload of its own type.
 */
export interface JobDefinition<S extends TSchema = TSchema> {
  readonly kind: string
  readonly payload: S
  /** compiled once: a stored payload that does not match fails the job without retries */
  readonly check: TypeCheck<S>
  /** this kind's own retry policy (else the queue's maxTries and 2^tries seconds) */
  readonly opts?: JobOptions
}

export interface JobOptions {
  /** tries before the job fails for good (and its handler's giveUp runs) */
  maxTries?: number
  /** the wait before the next try, after `tries` tries have failed */
  backoffMs?: (tries: number) => number
}

export type JobPayload<J extends JobDefinition> = Static<J['payload']>

export function defineJob<S extends TSchema>(kind: string, payload: S, opts?: JobOptions): JobDefinition<S> {
  return { kind, payload, check: TypeCompiler.Compile(payload), ...(opts && { opts }) }
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

export interface JobQueue extends JobEnqueuer {
  /** every kind must be registered (once) before `start`, and before the first job of it is queued */
  register<S extends TSchema>(job: JobDefinition<S>, handler: JobHandler<S>): void
  start(): void
  stop(): Promise<void>
  /** resolves when no job is queued or running (tests and graceful shutdown) */
  idle(timeoutMs?: number): Promise<boolean>
}

export interface DbJobQueueOptions {
  concurrency: number
  pollMs?: number
  /** a running job whose process died is taken over after this long */
  lockMs?: number
  maxTries?: number
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

/**
 * A job queue in the database: the job row is written in the same transaction as the work it
 * describes, so an acknowledged upload always has its analysis queued, and a restart picks up
 * whatever was queued or running. A Redis-backed queue can implement the same interface.
 */
export class DbJobQueue implements JobQueue {
  private running = 0
  private stopped = true
  private timer: NodeJS.Timeout | null = null
  private readonly inFlight = new Set<Promise<void>>()

  private readonly kinds = new Map<string, Registered>()

  constructor(
    private readonly store: Store,
    private readonly log: QueueLogger,
    private readonly opts: DbJobQueueOptions,
  ) {}

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
    const tick = () => {
      this.pump()
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 250)
    }
    tick()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await Promise.allSettled([...this.inFlight])
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

  private pump(): void {
    if (this.stopped) return
    while (this.running < this.opts.concurrency) {
      this.running++
      const p = this.runOne()
        .catch((err) => this.log.error({ err }, 'job loop failed'))
        .then((ran) => {
          this.running--
          this.inFlight.delete(p)
          if (ran) this.pump()
        })
      this.inFlight.add(p)
      // only start one claim at a time per pump; the next one is started when this one finds work
      break
    }
  }

  private async runOne(): Promise<boolean> {
    const now = new Date()
    const job = await this.store.jobs.claim(
      now.toISOString(),
      new Date(now.getTime() + (this.opts.lockMs ?? 120_000)).toISOString(),
    )
    if (!job) return false
    const kind = this.kinds.get(job.kind)
    const payload = kind ? parsePayload(kind.job, job.payload) : undefined
    if (!kind || payload === undefined) {
      // no retry can fix an unknown kind or a payload of the wrong shape: fail it at once
      const error = kind
        ? `the stored payload of a "${job.kind}" job does not have its shape`
        : `no handler for job kind "${job.kind}"`
      this.log.error({ jobId: job.id, kind: job.kind }, error)
      await this.store.jobs.fail(job.id, error, new Date().toISOString())
      return true
    }
    try {
      const result = await kind.handler.run(payload)
      if (result === 'success') await this.store.jobs.complete(job.id, new Date().toISOString())
      else await this.retryOrFail(job, kind, payload, 'handler asked for a retry')
    } catch (err) {
      this.log.warn({ jobId: job.id, kind: job.kind, tries: job.tries, err: (err as Error).message }, 'job failed')
      await this.retryOrFail(job, kind, payload, (err as Error).message)
    }
    return true
  }

  private async retryOrFail(
    job: { id: string; tries: number },
    kind: Registered,
    payload: unknown,
    error: string,
  ): Promise<void> {
    const now = new Date()
    const own = kind.job.opts
    if (job.tries < (own?.maxTries ?? this.opts.maxTries ?? 5)) {
      const waitMs = own?.backoffMs ? own.backoffMs(job.tries) : 1000 * 2 ** job.tries
      await this.store.jobs.retry(job.id, error, new Date(now.getTime() + waitMs).toISOString(), now.toISOString())
      return
    }
    await this.store.jobs.fail(job.id, error, now.toISOString())
    try {
      await kind.handler.giveUp?.(payload, error)
    } catch (err) {
      this.log.error({ jobId: job.id, err: (err as Error).message }, 'giving up on a job failed too')
    }
  }
}
