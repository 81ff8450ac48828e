import {
  CompiledQuery,
  PostgresAdapter,
  SqliteAdapter,
  sql,
  type Compilable,
  type Kysely,
  type QueryResult,
  type Selectable,
} from 'kysely'
import type {
  Database,
  VerificationTable,
  AttemptTable,
  RuleTable,
  RuleVersionTable,
  AppTable,
  RegistryPersonTable,
  TicketTable,
  IdCardSideTable,
} from './schema.js'
import type {
  AppRepository,
  AppRow,
  AttemptRepository,
  AuditRepository,
  GuardRepository,
  IdCardRepository,
  IdCardSideRow,
  JobRepository,
  JobClaimant,
  ConsoleSessionRepository,
  JobRow,
  LedgerRepository,
  NewVerification,
  RegistryPerson,
  RegistryRepository,
  RuleRepository,
  Store,
  TransactionOptions,
  TicketRepository,
  TicketRow,
  UsageRow,
  VerificationRepository,
  WebhookRepository,
} from './ports.js'
import { webhookRepository } from './webhook-repository.js'
import { isWriteContention } from './db.js'
import { readRuleSettings, writeRuleSettings, type Rule, type RuleSettings, type Service } from '../apps/types.js'
import type { Attempt, Challenge, Verification, VerificationState } from '../verifications/types.js'
import type { Reason } from '../codes/index.js'

// Row → domain mappers: the one place where 0/1, JSON text and nullable columns become typed values.
const bool = (n: number | null): boolean | null => (n === null ? null : n !== 0)
const num = (x: unknown): number => Number(x)

function toApp(r: Selectable<AppTable>): AppRow {
  return {
    appId: r.app_id,
    name: r.name,
    secretSealed: r.secret_sealed,
    secretVersion: num(r.secret_version),
    services: JSON.parse(r.services) as Service[],
    validUntil: r.valid_until,
    dailyLimitPerPerson: num(r.daily_limit_per_person),
    concurrencyLimit: num(r.concurrency_limit),
    enabled: r.enabled !== 0,
    createdAt: r.created_at,
    retentionDays: r.retention_days === null ? null : num(r.retention_days),
  }
}

/** a rule row with the settings of one of its versions */
function toRule(
  r: Selectable<RuleTable>,
  v: Pick<Selectable<RuleVersionTable>, 'version' | 'settings' | 'created_at'>,
): Rule {
  return {
    ruleId: r.rule_id,
    appId: r.app_id,
    ...readRuleSettings(v.settings),
    version: num(v.version),
    createdAt: r.created_at,
    updatedAt: v.created_at,
  }
}

/** the rules table's own columns mirror the current version, so that SQL reading them stays true */
function ruleColumns(s: RuleSettings) {
  return {
    name: s.name,
    liveness: s.liveness,
    compare_source: s.compareSource,
    threshold: s.threshold,
    max_attempts: s.maxAttempts,
    token_ttl_s: s.tokenTtlS,
    action_count: s.actionCount,
    idcard_step: s.idcardStep,
    duplicate_action: s.duplicateAction,
    enabled: s.enabled ? 1 : 0,
  }
}

function toVerification(r: Selectable<VerificationTable>): Verification {
  return {
    id: r.id,
    appId: r.app_id,
    ruleId: r.rule_id,
    ruleVersion: num(r.rule_version),
    family: r.family as Verification['family'],
    token: r.token,
    orderNo: r.order_no,
    userId: r.user_id,
    idHash: r.id_hash,
    hasIdentity: r.id_number_sealed !== null,
    referenceBlob: r.reference_blob,
    referenceOrigin: r.reference_origin as Verification['referenceOrigin'],
    identityOrigin:
      (r.identity_origin as Verification['identityOrigin']) ?? (r.id_number_sealed !== null ? 'request' : null),
    redirectUrl: r.redirect_url,
    extra: r.extra,
    state: r.state as VerificationState,
    attemptsUsed: num(r.attempts_used),
    maxAttempts: num(r.max_attempts),
    challenge: r.challenge ? (JSON.parse(r.challenge) as Challenge) : null,
    challengeExpiresAt: r.challenge_expires_at,
    challengeIssuedAt: r.challenge_issued_at ?? null,
    finalReason: r.final_reason as Reason | null,
    finalCode: r.final_code === null ? null : num(r.final_code),
    finalBillable: bool(r.final_billable),
    similarity: r.similarity === null ? null : num(r.similarity),
    bestFrameBlob: r.best_frame_blob,
    videoBlob: r.video_blob,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    finishedAt: r.finished_at,
    purgeAfter: r.purge_after,
  }
}

function toAttempt(r: Selectable<AttemptTable>): Attempt {
  return {
    id: r.id,
    verificationId: r.verification_id,
    seq: num(r.seq),
    state: r.state as Attempt['state'],
    mediaBlob: r.media_blob,
    mediaKind: r.media_kind as Attempt['mediaKind'],
    reason: r.reason as Reason | null,
    code: r.code === null ? null : num(r.code),
    billable: bool(r.billable),
    similarity: r.similarity === null ? null : num(r.similarity),
    signals: r.signals ? (JSON.parse(r.signals) as Record<string, unknown>) : null,
    bestFrameBlob: r.best_frame_blob,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  }
}

function toPerson(r: Selectable<RegistryPersonTable>): RegistryPerson {
  return {
    id: r.id,
    idHash: r.id_hash,
    nameHash: r.name_hash,
    idNumberSealed: r.id_number_sealed,
    nameSealed: r.name_sealed,
    photoBlob: r.photo_blob,
    createdAt: r.created_at,
  }
}

function toTicket(r: Selectable<TicketTable>): TicketRow {
  return {
    valueHash: r.value_hash,
    valueSealed: r.value_sealed,
    kind: r.kind as TicketRow['kind'],
    appId: r.app_id,
    userId: r.user_id,
    parentHash: r.parent_hash,
    secretVersion: num(r.secret_version),
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    createdAt: r.created_at,
  }
}

const changed = (res: {
  numUpdatedRows?: bigint
  numInsertedOrUpdatedRows?: bigint
  numDeletedRows?: bigint
}): number => Number(res.numUpdatedRows ?? res.numInsertedOrUpdatedRows ?? res.numDeletedRows ?? 0n)

/**
 * A query whose shape never changes, built and compiled once per dialect; each call binds its values
 * only. Kysely builds and compiles a query tree on every call (≈ 10–15 µs; eight of them are a fifth
 * of a GetDetectInfoEnhanced on SQLite, bench:load), so the look-ups every signed request makes skip
 * that. The values stay bound parameters, never spliced into the SQL: the tree is compiled once with a
 * marker in place of each value of `p`, and each marker's position in the parameters is remembered.
 */
