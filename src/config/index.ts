import { resolve, join } from 'node:path'

/**
 * Everything shiren reads from its environment, validated once into a typed object.
 * CLI flags override the environment; the environment overrides the defaults.
 */
export interface Config {
  dataDir: string
  host: string
  port: number
  /** `sqlite:<file>` (default, inside the data dir) or a `postgres://` URL */
  databaseUrl: string
  modelsDir: string
  /** Base URL that callers and browsers reach shiren at; capture-page URLs are built from it. */
  publicUrl: string | null
  logLevel: string
  /** Largest request body accepted, in bytes (TC3 allows 10 MB; uploads have their own limit). */
  bodyLimit: number
  uploadLimit: number
  /** Allowed difference between a request timestamp and the server clock, in seconds. */
  clockSkewS: number
  analysisWorkers: number
  /** OCR worker threads for the ID-card step, started at the first card (≈ 0.5 GB each); 0 turns card reading off */
  ocrWorkers: number
  /** How long results and media are kept after a verification finishes. */
  retentionS: number
  /** Risk control: attacks by one person within riskWindowS that block further attempts (0 = off). */
  riskMaxAttacks: number
  riskWindowS: number
  /** A media read from the store that takes longer than this fails the attempt with BLOB_TIMEOUT. */
  blobTimeoutMs: number
  /**
   * SHIREN_BLOB_STORE: where media live. `folder` (default) is `<dataDir>/media`; `s3` is a bucket of
   * an S3-compatible store (AWS S3, MinIO, Ceph RGW, R2) that several hosts share. The S3 client reads
   * the usual AWS settings itself: AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the
   * default credential chain: profiles, instance and container roles), AWS_ENDPOINT_URL_S3 /
   * AWS_ENDPOINT_URL for a store other than AWS.
   */
  blobStore: 'folder' | 's3'
  /** SHIREN_S3_BUCKET: the bucket (required with SHIREN_BLOB_STORE=s3; shiren does not create it) */
  s3Bucket: string | null
  /** SHIREN_S3_PREFIX: prepended to every object key, e.g. `shiren/prod/` ('' by default) */
  s3Prefix: string
  /** SHIREN_S3_PATH_STYLE=1: path-style URLs (http://host/bucket/key), which MinIO and Ceph usually need */
  s3PathStyle: boolean
  /** Registry search: a face match at or above this 0–100 score with another ID number is a duplicate identity. */
  duplicateScore: number
  /** Redis for rate-limit slots and live challenges shared by several processes; null keeps them in the database. */
  redisUrl: string | null
  /** ES module that makes the operator's DigitRecognizer (docs/digits.md); null: digits are not recognised */
  digitRecognizer: string | null
  /** SHIREN_TRUST_PROXY: the reverse proxies whose X-Forwarded-For/-Proto are believed; false: none */
  trustProxy: string[] | false
  /** completion webhooks: which targets may be reached, one try's limit, the retry schedule */
  webhooks: {
    /** SHIREN_WEBHOOK_ALLOW_PRIVATE=1: private, loopback and link-local targets too */
    allowPrivate: boolean
    /** SHIREN_WEBHOOK_ALLOW: addresses/CIDRs allowed although not public */
    allow: string[]
    timeoutMs: number
    backoffMs: number
    retryForS: number
  }
  /**
   * SHIREN_ROLE: `all` (default) answers HTTP and runs the analysis in one process; `api` answers HTTP
   * only (no queue, no vision engine); `worker` runs analysis jobs with an ops listener only.
   */
  role: Role
  /** the worker's ops listener (/healthz, /readyz, /metrics): SHIREN_OPS_HOST / SHIREN_OPS_PORT */
  opsHost: string
  opsPort: number
  /** SHIREN_METRICS_TOKEN: the bearer token /metrics asks for; null: the admin token */
  metricsToken: string | null
  /** SHIREN_SQLITE_SYNC: `normal` (default, WAL synced at checkpoints) or `full` (every commit fsynced); see src/storage/db.ts */
  sqliteSync: 'normal' | 'full'
  /** Admission control: with this many analysis jobs queued or running, new uploads are told to retry later (0 = no limit). */
  queueMaxDepth: number
  /** A running job's heartbeat interval; a job whose worker missed 3 beats is taken over. */
  jobHeartbeatMs: number
  /** How often an idle worker looks for due jobs (PostgreSQL also wakes it on every new job). */
  jobPollMs: number
  /** At shutdown a running job gets this long to finish before it is handed back to the queue. */
  jobGraceMs: number
}

