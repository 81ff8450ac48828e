import type { App, Rule, RuleSettings, RuleVersion, Service } from '../apps/types.js'
import type { Attempt, Verification, VerificationQuery, VerificationState } from '../verifications/types.js'

/**
 * What the domain needs from storage, without a query builder in sight. `Store` is implemented
 * over Kysely (SQLite or PostgreSQL) in repositories.ts; `transaction` gives the same surface bound
 * to one transaction, which is how a verdict and its ledger row are written together or not at all.
 */
export interface AppRow extends App {
  secretSealed: string
}

export interface NewApp {
  appId: string
  name: string
  secretSealed: string
  services: Service[]
  validUntil: string | null
  dailyLimitPerPerson: number
  concurrencyLimit: number
  retentionDays?: number | null
}

export interface AppRepository {
  insert(app: NewApp): Promise<void>
  get(appId: string): Promise<AppRow | null>
  list(): Promise<AppRow[]>
  rotateSecret(appId: string, secretSealed: string): Promise<number>
  update(
    appId: string,
    patch: Partial<
      Pick<
        App,
        'name' | 'services' | 'validUntil' | 'dailyLimitPerPerson' | 'concurrencyLimit' | 'enabled' | 'retentionDays'
      >
    >,
  ): Promise<void>
  /** the app and rule recorded under a name of shiren's own ('demo'), or null */
  wellKnown(name: string): Promise<{ appId: string; ruleId: string } | null>
  /**
   * Records this app and rule under the name unless some are recorded already (insert-or-ignore on
   * the name's unique key): true when this call recorded them. In a transaction, a concurrent one
   * recording the same name waits for this one to end (PostgreSQL) or fails busy (SQLite).
   */
  recordWellKnown(name: string, appId: string, ruleId: string): Promise<boolean>
}

/** A new rule: its settings (enabled unless said otherwise) become version 1. */
export type NewRule = Omit<RuleSettings, 'enabled' | 'lightFallback'> & {
  ruleId: string
  appId: string
  enabled?: boolean
  lightFallback?: RuleSettings['lightFallback']
}

export interface RuleRepository {
  /** the rule and its version 1, together (`by`: who wrote it, default 'system') */
  insert(rule: NewRule, by?: string): Promise<void>
  /** the rule at its current version */
  get(ruleId: string): Promise<Rule | null>
  /** the rule as it was at one version (what a verification created under it is judged by) */
  getVersion(ruleId: string, version: number): Promise<Rule | null>
  list(appId?: string): Promise<Rule[]>
  /**
   * Compare-and-set: writes version `expectedVersion + 1` with these settings and makes it current,
   * only if the rule is still at `expectedVersion`; false when another edit came first.
   */
  addVersion(ruleId: string, expectedVersion: number, settings: RuleSettings, by: string, at: string): Promise<boolean>
  /** every version, newest first */
  versions(ruleId: string): Promise<RuleVersion[]>
}

/** One entry of the audit log (src/audit); `details` holds no personal data. */
export interface AuditRow {
  id: string
  at: string
  actor: string
  source: string | null
  action: string
  subject: string | null
  details: Record<string, unknown>
}

export interface AuditQuery {
  from?: string
  to?: string
  /** an exact action (`rule.update`), or a family of them without the dot (`rule`) */
  action?: string
  limit: number
}

/** Append-only: there is no update and no delete (and the database refuses both). */
export interface AuditRepository {
  append(row: AuditRow): Promise<void>
  /** newest first */
  list(q: AuditQuery): Promise<AuditRow[]>
}

export interface NewVerification {
  id: string
  appId: string
  ruleId: string
  /** the version of the rule the verification is created under */
  ruleVersion: number
  family: 'h5' | 'sdk'
  token: string
  orderNo: string | null
  requestKey: string | null
  userId: string | null
  nameSealed: string | null
  idNumberSealed: string | null
  idHash: string | null
  referenceBlob: string | null
  referenceOrigin: 'photo' | 'registry' | null
  identityOrigin: 'request' | null
  redirectUrl: string | null
  extra: string | null
  maxAttempts: number
  expiresAt: string
  purgeAfter: string
  /** the service clock's "now" (default: the system time) */
  createdAt?: string
}

export interface SealedIdentity {
  nameSealed: string | null
  idNumberSealed: string | null
}

