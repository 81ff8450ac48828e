import type { Kysely, Selectable } from 'kysely'
import type {
  Database,
  VerificationTable,
  AttemptTable,
  RuleTable,
  AppTable,
  RegistryPersonTable,
  TicketTable,
  IdCardSideTable,
} from './schema.js'
import type {
  AppRepository,
  AppRow,
  AttemptRepository,
  GuardRepository,
  IdCardRepository,
  IdCardSideRow,
  JobRepository,
  ConsoleSessionRepository,
  JobRow,
  LedgerRepository,
  RegistryPerson,
  RegistryRepository,
  RuleRepository,
  Store,
  TicketRepository,
  TicketRow,
  UsageRow,
  VerificationRepository,
} from './ports.js'
import type { Rule, Service, LivenessMode, CompareSource, IdCardStep, LightFallback } from '../apps/types.js'
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
  }
}

function toRule(r: Selectable<RuleTable>): Rule {
  return {
    ruleId: r.rule_id,
    appId: r.app_id,
    name: r.name,
    liveness: r.liveness as LivenessMode,
    compareSource: r.compare_source as CompareSource,
    threshold: num(r.threshold),
    maxAttempts: num(r.max_attempts),
    tokenTtlS: num(r.token_ttl_s),
    actionCount: num(r.action_count),
    idcardStep: r.idcard_step as IdCardStep,
    duplicateAction: r.duplicate_action === 'fail' ? 'fail' : 'flag',
    lightFallback: ['action', 'silent', 'digital'].includes(r.light_fallback ?? '')
      ? (r.light_fallback as LightFallback)
      : null,
    enabled: r.enabled !== 0,
    createdAt: r.created_at,
  }
}

function toVerification(r: Selectable<VerificationTable>): Verification {
  return {
    id: r.id,
    appId: r.app_id,
    ruleId: r.rule_id,
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

export class KyselyStore implements Store {
  readonly apps: AppRepository
  readonly rules: RuleRepository
  readonly verifications: VerificationRepository
  readonly attempts: AttemptRepository
  readonly idcards: IdCardRepository
  readonly ledger: LedgerRepository
  readonly registry: RegistryRepository
  readonly tickets: TicketRepository
  readonly guards: GuardRepository
  readonly jobs: JobRepository
  readonly consoleSessions: ConsoleSessionRepository

  constructor(
    private readonly db: Kysely<Database>,
    private readonly inTransaction = false,
  ) {
    this.apps = appRepository(db)
    this.rules = ruleRepository(db)
    this.verifications = verificationRepository(db)
    this.attempts = attemptRepository(db)
    this.idcards = idCardRepository(db)
    this.ledger = ledgerRepository(db)
    this.registry = registryRepository(db)
    this.tickets = ticketRepository(db)
    this.guards = guardRepository(db)
    this.jobs = jobRepository(db)
    this.consoleSessions = consoleSessionRepository(db)
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this)
    return this.db.transaction().execute((trx) => fn(new KyselyStore(trx, true)))
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
        })
        .execute()
    },
    async get(appId) {
      const r = await db.selectFrom('apps').selectAll().where('app_id', '=', appId).executeTakeFirst()
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
          updated_at: new Date().toISOString(),
        })
        .where('app_id', '=', appId)
        .execute()
    },
  }
}

