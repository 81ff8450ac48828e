import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { defineJob, type JobEnqueuer, type JobQueueAdmin } from '../queue/index.js'
import { ReasonError, isReasonError } from '../codes/index.js'
import { toCode, type Family, type Reason } from '../codes/index.js'
import { newUlid, type PersonalDataVault } from '../crypto/index.js'
import { maskIdNumber, maskName, validateIdNumber, validateName } from '../identity/index.js'
import { sniffImage, sniffVideo, type BlobStore } from '../media/index.js'
import type { RegistryService } from '../registry/index.js'
import type { App, Rule } from '../apps/index.js'
import type { Store } from '../storage/index.js'
import type { Clock } from '../clock/index.js'
import type { Action, Attempt, Challenge, LightChallenge, Outcome, Verification, VerificationQuery } from './types.js'
import { effectiveLiveness, type PublicChallenge } from './types.js'
import { CacheUnavailableError, type Cache } from '../cache/index.js'
import { cardStepStatus } from './card-step-status.js'
import { LIGHT_CHALLENGE, pickLightSequence, pickLiveDigits, type LightShown } from '../liveness/index.js'
import { claimAttempt } from './claim.js'

/** What the capture page reports it showed in the light mode (AWS ColorDisplayed-like); at most the longest sequence. */
export const LIGHT_SHOWN_SCHEMA = Type.Object(
  {
    steps: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 0, maximum: 63 }),
          colour: Type.String({ maxLength: 16 }),
          startMs: Type.Number({ minimum: 0, maximum: 600_000 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: LIGHT_CHALLENGE.maxSteps },
    ),
    endMs: Type.Number({ minimum: 0, maximum: 600_000 }),
  },
  { additionalProperties: false },
)

/** The analysis of one uploaded attempt; the key `analyse:<attemptId>` keeps it queued once. */
export const ANALYSE_JOB = defineJob(
  'analyse',
  Type.Object({
    attemptId: Type.String({ minLength: 1 }),
    /** capture-page uploads: how long the page's recorder ran and its type (VIDEO_TAMPERED when the file does not fit) */
    recording: Type.Optional(
      Type.Object({
        durationMs: Type.Integer({ minimum: 0 }),
        mimeType: Type.String({ maxLength: 100 }),
        /** light mode: when the page showed each colour (ms of the recording) */
        light: Type.Optional(LIGHT_SHOWN_SCHEMA),
      }),
    ),
    /** the id of the HTTP request that uploaded it, so that the job's logs can be found from the request's */
    requestId: Type.Optional(Type.String({ maxLength: 64 })),
  }),
)
export const MAX_REFERENCE_BYTES = 3 * 1024 * 1024
export const MIN_VIDEO_BYTES = 1024
/** the page asks for the next colour this long before the current one has been shown for its time (round trip) */
export const LIGHT_REVEAL_LEAD_MS = 250
/** digits issued for read-aloud liveness live this long (66660022 after) */
export const LIVE_CODE_TTL_S = 300

/** Attempts judged as attacks count towards risk control (66665001). */
export const ATTACK_REASONS: Reason[] = [
  'VIDEO_REPLAYED',
  'SPOOF_DETECTED',
  'STILL_IMAGE_VIDEO',
  'SCREEN_REPLAY_DETECTED',
  'SUSPECTED_RECORDING',
  'VIDEO_TAMPERED',
  'FACE_SWAPPED',
]

export interface RiskPolicy {
  /** this many attacks by one person within the window blocks further attempts; 0 turns it off */
  maxAttacks: number
  windowS: number
}

export interface VerificationPolicy {
  /** personal data and media are deleted this long after a verification */
  retentionS: number
  risk: RiskPolicy
  /**
   * With a cache (Redis), the live challenge is held there with its lifetime and an upload is checked
   * against it; the database keeps the record. Without one, the database row alone decides.
   */
  cache: Cache | null
  /** told of every verdict once it is committed (one per ledger row): the metrics count them */
  onVerdict?: (v: { family: Family; reason: Reason; billable: boolean }) => void
  /** told inside the transaction that finishes a verification (completion webhooks) */
  outcomes?: OutcomeListener | null
  /**
   * Admission control: with `maxDepth` (> 0) analysis jobs queued or running, a new upload is refused
   * with QUEUE_BUSY before anything is stored, so the page retries later instead of waiting behind
   * a backlog it would only deepen.
   */
  admission?: { queue: Pick<JobQueueAdmin, 'depth'>; maxDepth: number }
}

/** Whoever must hear of a finished verification in the same transaction (src/webhooks). */
export interface OutcomeListener {
  finished(tx: Store, verificationId: string): Promise<void>
}

export interface CreateInput {
  app: App
  rule: Rule
  family: Family
  name?: string | null
  idNumber?: string | null
  /** decoded reference photo sent by the caller (h5 ImageBase64, sdk sourcePhotoStr) */
  photo?: Buffer | null
  orderNo?: string | null
  userId?: string | null
  redirectUrl?: string | null
  extra?: string | null
  /** identifies the signed request, so that a repeat returns the verification it created */
  requestKey?: string | null
  /** sdk: the id format of the flow (`faceId` for the App SDK and mobile H5, `h5faceId` for PC H5) */
  tokenStyle?: 'biz' | 'face' | 'h5face'
}