function prepared<P extends object, R>(build: (db: Kysely<Database>, p: P) => Compilable<R>) {
  type Slot = { key: keyof P } | { value: unknown }
  const byDialect = new Map<unknown, { sql: string; slots: Slot[] }>()
  return (db: Kysely<Database>, p: P): Promise<QueryResult<R>> => {
    const dialect = db.getExecutor().adapter.constructor
    let c = byDialect.get(dialect)
    if (!c) {
      // every field the builder reads becomes a marker, whether or not this call's `p` has it
      const keys = new Map<string, keyof P>()
      const marks = new Proxy({} as P, {
        get: (_t, k) => {
          const m = `\u0000shiren-prepared:${String(k)}\u0000`
          keys.set(m, k as keyof P)
          return m
        },
      })
      const compiled = build(db, marks).compile()
      c = {
        sql: compiled.sql,
        slots: compiled.parameters.map((v) =>
          typeof v === 'string' && keys.has(v) ? { key: keys.get(v)! } : { value: v },
        ),
      }
      byDialect.set(dialect, c)
    }
    // a field left undefined is bound as NULL (better-sqlite3 refuses undefined)
    const params = c.slots.map((s) => ('key' in s ? (p[s.key] ?? null) : s.value))
    return db.executeQuery(CompiledQuery.raw(c.sql, params) as CompiledQuery<R>)
  }
}

