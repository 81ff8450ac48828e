import { ulid } from 'ulid'
import { Type } from '@sinclair/typebox'
import { defineJob, type JobDefinition, type JobEnqueuer, type JobResult } from '../queue/index.js'
import { ReasonError, toCode, type Reason } from '../codes/index.js'
import { randomToken, type PersonalDataVault } from '../crypto/index.js'
import type { Clock } from '../clock/index.js'
import type { Store, WebhookDeliveryRow, WebhookEventRow, WebhookRow } from '../storage/index.js'
import type { Verification } from '../verifications/index.js'
import { parseAllowList, type AddressPolicy } from './address.js'
import { postJson, type PostResult } from './deliver.js'
import { signatureHeader } from './sign.js'

export interface WebhookSettings extends AddressPolicy {
  /** one try's limit, connection to last byte */
  timeoutMs: number
  /** the first retry waits this long; each next one twice as long (at most an hour) */
  backoffMs: number
  /** tries go on for this long after the first (24 h) */
  retryForS: number
}

export interface WebhookLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export type WebhookEventType = 'verification.finished' | 'verification.expired'

/** What an operator sees of a webhook: never the secret. */
export interface WebhookView {
  appId: string
  url: string
  enabled: boolean
  /** during a rotation: the previous secret signs too, until then */
  previousSecretUntil: string | null
  createdAt: string
  updatedAt: string
}

export interface WebhookEventView {
  id: string
  appId: string
  verificationId: string
  type: string
  idempotencyKey: string
  state: WebhookEventRow['state']
  createdAt: string
  /** the outcome as sent (no personal data) */
  data: Record<string, unknown>
  deliveries: Array<Omit<WebhookDeliveryRow, 'eventId' | 'verificationId'>>
}

const MAX_OVERLAP_S = 7 * 86400
const MAX_DELAY_MS = 3600_000
const iso = (d: Date) => d.toISOString()

/** The n-th retry's wait: backoffMs · 2^(n−1), at most an hour. */
export function retryDelayMs(settings: Pick<WebhookSettings, 'backoffMs'>, tries: number): number {
  return Math.min(settings.backoffMs * 2 ** Math.max(0, tries - 1), MAX_DELAY_MS)
}

/** The number of tries whose waits add up to retryForS (24 h by default: 32 tries from 30 s). */
export function triesFor(settings: Pick<WebhookSettings, 'backoffMs' | 'retryForS'>): number {
  let total = 0
  let tries = 1
  while (total < settings.retryForS * 1000 && tries < 1000) total += retryDelayMs(settings, tries++)
  return tries
}

