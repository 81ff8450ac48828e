import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppService } from './apps/index.js'
import { AuditLog } from './audit/index.js'
import { TicketService } from './auth/index.js'
import { systemClock, type Clock } from './clock/index.js'
import type { Config } from './config/index.js'
import { PersonalDataVault, loadOrCreateKeys, randomToken } from './crypto/index.js'
import { LocalBlobStore, openS3BlobStore, sweepPrivateTemps, type BlobStore } from './media/index.js'
import { DbJobQueue, type JobQueue } from './queue/index.js'
import { RegistryFaces, RegistryService, type FaceEmbedder } from './registry/index.js'
import {
  KyselyStore,
  listenForJobs,
  migrateToLatest,
  openDatabase,
  pingDatabase,
  type Db,
  type JobWakeups,
  type Store,
} from './storage/index.js'
import {
  ANALYSE_JOB,
  OCR_JOB,
  AttemptAnalysis,
  IdCardStepService,
  QueuedCardReader,
  runOcrJob,
  VerificationService,
  type Analyser,
  type CardReader,
} from './verifications/index.js'
import { createOcrPool, type OcrPool } from './ocr/index.js'
import { BillingService } from './billing/index.js'
import type { Logger } from './logging.js'
import { createConsoleAuth, type ConsoleAuth } from './console-auth/index.js'
import { RedisCache } from './cache/index.js'
import { ShirenMetrics, runReadiness, type ReadinessCheck, type ReadinessReport } from './ops/index.js'
import { WebhookService } from './webhooks/index.js'
import { ReplayService } from './replay/index.js'
import { PrivacyService } from './privacy/index.js'

/** The face model whose embeddings the registry index holds; another model's rows need `registry reindex`. */
const FACE_MODEL = 'arcface fr_feature.onnx'

/**
 * The one place where shiren's parts are wired together, with plain arguments (no container).
 * The CLI and the HTTP server both start from here, so they see the same data the same way.
 */
export interface Shiren {
  config: Config
  db: Db
  store: Store
  vault: PersonalDataVault
  blobs: BlobStore
  clock: Clock
  apps: AppService
  /**
   * The audit log of operator actions (append-only, no personal data). A service that records its
   * actions takes it as a constructor argument here and calls `audit.record({ actor, source, action,
   * subject, details }, tx)` inside the transaction of the change.
   */
  audit: AuditLog
  tickets: TicketService
  registry: RegistryService
  verifications: VerificationService
  idcards: IdCardStepService
  billing: BillingService
  /** per-app retention, erasure of a person, export of what is held about them */
  privacy: PrivacyService
  queue: JobQueue
  analysis: AttemptAnalysis
  webhooks: WebhookService
  /** what-if replay of a rule's stored attempts under changed settings (read-only) */
  replay: ReplayService
  analyser: Analyser | null
  adminToken: string
  /** the console's login throttle and server-side sessions */
  consoleAuth: ConsoleAuth
  /** readiness checks of this process's role, and its Prometheus metrics */
  ops: { readiness(): Promise<ReadinessReport>; metrics: ShirenMetrics }
  log: Logger
  close(): Promise<void>
}

export interface ComposeOptions {
  clock?: Clock
  /** the vision engine; null runs without one (every analysis answers VISION_ENGINE_UNAVAILABLE) */
  analyser?: Analyser | null
  /** the face embedder of the registry search (the analysis engine); default: the analyser when it embeds */
  embedder?: FaceEmbedder | null
  startQueue?: boolean
}

/** The admin token of the management API: SHIREN_ADMIN_TOKEN, or generated once into the data dir. */
export function loadOrCreateAdminToken(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { token: string; created: boolean } {
  if (env.SHIREN_ADMIN_TOKEN) return { token: env.SHIREN_ADMIN_TOKEN, created: false }
  const file = join(dataDir, 'admin-token')
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false }
  mkdirSync(dataDir, { recursive: true })
  const token = randomToken(40)
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: readFileSync(file, 'utf8').trim(), created: false }
    throw err
  }
  return { token, created: true }
}