const appById = prepared((db, p: { appId: string }) => db.selectFrom('apps').selectAll().where('app_id', '=', p.appId))
const verificationById = prepared((db, p: { id: string }) =>
  db.selectFrom('verifications').selectAll().where('id', '=', p.id),
)
const verificationByToken = prepared((db, p: { token: string }) =>
  db.selectFrom('verifications').selectAll().where('token', '=', p.token),
)
const verificationByOrderNo = prepared((db, p: { appId: string; orderNo: string }) =>
  db.selectFrom('verifications').selectAll().where('app_id', '=', p.appId).where('order_no', '=', p.orderNo),
)
const verificationByRequestKey = prepared((db, p: { appId: string; key: string }) =>
  db.selectFrom('verifications').selectAll().where('app_id', '=', p.appId).where('request_key', '=', p.key),
)
const sealedIdentityById = prepared((db, p: { id: string }) =>
  db.selectFrom('verifications').select(['name_sealed', 'id_number_sealed']).where('id', '=', p.id),
)
const attemptsOf = prepared((db, p: { verificationId: string }) =>
  db.selectFrom('attempts').selectAll().where('verification_id', '=', p.verificationId).orderBy('seq'),
)
const cardSidesOf = prepared((db, p: { verificationId: string }) =>
  db.selectFrom('idcard_sides').selectAll().where('verification_id', '=', p.verificationId).orderBy('side'),
)
const ticketByHash = prepared((db, p: { valueHash: string }) =>
  db.selectFrom('tickets').selectAll().where('value_hash', '=', p.valueHash),
)
const validTickets = prepared((db, p: { appId: string; kind: string; now: string }) =>
  db
    .selectFrom('tickets')
    .selectAll()
    .where('app_id', '=', p.appId)
    .where('kind', '=', p.kind)
    .where('expires_at', '>', p.now)
    .where('used_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(20),
)
const validUserTickets = prepared((db, p: { appId: string; kind: string; now: string; userId: string }) =>
  db
    .selectFrom('tickets')
    .selectAll()
    .where('app_id', '=', p.appId)
    .where('kind', '=', p.kind)
    .where('expires_at', '>', p.now)
    .where('used_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(20)
    .where('user_id', '=', p.userId),
)

/** A new verification's row, every column named: what is inserted is also what the caller gets back. */
function verificationValues(v: Omit<NewVerification, 'createdAt'> & { createdAt: string }) {
  return {
    id: v.id,
    app_id: v.appId,
    rule_id: v.ruleId,
    rule_version: v.ruleVersion,
    family: v.family,
    token: v.token,
    order_no: v.orderNo,
    request_key: v.requestKey,
    user_id: v.userId,
    name_sealed: v.nameSealed,
    id_number_sealed: v.idNumberSealed,
    id_hash: v.idHash,
    reference_blob: v.referenceBlob,
    reference_origin: v.referenceOrigin,
    identity_origin: v.identityOrigin,
    redirect_url: v.redirectUrl,
    extra: v.extra,
    state: 'created',
    attempts_used: 0,
    max_attempts: v.maxAttempts,
    challenge: null,
    challenge_expires_at: null,
    challenge_issued_at: null,
    final_reason: null,
    final_code: null,
    final_billable: null,
    similarity: null,
    best_frame_blob: null,
    video_blob: null,
    created_at: v.createdAt,
    expires_at: v.expiresAt,
    finished_at: null,
    purge_after: v.purgeAfter,
  }
}

// No RETURNING: every column is given, so the row is known without reading it back; SQLite's
// RETURNING made this insert ≈ 4× dearer (46 vs 12 µs CPU, docs/benchmarks.md bench:load)
const insertVerification = prepared((db, v: Omit<NewVerification, 'createdAt'> & { createdAt: string }) =>
  db.insertInto('verifications').values(verificationValues(v)),
)

const ruleById = prepared((db, p: { ruleId: string }) =>
  db.selectFrom('rules').selectAll().where('rule_id', '=', p.ruleId),
)
const rulesOfApp = prepared((db, p: { appId: string }) =>
  db.selectFrom('rules').selectAll().where('app_id', '=', p.appId).orderBy('created_at').orderBy('rule_id'),
)
const ruleVersionRow = prepared((db, p: { ruleId: string; version: number }) =>
  db
    .selectFrom('rule_versions')
    .select(['version', 'settings', 'created_at'])
    .where('rule_id', '=', p.ruleId)
    .where('version', '=', p.version),
)

/**
 * What a store keeps between queries, shared by the store and the stores of its transactions.
 * Only what never changes: a rule version is an immutable row (an edit writes a new version), and a
 * rule's id, app and creation time never change either, so (ruleId, version) → the rule at that
 * version is safe to keep across requests and processes. A rule's *current* version is always read
 * from its rules row (another process may have edited it).
 */
export class StoreCaches {
  private readonly ruleVersions = new Map<string, Readonly<Rule>>()
  static readonly MAX_RULE_VERSIONS = 4096

  ruleVersion(ruleId: string, version: number): Rule | undefined {
    const r = this.ruleVersions.get(`${ruleId}\u0000${version}`)
    return r ? { ...r } : undefined
  }

  keepRuleVersion(rule: Rule): void {
    if (this.ruleVersions.size >= StoreCaches.MAX_RULE_VERSIONS) this.ruleVersions.clear()
    this.ruleVersions.set(`${rule.ruleId}\u0000${rule.version}`, Object.freeze({ ...rule }))
  }
}

export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly inTransaction = false,
    private readonly caches = new StoreCaches(),
  ) {}

  // Each repository is built on first use: a transaction's store is made for every transaction, and
  // most use two or three of the thirteen (building all of them was ≈ 150 closures per transaction)
  private repos: Partial<Omit<Store, 'transaction' | 'scrub'>> = {}
  get apps(): AppRepository {
    return (this.repos.apps ??= appRepository(this.db))
  }
  get rules(): RuleRepository {
    const db = this.db
    return (this.repos.rules ??= ruleRepository(
      db,
      (fn) => (this.inTransaction ? fn(db) : db.transaction().execute(fn)),
      this.caches,
    ))
  }
  get audit(): AuditRepository {
    return (this.repos.audit ??= auditRepository(this.db))
  }
  get verifications(): VerificationRepository {
    return (this.repos.verifications ??= verificationRepository(this.db))
  }
  get attempts(): AttemptRepository {
    return (this.repos.attempts ??= attemptRepository(this.db))
  }
  get idcards(): IdCardRepository {
    return (this.repos.idcards ??= idCardRepository(this.db))
  }
  get ledger(): LedgerRepository {
    return (this.repos.ledger ??= ledgerRepository(this.db))
  }
  get registry(): RegistryRepository {
    return (this.repos.registry ??= registryRepository(this.db))
  }
  get tickets(): TicketRepository {
    return (this.repos.tickets ??= ticketRepository(this.db))
  }
  get guards(): GuardRepository {
    return (this.repos.guards ??= guardRepository(this.db))
  }
  get jobs(): JobRepository {
    return (this.repos.jobs ??= jobRepository(this.db))
  }
  get consoleSessions(): ConsoleSessionRepository {
    return (this.repos.consoleSessions ??= consoleSessionRepository(this.db))
  }
  get webhooks(): WebhookRepository {
    return (this.repos.webhooks ??= webhookRepository(this.db))
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.inTransaction) return fn(this)
    const end = Date.now() + (opts.retryForMs ?? 0)
    for (;;) {
      try {
        return await this.db.transaction().execute((trx) => fn(new KyselyStore(trx, true, this.caches)))
      } catch (err) {
        if (!isWriteContention(err) || Date.now() >= end) throw err
        // random, so that the processes that collided do not collide again
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80))
      }
    }
  }

  async scrub(): Promise<void> {
    if (this.inTransaction || !(this.db.getExecutor().adapter instanceof SqliteAdapter)) return
    // PostgreSQL: the deleted rows are absent from every query at once; their dead tuples are
    // reclaimed by (auto)vacuum. SQLite: pages changed by the erasure sit in the WAL until checkpointed.
    // Another process reading the file (a CLI beside the server) can hold the checkpoint back: retry briefly
    for (let i = 0; i < 10; i++) {
      const r = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(this.db)
      if (!r.rows[0]?.busy) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

function appRepository(db: Kysely<Database>): AppRepository {
  return {
    async insert(a) {
      const now = new Date().toISOString()
      await db
        .insertInto('apps')
        .values({
          app_id: a.appId,
          name: a.name,
          secret_sealed: a.secretSealed,
          secret_version: 1,
          services: JSON.stringify(a.services),
          valid_until: a.validUntil,
          daily_limit_per_person: a.dailyLimitPerPerson,
          concurrency_limit: a.concurrencyLimit,
          enabled: 1,
          created_at: now,
          updated_at: now,
          retention_days: a.retentionDays ?? null,
        })
        .execute()
    },
    async get(appId) {
      const r = (await appById(db, { appId })).rows[0]
      return r ? toApp(r) : null
    },
    async list() {
      return (await db.selectFrom('apps').selectAll().orderBy('created_at').execute()).map(toApp)
    },
    async rotateSecret(appId, secretSealed) {
      await db
        .updateTable('apps')
        .set((eb) => ({
          secret_sealed: secretSealed,
          secret_version: eb('secret_version', '+', 1),
          updated_at: new Date().toISOString(),
        }))
        .where('app_id', '=', appId)
        .execute()
      const r = await db
        .selectFrom('apps')
        .select('secret_version')
        .where('app_id', '=', appId)
        .executeTakeFirstOrThrow()
      return num(r.secret_version)
    },
    async update(appId, p) {
      await db
        .updateTable('apps')
        .set({
          ...(p.name !== undefined && { name: p.name }),
          ...(p.services !== undefined && { services: JSON.stringify(p.services) }),
          ...(p.validUntil !== undefined && { valid_until: p.validUntil }),
          ...(p.dailyLimitPerPerson !== undefined && { daily_limit_per_person: p.dailyLimitPerPerson }),
          ...(p.concurrencyLimit !== undefined && { concurrency_limit: p.concurrencyLimit }),
          ...(p.enabled !== undefined && { enabled: p.enabled ? 1 : 0 }),
          ...(p.retentionDays !== undefined && { retention_days: p.retentionDays }),
          updated_at: new Date().toISOString(),
        })
        .where('app_id', '=', appId)
        .execute()
    },
    async wellKnown(name) {
      const r = await db
        .selectFrom('well_known_apps')
        .select(['app_id', 'rule_id'])
        .where('name', '=', name)
        .executeTakeFirst()
      return r ? { appId: r.app_id, ruleId: r.rule_id } : null
    },
    async recordWellKnown(name, appId, ruleId) {
      const r = await db
        .insertInto('well_known_apps')
        .values({ name, app_id: appId, rule_id: ruleId, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst()
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1
    },
  }
}

function ruleRepository(
  db: Kysely<Database>,
  atomically: <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>,
  caches: StoreCaches,
): RuleRepository {
  /** the rule row (its current version pointer, read every time) with the settings of `version` */
  const atVersion = async (r: Selectable<RuleTable>, version: number): Promise<Rule | null> => {
    const known = caches.ruleVersion(r.rule_id, version)
    if (known) return known
    const v = (await ruleVersionRow(db, { ruleId: r.rule_id, version })).rows[0]
    if (!v) return null
    const rule = toRule(r, v)
    // only what is committed is kept: inside a transaction the row may be this transaction's own write,
    // which a rollback would undo
    if (!db.isTransaction) caches.keepRuleVersion(rule)
    return rule
  }
  const withVersion = (q = db.selectFrom('rules')) =>
    q
      .innerJoin('rule_versions as v', (j) =>
        j.onRef('v.rule_id', '=', 'rules.rule_id').onRef('v.version', '=', 'rules.version'),
      )
      .selectAll('rules')
      .select(['v.settings as v_settings', 'v.version as v_version', 'v.created_at as v_created_at'])
  type Joined = Selectable<RuleTable> & { v_settings: string; v_version: number; v_created_at: string }
  const fromJoined = (r: Joined) =>
    toRule(r, { settings: r.v_settings, version: r.v_version, created_at: r.v_created_at })
  return {
    async insert(r, by = 'system') {
      const now = new Date().toISOString()
      const { ruleId, appId, ...rest } = r
      const settings: RuleSettings = { ...rest, enabled: r.enabled ?? true, lightFallback: r.lightFallback ?? null }
      await atomically(async (t) => {
        await t
          .insertInto('rules')
          .values({
            rule_id: ruleId,
            app_id: appId,
            ...ruleColumns(settings),
            version: 1,
            created_at: now,
            updated_at: now,
          })
          .execute()
        await t
          .insertInto('rule_versions')
          .values({
            rule_id: ruleId,
            version: 1,
            settings: writeRuleSettings(settings),
            created_by: by,
            created_at: now,
          })
          .execute()
      })
    },
    async get(ruleId) {
      const r = (await ruleById(db, { ruleId })).rows[0]
      return r ? atVersion(r, num(r.version)) : null
    },
    async getVersion(ruleId, version) {
      const known = caches.ruleVersion(ruleId, version)
      if (known) return known
      const r = (await ruleById(db, { ruleId })).rows[0]
      return r ? atVersion(r, version) : null
    },
    async list(appId) {
      if (appId) {
        // the ticket flow's default rule is looked up on every request: the rows, then their (kept) versions
        const out: Rule[] = []
        for (const r of (await rulesOfApp(db, { appId })).rows) {
          const rule = await atVersion(r, num(r.version))
          if (rule) out.push(rule)
        }
        return out
      }
      const q = withVersion().orderBy('rules.created_at').orderBy('rules.rule_id')
      return ((await q.execute()) as Joined[]).map(fromJoined)
    },
    async addVersion(ruleId, expected, settings, by, at) {
      return atomically(async (t) => {
        const res = await t
          .updateTable('rules')
          .set({ ...ruleColumns(settings), version: expected + 1, updated_at: at })
          .where('rule_id', '=', ruleId)
          .where('version', '=', expected)
          .executeTakeFirst()
        if (changed(res) !== 1) return false
        await t
          .insertInto('rule_versions')
          .values({
            rule_id: ruleId,
            version: expected + 1,
            settings: writeRuleSettings(settings),
            created_by: by,
            created_at: at,
          })
          .execute()
        return true
      })
    },
    async versions(ruleId) {
      const rows = await db
        .selectFrom('rule_versions')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .orderBy('version', 'desc')
        .execute()
      return rows.map((v) => ({
        ruleId: v.rule_id,
        version: num(v.version),
        settings: readRuleSettings(v.settings),
        createdBy: v.created_by,
        createdAt: v.created_at,
      }))
    },
  }
}

function auditRepository(db: Kysely<Database>): AuditRepository {
  return {
    async append(e) {
      await db
        .insertInto('audit_log')
        .values({
          id: e.id,
          at: e.at,
          actor: e.actor,
          source: e.source,
          action: e.action,
          subject: e.subject,
          details: JSON.stringify(e.details),
        })
        .execute()
    },
    async list(q) {
      let s = db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit)
      if (q.from) s = s.where('at', '>=', q.from)
      if (q.to) s = s.where('at', '<=', q.to)
      if (q.action)
        s = q.action.includes('.')
          ? s.where('action', '=', q.action)
          : s.where('action', 'like', `${q.action.replace(/[%_\\]/g, '')}.%`)
      return (await s.execute()).map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        source: r.source,
        action: r.action,
        subject: r.subject,
        details: JSON.parse(r.details) as Record<string, unknown>,
      }))
    },
  }
}

