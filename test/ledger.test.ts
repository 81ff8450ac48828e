import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ulid } from 'ulid'
import { REASON_NAMES, hasCode, toCode, type Family } from '../src/codes/index.js'
import { startTestServer, type TestServer } from './support/server.js'

// Every reason, in every family where it has a code, bills exactly as the catalog says.
describe('billing ledger agrees with the catalog for every reason', () => {
  let srv: TestServer
  let appId: string
  let ruleId: string

  beforeAll(async () => {
    srv = await startTestServer()
    appId = (await srv.shiren.apps.createApp({ name: 'ledger' })).app.appId
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none', maxAttempts: 1 }))
      .ruleId
  })
  afterAll(async () => srv?.close())

  for (const family of ['h5', 'sdk'] as Family[]) {
    it(`${family}: one ledger row per finished attempt, with the catalog's code and billing flag`, async () => {
      const s = srv.shiren
      const app = (await s.store.apps.get(appId))!
      const rule = (await s.store.rules.get(ruleId))!
      const reasons = REASON_NAMES.filter((r) => hasCode(family, r))
      expect(reasons.length).toBeGreaterThan(80)
      const attemptIds = new Map<string, string>()
      for (const reason of reasons) {
        const { verification: v } = await s.verifications.create({
          app,
          rule,
          family,
          orderNo: family === 'sdk' ? `o${ulid()}` : null,
        })
        const attemptId = `att_${ulid().toLowerCase()}`
        await s.store.attempts.insert({
          id: attemptId,
          verificationId: v.id,
          seq: 1,
          mediaBlob: null,
          mediaKind: null,
          mediaHash: null,
          createdAt: new Date().toISOString(),
        })
        await s.verifications.finishAttempt(attemptId, { reason, similarity: null, signals: {}, bestFrameBlob: null })
        // finishing twice (a retried job) must not bill twice
        await s.verifications.finishAttempt(attemptId, { reason, similarity: null, signals: {}, bestFrameBlob: null })
        attemptIds.set(reason, attemptId)
      }
      const today = new Date().toISOString().slice(0, 10)
      const usage = await s.billing.usage({ from: today, to: today, appId })
      for (const reason of reasons) {
        expect(await s.store.ledger.countForAttempt(attemptIds.get(reason)!)).toBe(1)
        const { code, billable } = toCode(family, reason)
        const row = usage.rows.find((r) => r.family === family && r.code === code)
        expect(row, `${family} ${reason}`).toBeDefined()
        // rows aggregate per code: a billable code is never counted free and the reverse
        expect(billable ? row!.free : row!.billable, `${family} ${reason} → ${code}`).toBe(0)
      }
      const perCode = new Map<number, number>()
      for (const reason of reasons)
        perCode.set(toCode(family, reason).code, (perCode.get(toCode(family, reason).code) ?? 0) + 1)
      for (const [code, n] of perCode) {
        const row = usage.rows.find((r) => r.family === family && r.code === code)!
        expect(row.billable + row.free).toBe(n)
      }
    })
  }
})
