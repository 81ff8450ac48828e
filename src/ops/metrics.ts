import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The route families of shiren's HTTP surface: one label value each, so series stay few. */
export const ROUTE_FAMILIES = ['h5', 'sdk', 'capture', 'console', 'management', 'static', 'ops', 'other'] as const
export type RouteFamily = (typeof ROUTE_FAMILIES)[number]

/**
 * The family of a route, from its pattern (fastify's routeOptions.url) or, for an unmatched
 * request, its path: POST / is the Tencent Cloud API 3.0 family (h5), /api/ the ticket family (sdk).
 */
export function routeFamily(route: string | undefined, path: string): RouteFamily {
  const p = route ?? path.split('?')[0]!
  if (p === '/') return route ? 'h5' : 'other'
  if (p.startsWith('/api/')) return 'sdk'
  if (p === '/capture' || p.startsWith('/capture/')) return 'capture'
  if (p === '/console' || p.startsWith('/console/')) return 'console'
  if (p.startsWith('/v1/') || p.startsWith('/docs')) return 'management'
  if (p.startsWith('/web/')) return 'static'
  if (p === '/healthz' || p === '/readyz' || p === '/metrics') return 'ops'
  return 'other'
}

/** What the queue reports on each scrape (the PostgreSQL queue's `stats()`, or the counts of today's). */
export interface QueueStats {
  queued: number
  running: number
  /** jobs that failed for the last time (dead letters); absent where the queue does not keep them apart */
  dead?: number
  /** age of the oldest job waiting to run, in seconds; null when none waits */
  oldestQueuedAgeS?: number | null
}

/** Analysis stages the engine times (src/analysis signals `<stage>Ms`), and the label each becomes. */
const STAGES: Record<string, string> = {
  decodeMs: 'decode',
  detectMs: 'detect',
  identityMs: 'continuity',
  embedMs: 'compare',
  audioMs: 'audio',
  recognizerMs: 'recognizer',
}

export interface MetricsOptions {
  role: string
  /** read on each scrape; absent in a process that runs no queue view */
  queueStats?: (() => Promise<QueueStats>) | null
  /** analysis jobs this process runs at once (worker utilisation is busy time over slots × wall time) */
  workerSlots?: number
}

/**
 * shiren's Prometheus metrics, in a registry of their own (not prom-client's global one): two
 * servers in one process — the tests — keep separate counts. Labels are bounded sets: route family,
 * status class, job kind, analysis stage, code family and reason (the catalog's reasons).
 */
export class ShirenMetrics {
  readonly registry = new Registry()
  private readonly started = performance.now()
  private busyS = 0

  private readonly requests: Counter<'family' | 'status'>
  private readonly latency: Histogram<'family'>
  private readonly verdicts: Counter<'family' | 'reason' | 'billable'>
  private readonly jobs: Histogram<'kind' | 'outcome'>
  private readonly stages: Histogram<'stage'>
  private readonly busy: Counter<'kind'>

