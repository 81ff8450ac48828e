import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppService } from './apps/index.js'
import { TicketService } from './auth/index.js'
import { systemClock, type Clock } from './clock/index.js'
import type { Config } from './config/index.js'
import { PersonalDataVault, loadOrCreateKeys, randomToken } from './crypto/index.js'
import { LocalBlobStore, sweepPrivateTemps, type BlobStore } from './media/index.js'
import { DbJobQueue, type JobQueue } from './queue/index.js'
import { RegistryFaces, RegistryService, type FaceEmbedder } from './registry/index.js'
import {
  KyselyStore,
  listenForJobs,
  migrateToLatest,
  openDatabase,
  type Db,
  type JobWakeups,
  type Store,
} from './storage/index.js'
import {
  ANALYSE_JOB,
  AttemptAnalysis,
  IdCardStepService,
  VerificationService,
  type Analyser,
  type CardReader,
} from './verifications/index.js'
import { createOcrPool, type OcrPool } from './ocr/index.js'
import { BillingService } from './billing/index.js'
import type { Logger } from './logging.js'
import { createConsoleAuth, type ConsoleAuth } from './console-auth/index.js'
import { RedisCache } from './cache/index.js'

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
  tickets: TicketService
  registry: RegistryService
  verifications: VerificationService
  idcards: IdCardStepService
  billing: BillingService
  queue: JobQueue
  analysis: AttemptAnalysis
  analyser: Analyser | null
  adminToken: string
  /** the console's login throttle and server-side sessions */
  consoleAuth: ConsoleAuth
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
  const db = openDatabase(config.databaseUrl)
  await migrateToLatest(db)
  const store = new KyselyStore(db.kysely)
  // decrypted media a crashed process may have left (only where temps cannot be nameless: no /proc);
  // another process sharing the data dir may be using a fresh one, so only old ones go
  await sweepPrivateTemps(join(config.dataDir, 'tmp'), 10 * 60_000)
  const vault = new PersonalDataVault(loadOrCreateKeys(config.dataDir))
  const blobs = new LocalBlobStore(join(config.dataDir, 'media'), vault)
  const clock = opts.clock ?? systemClock
  const apps = new AppService(store, vault)
  const cache = config.redisUrl ? new RedisCache(config.redisUrl) : null
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
  const queue = new DbJobQueue(store, log, {
    concurrency: Math.max(1, config.analysisWorkers || 2),
    pollMs: config.jobPollMs,
    heartbeatMs: config.jobHeartbeatMs,
    wakeups,
  })
  const verifications = new VerificationService(store, vault, blobs, registry, queue, clock, {
    retentionS: config.retentionS,
    risk: { maxAttacks: config.riskMaxAttacks, windowS: config.riskWindowS },
    cache,
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
    run: (job) => analysis.run(job.attemptId, job.recording),
    giveUp: (job) => analysis.giveUp(job.attemptId),
  })
  if (opts.startQueue) queue.start()

  const ocr = config.ocrWorkers > 0 ? lazyOcrPool(config.ocrWorkers) : null
  const idcards = new IdCardStepService(store, vault, blobs, registry, verifications, ocr, clock)

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
    tickets,
    registry,
    verifications,
    idcards,
    billing,
    queue,
    analysis,
    analyser,
    adminToken,
    consoleAuth,
    log,
    async close() {
      await queue.stop({ graceMs: config.jobGraceMs })
      await listener?.close()
      await ocr?.close()
      await cache?.close()
      await consoleAuth.close()
      await db.close()
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