export interface VerificationRepository {
  /** the row as written (one statement: INSERT … RETURNING) */
  insert(v: NewVerification): Promise<Verification>
  getById(id: string): Promise<Verification | null>
  getByToken(token: string): Promise<Verification | null>
  getByOrderNo(appId: string, orderNo: string): Promise<Verification | null>
  getByRequestKey(appId: string, key: string): Promise<Verification | null>
  sealedIdentity(id: string): Promise<SealedIdentity | null>
  setChallenge(id: string, challenge: string, expiresAt: string | null, issuedAt: string): Promise<void>
  setRedirect(id: string, url: string): Promise<void>
  /** sets name and number read from the ID card, only where the caller declared none; true if it did */
  adoptIdentity(id: string, identity: { nameSealed: string; idNumberSealed: string; idHash: string }): Promise<boolean>
  /** compare-and-set on state, so that two concurrent uploads cannot both start an attempt */
  transition(
    id: string,
    from: VerificationState[],
    to: VerificationState,
    patch?: { attemptsUsed?: number; expectAttemptsUsed?: number },
  ): Promise<boolean>
  finish(
    id: string,
    f: {
      state: VerificationState
      reason: string
      code: number
      billable: boolean
      similarity: number | null
      bestFrameBlob: string | null
      videoBlob: string | null
      finishedAt: string | null
      purgeAfter: string
    },
  ): Promise<void>
  countInFlight(appId: string, now: string): Promise<number>
  listExpired(
    now: string,
    limit: number,
  ): Promise<Array<Pick<Verification, 'id' | 'referenceBlob' | 'bestFrameBlob' | 'videoBlob'>>>
  /**
   * Deletes a verification's personal fields (name, number, blind index, user id, extra, redirect, challenge,
   * media keys, the duplicate-identity evidence of its attempts); the verdict, times and ledger stay.
   * `erase` also deletes the keyed hashes of its media (kept otherwise: they catch a replayed upload);
   * `expireAt` ends its results' life there (the results APIs answer "expired" from then on).
   */
  purge(id: string, opts?: { erase?: boolean; expireAt?: string }): Promise<void>
  /** the app's verifications whose personal data is still kept after `now`: their keep-until inputs */
  retained(
    appId: string,
    now: string,
  ): Promise<Array<Pick<Verification, 'id' | 'createdAt' | 'expiresAt' | 'finishedAt' | 'purgeAfter'>>>
  setPurgeAfter(id: string, purgeAfter: string): Promise<void>
  /** every verification, of any app, whose ID number has this blind index */
  listByIdHash(idHash: string): Promise<Verification[]>
  /** removes a registry person from the duplicate-identity evidence of every attempt */
  forgetPerson(personId: string): Promise<number>
  search(q: VerificationQuery): Promise<Verification[]>
}

export interface AttemptRepository {
  insert(a: {
    id: string
    verificationId: string
    seq: number
    mediaBlob: string | null
    mediaKind: 'video' | 'image' | null
    mediaHash: string | null
    createdAt: string
  }): Promise<void>
  get(id: string): Promise<Attempt | null>
  listFor(verificationId: string): Promise<Attempt[]>
  /** the latest attempt of this verification whose media has this (blind) hash */
  withMedia(verificationId: string, mediaHash: string): Promise<Attempt | null>
  mediaSeen(mediaHash: string, exceptAttemptId: string): Promise<boolean>
  countRecent(
    appId: string,
    subject: { idHash: string } | { userId: string },
    since: string,
    reasons: string[],
  ): Promise<number>
  setState(id: string, state: Attempt['state']): Promise<void>
  finish(
    id: string,
    f: {
      reason: string
      code: number
      billable: boolean
      similarity: number | null
      signals: Record<string, unknown>
      bestFrameBlob: string | null
      finishedAt: string
    },
  ): Promise<boolean>
  blobsFor(verificationId: string): Promise<string[]>
}

export interface IdCardSideRow {
  verificationId: string
  side: 'front' | 'back'
  imageBlob: string | null
  portraitBlob: string | null
  fieldsSealed: string | null
  reason: string
  readAt: string
}

export interface IdCardRepository {
  /** a retake of the same side replaces the earlier reading */
  put(row: IdCardSideRow): Promise<void>
  listFor(verificationId: string): Promise<IdCardSideRow[]>
  /** the blob keys the readings hold, for the retention purge */
  blobsFor(verificationId: string): Promise<string[]>
  deleteFor(verificationId: string): Promise<void>
}

export interface LedgerEntry {
  attemptId: string
  verificationId: string
  appId: string
  ruleId: string
  family: 'h5' | 'sdk'
  code: number
  reason: string
  billable: boolean
  at: string
}

export interface UsageRow {
  appId: string
  day: string
  family: string
  code: number
  billable: number
  free: number
}

export interface LedgerRepository {
  record(e: LedgerEntry): Promise<void>
  usage(q: { from: string; to: string; appId?: string }): Promise<UsageRow[]>
  countForPerson(appId: string, idHash: string, day: string): Promise<number>
  countForAttempt(attemptId: string): Promise<number>
}