  constructor(private readonly opts: MetricsOptions) {
    const registers = [this.registry]
    this.registry.setDefaultLabels({ role: opts.role })
    collectDefaultMetrics({ register: this.registry })
    this.requests = new Counter({
      name: 'shiren_http_requests_total',
      help: 'HTTP requests answered, per route family and status class',
      labelNames: ['family', 'status'],
      registers,
    })
    this.latency = new Histogram({
      name: 'shiren_http_request_duration_seconds',
      help: 'time from request to answer, per route family',
      labelNames: ['family'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.verdicts = new Counter({
      name: 'shiren_verdicts_total',
      help: 'attempt verdicts (one per ledger row), per code family and reason',
      labelNames: ['family', 'reason', 'billable'],
      registers,
    })
    this.jobs = new Histogram({
      name: 'shiren_job_duration_seconds',
      help: 'time a job ran in this process, per kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
      registers,
    })
    this.stages = new Histogram({
      name: 'shiren_analysis_stage_seconds',
      help: 'time of each analysis stage the engine measures (decode, detect, continuity, compare, audio, recognizer, total)',
      labelNames: ['stage'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers,
    })
    this.busy = new Counter({
      name: 'shiren_worker_busy_seconds_total',
      help: 'time this process spent running jobs; rate() over shiren_worker_slots is the utilisation',
      labelNames: ['kind'],
      registers,
    })
    const self = this
    new Gauge({
      name: 'shiren_worker_slots',
      help: 'jobs this process runs at once (0: it runs none)',
      registers,
      collect() {
        this.set(opts.workerSlots ?? 0)
      },
    })
    new Gauge({
      name: 'shiren_worker_utilisation_ratio',
      help: 'busy time over slots × wall time since the process started',
      registers,
      collect() {
        const slots = opts.workerSlots ?? 0
        const wallS = (performance.now() - self.started) / 1000
        this.set(slots > 0 && wallS > 0 ? Math.min(1, self.busyS / (slots * wallS)) : 0)
      },
    })
    if (opts.queueStats) {
      const read = opts.queueStats
      // one read of the queue per scrape, shared by the gauges below
      let pending: Promise<QueueStats | null> | null = null
      const stats = () => {
        pending ??= read()
          .catch(() => null)
          .finally(() => setImmediate(() => (pending = null)))
        return pending
      }
      new Gauge({
        name: 'shiren_queue_jobs',
        help: 'jobs in the queue by state (queued, running, dead), read from the database on each scrape',
        labelNames: ['state'],
        registers,
        async collect() {
          const s = await stats()
          this.reset()
          if (!s) return
          this.set({ state: 'queued' }, s.queued)
          this.set({ state: 'running' }, s.running)
          if (s.dead !== undefined) this.set({ state: 'dead' }, s.dead)
        },
      })
      new Gauge({
        name: 'shiren_queue_oldest_job_age_seconds',
        help: 'age of the oldest job waiting to run (0 when none waits)',
        registers,
        async collect() {
          const s = await stats()
          this.reset()
          if (s && s.oldestQueuedAgeS !== undefined) this.set(s.oldestQueuedAgeS ?? 0)
        },
      })
      new Gauge({
        name: 'shiren_queue_stats_up',
        help: '1 when the queue answered this scrape, 0 when it did not',
        registers,
        async collect() {
          this.set((await stats()) ? 1 : 0)
        },
      })
    }
  }

  /** the series of each (family, status class), looked up once: prom-client hashes a label set on every call */
  private readonly requestSeries = new Map<
    string,
    { count: ReturnType<Counter<'family' | 'status'>['labels']>; latency: ReturnType<Histogram<'family'>['labels']> }
  >()

  request(family: RouteFamily, status: number, seconds: number): void {
    const cls = `${Math.floor(status / 100)}xx`
    const key = `${family} ${cls}`
    let series = this.requestSeries.get(key)
    if (!series) {
      series = { count: this.requests.labels({ family, status: cls }), latency: this.latency.labels({ family }) }
      this.requestSeries.set(key, series)
    }
    series.count.inc()
    series.latency.observe(seconds)
  }

  verdict(family: string, reason: string, billable: boolean): void {
    this.verdicts.inc({ family, reason, billable: billable ? 'true' : 'false' })
  }

  job(kind: string, outcome: 'success' | 'retry' | 'error', seconds: number): void {
    this.jobs.observe({ kind, outcome }, seconds)
    this.busy.inc({ kind }, seconds)
    this.busyS += seconds
  }

  /** The stage timings an analysis recorded in its signals, and its total. */
  analysis(signals: Record<string, unknown> | null, totalMs: number | null): void {
    for (const [key, stage] of Object.entries(STAGES)) {
      const v = signals?.[key]
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) this.stages.observe({ stage }, v / 1000)
    }
    if (totalMs !== null && Number.isFinite(totalMs) && totalMs >= 0)
      this.stages.observe({ stage: 'total' }, totalMs / 1000)
  }

  get contentType(): string {
    return this.registry.contentType
  }

  render(): Promise<string> {
    return this.registry.metrics()
  }
}