export const ROLES = ['all', 'api', 'worker'] as const
export type Role = (typeof ROLES)[number]

export function parseRole(raw: string | undefined): Role {
  const r = (raw ?? '').trim() || 'all'
  if (!(ROLES as readonly string[]).includes(r))
    throw new ConfigError(`SHIREN_ROLE / --role must be one of ${ROLES.join(', ')}, got "${raw}"`)
  return r as Role
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number, min = 0): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${key} must be an integer >= ${min}, got "${raw}"`)
  return n
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = resolve(overrides.dataDir ?? env.SHIREN_DATA_DIR ?? '.shiren')
  const databaseUrl = overrides.databaseUrl ?? env.SHIREN_DATABASE_URL ?? `sqlite:${join(dataDir, 'shiren.db')}`
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('SHIREN_DATABASE_URL must start with sqlite: or postgres://')
  }
  const cfg: Config = {
    dataDir,
    host: env.SHIREN_HOST ?? '0.0.0.0',
    port: int(env, 'SHIREN_PORT', 8080),
    databaseUrl,
    modelsDir: resolve(env.SHIREN_MODELS_DIR ?? join(dataDir, 'models')),
    publicUrl: env.SHIREN_PUBLIC_URL ? env.SHIREN_PUBLIC_URL.replace(/\/+$/, '') : null,
    logLevel: env.SHIREN_LOG_LEVEL ?? 'info',
    bodyLimit: int(env, 'SHIREN_BODY_LIMIT', 10 * 1024 * 1024, 1024),
    uploadLimit: int(env, 'SHIREN_UPLOAD_LIMIT', 20 * 1024 * 1024, 1024),
    clockSkewS: int(env, 'SHIREN_CLOCK_SKEW_S', 300, 1),
    analysisWorkers: int(env, 'SHIREN_WORKERS', 0),
    ocrWorkers: int(env, 'SHIREN_OCR_WORKERS', 1),
    retentionS: int(env, 'SHIREN_RETENTION_S', 3 * 24 * 3600, 60),
    riskMaxAttacks: int(env, 'SHIREN_RISK_MAX_ATTACKS', 5),
    riskWindowS: int(env, 'SHIREN_RISK_WINDOW_S', 3600, 60),
    blobTimeoutMs: int(env, 'SHIREN_BLOB_TIMEOUT_MS', 30_000, 100),
    blobStore: blobStoreKind(env.SHIREN_BLOB_STORE),
    s3Bucket: env.SHIREN_S3_BUCKET || null,
    s3Prefix: env.SHIREN_S3_PREFIX ?? '',
    s3PathStyle: bool(env, 'SHIREN_S3_PATH_STYLE'),
    duplicateScore: int(env, 'SHIREN_DUPLICATE_SCORE', 85, 50),
    redisUrl: env.SHIREN_REDIS_URL || null,
    digitRecognizer: env.SHIREN_DIGIT_RECOGNIZER ? resolve(env.SHIREN_DIGIT_RECOGNIZER) : null,
    trustProxy: parseTrustProxy(env.SHIREN_TRUST_PROXY),
    role: parseRole(env.SHIREN_ROLE),
    opsHost: env.SHIREN_OPS_HOST ?? '0.0.0.0',
    opsPort: int(env, 'SHIREN_OPS_PORT', 9464),
    metricsToken: env.SHIREN_METRICS_TOKEN || null,
    webhooks: {
      allowPrivate: parseFlag(env, 'SHIREN_WEBHOOK_ALLOW_PRIVATE'),
      allow: parseCidrList(env.SHIREN_WEBHOOK_ALLOW),
      timeoutMs: int(env, 'SHIREN_WEBHOOK_TIMEOUT_MS', 10_000, 100),
      backoffMs: int(env, 'SHIREN_WEBHOOK_BACKOFF_MS', 30_000, 10),
      retryForS: int(env, 'SHIREN_WEBHOOK_RETRY_FOR_S', 86_400, 0),
    },
    sqliteSync: sqliteSync(env.SHIREN_SQLITE_SYNC),
    queueMaxDepth: int(env, 'SHIREN_QUEUE_MAX_DEPTH', 500),
    jobHeartbeatMs: int(env, 'SHIREN_JOB_HEARTBEAT_MS', 5000, 50),
    // with LISTEN/NOTIFY the poll only finds retries and abandoned jobs: it can be slower
    jobPollMs: int(env, 'SHIREN_JOB_POLL_MS', databaseUrl.startsWith('sqlite:') ? 250 : 1000, 10),
    jobGraceMs: int(env, 'SHIREN_JOB_GRACE_MS', 30_000),
    ...overrides,
  }
  if (cfg.blobStore === 's3') {
    if (!cfg.s3Bucket) throw new ConfigError('SHIREN_BLOB_STORE=s3 needs SHIREN_S3_BUCKET (an existing bucket)')
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(cfg.s3Bucket))
      throw new ConfigError(`SHIREN_S3_BUCKET: "${cfg.s3Bucket}" is not an S3 bucket name`)
    if (cfg.s3Prefix && (!/^[A-Za-z0-9_.\-/]+$/.test(cfg.s3Prefix) || cfg.s3Prefix.split('/').includes('..')))
      throw new ConfigError('SHIREN_S3_PREFIX may hold only letters, digits, _ . - and /')
  }
  return cfg
}

function blobStoreKind(raw: string | undefined): 'folder' | 's3' {
  if (raw === undefined || raw === '' || raw === 'folder') return 'folder'
  if (raw === 's3') return 's3'
  throw new ConfigError(`SHIREN_BLOB_STORE must be folder or s3, got "${raw}"`)
}

function bool(env: NodeJS.ProcessEnv, key: string): boolean {
  const raw = env[key]
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new ConfigError(`${key} must be 1 or 0, got "${raw}"`)
}

function sqliteSync(raw: string | undefined): 'normal' | 'full' {
  const v = (raw ?? '').trim().toLowerCase()
  if (v === '' || v === 'normal') return 'normal'
  if (v === 'full') return 'full'
  throw new ConfigError(`SHIREN_SQLITE_SYNC must be normal or full, got "${raw}"`)
}

/**
 * SHIREN_TRUST_PROXY: comma-separated addresses or CIDRs of the reverse proxies whose
 * X-Forwarded-For / -Proto shiren believes; unset or empty believes none (fastify's `trustProxy`
 * hands the list to proxy-addr). `true`-like values are refused: trusting every hop lets any client
 * choose its own address.
 */
export function parseTrustProxy(raw: string | undefined): string[] | false {
  if (!raw || !raw.trim()) return false
  const out = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  for (const a of out) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(a))
      throw new ConfigError(
        `SHIREN_TRUST_PROXY: "${a}" is not an address, a CIDR or one of loopback, linklocal, uniquelocal`,
      )
  }
  return out
}

function parseFlag(env: NodeJS.ProcessEnv, key: string): boolean {
  const raw = env[key]
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  throw new ConfigError(`${key} must be 1 or 0, got "${raw}"`)
}

/** SHIREN_WEBHOOK_ALLOW: comma-separated addresses or CIDRs (checked again by src/webhooks). */
function parseCidrList(raw: string | undefined): string[] {
  if (!raw?.trim()) return []
  const out = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  for (const a of out)
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a))
      throw new ConfigError(`SHIREN_WEBHOOK_ALLOW: "${a}" is not an address or CIDR`)
  return out
}
