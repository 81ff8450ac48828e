import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppService, type App, type Rule, type NewRuleInput } from '../apps/index.js'
import { isReasonError, toCode, type Reason } from '../codes/index.js'
import { RegistryService } from '../registry/index.js'
import {
  MemoryBlobStore,
  MemoryCache,
  RecordingQueue,
  fixedClock,
  memoryStore,
  testVault,
  webm,
  type MemoryStore,
  type TestClock,
} from '../../test/support/fakes.js'
import { LIVE_CODE_TTL_S, VerificationService, type VerificationPolicy } from './service.js'

// The lifecycle with its I/O replaced: clock, blobs, queue and cache are fakes, the store is SQLite
// in memory. What the HTTP suites check end to end, here case by case and without a server.

interface Setup {
  mem: MemoryStore
  clock: TestClock
  blobs: MemoryBlobStore
  queue: RecordingQueue
  cache: MemoryCache
  apps: AppService
  service: VerificationService
  app: App
  rule(input?: Partial<NewRuleInput>): Promise<Rule>
}

async function setup(policy: Partial<VerificationPolicy> = {}, withCache = false): Promise<Setup> {
  const mem = await memoryStore()
  const vault = testVault()
  const clock = fixedClock('2026-06-01T08:00:00Z')
  const blobs = new MemoryBlobStore()
  const queue = new RecordingQueue()
  const cache = new MemoryCache(clock)
  const apps = new AppService(mem.store, vault)
  const registry = new RegistryService(mem.store, vault, blobs)
  const service = new VerificationService(mem.store, vault, blobs, registry, queue, clock, {
    retentionS: 3 * 86400,
    risk: { maxAttacks: 0, windowS: 3600 },
    cache: withCache ? cache : null,
    ...policy,
  })
  const { app } = await apps.createApp({ name: 'unit', concurrencyLimit: 0 })
  const rule = (input: Partial<NewRuleInput> = {}) =>
    apps.createRule({ appId: app.appId, liveness: 'action', compareSource: 'none', maxAttempts: 2, ...input })
  return { mem, clock, blobs, queue, cache, apps, service, app, rule }
}

async function reasonOf(p: Promise<unknown>): Promise<Reason> {
  try {
    await p
  } catch (err) {
    if (isReasonError(err)) return err.reason
    throw err
  }
  throw new Error('expected a ReasonError')
}