export async function compose(config: Config, log: Logger, opts: ComposeOptions = {}): Promise<Shiren> {
  mkdirSync(config.dataDir, { recursive: true })
  const db = openDatabase(config.databaseUrl, { sqliteSync: config.sqliteSync })
  await migrateToLatest(db)
  const store = new KyselyStore(db.kysely)
  // decrypted media a crashed process may have left (only where temps cannot be nameless: no /proc);
  // another process sharing the data dir may be using a fresh one, so only old ones go
  await sweepPrivateTemps(join(config.dataDir, 'tmp'), 10 * 60_000)
  // decrypted media a crashed process may have left (only where temps cannot be nameless: no /proc);
  // another process sharing the data dir may be using a fresh one, so only old ones go
  await sweepPrivateTemps(join(config.dataDir, 'tmp'), 10 * 60_000)
  const vault = new PersonalDataVault(loadOrCreateKeys(config.dataDir))
  // the whole-buffer bound of the store: every object put whole is an upload or a request body at most
  const maxWholeBytes = Math.max(64 * 1024 * 1024, config.uploadLimit, config.bodyLimit)
  const blobs: BlobStore =
    config.blobStore === 's3'
      ? await openS3BlobStore(
          {
            bucket: config.s3Bucket!,
            prefix: config.s3Prefix,
            forcePathStyle: config.s3PathStyle,
            timeoutMs: config.blobTimeoutMs,
            maxWholeBytes,
          },
          vault,
        )
      : new LocalBlobStore(join(config.dataDir, 'media'), vault, { maxWholeBytes })
  const clock = opts.clock ?? systemClock
  const audit = new AuditLog(store, clock)
  const apps = new AppService(store, vault, audit, clock)
  const cache = config.redisUrl ? new RedisCache(config.redisUrl) : null
  // a worker runs jobs and answers no caller; an api process answers callers and runs no job
  const runsJobs = config.role !== 'api' && !!opts.startQueue
  const concurrency = Math.max(1, config.analysisWorkers || 2)
  // the queue is read on each scrape (jobs are shared by every process: any one of them can report it)
  let queue: DbJobQueue
  const metrics = new ShirenMetrics({
    role: config.role,
    queueStats: () => queue.stats(),
    workerSlots: runsJobs ? concurrency : 0,
  })
  const tickets = new TicketService(store, vault, clock, cache)
  const analyser = opts.analyser ?? null
  const embedder =
    opts.embedder !== undefined ? opts.embedder : analyser && 'embed' in analyser ? (analyser as FaceEmbedder) : null
  // the face index is built from the sealed embeddings in the background; the first search waits for it
  const faces = embedder ? new RegistryFaces(store, vault, FACE_MODEL) : null
  const registry = new RegistryService(
    store,
    vault,
    blobs,
    faces && embedder
      ? { faces, embedder, tmpDir: join(config.dataDir, 'tmp'), duplicateScore: config.duplicateScore }
      : null,
  )
  faces?.sync().catch((err) => log.error({ err: (err as Error).message }, 'registry face index build failed'))
  const billing = new BillingService(store)

  // PostgreSQL: a LISTEN connection wakes this process's workers when any process queues a job;
  // opened when the queue starts, so a process that never runs jobs holds none
  let listener: JobWakeups | null = null
  const wakeups = {
    subscribe(fn: () => void) {
      listener ??= listenForJobs(config.databaseUrl, log)
      return listener?.subscribe(fn) ?? (() => {})
    },
  }
  queue = new DbJobQueue(store, log, {
    concurrency,
    pollMs: config.jobPollMs,
    heartbeatMs: config.jobHeartbeatMs,
    wakeups,
  })
  const webhooks = new WebhookService(store, vault, queue, clock, config.webhooks, log, audit)
  queue.register(webhooks.job, {
    run: (job) => webhooks.deliver(job),
    giveUp: (job) => webhooks.giveUp(job),
  })
  const verifications = new VerificationService(store, vault, blobs, registry, queue, clock, {
    retentionS: config.retentionS,
    risk: { maxAttacks: config.riskMaxAttacks, windowS: config.riskWindowS },
    cache,
    onVerdict: (v) => metrics.verdict(v.family, v.reason, v.billable),
    outcomes: webhooks,
    admission: { queue, maxDepth: config.queueMaxDepth },
  })
  const analysis = new AttemptAnalysis(
    store,
    blobs,
    verifications,
    analyser,
    join(config.dataDir, 'tmp'),
    config.blobTimeoutMs,
    registry,
  )
  queue.register(ANALYSE_JOB, {
    // timed and logged here with the id of the request that uploaded the media
    async run(job) {
      const jobLog = log.child({ attemptId: job.attemptId, ...(job.requestId && { requestId: job.requestId }) })
      const before = await store.attempts.get(job.attemptId)
      const started = performance.now()
      jobLog.info({ kind: ANALYSE_JOB.kind }, 'analysis job started')
      try {
        const result = await analysis.run(job.attemptId, job.recording)
        metrics.job(ANALYSE_JOB.kind, result, (performance.now() - started) / 1000)
        const after = before?.state === 'finished' ? null : await store.attempts.get(job.attemptId)
        if (after?.state === 'finished') {
          const ms = after.signals?.ms
          // the engine's stage timings, when the engine ran (a verdict before it has none)
          if (typeof ms === 'number') metrics.analysis(after.signals, ms)
          jobLog.info({ reason: after.reason, ms: Math.round(performance.now() - started) }, 'analysis job finished')
        }
        return result
      } catch (err) {
        metrics.job(ANALYSE_JOB.kind, 'error', (performance.now() - started) / 1000)
        jobLog.warn({ err: String((err as Error)?.message ?? err).slice(0, 200) }, 'analysis job failed')
        throw err
      }
    },
    giveUp: (job) => analysis.giveUp(job.attemptId),
  })
  // ID cards: read in this process (all), or handed to a worker as a job (api); workers read them for api processes
  const ocr = config.ocrWorkers > 0 && config.role !== 'api' ? lazyOcrPool(config.ocrWorkers) : null
  queue.register(OCR_JOB, {
    async run(job) {
      const started = performance.now()
      try {
        const result = await runOcrJob(blobs, ocr, job)
        metrics.job(OCR_JOB.kind, result, (performance.now() - started) / 1000)
        return result
      } catch (err) {
        metrics.job(OCR_JOB.kind, 'error', (performance.now() - started) / 1000)
        throw err
      }
    },
  })
  if (runsJobs) queue.start()
  const cardReader =
    config.role === 'api' ? (config.ocrWorkers > 0 ? new QueuedCardReader(store, queue, blobs) : null) : ocr
  const idcards = new IdCardStepService(store, vault, blobs, registry, verifications, cardReader, clock)
  // read-only: it is handed the three read methods it needs, not the repositories
  const replay = new ReplayService(
    {
      rules: { get: (id) => store.rules.get(id) },
      verifications: { search: (q) => store.verifications.search(q) },
      attempts: { listFor: (id) => store.attempts.listFor(id) },
    },
    analysis,
  )

  const checks: Record<string, ReadinessCheck> = {
    database: () => pingDatabase(db),
    blobs: () => blobs.check(),
  }
  if (config.role !== 'worker' && cache) checks.redis = () => cache.ping()
  if (config.role === 'worker') {
    checks.models = async () => {
      if (!analyser) throw new Error(`the vision engine is not loaded: no models in ${config.modelsDir}`)
    }
  }

  const privacy = new PrivacyService(store, vault, blobs, apps, registry, verifications, clock, audit)

  const { token: adminToken } = loadOrCreateAdminToken(config.dataDir)
  const consoleAuth = createConsoleAuth({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    sessionsTable: store.consoleSessions,
    clock,
  })
  return {
    config,
    db,
    store,
    vault,
    blobs,
    clock,
    apps,
    audit,
    tickets,
    registry,
    verifications,
    idcards,
    billing,
    privacy,
    queue,
    analysis,
    webhooks,
    replay,
    analyser,
    adminToken,
    consoleAuth,
    ops: { readiness: () => runReadiness(checks), metrics },
    log,
    async close() {
      await queue.stop({ graceMs: config.jobGraceMs })
      await listener?.close()
      await ocr?.close()
      await cache?.close()
      await consoleAuth.close()
      await db.close()
      blobs.close?.()
    },
  }
}

/**
 * The OCR workers start at the first card, not with the server: each holds ≈ 0.5 GB, and most
 * deployments never ask for a card. A pool that failed to start is retried at the next card.
 */
function lazyOcrPool(workers: number): CardReader & { close(): Promise<void> } {
  let pool: Promise<OcrPool> | null = null
  return {
    async read(image) {
      pool ??= createOcrPool({ workers }).catch((err) => {
        pool = null
        throw err
      })
      return (await pool).read(image)
    },
    async close() {
      const p = pool
      pool = null
      if (p) await (await p.catch(() => null))?.close()
    },
  }
}
