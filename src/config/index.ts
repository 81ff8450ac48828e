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
  /** Registry search: a face match at or above this 0–100 score with another ID number is a duplicate identity. */
  duplicateScore: number
  /** Redis for rate-limit slots and live challenges shared by several processes; null keeps them in the database. */
  redisUrl: string | null
  /** ES module that makes the operator's DigitRecognizer (docs/digits.md); null: digits are not recognised */
  digitRecognizer: string | null
  /** SHIREN_TRUST_PROXY: the reverse proxies whose X-Forwarded-For/-Proto are believed; false: none */
  trustProxy: string[] | false
  /** Admission control: with this many analysis jobs queued or running, new uploads are told to retry later (0 = no limit). */
  queueMaxDepth: number
  /** A running job's heartbeat interval; a job whose worker missed 3 beats is taken over. */
  jobHeartbeatMs: number
  /** How often an idle worker looks for due jobs (PostgreSQL also wakes it on every new job). */
  jobPollMs: number
  /** At shutdown a running job gets this long to finish before it is handed back to the queue. */
  jobGraceMs: number
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
    duplicateScore: int(env, 'SHIREN_DUPLICATE_SCORE', 85, 50),
    redisUrl: env.SHIREN_REDIS_URL || null,
    digitRecognizer: env.SHIREN_DIGIT_RECOGNIZER ? resolve(env.SHIREN_DIGIT_RECOGNIZER) : null,
    trustProxy: parseTrustProxy(env.SHIREN_TRUST_PROXY),
    queueMaxDepth: int(env, 'SHIREN_QUEUE_MAX_DEPTH', 500),
    jobHeartbeatMs: int(env, 'SHIREN_JOB_HEARTBEAT_MS', 5000, 50),
    // with LISTEN/NOTIFY the poll only finds retries and abandoned jobs: it can be slower
    jobPollMs: int(env, 'SHIREN_JOB_POLL_MS', databaseUrl.startsWith('sqlite:') ? 250 : 1000, 10),
    jobGraceMs: int(env, 'SHIREN_JOB_GRACE_MS', 30_000),
    ...overrides,
  }
  return cfg
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