export interface RegistryPerson {
  id: string
  idHash: string
  nameHash: string
  idNumberSealed: string
  nameSealed: string
  photoBlob: string | null
  createdAt: string
}

export interface RegistryRepository {
  upsert(p: Omit<RegistryPerson, 'createdAt'>, now: string): Promise<'created' | 'updated'>
  getByIdHash(idHash: string): Promise<RegistryPerson | null>
  getById(id: string): Promise<RegistryPerson | null>
  delete(idHash: string): Promise<RegistryPerson | null>
  count(): Promise<number>
  list(limit: number, offset: number): Promise<RegistryPerson[]>
  /** records a person's face (sealed embedding) or its removal (null), under a new registry revision */
  putFace(personId: string, face: { embeddingSealed: string; model: string } | null): Promise<number>
  /** the registry's change counter: it grows at every putFace */
  faceRevision(): Promise<number>
  /** the change counter and the erasure counter (which grows at every erase) */
  faceState(): Promise<{ revision: number; erasures: number }>
  /** the ids of every person with a stored face */
  faceIds(): Promise<string[]>
  /** one person's face row, or null */
  getFace(personId: string): Promise<RegistryFaceRow | null>
  /**
   * Deletes a person and their face row outright (no tombstone) and bumps both counters, in one
   * transaction; returns what was deleted (its photo blob is the caller's to delete), or null.
   */
  erase(personId: string): Promise<RegistryPerson | null>
  /** faces changed after a revision, in revision order (null embedding: removed) */
  facesSince(revision: number, limit: number): Promise<RegistryFaceRow[]>
  /** the face rows of these persons (any order; persons without a row are left out) */
  facesOf(personIds: string[]): Promise<RegistryFaceRow[]>
}

export interface RegistryFaceRow {
  personId: string
  embeddingSealed: string | null
  model: string | null
  revision: number
}

export interface TicketRow {
  valueHash: string
  valueSealed: string | null
  kind: 'access' | 'sign' | 'nonce'
  appId: string
  userId: string | null
  parentHash: string | null
  secretVersion: number
  expiresAt: string
  usedAt: string | null
  createdAt: string
}

export interface TicketRepository {
  insert(t: Omit<TicketRow, 'usedAt'>): Promise<void>
  get(valueHash: string): Promise<TicketRow | null>
  listValid(appId: string, kind: TicketRow['kind'], now: string, userId?: string): Promise<TicketRow[]>
  /** shortens every other live token of the app to `until` (old tokens live one minute after a refresh) */
  shortenOthers(
    appId: string,
    kind: TicketRow['kind'],
    exceptHash: string,
    until: string,
    parentHash?: string,
  ): Promise<void>
  /** single use: true only for the one caller that consumed it */
  consume(valueHash: string, now: string): Promise<boolean>
  deleteExpired(now: string): Promise<number>
}

export interface GuardRepository {
  /** true if the slot was free (or expired) and is now taken until `expiresAt` */
  claim(scope: string, key: string, now: string, expiresAt: string): Promise<boolean>
}

export interface ConsoleSessionRow {
  idHash: string
  passwordFp: string
  createdAt: string
  idleUntil: string
}

/** Server-side console sessions, when no Redis is configured (src/console-auth). */
export interface ConsoleSessionRepository {
  put(row: ConsoleSessionRow): Promise<void>
  get(idHash: string): Promise<ConsoleSessionRow | null>
  delete(idHash: string): Promise<void>
  deleteAll(): Promise<void>
  deleteIdle(now: string): Promise<number>
}

export interface JobRow {
  id: string
  kind: string
  jobKey: string
  payload: string
  /** `dead`: failed its last try (or can never run), kept with its last error until requeued */
  state: 'queued' | 'running' | 'done' | 'dead'
  tries: number
  runAfter: string
  lastError: string | null
  workerId: string | null
  heartbeatAt: string | null
  createdAt: string
  updatedAt: string
}

/** Who claims a job, and when another worker's running job counts as abandoned. */
export interface JobClaimant {
  workerId: string
  /** a running job whose heartbeat is older than this lost its worker */
  staleBefore: string
}

export interface JobStats {
  queued: number
  running: number
  dead: number
  /** created_at of the oldest queued job, or null */
  oldestQueuedAt: string | null
}

/**
 * The jobs table. Every change to a running job names the worker that holds it and reports whether
 * it still did (false: the job was taken over, and the caller's result is dropped).
 */
