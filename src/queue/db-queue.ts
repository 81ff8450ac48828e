import { ulid } from 'ulid'
import type { Store } from '../storage/ports.js'

export type JobResult = 'success' | 'retry'
export type JobHandler = (payload: unknown) => Promise<JobResult>

export interface QueueLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface JobQueue {
  enqueue(tx: Store, job: { kind: string; key: string; payload: unknown }): Promise<void>
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
  /** called once when a job has failed for the last time, so its subject can be closed with a verdict */
  onGiveUp?: (kind: string, payload: unknown, error: string) => Promise<void>
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

  constructor(
    private readonly store: Store,
    private readonly handlers: Record<string, JobHandler>,
    private readonly log: QueueLogger,
    private readonly opts: DbJobQueueOptions,
  ) {}

  async enqueue(tx: Store, job: { kind: string; key: string; payload: unknown }): Promise<void> {
    if (!this.handlers[job.kind]) throw new Error(`no handler for job kind "${job.kind}"`)
    await tx.jobs.enqueue({
      id: `job_${ulid().toLowerCase()}`,
      kind: job.kind,
      jobKey: job.key,
      payload: JSON.stringify(job.payload),
      now: new Date().toISOString(),
    })
    // wake up after the caller's transaction has had a chance to commit
    setImmediate(() => this.pump())
  }

  start(): void {
    if (!this.stopped) return
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
    const handler = this.handlers[job.kind]
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`)
      const result = await handler(JSON.parse(job.payload))
      if (result === 'success') await this.store.jobs.complete(job.id, new Date().toISOString())
      else await this.retryOrFail(job, 'handler asked for a retry')
    } catch (err) {
      this.log.warn({ jobId: job.id, kind: job.kind, tries: job.tries, err: (err as Error).message }, 'job failed')
      await this.retryOrFail(job, (err as Error).message)
    }
    return true
  }

  private async retryOrFail(
    job: { id: string; kind: string; payload: string; tries: number },
    error: string,
  ): Promise<void> {
    const now = new Date()
    if (job.tries < (this.opts.maxTries ?? 5)) {
      await this.store.jobs.retry(
        job.id,
        error,
        new Date(now.getTime() + 1000 * 2 ** job.tries).toISOString(),
        now.toISOString(),
      )
      return
    }
    await this.store.jobs.fail(job.id, error, now.toISOString())
    try {
      await this.opts.onGiveUp?.(job.kind, JSON.parse(job.payload), error)
    } catch (err) {
      this.log.error({ jobId: job.id, err: (err as Error).message }, 'giving up on a job failed too')
    }
  }
}