function toIdCardSide(r: Selectable<IdCardSideTable>): IdCardSideRow {
  return {
    verificationId: r.verification_id,
    side: r.side as IdCardSideRow['side'],
    imageBlob: r.image_blob,
    portraitBlob: r.portrait_blob,
    fieldsSealed: r.fields_sealed,
    reason: r.reason,
    readAt: r.read_at,
  }
}

function idCardRepository(db: Kysely<Database>): IdCardRepository {
  return {
    async put(row) {
      const values = {
        verification_id: row.verificationId,
        side: row.side,
        image_blob: row.imageBlob,
        portrait_blob: row.portraitBlob,
        fields_sealed: row.fieldsSealed,
        reason: row.reason,
        read_at: row.readAt,
      }
      await db
        .insertInto('idcard_sides')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['verification_id', 'side']).doUpdateSet({
            image_blob: values.image_blob,
            portrait_blob: values.portrait_blob,
            fields_sealed: values.fields_sealed,
            reason: values.reason,
            read_at: values.read_at,
          }),
        )
        .execute()
    },
    async listFor(verificationId) {
      return (await cardSidesOf(db, { verificationId })).rows.map(toIdCardSide)
    },
    async blobsFor(verificationId) {
      const rows = await db
        .selectFrom('idcard_sides')
        .select(['image_blob', 'portrait_blob'])
        .where('verification_id', '=', verificationId)
        .execute()
      return rows.flatMap((r) => [r.image_blob, r.portrait_blob]).filter((k): k is string => !!k)
    },
    async deleteFor(verificationId) {
      await db.deleteFrom('idcard_sides').where('verification_id', '=', verificationId).execute()
    },
  }
}