/** A URL the webhook may have: http(s), no credentials in it, at most 2,048 characters. */
export function checkWebhookUrl(raw: string): string {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new ReasonError('INVALID_PARAMETER', 'url is not an absolute URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ReasonError('INVALID_PARAMETER', 'url must be http:// or https://')
  if (u.username || u.password) throw new ReasonError('INVALID_PARAMETER', 'url must not carry a user or password')
  if (raw.length > 2048) throw new ReasonError('INVALID_PARAMETER', 'url is longer than 2048 characters')
  return u.toString()
}

/**
 * Completion webhooks: one signed POST per verification outcome (finished, or expired unfinished),
 * queued in the transaction that decides the outcome and delivered at least once, with exponential
 * backoff for 24 h, through the job queue. The body carries no personal data: the receiver reads
 * the rest through the API with its token or order number.
 */
export class WebhookService {
  readonly job: JobDefinition<typeof DELIVERY_PAYLOAD>

  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly queue: JobEnqueuer,
    private readonly clock: Clock,
    private readonly settings: WebhookSettings,
    private readonly log: WebhookLogger,
  ) {
    parseAllowList(settings.allow.join(','))
    this.job = defineJob('webhook', DELIVERY_PAYLOAD, {
      maxTries: triesFor(settings),
      backoffMs: (tries) => retryDelayMs(settings, tries),
    })
  }

  // ── configuration ─────────────────────────────────────────────────────────

  async show(appId: string): Promise<WebhookView | null> {
    const w = await this.store.webhooks.get(appId)
    return w ? view(w) : null
  }

  /** Sets the URL (and on/off); the first time, a signing secret is made and returned once. */
  async set(
    appId: string,
    patch: { url: string; enabled?: boolean },
  ): Promise<{ webhook: WebhookView; secret?: string }> {
    if (!(await this.store.apps.get(appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${appId}`)
    const url = checkWebhookUrl(patch.url)
    const now = iso(this.clock.now())
    if (await this.store.webhooks.get(appId)) {
      await this.store.webhooks.update(
        appId,
        { url, ...(patch.enabled !== undefined && { enabled: patch.enabled }) },
        now,
      )
      return { webhook: view((await this.store.webhooks.get(appId))!) }
    }
    const secret = newSecret()
    await this.store.webhooks.insert({
      appId,
      url,
      secretSealed: this.vault.seal(secret),
      previousSecretSealed: null,
      previousUntil: null,
      enabled: patch.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    })
    return { webhook: view((await this.store.webhooks.get(appId))!), secret }
  }

  /**
   * A new signing secret; the old one keeps signing (a second `v1=`) for `overlapS` seconds, so
   * receivers can switch without losing a delivery. 0 drops the old one at once.
   */
  async rotate(appId: string, overlapS: number): Promise<{ webhook: WebhookView; secret: string }> {
    if (!Number.isInteger(overlapS) || overlapS < 0 || overlapS > MAX_OVERLAP_S)
      throw new ReasonError('INVALID_PARAMETER', `overlapS must be an integer from 0 to ${MAX_OVERLAP_S}`)
    const w = await this.store.webhooks.get(appId)
    if (!w) throw new ReasonError('NOT_FOUND', `app ${appId} has no webhook`)
    const now = this.clock.now()
    const secret = newSecret()
    await this.store.webhooks.rotate(
      appId,
      {
        secretSealed: this.vault.seal(secret),
        previousSecretSealed: overlapS > 0 ? w.secretSealed : null,
        previousUntil: overlapS > 0 ? iso(new Date(now.getTime() + overlapS * 1000)) : null,
      },
      iso(now),
    )
    // AUDIT: webhook secret rotated (appId, overlapS, previousUntil; never the secret)
    return { webhook: view((await this.store.webhooks.get(appId))!), secret }
  }

  async remove(appId: string): Promise<void> {
    if (!(await this.store.webhooks.delete(appId))) throw new ReasonError('NOT_FOUND', `app ${appId} has no webhook`)
  }

  // ── the delivery log ──────────────────────────────────────────────────────

  async events(q: { appId?: string; verificationId?: string; limit?: number }): Promise<WebhookEventView[]> {
    const events = await this.store.webhooks.listEvents({
      ...(q.appId && { appId: q.appId }),
      ...(q.verificationId && { verificationId: q.verificationId }),
      limit: Math.min(Math.max(q.limit ?? 50, 1), 500),
    })
    const deliveries = await this.store.webhooks.deliveriesFor(events.map((e) => e.id))
    return events.map((e) => ({
      id: e.id,
      appId: e.appId,
      verificationId: e.verificationId,
      type: e.type,
      idempotencyKey: e.idempotencyKey,
      state: e.state,
      createdAt: e.createdAt,
      data: (JSON.parse(e.body) as { data: Record<string, unknown> }).data,
      deliveries: deliveries
        .filter((d) => d.eventId === e.id)
        .map(({ id, at, trigger, statusCode, error, durationMs }) => ({
          id,
          at,
          trigger,
          statusCode,
          error,
          durationMs,
        })),
    }))
  }

  /** Person erasure: the events and delivery log of one verification (a real DELETE, not a mask). */
  deleteForVerification(verificationId: string, tx: Store = this.store): Promise<number> {
    return tx.webhooks.deleteForVerification(verificationId)
  }

  /** The operator's retry: the same event (same id, body and idempotency key) is queued once more. */
  async retry(eventId: string): Promise<void> {
    const e = await this.store.webhooks.getEvent(eventId)
    if (!e) throw new ReasonError('NOT_FOUND', `no webhook event ${eventId}`)
    await this.store.transaction(async (tx) => {
      await tx.webhooks.setEventState(e.id, 'pending', iso(this.clock.now()))
      await this.queue.enqueue(tx, this.job, `webhook:${e.id}:retry:${ulid().toLowerCase()}`, {
        eventId: e.id,
        trigger: 'manual',
      })
    })
  }

  // ── outcomes ──────────────────────────────────────────────────────────────

  /**
   * Called inside the transaction that finishes a verification: the event and its delivery job
   * commit with the verdict or not at all, so a crash right after cannot lose the notification.
   */
  async finished(tx: Store, verificationId: string): Promise<void> {
    const v = await tx.verifications.getById(verificationId)
    if (!v || v.state !== 'finished' || !v.finalReason) return
    await this.queueEvent(tx, v, 'verification.finished', v.finalReason, v.finishedAt ?? iso(this.clock.now()))
  }

  /**
   * Expiry is not a write today (a verification is expired when read after its expiresAt): this
   * sweep, run with the retention sweep, announces each one that expired unfinished, once.
   */
  async sweepExpired(limit = 200): Promise<number> {
    const ids = await this.store.webhooks.expiredUnnotified(iso(this.clock.now()), limit)
    let n = 0
    for (const id of ids) {
      await this.store.transaction(async (tx) => {
        const v = await tx.verifications.getById(id)
        if (!v || v.state === 'finished' || v.state === 'analysing') return
        // the results API's answer for it: the last attempt's verdict, else TOKEN_EXPIRED
        if (await this.queueEvent(tx, v, 'verification.expired', v.finalReason ?? 'TOKEN_EXPIRED', v.expiresAt)) n++
      })
    }
    return n
  }

  private async queueEvent(
    tx: Store,
    v: Verification,
    type: WebhookEventType,
    reason: Reason,
    at: string,
  ): Promise<boolean> {
    const hook = await tx.webhooks.get(v.appId)
    if (!hook?.enabled) return false
    const idempotencyKey = `${v.id}.${type === 'verification.finished' ? 'finished' : 'expired'}`
    const id = `evt_${ulid().toLowerCase()}`
    const now = iso(this.clock.now())
    const c = toCode(v.family, reason)
    const liveness =
      c.code === 0 || c.stage === 'compare'
        ? 'passed'
        : c.stage === 'identity' || (reason === 'TOKEN_EXPIRED' && v.attemptsUsed === 0)
          ? 'not_checked'
          : 'failed'
    const body = JSON.stringify({
      id,
      type,
      createdAt: now,
      data: {
        appId: v.appId,
        family: v.family,
        // BizToken (h5) or faceId (sdk), and the caller's order number: the keys to the results API
        token: v.token,
        orderNo: v.orderNo,
        ruleId: v.ruleId,
        // MERGE: ruleVersion (issue 15 item 1) goes here when the verification carries one
        code: c.code,
        reason,
        billable: c.billable,
        similarity: v.similarity,
        liveness,
        attemptsUsed: v.attemptsUsed,
        createdAt: v.createdAt,
        ...(type === 'verification.finished' ? { finishedAt: at } : { expiredAt: at }),
      },
    })
    if (
      !(await tx.webhooks.insertEvent({
        id,
        appId: v.appId,
        verificationId: v.id,
        type,
        idempotencyKey,
        body,
        state: 'pending',
        createdAt: now,
      }))
    )
      return false
    await this.queue.enqueue(tx, this.job, `webhook:${idempotencyKey}`, { eventId: id, trigger: 'auto' })
    return true
  }

  // ── delivery (the job) ────────────────────────────────────────────────────

  /** One try: POST, log it, and either done or thrown (the queue retries with the backoff). */
  async deliver(p: { eventId: string; trigger: 'auto' | 'manual' }): Promise<JobResult> {
    const e = await this.store.webhooks.getEvent(p.eventId)
    // purged with its verification, or the app's webhook removed: nothing left to tell
    if (!e) return 'success'
    const hook = await this.store.webhooks.get(e.appId)
    if (!hook?.enabled) {
      await this.store.webhooks.setEventState(e.id, 'failed', iso(this.clock.now()))
      return 'success'
    }
    const now = this.clock.now()
    const secrets = [this.vault.open(hook.secretSealed)]
    if (hook.previousSecretSealed && hook.previousUntil && hook.previousUntil > iso(now))
      secrets.push(this.vault.open(hook.previousSecretSealed))
    const t = Math.floor(now.getTime() / 1000)
    const r: PostResult = await postJson(
      hook.url,
      e.body,
      {
        'content-type': 'application/json',
        'user-agent': 'shiren-webhooks/1',
        'shiren-signature': signatureHeader(secrets, t, e.body),
        'shiren-event-id': e.id,
        'shiren-event-type': e.type,
        'idempotency-key': e.idempotencyKey,
      },
      this.settings,
      this.settings.timeoutMs,
    )
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300
    await this.store.webhooks.addDelivery({
      id: `whd_${ulid().toLowerCase()}`,
      eventId: e.id,
      verificationId: e.verificationId,
      at: iso(now),
      trigger: p.trigger,
      statusCode: r.statusCode,
      error: ok ? null : (r.error ?? `HTTP ${r.statusCode}`),
      durationMs: r.durationMs,
    })
    if (ok) {
      await this.store.webhooks.setEventState(e.id, 'delivered', iso(this.clock.now()))
      return 'success'
    }
    // the message is the delivery's own (status or network error): no URL, no body
    throw new Error(r.error ?? `the receiver answered HTTP ${r.statusCode}`)
  }

  async giveUp(p: { eventId: string }): Promise<void> {
    const e = await this.store.webhooks.getEvent(p.eventId)
    if (e && e.state === 'pending') await this.store.webhooks.setEventState(e.id, 'failed', iso(this.clock.now()))
    this.log.warn({ eventId: p.eventId }, 'webhook delivery given up')
  }
}

const DELIVERY_PAYLOAD = Type.Object({
  eventId: Type.String({ minLength: 1, maxLength: 40 }),
  trigger: Type.Union([Type.Literal('auto'), Type.Literal('manual')]),
})

function newSecret(): string {
  return `whsec_${randomToken(40)}`
}

function view(w: WebhookRow): WebhookView {
  return {
    appId: w.appId,
    url: w.url,
    enabled: w.enabled,
    previousSecretUntil: w.previousSecretSealed ? w.previousUntil : null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  }
}
