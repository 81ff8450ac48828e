import { createHash } from 'node:crypto'
import { ReasonError } from '../codes/index.js'
import { constantTimeEqual, randomToken, type PersonalDataVault } from '../crypto/index.js'
import type { AppRow, Store, TicketRow } from '../storage/index.js'
import { publicApp, type App } from '../apps/index.js'
import type { Clock } from '../clock/index.js'
import { ticketSign } from './sha1-sign.js'
import { CacheUnavailableError, type Cache } from '../cache/index.js'

export const ACCESS_TOKEN_TTL_S = 7200
export const SIGN_TICKET_TTL_S = 3600
export const NONCE_TICKET_TTL_S = 120
/** after a refresh the previous token or ticket keeps working this long, as the vendor documents */
export const OVERLAP_S = 60
/** one NONCE ticket per AppID + user id in this window (400504) */
export const NONCE_INTERVAL_MS = 2000

const hashToken = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex')
const iso = (d: Date) => d.toISOString()
const plus = (d: Date, s: number) => new Date(d.getTime() + s * 1000)

/**
 * Access tokens, SIGN and NONCE tickets of the ticket (sdk) family, and the signature checks
 * that use them. Everything is in the database, so several API processes share one view.
 */
export class TicketService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly clock: Clock,
    /** with Redis, the 2-second NONCE slots live there; otherwise in the database */
    private readonly cache: Cache | null = null,
  ) {}

  /** The app of a ticket-flow request, if it may use the service now (its secret stays in storage). */
  async app(appId: string | undefined): Promise<App> {
    return publicApp(await this.usableApp(appId))
  }

  private async usableApp(appId: string | undefined): Promise<AppRow> {
    if (!appId) throw new ReasonError('MISSING_PARAMETER', 'appId is required')
    const app = await this.store.apps.get(appId)
    if (!app) throw new ReasonError('APP_NOT_FOUND', 'AppID does not exist')
    if (!app.enabled) throw new ReasonError('APP_NOT_FOUND', 'AppID is disabled')
    if (app.validUntil && app.validUntil <= iso(this.clock.now()))
      throw new ReasonError('APP_EXPIRED', 'the app is past its validity period')
    return app
  }

  async issueAccessToken(q: { appId?: string; secret?: string; grantType?: string; version?: string }) {
    const app = await this.usableApp(q.appId)
    if (q.version !== '1.0.0') throw new ReasonError('VERSION_INVALID', 'version must be 1.0.0')
    if (q.grantType !== 'client_credential')
      throw new ReasonError('TICKET_INVALID', 'grant_type must be client_credential')
    if (!q.secret || !constantTimeEqual(this.vault.openCredential(app.secretSealed), q.secret))
      throw new ReasonError('TICKET_INVALID', 'secret does not match the AppID')
    const now = this.clock.now()
    const token = randomToken(64)
    const valueHash = hashToken(token)
    const expiresAt = plus(now, ACCESS_TOKEN_TTL_S)
    await this.store.transaction(async (tx) => {
      await tx.tickets.insert({
        valueHash,
        valueSealed: null,
        kind: 'access',
        appId: app.appId,
        userId: null,
        parentHash: null,
        secretVersion: app.secretVersion,
        expiresAt: iso(expiresAt),
        createdAt: iso(now),
      })
      await tx.tickets.shortenOthers(app.appId, 'access', valueHash, iso(plus(now, OVERLAP_S)))
    })
    return { token, expiresAt, expireIn: ACCESS_TOKEN_TTL_S }
  }

  private async liveAccessToken(app: App, accessToken: string | undefined): Promise<TicketRow> {
    if (!accessToken) throw new ReasonError('LOGIN_EXPIRED', 'access_token is required')
    const row = await this.store.tickets.get(hashToken(accessToken))
    const now = iso(this.clock.now())
    if (
      !row ||
      row.kind !== 'access' ||
      row.appId !== app.appId ||
      row.expiresAt <= now ||
      row.secretVersion !== app.secretVersion
    ) {
      throw new ReasonError('LOGIN_EXPIRED', 'access_token is unknown or expired')
    }
    return row
  }

  async issueTicket(q: { appId?: string; accessToken?: string; type?: string; version?: string; userId?: string }) {
    const app = await this.app(q.appId)
    if (q.version !== '1.0.0') throw new ReasonError('VERSION_INVALID', 'version must be 1.0.0')
    if (q.type !== 'SIGN' && q.type !== 'NONCE') throw new ReasonError('TICKET_INVALID', 'type must be SIGN or NONCE')
    const parent = await this.liveAccessToken(app, q.accessToken)
    const now = this.clock.now()
    const value = randomToken(64)
    const valueHash = hashToken(value)
    if (q.type === 'SIGN') {
      const expiresAt = plus(now, SIGN_TICKET_TTL_S)
      await this.store.transaction(async (tx) => {
        await tx.tickets.insert({
          valueHash,
          valueSealed: this.vault.seal(value),
          kind: 'sign',
          appId: app.appId,
          userId: null,
          parentHash: parent.valueHash,
          secretVersion: app.secretVersion,
          expiresAt: iso(expiresAt),
          createdAt: iso(now),
        })
        await tx.tickets.shortenOthers(app.appId, 'sign', valueHash, iso(plus(now, OVERLAP_S)), parent.valueHash)
      })
      return { value, expiresAt, expireIn: SIGN_TICKET_TTL_S }
    }
    const userId = q.userId
    if (!userId || !/^[A-Za-z0-9_-]{1,32}$/.test(userId))
      throw new ReasonError('INVALID_PARAMETER', 'user_id is required: 1-32 letters, digits, _ or -')
    const slot = await this.claimNonceSlot(`${app.appId}|${userId}`, now)
    if (!slot)
      throw new ReasonError('NONCE_TICKET_TOO_FREQUENT', 'only one NONCE ticket per AppID and user id every 2 s')
    const expiresAt = plus(now, NONCE_TICKET_TTL_S)
    await this.store.tickets.insert({
      valueHash,
      valueSealed: this.vault.seal(value),
      kind: 'nonce',
      appId: app.appId,
      userId,
      parentHash: parent.valueHash,
      secretVersion: app.secretVersion,
      expiresAt: iso(expiresAt),
      createdAt: iso(now),
    })
    return { value, expiresAt, expireIn: NONCE_TICKET_TTL_S }
  }

  private async claimNonceSlot(key: string, now: Date): Promise<boolean> {
    if (!this.cache)
      return this.store.guards.claim('nonce', key, iso(now), iso(new Date(now.getTime() + NONCE_INTERVAL_MS)))
    try {
      return await this.cache.claim(`nonce:${key}`, NONCE_INTERVAL_MS)
    } catch (err) {
      if (err instanceof CacheUnavailableError)
        throw new ReasonError('CACHE_UNAVAILABLE', 'the cache (Redis) is unreachable')
      throw err
    }
  }

  /** Tickets whose access token is still alive and whose app secret has not been rotated since. */
  private async validTickets(
    app: App,
    kind: 'sign' | 'nonce',
    userId?: string,
  ): Promise<Array<{ row: TicketRow; value: string }>> {
    const now = iso(this.clock.now())
    const rows = await this.store.tickets.listValid(app.appId, kind, now, userId)
    const out: Array<{ row: TicketRow; value: string }> = []
    for (const row of rows) {
      if (row.secretVersion !== app.secretVersion || !row.valueSealed || !row.parentHash) continue
      const parent = await this.store.tickets.get(row.parentHash)
      if (!parent || parent.expiresAt <= now) continue
      out.push({ row, value: this.vault.openCredential(row.valueSealed) })
    }
    return out
  }

  /** Server-to-server calls signed with the SIGN ticket: 400101 when no live ticket gives this signature. */
  async verifySignTicket(app: App, values: Array<string | undefined>, sign: string | undefined): Promise<void> {
    if (!sign) throw new ReasonError('SIGNATURE_INVALID', 'sign is required')
    const tickets = await this.validTickets(app, 'sign')
    let ok = false
    for (const t of tickets) if (constantTimeEqual(ticketSign([...values, t.value]), sign.toUpperCase())) ok = true
    if (!ok) throw new ReasonError('SIGNATURE_INVALID', 'signature verification failed')
  }

  /** The browser login is signed with a NONCE ticket issued for this user; it is consumed on success. */
  async consumeNonceTicket(
    app: App,
    userId: string,
    values: Array<string | undefined>,
    sign: string | undefined,
  ): Promise<void> {
    if (!sign) throw new ReasonError('SIGNATURE_INVALID', 'sign is required')
    const tickets = await this.validTickets(app, 'nonce', userId)
    const match = tickets.find((t) => constantTimeEqual(ticketSign([...values, t.value]), sign.toUpperCase()))
    if (!match)
      throw new ReasonError(
        'SIGNATURE_INVALID',
        'signature verification failed (NONCE tickets are single use and live 120 s)',
      )
    if (!(await this.store.tickets.consume(match.row.valueHash, iso(this.clock.now())))) {
      throw new ReasonError('SIGNATURE_INVALID', 'this NONCE ticket was already used')
    }
  }

  /** The signature shiren puts on the redirect back to the caller (newSign), with the current SIGN ticket. */
  async redirectSign(app: App, values: string[]): Promise<string | null> {
    const [t] = await this.validTickets(app, 'sign')
    return t ? ticketSign([...values, t.value]) : null
  }
}