export interface Created {
  verification: Verification
  /** set when the verification finished at once (invalid identity, registry miss …) */
  outcome: { reason: Reason; code: number; billable: boolean } | null
}

export interface UploadResult {
  attempt: Attempt
  /** true when the attempt was judged without analysis (e.g. a replayed video) */
  finishedAtOnce: boolean
  /** the same upload again (a retry after a dropped connection): the attempt it made the first time */
  repeated?: boolean
}

const iso = (d: Date) => d.toISOString()
const plusS = (d: Date, s: number) => new Date(d.getTime() + s * 1000)

const ACTIONS: Action[] = ['blink', 'mouth', 'left', 'right']

/**
 * The lifecycle of a verification: created → capturing → analysing → finished, with up to the
 * rule's attempts. Every finished attempt writes its verdict and exactly one ledger row in one
 * transaction; every transition is a compare-and-set, so retries and concurrent uploads are harmless.
 */
export class VerificationService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly blobs: BlobStore,
    private readonly registry: RegistryService,
    /** inside the caller's transaction: the job exists exactly when the attempt does */
    private readonly queue: JobEnqueuer,
    private readonly clock: Clock,
    private readonly policy: VerificationPolicy,
  ) {}

  /**
   * How long an app keeps media and personal data after a verification ends, in seconds: its own
   * retention (days) or the server default. 0: until the result is first fetched (see `resultFetched`).
   */
  retentionOf(app: Pick<App, 'retentionDays'>): number {
    return app.retentionDays === null || app.retentionDays === undefined
      ? this.policy.retentionS
      : app.retentionDays * 86_400
  }

  /** The retention (seconds) of an app by id: the server default for an unknown app. */
  async retentionForApp(appId: string): Promise<number> {
    const app = await this.store.apps.get(appId)
    return app ? this.retentionOf(app) : this.policy.retentionS
  }

  /**
   * When a verification's media and personal data are deleted and its results stop being answered:
   * `retentionS` after it finished; an unfinished one lives at least to the end of its token. With a
   * retention of 0 a finished result is kept one token lifetime for the caller to fetch it once.
   */
  keepUntil(retentionS: number, v: { createdAt: string; expiresAt: string; finishedAt: string | null }): string {
    const created = Date.parse(v.createdAt)
    const expires = Date.parse(v.expiresAt)
    if (v.finishedAt !== null) {
      const keep = retentionS > 0 ? retentionS * 1000 : Math.max(0, expires - created)
      return iso(new Date(Date.parse(v.finishedAt) + keep))
    }
    return iso(new Date(Math.max(created + retentionS * 1000, expires)))
  }

  /**
   * After an operator changes an app's retention: every verification of the app whose data is still
   * kept gets its keep-until time from the new period (a shorter one can make it due at once: the
   * next sweep deletes it). Verifications already purged stay purged.
   */
  async applyRetention(app: Pick<App, 'appId' | 'retentionDays'>): Promise<number> {
    const retentionS = this.retentionOf(app)
    const rows = await this.store.verifications.retained(app.appId, iso(this.clock.now()))
    let changed = 0
    for (const v of rows) {
      const next = this.keepUntil(retentionS, v)
      if (next === v.purgeAfter) continue
      await this.store.verifications.setPurgeAfter(v.id, next)
      changed++
    }
    return changed
  }

  // ── creation ────────────────────────────────────────────────────────────────

  async create(input: CreateInput): Promise<Created> {
    const { app, rule, family } = input
    const now = this.clock.now()
    if (input.requestKey) {
      const before = await this.store.verifications.getByRequestKey(app.appId, input.requestKey)
      if (before) return { verification: before, outcome: null }
    }
    if (!app.services.includes(family))
      throw new ReasonError('SERVICE_NOT_ENABLED', `the app has not enabled the ${family} service`)
    if (!app.services.includes(rule.liveness))
      throw new ReasonError('SERVICE_NOT_ENABLED', `the app has not enabled ${rule.liveness} liveness`)
    if (rule.appId !== app.appId) throw new ReasonError('NOT_FOUND', 'RuleId does not belong to this app')
    if (!rule.enabled) throw new ReasonError('BUSINESS_REQUEST_INVALID', 'RuleId is disabled')
    // the seeds' sdk table has no code for 301/302/303 (see FAMILY_ONLY in src/codes/catalog.ts):
    // the ticket flow refuses a card step with its "service type not supported" code (66660030)
    if (family === 'sdk' && rule.idcardStep !== 'none') {
      throw new ReasonError(
        'SERVICE_NOT_ENABLED',
        'this rule has an ID-card step, which the sdk (ticket) family does not offer: it has no ID-card result codes; use the h5 family (DetectAuth)',
      )
    }

    if (input.orderNo && (await this.store.verifications.getByOrderNo(app.appId, input.orderNo))) {
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'orderNo was already used for another verification of this app')
    }
    if (
      app.concurrencyLimit > 0 &&
      (await this.store.verifications.countInFlight(app.appId, iso(now))) >= app.concurrencyLimit
    ) {
      throw new ReasonError('CONCURRENCY_LIMIT', `the app already has ${app.concurrencyLimit} verifications in flight`)
    }

    const name = input.name?.trim().normalize('NFC') || null
    const idNumber = input.idNumber?.trim() || null
    const idHash = idNumber ? this.registry.idHash(idNumber) : null
    const id = `ver_${newUlid().toLowerCase()}`

    // Identity problems are verdicts, not API errors: the verification exists, finished with the code,
    // so the caller reads it like any other result (and 2006/66660010 are billable, as the contract says).
    let early: Reason | null = null
    let referenceBlob: string | null = null
    let referenceOrigin: Verification['referenceOrigin'] = null
    if (name !== null && !validateName(name).ok) early = 'NAME_INVALID'
    else if (idNumber !== null && !validateIdNumber(idNumber).ok) early = 'ID_NUMBER_INVALID'
    else if (
      idHash &&
      app.dailyLimitPerPerson > 0 &&
      (await this.store.ledger.countForPerson(app.appId, idHash, iso(now).slice(0, 10))) >= app.dailyLimitPerPerson
    ) {
      early = 'DAILY_LIMIT_EXCEEDED'
    }

    if (!early && input.photo) {
      if (input.photo.length > MAX_REFERENCE_BYTES)
        throw new ReasonError('IMAGE_SIZE_INVALID', `the reference photo is larger than ${MAX_REFERENCE_BYTES} bytes`)
      const kind = sniffImage(input.photo)
      if (!kind)
        throw new ReasonError('REFERENCE_DECODE_FAILED', 'the reference photo is not a JPEG, PNG or WebP image')
      referenceBlob = `${id}/reference.${kind}`
      referenceOrigin = 'photo'
    } else if (!early && rule.compareSource === 'registry') {
      if (!name || !idNumber)
        throw new ReasonError('MISSING_PARAMETER', 'this rule compares with the registry: Name and IdCard are required')
      try {
        const m = await this.registry.match(name, idNumber)
        referenceBlob = m.photoBlob
        referenceOrigin = 'registry'
      } catch (err) {
        if (!isReasonError(err)) throw err
        early = err.reason
      }
    } else if (!early && rule.compareSource === 'photo') {
      throw new ReasonError(
        'MISSING_PARAMETER',
        'this rule compares with a reference photo: send ImageBase64 / sourcePhotoStr',
      )
    }

    const token = makeToken(input.tokenStyle ?? (family === 'h5' ? 'biz' : 'face'))
    const expiresAt = plusS(now, rule.tokenTtlS)
    const retentionS = this.retentionOf(app)
    const purgeAfter = this.keepUntil(retentionS, {
      createdAt: iso(now),
      expiresAt: iso(expiresAt),
      finishedAt: null,
    })
    if (referenceOrigin === 'photo' && referenceBlob && input.photo) {
      try {
        await this.blobs.put(referenceBlob, input.photo)
      } catch (err) {
        // as for the recording: a store that fails is the family's "file storage failed", never an internal error
        throw new ReasonError(
          'BLOB_WRITE_FAILED',
          `the reference photo could not be stored: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        )
      }
    }

    const insert = () =>
      this.store.transaction(async (tx) => {
        const row = await tx.verifications.insert({
          id,
          appId: app.appId,
          ruleId: rule.ruleId,
          ruleVersion: rule.version,
          family,
          token,
          orderNo: input.orderNo ?? null,
          requestKey: input.requestKey ?? null,
          userId: input.userId ?? null,
          nameSealed: name ? this.vault.seal(name) : null,
          idNumberSealed: idNumber ? this.vault.seal(idNumber) : null,
          idHash,
          referenceBlob,
          referenceOrigin,
          identityOrigin: name || idNumber ? 'request' : null,
          redirectUrl: input.redirectUrl ?? null,
          extra: input.extra ?? null,
          maxAttempts: rule.maxAttempts,
          expiresAt: iso(expiresAt),
          purgeAfter,
          createdAt: iso(now),
        })
        if (!early) return { row, outcome: null }
        const keep = this.keepUntil(retentionS, {
          createdAt: iso(now),
          expiresAt: iso(expiresAt),
          finishedAt: iso(now),
        })
        return { row, outcome: await this.finishWithoutMedia(tx, id, app.appId, rule.ruleId, family, early, now, keep) }
      })
    let created: Awaited<ReturnType<typeof insert>>
    try {
      created = await insert()
      if (created.outcome)
        this.policy.onVerdict?.({ family, reason: created.outcome.reason, billable: created.outcome.billable })
    } catch (err) {
      if (referenceOrigin === 'photo' && referenceBlob) await this.blobs.delete(referenceBlob)
      // the same request arriving twice at once: the loser returns what the winner created
      const winner = input.requestKey
        ? await this.store.verifications.getByRequestKey(app.appId, input.requestKey)
        : null
      if (winner) return { verification: winner, outcome: null }
      if (input.orderNo && (await this.store.verifications.getByOrderNo(app.appId, input.orderNo))) {
        throw new ReasonError(
          'BUSINESS_REQUEST_INVALID',
          'orderNo was already used for another verification of this app',
        )
      }
      throw err
    }
    // a verification finished at once has moved on since its insert: read it back; otherwise the row as inserted
    const verification = created.outcome ? (await this.store.verifications.getById(id))! : created.row
    return { verification, outcome: created.outcome }
  }

  /** An attempt that ends before any media exists still counts: one attempt row, one ledger row. */
  private async finishWithoutMedia(
    tx: Store,
    verificationId: string,
    appId: string,
    ruleId: string,
    family: Family,
    reason: Reason,
    now: Date,
    purgeAfter: string,
  ) {
    const attemptId = `att_${newUlid().toLowerCase()}`
    const { code, billable } = toCode(family, reason)
    await tx.attempts.insert({
      id: attemptId,
      verificationId,
      seq: 1,
      mediaBlob: null,
      mediaKind: null,
      mediaHash: null,
      createdAt: iso(now),
    })
    await tx.attempts.finish(attemptId, {
      reason,
      code,
      billable,
      similarity: null,
      signals: {},
      bestFrameBlob: null,
      finishedAt: iso(now),
    })
    await tx.ledger.record({ attemptId, verificationId, appId, ruleId, family, code, reason, billable, at: iso(now) })
    await tx.verifications.transition(verificationId, ['created'], 'finished', { attemptsUsed: 1 })
    await tx.verifications.finish(verificationId, {
      state: 'finished',
      reason,
      code,
      billable,
      similarity: null,
      bestFrameBlob: null,
      videoBlob: null,
      finishedAt: iso(now),
      purgeAfter,
    })
    await this.policy.outcomes?.finished(tx, verificationId)
    return { reason, code, billable }
  }

  // ── capture ─────────────────────────────────────────────────────────────────

  /** The verification behind a capture-page token, or the reason it cannot be used now. */
  async usable(token: string): Promise<{ v: Verification; rule: Rule; app: App }> {
    const v = await this.store.verifications.getByToken(token)
    if (!v) throw new ReasonError('NOT_FOUND', 'unknown verification token')
    if (v.state === 'finished') throw new ReasonError('ALREADY_COMPLETED', 'this verification is already completed')
    if (v.expiresAt <= iso(this.clock.now()))
      throw new ReasonError('TOKEN_EXPIRED', 'the verification token has expired')
    if (v.attemptsUsed >= v.maxAttempts && v.state !== 'analysing')
      throw new ReasonError('ATTEMPTS_EXHAUSTED', 'no attempts left')
    // the rule as it was when the verification was created: a later edit does not change its course
    const rule = await this.store.rules.getVersion(v.ruleId, v.ruleVersion)
    const app = await this.store.apps.get(v.appId)
    if (!rule || !app) throw new ReasonError('NOT_FOUND', 'the rule or app of this verification no longer exists')
    return { v, rule, app }
  }

  /** Issues (or re-issues after a failed attempt) the challenge of the rule's liveness mode. */
  async challenge(token: string): Promise<Challenge> {
    const { v, rule } = await this.usable(token)
    if (v.state === 'analysing') throw new ReasonError('BUSINESS_REQUEST_INVALID', 'an attempt is being analysed')
    return this.issue(v, rule, effectiveLiveness(rule.liveness, v.challenge))
  }

  /**
   * The person declines the screen flashes of a light rule: from now on this verification is judged in
   * the fallback mode the operator's rule names (never one the person picks); without one, refused.
   */
  async declineLight(token: string): Promise<Challenge> {
    const { v, rule } = await this.usable(token)
    if (rule.liveness !== 'light' || !rule.lightFallback)
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'this rule offers no other mode than the light check')
    if (v.state === 'analysing') throw new ReasonError('BUSINESS_REQUEST_INVALID', 'an attempt is being analysed')
    return this.issue(v, rule, rule.lightFallback, true)
  }

  private async issue(v: Verification, rule: Rule, mode: Rule['liveness'], declined = false): Promise<Challenge> {
    const now = this.clock.now()
    let challenge: Challenge
    let expiresAt: string | null = null
    if (mode === 'action') challenge = { mode: 'action', actions: pickActions(rule.actionCount) }
    else if (mode === 'digital') {
      challenge = { mode: 'digital', digits: pickLiveDigits(4, (n) => randomInt(n)) }
      expiresAt = iso(plusS(now, LIVE_CODE_TTL_S))
    } else if (mode === 'light') {
      // chosen now, after the session started; revealed one colour at a time (revealLight)
      challenge = {
        mode: 'light',
        nonce: randomBytes(16).toString('hex'),
        steps: pickLightSequence((n) => randomInt(n)),
        revealed: 0,
        revealedAt: [],
        used: false,
      }
      expiresAt = iso(plusS(now, LIGHT_CHALLENGE.ttlS))
    } else challenge = { mode: 'silent' }
    if (declined || (rule.liveness === 'light' && challenge.mode !== 'light'))
      challenge = { ...challenge, declinedLight: true } as Challenge
    if (this.policy.cache) {
      const ttlMs = (expiresAt ? Date.parse(expiresAt) : Date.parse(v.expiresAt)) - now.getTime()
      await cached(() => this.policy.cache!.put(`challenge:${v.id}`, JSON.stringify(challenge), Math.max(1000, ttlMs)))
    }
    await this.store.verifications.setChallenge(v.id, JSON.stringify(challenge), expiresAt, iso(now))
    await this.store.verifications.transition(v.id, ['created'], 'capturing')
    return challenge
  }

  /** The challenge as the capture page sees it (a light sequence's colours are withheld). */
  async pageChallenge(token: string): Promise<PublicChallenge> {
    const c = await this.challenge(token)
    const v = (await this.store.verifications.getByToken(token))!
    return publicChallenge(c, v.challengeExpiresAt)!
  }

  /**
   * The next colour of the light challenge, revealed as the page shows it: in order, one at a time,
   * never before the previous one has been on screen for its time (less the page's lead for the round
   * trip), and never after the challenge expired or was used by an upload.
   */
  async revealLight(
    token: string,
    nonce: string,
    seq: number,
  ): Promise<{ seq: number; colour: string; ms: number; last: boolean }> {
    const { v } = await this.usable(token)
    const c = v.challenge
    if (c?.mode !== 'light' || c.nonce !== nonce)
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'no light challenge with this nonce: ask for a new challenge')
    const now = this.clock.now()
    if (c.used) throw new ReasonError('BUSINESS_REQUEST_INVALID', 'this light challenge was used: ask for a new one')
    if (v.challengeExpiresAt && v.challengeExpiresAt <= iso(now))
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the light challenge expired: ask for a new one')
    if (!Number.isInteger(seq) || seq < 0 || seq >= c.steps.length)
      throw new ReasonError('INVALID_PARAMETER', `seq must be 0-${c.steps.length - 1}`)
    if (seq !== c.revealed) throw new ReasonError('BUSINESS_REQUEST_INVALID', `colour ${c.revealed} comes next`)
    if (seq > 0) {
      const shownFor = now.getTime() - Date.parse(c.revealedAt[seq - 1]!)
      if (shownFor < c.steps[seq - 1]!.ms - LIGHT_REVEAL_LEAD_MS)
        throw new ReasonError('BUSINESS_REQUEST_INVALID', 'too early: the previous colour is still to be shown')
    }
    await this.checkCachedChallenge(v)
    const next: LightChallenge = { ...c, revealed: seq + 1, revealedAt: [...c.revealedAt, iso(now)] }
    await this.saveChallenge(v, next)
    const step = c.steps[seq]!
    return { seq, colour: step.colour, ms: step.ms, last: seq === c.steps.length - 1 }
  }

  /** Rewrites the live challenge (database, and the cache when there is one) keeping its lifetime. */
  private async saveChallenge(v: Verification, c: Challenge): Promise<void> {
    if (this.policy.cache) {
      const until = v.challengeExpiresAt ? Date.parse(v.challengeExpiresAt) : Date.parse(v.expiresAt)
      const ttlMs = until - this.clock.now().getTime()
      await cached(() => this.policy.cache!.put(`challenge:${v.id}`, JSON.stringify(c), Math.max(1000, ttlMs)))
    }
    // the same challenge rewritten (a colour revealed, marked used): it keeps the time it was issued
    await this.store.verifications.setChallenge(
      v.id,
      JSON.stringify(c),
      v.challengeExpiresAt,
      v.challengeIssuedAt ?? this.clock.now().toISOString(),
    )
  }

  /** The live challenge as the cache holds it: gone means expired, different means corrupt. */
  private async checkCachedChallenge(v: Verification): Promise<void> {
    const cache = this.policy.cache
    if (!cache || !v.challenge) return
    const raw = await cached(() => cache.get(`challenge:${v.id}`))
    if (raw === null) {
      if (v.challenge.mode === 'digital')
        throw new ReasonError('LIVE_CODE_EXPIRED', 'the digits expired: ask for a new challenge')
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the challenge expired: ask for a new one')
    }
    let held: unknown
    try {
      held = JSON.parse(raw)
    } catch {
      throw new ReasonError('CACHE_DATA_INVALID', 'the cached challenge is not readable')
    }
    if (JSON.stringify(held) !== JSON.stringify(v.challenge))
      throw new ReasonError('CACHE_DATA_INVALID', 'the cached challenge differs from the one issued')
  }

  /**
   * Stores the capture and queues its analysis. The attempt, the job and the state change commit
   * together; the HTTP answer is sent only after that, so an acknowledged upload is never lost.
   */
  async upload(
    token: string,
    media: Buffer,
    recording?: { durationMs: number; mimeType: string; light?: LightShown },
    opts: { requestId?: string; light?: { nonce: string } } = {},
  ): Promise<UploadResult> {
    const light = opts.light
    // a keyed hash: equal uploads are recognised without keeping a fingerprint of the face video itself
    const mediaHash = this.vault.blindIndex('media', createHash('sha256').update(media).digest('hex'))
    const repeated = await this.repeatedUpload(token, mediaHash)
    if (repeated) return { attempt: repeated, finishedAtOnce: false, repeated: true }
    const { v, app, rule } = await this.usable(token)
    const now = this.clock.now()
    if (v.state === 'analysing')
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'an attempt is already being analysed')
    if (!v.challenge) throw new ReasonError('BUSINESS_REQUEST_INVALID', 'ask for the challenge before uploading')
    if (v.challenge.mode === 'light') {
      const c = v.challenge
      // a light challenge is judged once, with the page's report of what it showed
      if (!light || light.nonce !== c.nonce)
        throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the upload does not name the current light challenge')
      if (c.used) throw new ReasonError('BUSINESS_REQUEST_INVALID', 'this light challenge was used: ask for a new one')
      if (v.challengeExpiresAt && v.challengeExpiresAt <= iso(now))
        throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the light challenge expired: ask for a new one')
      if (c.revealed !== c.steps.length)
        throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the light sequence was not shown to the end')
      if (!recording?.light)
        throw new ReasonError('MISSING_PARAMETER', 'the light mode needs the times the colours were shown (shown)')
    }
    if (v.challenge.mode === 'digital' && v.challengeExpiresAt && v.challengeExpiresAt <= iso(now)) {
      throw new ReasonError('LIVE_CODE_EXPIRED', 'the digits expired: ask for a new challenge')
    }
    await this.checkCachedChallenge(v)
    if (v.challenge.mode === 'light') await this.saveChallenge(v, { ...v.challenge, used: true })
    if (rule.idcardStep !== 'none' && (await cardStepStatus(this.store, v, rule)).next !== null) {
      throw new ReasonError(
        'BUSINESS_REQUEST_INVALID',
        'the ID-card step comes first: photograph the card before the face',
      )
    }
    if (media.length < MIN_VIDEO_BYTES)
      throw new ReasonError('VIDEO_SIZE_INVALID', 'the upload is empty or too small to be a video')
    const videoKind = sniffVideo(media)
    const imageKind = videoKind ? null : sniffImage(media)
    if (!videoKind && !imageKind)
      throw new ReasonError(
        'VIDEO_FORMAT_INVALID',
        'the upload is not a WebM, MP4 or MPEG video (or a JPEG/PNG/WebP image)',
      )
    if (
      v.idHash &&
      app.dailyLimitPerPerson > 0 &&
      (await this.store.ledger.countForPerson(app.appId, v.idHash, iso(now).slice(0, 10))) >= app.dailyLimitPerPerson
    ) {
      throw new ReasonError('DAILY_LIMIT_EXCEEDED', 'this person reached the daily attempt limit')
    }

    // before anything is stored: a refused upload leaves nothing behind and can simply be sent again
    await this.admit()
    const attemptId = `att_${newUlid().toLowerCase()}`
    const mediaBlob = `${v.id}/${attemptId}.${videoKind ?? imageKind}`
    try {
      await this.blobs.put(mediaBlob, media)
    } catch (err) {
      throw new ReasonError(
        'BLOB_WRITE_FAILED',
        `the recording could not be stored: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      )
    }

    // decided before analysis: a replayed recording, or a person behind a run of attacks
    const early: Reason | null = (await this.store.attempts.mediaSeen(mediaHash, attemptId))
      ? 'VIDEO_REPLAYED'
      : (await this.underAttack(v, now))
        ? 'RISK_CONTROL'
        : null
    let claimed: boolean
    try {
      claimed = await this.store.transaction(async (tx) => {
        const claim = await claimAttempt(tx, v, {
          id: attemptId,
          mediaBlob,
          mediaKind: videoKind ? 'video' : 'image',
          mediaHash,
          createdAt: iso(now),
        })
        if (!claim.claimed) return false
        if (!early)
          await this.queue.enqueue(tx, ANALYSE_JOB, `analyse:${attemptId}`, {
            attemptId,
            ...(recording && { recording }),
            ...(opts.requestId && { requestId: opts.requestId.slice(0, 64) }),
          })
        return true
      })
    } catch (err) {
      await this.blobs.delete(mediaBlob)
      throw new ReasonError(
        'DB_INSERT_FAILED',
        `the attempt could not be recorded: ${(err as Error).message.slice(0, 120)}`,
      )
    }
    if (!claimed) {
      await this.blobs.delete(mediaBlob)
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'another upload for this verification is in progress')
    }
    if (early) {
      await this.finishAttempt(attemptId, {
        reason: early,
        similarity: null,
        signals: { [early === 'VIDEO_REPLAYED' ? 'replayed' : 'riskControl']: true },
        bestFrameBlob: null,
      })
    }
    return { attempt: (await this.store.attempts.get(attemptId))!, finishedAtOnce: early !== null }
  }

  /** QUEUE_BUSY (retry later, not billable) when the analysis backlog is at its limit. */
  private async admit(): Promise<void> {
    const a = this.policy.admission
    if (!a || a.maxDepth <= 0) return
    const depth = await a.queue.depth()
    if (depth >= a.maxDepth)
      throw new ReasonError('QUEUE_BUSY', 'the analysis queue is full: upload again in a little while', {
        retry: true,
        retryAfterS: 5,
      })
  }

  /**
   * The page repeats an upload whose answer it never got (the connection dropped, the API process
   * died): the same recording for the same verification, with no new challenge issued since its
   * attempt, is that attempt — answered again, never a second attempt nor a VIDEO_REPLAYED. A
   * recording sent again after a new challenge is still a replay; once the verification is finished
   * the answer stays ALREADY_COMPLETED (14), which the page takes, after a retry, as "done".
   */
  private async repeatedUpload(token: string, mediaHash: string): Promise<Attempt | null> {
    const v = await this.store.verifications.getByToken(token)
    if (!v) return null
    const a = await this.store.attempts.withMedia(v.id, mediaHash)
    // a finished verification answers ALREADY_COMPLETED as ever (the page reads the result after it)
    if (!a || a.seq < v.attemptsUsed || v.state === 'finished') return null
    // while its attempt is open no new challenge can have been issued
    if (a.state !== 'finished') return a
    // a failed attempt with attempts left: the same upload only if no challenge was issued after it
    return v.challengeIssuedAt !== null && v.challengeIssuedAt < a.createdAt ? a : null
  }

  /**
   * Risk control: a person (by ID-number hash, or the caller's user id) whose recent attempts were
   * attacks — replays, spoofs, still images, swapped faces — is refused before any analysis.
   */
  private async underAttack(v: Verification, now: Date): Promise<boolean> {
    const subject = v.idHash ? { idHash: v.idHash } : v.userId ? { userId: v.userId } : null
    const { maxAttacks, windowS } = this.policy.risk
    if (!subject || maxAttacks <= 0) return false
    const since = iso(new Date(now.getTime() - windowS * 1000))
    return (await this.store.attempts.countRecent(v.appId, subject, since, ATTACK_REASONS)) >= maxAttacks
  }

  // ── verdict ─────────────────────────────────────────────────────────────────

  /**
   * Writes an attempt's verdict and its ledger row in one transaction, then either finishes the
   * verification (pass, or no attempts left) or opens it for another try. Running it twice for the
   * same attempt changes nothing the second time.
   */
  async finishAttempt(attemptId: string, out: Outcome): Promise<Attempt> {
    const attempt = await this.store.attempts.get(attemptId)
    if (!attempt) throw new ReasonError('NOT_FOUND', `no attempt ${attemptId}`)
    if (attempt.state === 'finished') return attempt
    const v = (await this.store.verifications.getById(attempt.verificationId))!
    const { code, billable } = toCode(v.family, out.reason)
    const now = this.clock.now()
    const app = await this.store.apps.get(v.appId)
    const keep = this.keepUntil(app ? this.retentionOf(app) : this.policy.retentionS, { ...v, finishedAt: iso(now) })
    const last = out.reason === 'PASS' || attempt.seq >= v.maxAttempts
    const recorded = await this.store.transaction(async (tx) => {
      if (
        !(await tx.attempts.finish(attemptId, {
          reason: out.reason,
          code,
          billable,
          similarity: out.similarity,
          signals: out.signals,
          bestFrameBlob: out.bestFrameBlob,
          finishedAt: iso(now),
        }))
      )
        return false
      await tx.ledger.record({
        attemptId,
        verificationId: v.id,
        appId: v.appId,
        ruleId: v.ruleId,
        family: v.family,
        code,
        reason: out.reason,
        billable,
        at: iso(now),
      })
      if (last) {
        await tx.verifications.finish(v.id, {
          state: 'finished',
          reason: out.reason,
          code,
          billable,
          similarity: out.similarity,
          bestFrameBlob: out.bestFrameBlob,
          videoBlob: attempt.mediaBlob,
          finishedAt: iso(now),
          // a verification erased or purged while its last attempt was analysed stays purged
          purgeAfter: v.purgeAfter <= iso(now) ? v.purgeAfter : keep,
        })
        await this.policy.outcomes?.finished(tx, v.id)
      } else {
        await tx.verifications.finish(v.id, {
          state: 'capturing',
          reason: out.reason,
          code,
          billable,
          similarity: out.similarity,
          bestFrameBlob: out.bestFrameBlob,
          videoBlob: attempt.mediaBlob,
          finishedAt: null,
          purgeAfter: v.purgeAfter,
        })
      }
      return true
    })
    if (recorded) this.policy.onVerdict?.({ family: v.family, reason: out.reason, billable })
    return (await this.store.attempts.get(attemptId))!
  }

  // ── reading ─────────────────────────────────────────────────────────────────

  async byId(id: string): Promise<Verification | null> {
    return this.store.verifications.getById(id)
  }

  async byToken(token: string): Promise<Verification | null> {
    return this.store.verifications.getByToken(token)
  }

  async byOrderNo(appId: string, orderNo: string): Promise<Verification | null> {
    return this.store.verifications.getByOrderNo(appId, orderNo)
  }

  /** The operator's search (management API); newest first, at most `limit`. */
  search(q: VerificationQuery): Promise<Verification[]> {
    return this.store.verifications.search(q)
  }

  /** Where the person is sent at the end (the ticket flow's browser login may set it late). */
  async setRedirect(id: string, url: string): Promise<void> {
    await this.store.verifications.setRedirect(id, url)
  }

  attempts(verificationId: string): Promise<Attempt[]> {
    return this.store.attempts.listFor(verificationId)
  }

  /** The verdict as the caller sees it now: a finished result, or an expiry that was never captured. */
  currentReason(v: Verification): Reason | null {
    if (v.state === 'finished') return v.finalReason
    if (v.expiresAt <= iso(this.clock.now())) return v.finalReason ?? 'TOKEN_EXPIRED'
    return null
  }

  identity(v: Verification): Promise<{ name: string | null; idNumber: string | null }> {
    return this.store.verifications.sealedIdentity(v.id).then((s) => ({
      name: s?.nameSealed ? this.vault.open(s.nameSealed) : null,
      idNumber: s?.idNumberSealed ? this.vault.open(s.idNumberSealed) : null,
    }))
  }

  /** The identity as operators see it (console, management API): masked, never in full. */
  /**
   * The duplicate-identity alert of a verification: persons of other ID numbers whose registry face
   * matched its passed face, masked (recorded by the analysis as ids and scores on the attempt).
   */
  async duplicateOf(
    v: Verification,
    /** the verification's attempts when the caller has just read them (one query less) */
    known?: Attempt[],
  ): Promise<Array<{ personId: string; name: string | null; idNumber: string | null; score: number; far: number }>> {
    const attempts = known ?? (await this.store.attempts.listFor(v.id))
    const found = [...attempts].reverse().find((a) => Array.isArray(a.signals?.duplicateOf))
    if (!found) return []
    const out = []
    for (const d of found.signals!.duplicateOf as Array<{ personId: string; score: number; far: number }>) {
      const p = await this.registry.maskedPerson(d.personId)
      out.push({
        personId: d.personId,
        name: p?.name ?? null,
        idNumber: p?.idNumber ?? null,
        score: d.score,
        far: d.far,
      })
    }
    return out
  }

  async maskedIdentity(v: Verification): Promise<{ name: string | null; idNumber: string | null }> {
    const id = await this.identity(v)
    return { name: id.name ? maskName(id.name) : null, idNumber: id.idNumber ? maskIdNumber(id.idNumber) : null }
  }

  async blob(key: string | null): Promise<Buffer | null> {
    if (!key) return null
    try {
      return await this.blobs.get(key)
    } catch {
      return null
    }
  }

  /**
   * Retention: media and personal data of verifications past their keep-until time are deleted, from
   * the blob store (whichever is configured) and the database; the verdict, its times and the ledger
   * stay. Runs in batches of `limit`; returns how many verifications it purged.
   */
  async purgeExpired(limit = 200): Promise<number> {
    const due = await this.store.verifications.listExpired(iso(this.clock.now()), limit)
    for (const v of due) await this.purgeOne(v)
    // the webhook delivery log is kept as long as the verifications (it holds no personal data)
    await this.store.webhooks.deletePurged(iso(this.clock.now()))
    return due.length
  }

  /**
   * Deletes one verification's media (blob store) and personal fields (database). `erase` also deletes
   * the keyed hashes of its media; `expireAt` ends its results there (the results APIs answer "expired").
   */
  async purgeOne(
    v: Pick<Verification, 'id' | 'referenceBlob' | 'bestFrameBlob' | 'videoBlob'>,
    opts: { erase?: boolean; expireAt?: string } = {},
  ): Promise<void> {
    const attemptBlobs = await this.store.attempts.blobsFor(v.id)
    const cardBlobs = await this.store.idcards.blobsFor(v.id)
    // the registry's photo is the registry's: only the verification's own reference goes with it
    const own = [
      v.bestFrameBlob,
      v.videoBlob,
      ...attemptBlobs,
      ...cardBlobs,
      v.referenceBlob?.startsWith(`${v.id}/`) ? v.referenceBlob : null,
    ]
    for (const key of new Set(own.filter((k): k is string => !!k))) await this.blobs.delete(key)
    await this.store.verifications.purge(v.id, opts)
    // an erasure takes the verification's webhook events and delivery log at once (the retention sweep
    // deletes them with `deletePurged` once nothing is left to deliver)
    if (opts.erase) await this.store.webhooks.deleteForVerification(v.id)
  }

  /**
   * A results API answered a finished verification: an app with a retention of 0 keeps nothing
   * after that first answer (media and personal data are deleted now; later calls answer "expired").
   */
  async resultFetched(v: Verification): Promise<void> {
    if (v.state !== 'finished') return
    const app = await this.store.apps.get(v.appId)
    if (app?.retentionDays !== 0) return
    await this.purgeOne(v, { expireAt: iso(this.clock.now()) })
  }

  /** Every verification, of any app, of the person with this ID-number blind index. */
  byIdHash(idHash: string): Promise<Verification[]> {
    return this.store.verifications.listByIdHash(idHash)
  }
}

/** A cache that is down is a verdict (CACHE_UNAVAILABLE), not a crash. */
async function cached<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof CacheUnavailableError)
      throw new ReasonError('CACHE_UNAVAILABLE', 'the cache (Redis) is unreachable')
    throw err
  }
}

function makeToken(style: 'biz' | 'face' | 'h5face'): string {
  if (style === 'biz') return randomUUID().toUpperCase()
  if (style === 'face') return `tx${randomBytes(15).toString('hex')}`
  return randomBytes(16).toString('hex')
}

/** A challenge as the page may see it: the light sequence's colours stay on the server until revealed. */
export function publicChallenge(c: Challenge | null, expiresAt: string | null): PublicChallenge | null {
  if (!c || c.mode !== 'light') return c
  return {
    mode: 'light',
    nonce: c.nonce,
    count: c.steps.length,
    baselineMs: LIGHT_CHALLENGE.baselineMs,
    revealed: c.revealed,
    expiresAt,
  }
}

function pickActions(n: number): Action[] {
  const pool = [...ACTIONS]
  const out: Action[] = []
  while (out.length < n && pool.length) out.push(pool.splice(randomInt(pool.length), 1)[0]!)
  return out
}
