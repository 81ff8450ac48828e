import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppService } from '../apps/index.js'
import type { PersonalDataVault } from '../crypto/index.js'
import { isReasonError, type Reason } from '../codes/index.js'
import {
  MemoryCache,
  fixedClock,
  memoryStore,
  testVault,
  type MemoryStore,
  type TestClock,
} from '../../test/support/fakes.js'
import { ticketSign } from './sha1-sign.js'
import { NONCE_INTERVAL_MS, NONCE_TICKET_TTL_S, TicketService } from './tickets.js'

// The ticket (sdk) family's tokens and tickets against a clock the test moves: lifetimes, the
// one-minute overlap after a refresh, single-use NONCE tickets, the 2-second NONCE slot, and the
// secret rotation that ends them all. Store: SQLite in memory; clock and Redis: fakes.

async function reasonOf(p: Promise<unknown>): Promise<Reason> {
  try {
    await p
  } catch (err) {
    if (isReasonError(err)) return err.reason
    throw err
  }
  throw new Error('expected a ReasonError')
}

describe('TicketService (fake clock and cache; SQLite in memory)', () => {
  let mem: MemoryStore
  let vault: PersonalDataVault
  let clock: TestClock
  let apps: AppService
  let tickets: TicketService
  let appId: string
  let secret: string

  beforeEach(async () => {
    mem = await memoryStore()
    vault = testVault()
    clock = fixedClock('2026-06-01T08:00:00Z')
    apps = new AppService(mem.store, vault)
    tickets = new TicketService(mem.store, vault, clock)
    ;({
      app: { appId },
      secret,
    } = await apps.createApp({ name: 'unit' }))
  })
  afterEach(async () => {
    await mem.close()
  })

  const accessToken = async () =>
    (await tickets.issueAccessToken({ appId, secret, grantType: 'client_credential', version: '1.0.0' })).token
  const signTicket = async (token: string) =>
    (await tickets.issueTicket({ appId, accessToken: token, type: 'SIGN', version: '1.0.0' })).value

  it('hands out the app without its sealed secret, and refuses unknown, disabled and expired apps', async () => {
    const app = await tickets.app(appId)
    expect(app.appId).toBe(appId)
    expect(Object.keys(app)).not.toContain('secretSealed')
    expect(await reasonOf(tickets.app(undefined))).toBe('MISSING_PARAMETER')
    expect(await reasonOf(tickets.app('IDANOPE'))).toBe('APP_NOT_FOUND')
    await apps.updateApp(appId, { validUntil: '2026-06-01T09:00:00Z' })
    clock.advance(3600_000)
    expect(await reasonOf(tickets.app(appId))).toBe('APP_EXPIRED')
    await apps.updateApp(appId, { enabled: false })
    expect(await reasonOf(tickets.app(appId))).toBe('APP_NOT_FOUND')
  })

  it('an access token needs version 1.0.0, client_credential and the right secret', async () => {
    const q = { appId, secret, grantType: 'client_credential', version: '1.0.0' }
    expect(await reasonOf(tickets.issueAccessToken({ ...q, version: '2.0.0' }))).toBe('VERSION_INVALID')
    expect(await reasonOf(tickets.issueAccessToken({ ...q, grantType: 'password' }))).toBe('TICKET_INVALID')
    expect(await reasonOf(tickets.issueAccessToken({ ...q, secret: secret.slice(1) + 'x' }))).toBe('TICKET_INVALID')
    const t = await tickets.issueAccessToken(q)
    expect(t.expireIn).toBe(7200)
    expect(t.expiresAt.toISOString()).toBe('2026-06-01T10:00:00.000Z')
  })

  it('after a refresh the old access token works one more minute, then LOGIN_EXPIRED', async () => {
    const old = await accessToken()
    clock.advance(1000)
    const fresh = await accessToken()
    clock.advance(59_000)
    expect(await signTicket(old)).toMatch(/\w{64}/)
    clock.advance(2000)
    expect(await reasonOf(signTicket(old))).toBe('LOGIN_EXPIRED')
    expect(await signTicket(fresh)).toMatch(/\w{64}/)
  })

  it('a SIGN ticket verifies the signature of server calls; a wrong signature is SIGNATURE_INVALID', async () => {
    const ticket = await signTicket(await accessToken())
    const app = await tickets.app(appId)
    const values = [appId, 'user-1', '1.0.0', 'nonce-abc']
    await expect(tickets.verifySignTicket(app, values, ticketSign([...values, ticket]))).resolves.toBeUndefined()
    await expect(
      tickets.verifySignTicket(app, values, ticketSign([...values, ticket]).toLowerCase()),
    ).resolves.toBeUndefined()
    expect(await reasonOf(tickets.verifySignTicket(app, [...values, 'x'], ticketSign([...values, ticket])))).toBe(
      'SIGNATURE_INVALID',
    )
    expect(await reasonOf(tickets.verifySignTicket(app, values, undefined))).toBe('SIGNATURE_INVALID')
    expect(await tickets.redirectSign(app, [appId, 'o1', '0'])).toBe(ticketSign([appId, 'o1', '0', ticket]))
  })

  it('rotating the secret ends every ticket of the old one', async () => {
    const ticket = await signTicket(await accessToken())
    const values = [appId, 'u', '1.0.0', 'n']
    await apps.rotateSecret(appId)
    const app = await tickets.app(appId)
    expect(await reasonOf(tickets.verifySignTicket(app, values, ticketSign([...values, ticket])))).toBe(
      'SIGNATURE_INVALID',
    )
    expect(await tickets.redirectSign(app, ['x'])).toBeNull()
  })

  it('NONCE tickets: one per user every 2 s, single use, 120 s of life', async () => {
    const token = await accessToken()
    const nonce = (userId?: string) =>
      tickets.issueTicket({ appId, accessToken: token, type: 'NONCE', version: '1.0.0', userId })
    expect(await reasonOf(nonce(undefined))).toBe('INVALID_PARAMETER')
    const first = await nonce('user-1')
    expect(await reasonOf(nonce('user-1'))).toBe('NONCE_TICKET_TOO_FREQUENT')
    await expect(nonce('user-2')).resolves.toBeDefined()
    clock.advance(NONCE_INTERVAL_MS)
    const second = await nonce('user-1')

    const app = await tickets.app(appId)
    const values = [appId, 'user-1', 'order-1', '1.0.0', 'face-1', 'n1']
    await tickets.consumeNonceTicket(app, 'user-1', values, ticketSign([...values, first.value]))
    expect(
      await reasonOf(tickets.consumeNonceTicket(app, 'user-1', values, ticketSign([...values, first.value]))),
    ).toBe('SIGNATURE_INVALID')
    // another user's login cannot use user-1's ticket
    expect(
      await reasonOf(tickets.consumeNonceTicket(app, 'user-2', values, ticketSign([...values, second.value]))),
    ).toBe('SIGNATURE_INVALID')
    clock.advance(NONCE_TICKET_TTL_S * 1000)
    expect(
      await reasonOf(tickets.consumeNonceTicket(app, 'user-1', values, ticketSign([...values, second.value]))),
    ).toBe('SIGNATURE_INVALID')
  })

  it('with a cache the NONCE slot lives there; a cache that is down is CACHE_UNAVAILABLE', async () => {
    const cache = new MemoryCache(clock)
    const cached = new TicketService(mem.store, vault, clock, cache)
    const token = await accessToken()
    const nonce = () => cached.issueTicket({ appId, accessToken: token, type: 'NONCE', version: '1.0.0', userId: 'u' })
    await nonce()
    // the slot is held in the cache, not in the database's guard table
    const now = clock.now()
    expect(
      await mem.store.guards.claim('nonce', `${appId}|u`, now.toISOString(), new Date(now.getTime() + 1).toISOString()),
    ).toBe(true)
    expect(await reasonOf(nonce())).toBe('NONCE_TICKET_TOO_FREQUENT')
    clock.advance(NONCE_INTERVAL_MS)
    cache.down = true
    expect(await reasonOf(nonce())).toBe('CACHE_UNAVAILABLE')
    cache.down = false
    await expect(nonce()).resolves.toMatchObject({ expireIn: NONCE_TICKET_TTL_S })
  })
})