export interface JobRepository {
  /** on PostgreSQL this also notifies the listening workers, at the commit of the caller's transaction */
  enqueue(j: { id: string; kind: string; jobKey: string; payload: string; now: string }): Promise<boolean>
  /** the next ready job (queued and due, or running past its lock or heartbeat), now running for `by` */
  claim(now: string, lockUntil: string, by?: JobClaimant): Promise<JobRow | null>
  heartbeat(id: string, workerId: string, now: string, lockUntil: string): Promise<boolean>
  complete(id: string, workerId: string | null, now: string): Promise<boolean>
  retry(id: string, workerId: string | null, error: string, runAfter: string, now: string): Promise<boolean>
  /** the job becomes `dead` with its last error */
  kill(id: string, workerId: string | null, error: string, now: string): Promise<boolean>
  /** back to queued without spending a try (a worker shutting down) */
  release(id: string, workerId: string, now: string): Promise<boolean>
  /** a dead job queued again with fresh tries */
  requeue(id: string, now: string): Promise<boolean>
  listDead(limit: number): Promise<JobRow[]>
  stats(): Promise<JobStats>
  /** queued jobs (due or not) plus running ones: the backlog admission control compares */
  depth(): Promise<number>
  counts(): Promise<Record<string, number>>
}

// ── completion webhooks (src/webhooks) ──

export interface WebhookRow {
  appId: string
  url: string
  secretSealed: string
  /** during a rotation: the previous secret, which signs too until previousUntil */
  previousSecretSealed: string | null
  previousUntil: string | null
  enabled: boolean
  createdAt: string
  updatedAt: string
}

export type WebhookEventState = 'pending' | 'delivered' | 'failed'

export interface WebhookEventRow {
  id: string
  appId: string
  verificationId: string
  type: string
  idempotencyKey: string
  /** the JSON sent, without personal data */
  body: string
  state: WebhookEventState
  createdAt: string
  updatedAt: string
}

export interface WebhookDeliveryRow {
  id: string
  eventId: string
  verificationId: string
  at: string
  trigger: 'auto' | 'manual'
  statusCode: number | null
  error: string | null
  durationMs: number
}

export interface WebhookRepository {
  get(appId: string): Promise<WebhookRow | null>
  insert(row: WebhookRow): Promise<void>
  update(appId: string, patch: { url?: string; enabled?: boolean }, now: string): Promise<number>
  rotate(
    appId: string,
    secrets: { secretSealed: string; previousSecretSealed: string | null; previousUntil: string | null },
    now: string,
  ): Promise<number>
  delete(appId: string): Promise<number>
  /** false when an event with this idempotency key exists already */
  insertEvent(e: Omit<WebhookEventRow, 'updatedAt'>): Promise<boolean>
  getEvent(id: string): Promise<WebhookEventRow | null>
  setEventState(id: string, state: WebhookEventState, now: string): Promise<void>
  listEvents(q: {
    appId?: string
    verificationId?: string
    state?: WebhookEventState
    limit: number
  }): Promise<WebhookEventRow[]>
  addDelivery(d: WebhookDeliveryRow): Promise<void>
  deliveriesFor(eventIds: string[]): Promise<WebhookDeliveryRow[]>
  /** unfinished verifications past their expiry, of apps with an enabled webhook set before that expiry, not yet told */
  expiredUnnotified(now: string, limit: number): Promise<string[]>
  /** the events and delivery log of one verification (retention purge, person erasure) */
  deleteForVerification(verificationId: string): Promise<number>
  /** the events and log of verifications whose retention ended, once nothing is left to deliver */
  deletePurged(now: string): Promise<number>
}

export interface TransactionOptions {
  /**
   * Run the transaction again, after a short random pause, while it loses to another connection's
   * write (SQLite: the write lock held past the busy timeout, or written past this transaction's
   * snapshot; PostgreSQL: a serialization failure or deadlock), for up to this long. Default 0: the
   * loss is thrown. Only for transactions that may simply be run again.
   */
  retryForMs?: number
}

export interface Store {
  apps: AppRepository
  rules: RuleRepository
  audit: AuditRepository
  verifications: VerificationRepository
  attempts: AttemptRepository
  idcards: IdCardRepository
  ledger: LedgerRepository
  registry: RegistryRepository
  tickets: TicketRepository
  guards: GuardRepository
  jobs: JobRepository
  consoleSessions: ConsoleSessionRepository
  webhooks: WebhookRepository
  transaction<T>(fn: (tx: Store) => Promise<T>, opts?: TransactionOptions): Promise<T>
  /**
   * After an erasure: make deleted rows physically gone where the engine keeps copies (SQLite: its
   * write-ahead log is checkpointed into the file, where secure_delete zeroed them, and truncated).
   */
  scrub(): Promise<void>
}