function verificationRepository(db: Kysely<Database>): VerificationRepository {
  return {
    async insert(v) {
      const row = { ...v, createdAt: v.createdAt ?? new Date().toISOString() }
      await insertVerification(db, row)
      return toVerification(verificationValues(row) as Selectable<VerificationTable>)
    },
    async getById(id) {
      const r = (await verificationById(db, { id })).rows[0]
      return r ? toVerification(r) : null
    },
    async getByToken(token) {
      const r = (await verificationByToken(db, { token })).rows[0]
      return r ? toVerification(r) : null
    },
    async getByOrderNo(appId, orderNo) {
      const r = (await verificationByOrderNo(db, { appId, orderNo })).rows[0]
      return r ? toVerification(r) : null
    },
    async getByRequestKey(appId, key) {
      const r = (await verificationByRequestKey(db, { appId, key })).rows[0]
      return r ? toVerification(r) : null
    },
    async sealedIdentity(id) {
      const r = (await sealedIdentityById(db, { id })).rows[0]
      return r ? { nameSealed: r.name_sealed, idNumberSealed: r.id_number_sealed } : null
    },
    async setChallenge(id, challenge, expiresAt, issuedAt) {
      await db
        .updateTable('verifications')
        .set({ challenge, challenge_expires_at: expiresAt, challenge_issued_at: issuedAt })
        .where('id', '=', id)
        .execute()
    },
    async setRedirect(id, url) {
      await db.updateTable('verifications').set({ redirect_url: url }).where('id', '=', id).execute()
    },
    async adoptIdentity(id, identity) {
      const res = await db
        .updateTable('verifications')
        .set({
          name_sealed: identity.nameSealed,
          id_number_sealed: identity.idNumberSealed,
          id_hash: identity.idHash,
          identity_origin: 'idcard',
        })
        .where('id', '=', id)
        .where('id_number_sealed', 'is', null)
        .where('name_sealed', 'is', null)
        .executeTakeFirst()
      return changed(res) === 1
    },
    async transition(id, from, to, patch) {
      let q = db
        .updateTable('verifications')
        .set({ state: to, ...(patch?.attemptsUsed !== undefined && { attempts_used: patch.attemptsUsed }) })
        .where('id', '=', id)
        .where('state', 'in', from)
      if (patch?.expectAttemptsUsed !== undefined) q = q.where('attempts_used', '=', patch.expectAttemptsUsed)
      const res = await q.executeTakeFirst()
      return changed(res) === 1
    },
    async finish(id, f) {
      await db
        .updateTable('verifications')
        .set({
          state: f.state,
          final_reason: f.reason,
          final_code: f.code,
          final_billable: f.billable ? 1 : 0,
          similarity: f.similarity,
          best_frame_blob: f.bestFrameBlob,
          video_blob: f.videoBlob,
          finished_at: f.finishedAt,
          purge_after: f.purgeAfter,
        })
        .where('id', '=', id)
        .execute()
    },
    async countInFlight(appId, now) {
      const r = await db
        .selectFrom('verifications')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', appId)
        .where('state', 'in', ['created', 'capturing', 'analysing'])
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow()
      return num(r.n)
    },
    async listExpired(now, limit) {
      const rows = await db
        .selectFrom('verifications')
        .select(['id', 'reference_blob', 'best_frame_blob', 'video_blob'])
        .where('purge_after', '<=', now)
        .where((eb) =>
          eb.or([
            eb('name_sealed', 'is not', null),
            eb('id_number_sealed', 'is not', null),
            eb('reference_blob', 'is not', null),
            eb('best_frame_blob', 'is not', null),
            eb('video_blob', 'is not', null),
            eb('id_hash', 'is not', null),
            eb('user_id', 'is not', null),
            eb('extra', 'is not', null),
            eb.exists(
              eb
                .selectFrom('idcard_sides')
                .select('idcard_sides.side')
                .whereRef('idcard_sides.verification_id', '=', 'verifications.id'),
            ),
          ]),
        )
        .orderBy('purge_after')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        id: r.id,
        referenceBlob: r.reference_blob,
        bestFrameBlob: r.best_frame_blob,
        videoBlob: r.video_blob,
      }))
    },
    async purge(id, opts = {}) {
      // the verdict, code, times and ledger stay (billing needs them); personal data and media go
      await db
        .updateTable('verifications')
        .set({
          name_sealed: null,
          id_number_sealed: null,
          id_hash: null,
          user_id: null,
          extra: null,
          redirect_url: null,
          reference_blob: null,
          best_frame_blob: null,
          video_blob: null,
          challenge: null,
          ...(opts.expireAt !== undefined && { purge_after: opts.expireAt }),
        })
        .where('id', '=', id)
        .execute()
      await db
        .updateTable('attempts')
        .set({ media_blob: null, best_frame_blob: null, ...(opts.erase && { media_hash: null }) })
        .where('verification_id', '=', id)
        .execute()
      // the duplicate-identity evidence names registry persons: it goes with the personal data
      const withEvidence = await db
        .selectFrom('attempts')
        .select(['id', 'signals'])
        .where('verification_id', '=', id)
        .where('signals', 'like', '%duplicateOf%')
        .execute()
      for (const a of withEvidence) {
        const signals = JSON.parse(a.signals!) as Record<string, unknown>
        delete signals.duplicateOf
        await db
          .updateTable('attempts')
          .set({ signals: JSON.stringify(signals) })
          .where('id', '=', a.id)
          .execute()
      }
      await db.deleteFrom('idcard_sides').where('verification_id', '=', id).execute()
    },
    async retained(appId, now) {
      const rows = await db
        .selectFrom('verifications')
        .select(['id', 'created_at', 'expires_at', 'finished_at', 'purge_after'])
        .where('app_id', '=', appId)
        .where('purge_after', '>', now)
        .execute()
      return rows.map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        finishedAt: r.finished_at,
        purgeAfter: r.purge_after,
      }))
    },
    async setPurgeAfter(id, purgeAfter) {
      await db.updateTable('verifications').set({ purge_after: purgeAfter }).where('id', '=', id).execute()
    },
    async listByIdHash(idHash) {
      const rows = await db
        .selectFrom('verifications')
        .selectAll()
        .where('id_hash', '=', idHash)
        .orderBy('created_at')
        .execute()
      return rows.map(toVerification)
    },
    async forgetPerson(personId) {
      // a LIKE narrows the scan to the attempts that mention the id (its `_` matches itself too); the JSON decides
      const rows = await db
        .selectFrom('attempts')
        .select(['id', 'signals'])
        .where('signals', 'like', `%${personId.replace(/%/g, '')}%`)
        .execute()
      let changedRows = 0
      for (const a of rows) {
        const signals = JSON.parse(a.signals!) as Record<string, unknown>
        if (!Array.isArray(signals.duplicateOf)) continue
        const kept = (signals.duplicateOf as Array<{ personId?: string }>).filter((d) => d.personId !== personId)
        if (kept.length === signals.duplicateOf.length) continue
        signals.duplicateOf = kept
        await db
          .updateTable('attempts')
          .set({ signals: JSON.stringify(signals) })
          .where('id', '=', a.id)
          .execute()
        changedRows++
      }
      return changedRows
    },
    async search(q) {
      let s = db.selectFrom('verifications').selectAll().orderBy('created_at', 'desc').limit(q.limit)
      if (q.appId) s = s.where('app_id', '=', q.appId)
      if (q.ruleId) s = s.where('rule_id', '=', q.ruleId)
      if (q.orderNo) s = s.where('order_no', '=', q.orderNo)
      if (q.code !== undefined) s = s.where('final_code', '=', q.code)
      if (q.from) s = s.where('created_at', '>=', q.from)
      if (q.to) s = s.where('created_at', '<', q.to)
      return (await s.execute()).map(toVerification)
    },
  }
}