describe('VerificationService (fakes for clock, blobs, queue, cache; SQLite in memory)', () => {
  let s: Setup
  beforeEach(async () => {
    s = await setup()
  })
  afterEach(async () => {
    await s.mem.close()
  })

  it('creates a verification with the identity sealed, and a repeated request key returns the same one', async () => {
    const rule = await s.rule()
    const input = {
      app: s.app,
      rule,
      family: 'h5' as const,
      name: '张三',
      idNumber: '11010519491231002X',
      requestKey: 'sig-1',
    }
    const a = await s.service.create(input)
    expect(a.outcome).toBeNull()
    expect(a.verification.state).toBe('created')
    expect(a.verification.token).toMatch(/^[0-9A-F-]{36}$/)
    expect(a.verification.expiresAt).toBe(new Date(Date.parse('2026-06-01T08:00:00Z') + 7200_000).toISOString())
    const row = await s.mem.store.verifications.sealedIdentity(a.verification.id)
    expect(row?.idNumberSealed).not.toContain('1101')
    expect(await s.service.identity(a.verification)).toEqual({ name: '张三', idNumber: '11010519491231002X' })
    expect(await s.service.maskedIdentity(a.verification)).toEqual({ name: '张*', idNumber: '110***********002X' })
    const again = await s.service.create(input)
    expect(again.verification.id).toBe(a.verification.id)
  })

  it('an invalid ID number is a finished verdict with one attempt and one ledger row, not an API error', async () => {
    const rule = await s.rule()
    const c = await s.service.create({ app: s.app, rule, family: 'sdk', name: '张三', idNumber: '110105194912310021' })
    const code = toCode('sdk', 'ID_NUMBER_INVALID')
    expect(c.outcome).toEqual({ reason: 'ID_NUMBER_INVALID', code: code.code, billable: code.billable })
    expect(c.verification.state).toBe('finished')
    const attempts = await s.service.attempts(c.verification.id)
    expect(attempts.map((a) => [a.seq, a.reason])).toEqual([[1, 'ID_NUMBER_INVALID']])
    expect(await s.mem.store.ledger.countForAttempt(attempts[0]!.id)).toBe(1)
    expect(s.queue.jobs).toEqual([])
  })

  it('refuses a reused order number, a disabled service and the concurrency limit with their reasons', async () => {
    const rule = await s.rule()
    await s.service.create({ app: s.app, rule, family: 'sdk', orderNo: 'o1' })
    expect(await reasonOf(s.service.create({ app: s.app, rule, family: 'sdk', orderNo: 'o1' }))).toBe(
      'BUSINESS_REQUEST_INVALID',
    )
    const h5Only = { ...s.app, services: ['h5' as const, 'action' as const] }
    expect(await reasonOf(s.service.create({ app: h5Only, rule, family: 'sdk' }))).toBe('SERVICE_NOT_ENABLED')
    const limited = { ...s.app, concurrencyLimit: 1 }
    expect(await reasonOf(s.service.create({ app: limited, rule, family: 'h5' }))).toBe('CONCURRENCY_LIMIT')
  })

  it('issues the challenge of the rule: actions from the rule, four digits that expire', async () => {
    const action = await s.service.create({ app: s.app, rule: await s.rule({ actionCount: 3 }), family: 'h5' })
    const c = await s.service.challenge(action.verification.token)
    expect(c.mode === 'action' && new Set(c.actions).size).toBe(3)
    expect((await s.service.byToken(action.verification.token))?.state).toBe('capturing')

    const digital = await s.service.create({ app: s.app, rule: await s.rule({ liveness: 'digital' }), family: 'h5' })
    const d = await s.service.challenge(digital.verification.token)
    expect(d.mode === 'digital' && d.digits).toMatch(/^\d{4}$/)
    s.clock.advance((LIVE_CODE_TTL_S + 1) * 1000)
    expect(await reasonOf(s.service.upload(digital.verification.token, webm()))).toBe('LIVE_CODE_EXPIRED')
  })

  it('an upload stores the media, takes an attempt and queues exactly one typed analysis job', async () => {
    const { verification: v } = await s.service.create({ app: s.app, rule: await s.rule(), family: 'h5' })
    expect(await reasonOf(s.service.upload(v.token, webm()))).toBe('BUSINESS_REQUEST_INVALID') // no challenge yet
    await s.service.challenge(v.token)
    expect(await reasonOf(s.service.upload(v.token, Buffer.alloc(10)))).toBe('VIDEO_SIZE_INVALID')
    expect(await reasonOf(s.service.upload(v.token, Buffer.alloc(4096, 7)))).toBe('VIDEO_FORMAT_INVALID')

    const r = await s.service.upload(v.token, webm())
    expect(r.finishedAtOnce).toBe(false)
    expect(r.attempt).toMatchObject({ seq: 1, state: 'queued', mediaKind: 'video' })
    expect(s.blobs.data.has(r.attempt.mediaBlob!)).toBe(true)
    expect(s.queue.jobs).toEqual([
      { kind: 'analyse', key: `analyse:${r.attempt.id}`, payload: { attemptId: r.attempt.id } },
    ])
    expect((await s.service.byToken(v.token))?.state).toBe('analysing')
    // a second upload while the first is analysed takes no attempt
    expect(await reasonOf(s.service.upload(v.token, webm()))).toBe('BUSINESS_REQUEST_INVALID')
    expect(s.queue.jobs).toHaveLength(1)
  })

  it('a failed write of the media is BLOB_WRITE_FAILED and records no attempt', async () => {
    const { verification: v } = await s.service.create({ app: s.app, rule: await s.rule(), family: 'h5' })
    await s.service.challenge(v.token)
    s.blobs.failPuts = true
    expect(await reasonOf(s.service.upload(v.token, webm()))).toBe('BLOB_WRITE_FAILED')
    expect(await s.service.attempts(v.id)).toEqual([])
    expect((await s.service.byToken(v.token))?.attemptsUsed).toBe(0)
  })

  it('a verdict is written once with its ledger row; a failure leaves the next attempt, a pass finishes', async () => {
    const { verification: v } = await s.service.create({ app: s.app, rule: await s.rule(), family: 'h5' })
    await s.service.challenge(v.token)
    const first = (await s.service.upload(v.token, webm())).attempt
    const out = { reason: 'NO_BLINK' as const, similarity: null, signals: { blinkCount: 0 }, bestFrameBlob: null }
    await s.service.finishAttempt(first.id, out)
    await s.service.finishAttempt(first.id, out) // a repeated job changes nothing
    expect(await s.mem.store.ledger.countForAttempt(first.id)).toBe(1)
    let now = (await s.service.byToken(v.token))!
    expect(now.state).toBe('capturing')
    expect(s.service.currentReason(now)).toBeNull()

    await s.service.challenge(v.token)
    const second = (await s.service.upload(v.token, webm())).attempt
    expect(second.seq).toBe(2)
    await s.service.finishAttempt(second.id, { reason: 'PASS', similarity: null, signals: {}, bestFrameBlob: null })
    now = (await s.service.byToken(v.token))!
    expect(now).toMatchObject({ state: 'finished', finalReason: 'PASS', finalCode: 0, attemptsUsed: 2 })
    expect(s.service.currentReason(now)).toBe('PASS')
    expect(await reasonOf(s.service.challenge(v.token))).toBe('ALREADY_COMPLETED')
  })

  it('the same recording uploaded again is VIDEO_REPLAYED at once, without analysis', async () => {
    const { verification: v } = await s.service.create({
      app: s.app,
      rule: await s.rule({ maxAttempts: 3 }),
      family: 'h5',
    })
    await s.service.challenge(v.token)
    const media = webm()
    const first = (await s.service.upload(v.token, media)).attempt
    await s.service.finishAttempt(first.id, { reason: 'NO_BLINK', similarity: null, signals: {}, bestFrameBlob: null })
    await s.service.challenge(v.token)
    const again = await s.service.upload(v.token, media)
    expect(again.finishedAtOnce).toBe(true)
    expect(again.attempt).toMatchObject({ reason: 'VIDEO_REPLAYED', state: 'finished' })
    expect(s.queue.jobs).toHaveLength(1)
  })

  it('the same upload repeated (its answer lost) is the same attempt, until a new challenge is issued', async () => {
    const { verification: v } = await s.service.create({
      app: s.app,
      rule: await s.rule({ maxAttempts: 3 }),
      family: 'h5',
    })
    await s.service.challenge(v.token)
    s.clock.advance(5000)
    const media = webm()
    const first = await s.service.upload(v.token, media)
    // while it waits for analysis
    const again = await s.service.upload(v.token, media)
    expect(again).toMatchObject({ repeated: true, attempt: { id: first.attempt.id, seq: 1 } })
    // after a failed verdict, with attempts left and no new challenge
    s.clock.advance(2000)
    await s.service.finishAttempt(first.attempt.id, {
      reason: 'NO_BLINK',
      similarity: null,
      signals: {},
      bestFrameBlob: null,
    })
    const late = await s.service.upload(v.token, media)
    expect(late).toMatchObject({ repeated: true, attempt: { id: first.attempt.id, reason: 'NO_BLINK' } })
    expect(s.queue.jobs).toHaveLength(1)
    expect((await s.service.byToken(v.token))!.attemptsUsed).toBe(1)
    // another recording is a new attempt as ever
    expect((await s.service.upload(v.token, webm())).attempt.seq).toBe(2)
  })

  it('an unused token expires on the clock: TOKEN_EXPIRED for the page and as the caller-visible result', async () => {
    const { verification: v } = await s.service.create({
      app: s.app,
      rule: await s.rule({ tokenTtlS: 60 }),
      family: 'h5',
    })
    s.clock.advance(61_000)
    expect(await reasonOf(s.service.challenge(v.token))).toBe('TOKEN_EXPIRED')
    expect(s.service.currentReason((await s.service.byToken(v.token))!)).toBe('TOKEN_EXPIRED')
  })

  it('retention deletes the media and the sealed identity once the keep-until time has passed', async () => {
    const { verification: v } = await s.service.create({
      app: s.app,
      rule: await s.rule(),
      family: 'h5',
      name: '张三',
      idNumber: '11010519491231002X',
    })
    await s.service.challenge(v.token)
    const a = (await s.service.upload(v.token, webm())).attempt
    await s.service.finishAttempt(a.id, { reason: 'PASS', similarity: null, signals: {}, bestFrameBlob: null })
    expect(await s.service.purgeExpired()).toBe(0)
    s.clock.advance(3 * 86400_000 + 1000)
    expect(await s.service.purgeExpired()).toBe(1)
    expect(s.blobs.data.size).toBe(0)
    expect(await s.service.identity(v)).toEqual({ name: null, idNumber: null })
  })
})