function ruleRepository(db: Kysely<Database>): RuleRepository {
  return {
    async insert(r) {
      const now = new Date().toISOString()
      await db
        .insertInto('rules')
        .values({
          rule_id: r.ruleId,
          app_id: r.appId,
          name: r.name,
          liveness: r.liveness,
          compare_source: r.compareSource,
          threshold: r.threshold,
          max_attempts: r.maxAttempts,
          token_ttl_s: r.tokenTtlS,
          action_count: r.actionCount,
          idcard_step: r.idcardStep,
          duplicate_action: r.duplicateAction,
          light_fallback: r.lightFallback ?? null,
          enabled: 1,
          created_at: now,
          updated_at: now,
        })
        .execute()
    },
    async get(ruleId) {
      const r = await db.selectFrom('rules').selectAll().where('rule_id', '=', ruleId).executeTakeFirst()
      return r ? toRule(r) : null
    },
    async list(appId) {
      let q = db.selectFrom('rules').selectAll().orderBy('created_at')
      if (appId) q = q.where('app_id', '=', appId)
      return (await q.execute()).map(toRule)
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
      const rows = await db
        .selectFrom('idcard_sides')
        .selectAll()
        .where('verification_id', '=', verificationId)
        .orderBy('side')
        .execute()
      return rows.map(toIdCardSide)
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
      await db
        .insertInto('verifications')
        .values({
          id: v.id,
          app_id: v.appId,
          rule_id: v.ruleId,
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
          final_reason: null,
          final_code: null,
          final_billable: null,
          similarity: null,
          best_frame_blob: null,
          video_blob: null,
          created_at: new Date().toISOString(),
          expires_at: v.expiresAt,
          finished_at: null,
          purge_after: v.purgeAfter,
        })
        .execute()
    },
    async getById(id) {
      const r = await db.selectFrom('verifications').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toVerification(r) : null
    },
    async getByToken(token) {
      const r = await db.selectFrom('verifications').selectAll().where('token', '=', token).executeTakeFirst()
      return r ? toVerification(r) : null
    },
    async getByOrderNo(appId, orderNo) {
      const r = await db
        .selectFrom('verifications')
        .selectAll()
        .where('app_id', '=', appId)
        .where('order_no', '=', orderNo)
        .executeTakeFirst()
      return r ? toVerification(r) : null
    },
    async getByRequestKey(appId, key) {
      const r = await db
        .selectFrom('verifications')
        .selectAll()
        .where('app_id', '=', appId)
        .where('request_key', '=', key)
        .executeTakeFirst()
      return r ? toVerification(r) : null
    },
    async sealedIdentity(id) {
      const r = await db
        .selectFrom('verifications')
        .select(['name_sealed', 'id_number_sealed'])
        .where('id', '=', id)
        .executeTakeFirst()
      return r ? { nameSealed: r.name_sealed, idNumberSealed: r.id_number_sealed } : null
    },
    async setChallenge(id, challenge, expiresAt) {
      await db
        .updateTable('verifications')
        .set({ challenge, challenge_expires_at: expiresAt })
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
    async purge(id) {
      // the verdict, code and ledger stay (billing needs them); personal data and media go
      await db
        .updateTable('verifications')
        .set({
          name_sealed: null,
          id_number_sealed: null,
          reference_blob: null,
          best_frame_blob: null,
          video_blob: null,
          challenge: null,
        })
        .where('id', '=', id)
        .execute()
      await db
        .updateTable('attempts')
        .set({ media_blob: null, best_frame_blob: null })
        .where('verification_id', '=', id)
        .execute()
      await db.deleteFrom('idcard_sides').where('verification_id', '=', id).execute()
    },
    async search(q) {
      let s = db.selectFrom('verifications').selectAll().orderBy('created_at', 'desc').limit(q.limit)
      if (q.appId) s = s.where('app_id', '=', q.appId)
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
      return (
        await db
          .selectFrom('attempts')
          .selectAll()
          .where('verification_id', '=', verificationId)
          .orderBy('seq')
          .execute()
      ).map(toAttempt)
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
      const r = await db.selectFrom('tickets').selectAll().where('value_hash', '=', valueHash).executeTakeFirst()
      return r ? toTicket(r) : null
    },
    async listValid(appId, kind, now, userId) {
      let q = db
        .selectFrom('tickets')
        .selectAll()
        .where('app_id', '=', appId)
        .where('kind', '=', kind)
        .where('expires_at', '>', now)
        .where('used_at', 'is', null)
        .orderBy('created_at', 'desc')
        .limit(20)
      if (userId !== undefined) q = q.where('user_id', '=', userId)
      return (await q.execute()).map(toTicket)
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

function jobRepository(db: Kysely<Database>): JobRepository {
  const toJob = (r: Selectable<Database['jobs']>): JobRow => ({
    id: r.id,
    kind: r.kind,
    jobKey: r.job_key,
    payload: r.payload,
    state: r.state as JobRow['state'],
    tries: num(r.tries),
    runAfter: r.run_after,
    lastError: r.last_error,
  })
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
        })
        .onConflict((oc) => oc.column('job_key').doNothing())
        .executeTakeFirst()
      return changed(res) === 1
    },
    async claim(now, lockUntil) {
      // a running job whose lock ran out belongs to a process that died: take it over
      const ready = (eb: any) =>
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('run_after', '<=', now)]),
          eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)]),
        ])
      for (let i = 0; i < 5; i++) {
        const cand = await db
          .selectFrom('jobs')
          .selectAll()
          .where(ready)
          .orderBy('run_after')
          .limit(1)
          .executeTakeFirst()
        if (!cand) return null
        const res = await db
          .updateTable('jobs')
          .set((eb) => ({ state: 'running', locked_until: lockUntil, tries: eb('tries', '+', 1), updated_at: now }))
          .where('id', '=', cand.id)
          .where(ready)
          .executeTakeFirst()
        if (changed(res) === 1) return { ...toJob(cand), state: 'running', tries: num(cand.tries) + 1 }
      }
      return null
    },
    async complete(id, now) {
      await db
        .updateTable('jobs')
        .set({ state: 'done', locked_until: null, updated_at: now })
        .where('id', '=', id)
        .execute()
    },
    async retry(id, error, runAfter, now) {
      await db
        .updateTable('jobs')
        .set({ state: 'queued', locked_until: null, last_error: error, run_after: runAfter, updated_at: now })
        .where('id', '=', id)
        .execute()
    },
    async fail(id, error, now) {
      await db
        .updateTable('jobs')
        .set({ state: 'failed', locked_until: null, last_error: error, updated_at: now })
        .where('id', '=', id)
        .execute()
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