function attemptRepository(db: Kysely<Database>): AttemptRepository {
  return {
    async insert(a) {
      await db
        .insertInto('attempts')
        .values({
          id: a.id,
          verification_id: a.verificationId,
          seq: a.seq,
          state: 'queued',
          media_blob: a.mediaBlob,
          media_kind: a.mediaKind,
          media_hash: a.mediaHash,
          reason: null,
          code: null,
          billable: null,
          similarity: null,
          signals: null,
          best_frame_blob: null,
          created_at: a.createdAt,
          finished_at: null,
        })
        .execute()
    },
    async get(id) {
      const r = await db.selectFrom('attempts').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toAttempt(r) : null
    },
    async listFor(verificationId) {
      return (await attemptsOf(db, { verificationId })).rows.map(toAttempt)
    },
    async withMedia(verificationId, mediaHash) {
      const r = await db
        .selectFrom('attempts')
        .selectAll()
        .where('verification_id', '=', verificationId)
        .where('media_hash', '=', mediaHash)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst()
      return r ? toAttempt(r) : null
    },
    async mediaSeen(mediaHash, exceptAttemptId) {
      const r = await db
        .selectFrom('attempts')
        .select('id')
        .where('media_hash', '=', mediaHash)
        .where('id', '!=', exceptAttemptId)
        .limit(1)
        .executeTakeFirst()
      return r !== undefined
    },
    async countRecent(appId, subject, since, reasons) {
      let q = db
        .selectFrom('attempts')
        .innerJoin('verifications', 'verifications.id', 'attempts.verification_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('verifications.app_id', '=', appId)
        .where('attempts.finished_at', '>=', since)
        .where('attempts.reason', 'in', reasons)
      q =
        'idHash' in subject
          ? q.where('verifications.id_hash', '=', subject.idHash)
          : q.where('verifications.user_id', '=', subject.userId)
      return num((await q.executeTakeFirstOrThrow()).n)
    },
    async setState(id, state) {
      await db.updateTable('attempts').set({ state }).where('id', '=', id).execute()
    },
    async finish(id, f) {
      const res = await db
        .updateTable('attempts')
        .set({
          state: 'finished',
          reason: f.reason,
          code: f.code,
          billable: f.billable ? 1 : 0,
          similarity: f.similarity,
          signals: JSON.stringify(f.signals),
          best_frame_blob: f.bestFrameBlob,
          finished_at: f.finishedAt,
        })
        .where('id', '=', id)
        .where('state', '!=', 'finished')
        .executeTakeFirst()
      return changed(res) === 1
    },
    async blobsFor(verificationId) {
      const rows = await db
        .selectFrom('attempts')
        .select(['media_blob', 'best_frame_blob'])
        .where('verification_id', '=', verificationId)
        .execute()
      return rows.flatMap((r) => [r.media_blob, r.best_frame_blob]).filter((b): b is string => b !== null)
    },
  }
}

function ledgerRepository(db: Kysely<Database>): LedgerRepository {
  return {
    async record(e) {
      await db
        .insertInto('ledger')
        .values({
          id: `led_${e.attemptId}`,
          attempt_id: e.attemptId,
          verification_id: e.verificationId,
          app_id: e.appId,
          rule_id: e.ruleId,
          family: e.family,
          code: e.code,
          reason: e.reason,
          billable: e.billable ? 1 : 0,
          day: e.at.slice(0, 10),
          created_at: e.at,
        })
        .execute()
    },
    async usage(q) {
      let s = db
        .selectFrom('ledger')
        .select((eb) => [
          'app_id',
          'day',
          'family',
          'code',
          eb.fn.sum<number>(eb.case().when('billable', '=', 1).then(1).else(0).end()).as('billable_n'),
          eb.fn.sum<number>(eb.case().when('billable', '=', 0).then(1).else(0).end()).as('free_n'),
        ])
        .where('day', '>=', q.from)
        .where('day', '<=', q.to)
        .groupBy(['app_id', 'day', 'family', 'code'])
        .orderBy('app_id')
        .orderBy('day')
        .orderBy('family')
        .orderBy('code')
      if (q.appId) s = s.where('app_id', '=', q.appId)
      const rows = await s.execute()
      return rows.map((r): UsageRow => ({
        appId: r.app_id,
        day: r.day,
        family: r.family,
        code: num(r.code),
        billable: num(r.billable_n),
        free: num(r.free_n),
      }))
    },
    async countForPerson(appId, idHash, day) {
      const r = await db
        .selectFrom('ledger')
        .innerJoin('verifications', 'verifications.id', 'ledger.verification_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('ledger.app_id', '=', appId)
        .where('verifications.id_hash', '=', idHash)
        .where('ledger.day', '=', day)
        .executeTakeFirstOrThrow()
      return num(r.n)
    },
    async countForAttempt(attemptId) {
      const r = await db
        .selectFrom('ledger')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attempt_id', '=', attemptId)
        .executeTakeFirstOrThrow()
      return num(r.n)
    },
  }
}

function registryRepository(db: Kysely<Database>): RegistryRepository {
  return {
    async upsert(p, now) {
      const existing = await db
        .selectFrom('registry_persons')
        .select('id')
        .where('id_hash', '=', p.idHash)
        .executeTakeFirst()
      if (existing) {
        await db
          .updateTable('registry_persons')
          .set({
            name_sealed: p.nameSealed,
            name_hash: p.nameHash,
            id_number_sealed: p.idNumberSealed,
            ...(p.photoBlob !== null && { photo_blob: p.photoBlob }),
            updated_at: now,
          })
          .where('id_hash', '=', p.idHash)
          .execute()
        return 'updated'
      }
      await db
        .insertInto('registry_persons')
        .values({
          id: p.id,
          id_hash: p.idHash,
          id_number_sealed: p.idNumberSealed,
          name_sealed: p.nameSealed,
          name_hash: p.nameHash,
          photo_blob: p.photoBlob,
          created_at: now,
          updated_at: now,
        })
        .execute()
      return 'created'
    },
    async getById(id) {
      const r = await db.selectFrom('registry_persons').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toPerson(r) : null
    },
    async getByIdHash(idHash) {
      const r = await db.selectFrom('registry_persons').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
      return r ? toPerson(r) : null
    },
    async delete(idHash) {
      const r = await db.selectFrom('registry_persons').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
      if (!r) return null
      await db.deleteFrom('registry_persons').where('id_hash', '=', idHash).execute()
      return toPerson(r)
    },
    async count() {
      const r = await db
        .selectFrom('registry_persons')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return num(r.n)
    },
    async list(limit, offset) {
      return (
        await db.selectFrom('registry_persons').selectAll().orderBy('created_at').limit(limit).offset(offset).execute()
      ).map(toPerson)
    },
    async putFace(personId, face) {
      // one transaction: the counter and the row move together, so a reader never sees a revision
      // whose row is missing (SQLite serialises writers; PostgreSQL locks the one state row)
      const write = async (trx: Kysely<Database>) => {
        const r = await trx
          .updateTable('registry_state')
          .set((eb) => ({ revision: eb('revision', '+', 1) }))
          .where('id', '=', 1)
          .returning('revision')
          .executeTakeFirstOrThrow()
        const revision = num(r.revision)
        const values = {
          embedding_sealed: face?.embeddingSealed ?? null,
          model: face?.model ?? null,
          revision,
        }
        await trx
          .insertInto('registry_faces')
          .values({ person_id: personId, ...values })
          .onConflict((oc) => oc.column('person_id').doUpdateSet(values))
          .execute()
        return revision
      }
      return db.isTransaction ? write(db) : db.transaction().execute(write)
    },
    async faceRevision() {
      const r = await db.selectFrom('registry_state').select('revision').where('id', '=', 1).executeTakeFirst()
      return r ? num(r.revision) : 0
    },
    async faceState() {
      const r = await db
        .selectFrom('registry_state')
        .select(['revision', 'erasures'])
        .where('id', '=', 1)
        .executeTakeFirst()
      return r ? { revision: num(r.revision), erasures: num(r.erasures) } : { revision: 0, erasures: 0 }
    },
    async faceIds() {
      const rows = await db
        .selectFrom('registry_faces')
        .select('person_id')
        .where('embedding_sealed', 'is not', null)
        .execute()
      return rows.map((r) => r.person_id)
    },
    async getFace(personId) {
      const r = await db.selectFrom('registry_faces').selectAll().where('person_id', '=', personId).executeTakeFirst()
      return r
        ? { personId: r.person_id, embeddingSealed: r.embedding_sealed, model: r.model, revision: num(r.revision) }
        : null
    },
    async erase(personId) {
      const run = async (trx: Kysely<Database>) => {
        const r = await trx.selectFrom('registry_persons').selectAll().where('id', '=', personId).executeTakeFirst()
        const face = await trx
          .selectFrom('registry_faces')
          .select('person_id')
          .where('person_id', '=', personId)
          .executeTakeFirst()
        if (!r && !face) return null
        await trx.deleteFrom('registry_persons').where('id', '=', personId).execute()
        await trx.deleteFrom('registry_faces').where('person_id', '=', personId).execute()
        await trx
          .updateTable('registry_state')
          .set((eb) => ({ revision: eb('revision', '+', 1), erasures: eb('erasures', '+', 1) }))
          .where('id', '=', 1)
          .execute()
        return r ? toPerson(r) : null
      }
      return db.isTransaction ? run(db) : db.transaction().execute(run)
    },
    async facesSince(revision, limit) {
      const rows = await db
        .selectFrom('registry_faces')
        .selectAll()
        .where('revision', '>', revision)
        .orderBy('revision')
        .limit(limit)
        .execute()
      return rows.map((r) => ({
        personId: r.person_id,
        embeddingSealed: r.embedding_sealed,
        model: r.model,
        revision: num(r.revision),
      }))
    },
    async facesOf(personIds) {
      if (personIds.length === 0) return []
      const rows = await db.selectFrom('registry_faces').selectAll().where('person_id', 'in', personIds).execute()
      return rows.map((r) => ({
        personId: r.person_id,
        embeddingSealed: r.embedding_sealed,
        model: r.model,
        revision: num(r.revision),
      }))
    },
  }
}

function ticketRepository(db: Kysely<Database>): TicketRepository {
  return {
    async insert(t) {
      await db
        .insertInto('tickets')
        .values({
          value_hash: t.valueHash,
          value_sealed: t.valueSealed,
          kind: t.kind,
          app_id: t.appId,
          user_id: t.userId,
          parent_hash: t.parentHash,
          secret_version: t.secretVersion,
          expires_at: t.expiresAt,
          used_at: null,
          created_at: t.createdAt,
        })
        .execute()
    },
    async get(valueHash) {
      const r = (await ticketByHash(db, { valueHash })).rows[0]
      return r ? toTicket(r) : null
    },
    async listValid(appId, kind, now, userId) {
      const r =
        userId !== undefined
          ? await validUserTickets(db, { appId, kind, now, userId })
          : await validTickets(db, { appId, kind, now })
      return r.rows.map(toTicket)
    },
    async shortenOthers(appId, kind, exceptHash, until, parentHash) {
      let q = db
        .updateTable('tickets')
        .set({ expires_at: until })
        .where('app_id', '=', appId)
        .where('kind', '=', kind)
        .where('value_hash', '!=', exceptHash)
        .where('expires_at', '>', until)
      if (parentHash !== undefined) q = q.where('parent_hash', '=', parentHash)
      await q.execute()
    },
    async consume(valueHash, now) {
      const res = await db
        .updateTable('tickets')
        .set({ used_at: now })
        .where('value_hash', '=', valueHash)
        .where('used_at', 'is', null)
        .executeTakeFirst()
      return changed(res) === 1
    },
    async deleteExpired(now) {
      const res = await db.deleteFrom('tickets').where('expires_at', '<', now).executeTakeFirst()
      return changed(res)
    },
  }
}

function guardRepository(db: Kysely<Database>): GuardRepository {
  return {
    async claim(scope, key, now, expiresAt) {
      const res = await db
        .insertInto('guards')
        .values({ scope, key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc.columns(['scope', 'key']).doUpdateSet({ expires_at: expiresAt }).where('guards.expires_at', '<=', now),
        )
        .executeTakeFirst()
      return changed(res) === 1
    },
  }
}

function consoleSessionRepository(db: Kysely<Database>): ConsoleSessionRepository {
  return {
    async put(r) {
      const values = { id_hash: r.idHash, password_fp: r.passwordFp, created_at: r.createdAt, idle_until: r.idleUntil }
      await db
        .insertInto('console_sessions')
        .values(values)
        .onConflict((oc) => oc.column('id_hash').doUpdateSet({ idle_until: r.idleUntil }))
        .execute()
    },
    async get(idHash) {
      const r = await db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
      return r
        ? { idHash: r.id_hash, passwordFp: r.password_fp, createdAt: r.created_at, idleUntil: r.idle_until }
        : null
    },
    async delete(idHash) {
      await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute()
    },
    async deleteAll() {
      await db.deleteFrom('console_sessions').execute()
    },
    async deleteIdle(now) {
      const res = await db.deleteFrom('console_sessions').where('idle_until', '<=', now).executeTakeFirst()
      return Number(res.numDeletedRows)
    },
  }
}

/** The channel the PostgreSQL queue notifies on enqueue; workers LISTEN on it (see ./job-wakeups.ts). */
export const JOBS_CHANNEL = 'shiren_jobs'

function jobRepository(db: Kysely<Database>): JobRepository {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const toJob = (r: Selectable<Database['jobs']>): JobRow => ({
    id: r.id,
    kind: r.kind,
    jobKey: r.job_key,
    payload: r.payload,
    state: r.state as JobRow['state'],
    tries: num(r.tries),
    runAfter: r.run_after,
    lastError: r.last_error,
    workerId: r.worker_id,
    heartbeatAt: r.heartbeat_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  })
  // ready: queued and due, or running for a worker that is gone (its lock ran out, or its heartbeat
  // is stale). `staleBefore` is '' when the claimant gives none, which no heartbeat is older than.
  const ready = (eb: any, now: string, staleBefore: string) =>
    eb.or([
      eb.and([eb('state', '=', 'queued'), eb('run_after', '<=', now)]),
      eb.and([
        eb('state', '=', 'running'),
        eb.or([eb('locked_until', '<', now), eb('heartbeat_at', '<', staleBefore)]),
      ]),
    ])
  /** an update of a running job, only while `workerId` still holds it (null: whoever holds it) */
  const held = (id: string, workerId: string | null) => {
    let q = db.updateTable('jobs').where('id', '=', id).where('state', '=', 'running')
    if (workerId !== null) q = q.where('worker_id', '=', workerId)
    return q
  }
  return {
    async enqueue(j) {
      const res = await db
        .insertInto('jobs')
        .values({
          id: j.id,
          kind: j.kind,
          job_key: j.jobKey,
          payload: j.payload,
          state: 'queued',
          tries: 0,
          run_after: j.now,
          locked_until: null,
          last_error: null,
          created_at: j.now,
          updated_at: j.now,
          worker_id: null,
          heartbeat_at: null,
        })
        .onConflict((oc) => oc.column('job_key').doNothing())
        .executeTakeFirst()
      const added = changed(res) === 1
      // NOTIFY is transactional: sent when the caller's transaction commits, dropped if it rolls back,
      // so a worker is never woken for a job it cannot see yet
      if (added && postgres) await sql`select pg_notify(${JOBS_CHANNEL}, ${j.kind})`.execute(db)
      return added
    },
    async claim(now, lockUntil, by?: JobClaimant) {
      const staleBefore = by?.staleBefore ?? ''
      const running = {
        state: 'running',
        locked_until: lockUntil,
        worker_id: by?.workerId ?? null,
        heartbeat_at: now,
        updated_at: now,
      }
      if (postgres) {
        // one statement: the oldest ready row that no other worker has locked right now. SKIP LOCKED
        // lets concurrent workers pass each other's candidates instead of queueing behind them, and the
        // row lock re-checks the condition, so two workers never both claim one job.
        const r = await db
          .updateTable('jobs')
          .set((eb) => ({ ...running, tries: eb('tries', '+', 1) }))
          .where('id', '=', (eb) =>
            eb
              .selectFrom('jobs')
              .select('id')
              .where((w) => ready(w, now, staleBefore))
              .orderBy('run_after')
              .limit(1)
              .forUpdate()
              .skipLocked(),
          )
          .returningAll()
          .executeTakeFirst()
        return r ? toJob(r) : null
      }
      // SQLite has one writer at a time: pick a candidate, then compare-and-set it
      for (let i = 0; i < 5; i++) {
        const cand = await db
          .selectFrom('jobs')
          .selectAll()
          .where((eb) => ready(eb, now, staleBefore))
          .orderBy('run_after')
          .limit(1)
          .executeTakeFirst()
        if (!cand) return null
        const res = await db
          .updateTable('jobs')
          .set((eb) => ({ ...running, tries: eb('tries', '+', 1) }))
          .where('id', '=', cand.id)
          .where((eb) => ready(eb, now, staleBefore))
          .executeTakeFirst()
        if (changed(res) === 1) return { ...toJob({ ...cand, ...running }), tries: num(cand.tries) + 1 }
      }
      return null
    },
    async heartbeat(id, workerId, now, lockUntil) {
      const res = await held(id, workerId)
        .set({ heartbeat_at: now, locked_until: lockUntil, updated_at: now })
        .executeTakeFirst()
      return changed(res) === 1
    },
    async complete(id, workerId, now) {
      const res = await held(id, workerId)
        .set({ state: 'done', locked_until: null, worker_id: null, heartbeat_at: null, updated_at: now })
        .executeTakeFirst()
      return changed(res) === 1
    },
    async retry(id, workerId, error, runAfter, now) {
      const res = await held(id, workerId)
        .set({
          state: 'queued',
          locked_until: null,
          worker_id: null,
          heartbeat_at: null,
          last_error: error,
          run_after: runAfter,
          updated_at: now,
        })
        .executeTakeFirst()
      return changed(res) === 1
    },
    async kill(id, workerId, error, now) {
      const res = await held(id, workerId)
        .set({
          state: 'dead',
          locked_until: null,
          worker_id: null,
          heartbeat_at: null,
          last_error: error,
          updated_at: now,
        })
        .executeTakeFirst()
      return changed(res) === 1
    },
    async release(id, workerId, now) {
      // the try this worker took is given back: stopping is not the job's failure
      const res = await held(id, workerId)
        .set((eb) => ({
          state: 'queued',
          locked_until: null,
          worker_id: null,
          heartbeat_at: null,
          run_after: now,
          tries: eb('tries', '-', 1),
          updated_at: now,
        }))
        .executeTakeFirst()
      return changed(res) === 1
    },
    async requeue(id, now) {
      const res = await db
        .updateTable('jobs')
        .set({ state: 'queued', tries: 0, run_after: now, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'dead')
        .executeTakeFirst()
      if (changed(res) === 1 && postgres) {
        const r = await db.selectFrom('jobs').select('kind').where('id', '=', id).executeTakeFirst()
        await sql`select pg_notify(${JOBS_CHANNEL}, ${r?.kind ?? ''})`.execute(db)
      }
      return changed(res) === 1
    },
    async listDead(limit) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('state', '=', 'dead')
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute()
      return rows.map(toJob)
    },
    async stats() {
      const rows = await db
        .selectFrom('jobs')
        .select((eb) => ['state', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('state', 'in', ['queued', 'running', 'dead'])
        .groupBy('state')
        .execute()
      const of = (s: string) => rows.find((r) => r.state === s)
      return {
        queued: num(of('queued')?.n ?? 0),
        running: num(of('running')?.n ?? 0),
        dead: num(of('dead')?.n ?? 0),
        oldestQueuedAt: (of('queued')?.oldest as string | undefined) ?? null,
      }
    },
    async depth() {
      const r = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirst()
      return num(r?.n ?? 0)
    },
    async counts() {
      const rows = await db
        .selectFrom('jobs')
        .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute()
      return Object.fromEntries(rows.map((r) => [r.state, num(r.n)]))
    },
  }
}