describe('VerificationService with a cache (the live challenge held in Redis)', () => {
  it('checks an upload against the cached challenge, and a cache that is down is CACHE_UNAVAILABLE', async () => {
    const s = await setup({}, true)
    try {
      const { verification: v } = await s.service.create({ app: s.app, rule: await s.rule(), family: 'h5' })
      await s.service.challenge(v.token)
      s.cache.down = true
      expect(await reasonOf(s.service.upload(v.token, webm()))).toBe('CACHE_UNAVAILABLE')
      expect(await s.service.attempts(v.id)).toEqual([])
      s.cache.down = false
      expect((await s.service.upload(v.token, webm())).attempt.seq).toBe(1)
    } finally {
      await s.mem.close()
    }
  })
})

describe('retention: keep-until times', () => {
  it('an app’s own days, else the server default; 0 keeps a finished result one token lifetime; a change reschedules', async () => {
    const s = await setup()
    try {
      const v = { createdAt: '2026-06-01T08:00:00.000Z', expiresAt: '2026-06-01T10:00:00.000Z' }
      const done = { ...v, finishedAt: '2026-06-01T08:05:00.000Z' }
      expect(s.service.retentionOf({ retentionDays: null })).toBe(3 * 86400)
      expect(s.service.retentionOf({ retentionDays: 1 })).toBe(86400)
      expect(s.service.keepUntil(86400, done)).toBe('2026-06-02T08:05:00.000Z')
      // 0: the caller has the token's lifetime (here 2 h) to fetch it once
      expect(s.service.keepUntil(0, done)).toBe('2026-06-01T10:05:00.000Z')
      // unfinished: at least to the end of its token
      expect(s.service.keepUntil(60, { ...v, finishedAt: null })).toBe('2026-06-01T10:00:00.000Z')
      expect(s.service.keepUntil(86400, { ...v, finishedAt: null })).toBe('2026-06-02T08:00:00.000Z')

      const rule = await s.rule({ compareSource: 'none' })
      const { verification } = await s.service.create({ app: s.app, rule, family: 'h5' })
      const created = s.clock.now().getTime()
      expect(Date.parse(verification.purgeAfter)).toBe(created + 3 * 86400_000)
      const shorter = await s.apps.updateApp(s.app.appId, { retentionDays: 1 })
      expect(await s.service.applyRetention(shorter)).toBe(1)
      expect(Date.parse((await s.service.byId(verification.id))!.purgeAfter)).toBe(created + 86400_000)
      // a shorter period never resurrects what is already due: purged rows are not rescheduled
      s.clock.advance(2 * 86400_000)
      expect(await s.service.purgeExpired()).toBe(0) // nothing personal was held
      expect(await s.service.applyRetention({ appId: s.app.appId, retentionDays: 30 })).toBe(0)
    } finally {
      await s.mem.close()
    }
  })
})
