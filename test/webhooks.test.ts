import { afterAll, describe, expect, it } from 'vitest'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { startTestServer, type TestServer } from './support/server.js'
import { databaseUrl, dialects, tempDir } from './support/env.js'
import { faceidClient } from './support/tencent.js'
// the README's recipe, exactly as receivers are told to use it
import { makeDeduper, verifyShirenSignature } from '../docs/examples/verify-webhook.js'

interface Received {
  headers: IncomingHttpHeaders
  raw: Buffer
  status: number
}

/** A receiver on loopback that answers 500 to its first `failFirst` deliveries, 200 after. */
async function receiver(failFirst: number) {
  const got: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const status = got.length < failFirst ? 500 : 200
      got.push({ headers: req.headers, raw: Buffer.concat(chunks), status })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/shiren-hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

async function until(what: string, ok: () => boolean, ms = 20_000) {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** bytes the upload accepts as MP4 (the analysis then answers "engine not available": no vision here) */
const fakeMp4 = () => Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), randomBytes(4096)])

const NAME = '张三'
const BAD_ID = '110101199003077777'

describe("the README's receiver recipe", () => {
  it('is quoted in README.md exactly as the file the tests verify signatures with', () => {
    const recipe = readFileSync(new URL('../docs/examples/verify-webhook.ts', import.meta.url), 'utf8').trim()
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain('```ts\n' + recipe + '\n```')
  })
})

for (const dialect of await dialects()) {
  describe(`completion webhooks on ${dialect}`, () => {
    const dataDir = tempDir()
    let db: Awaited<ReturnType<typeof databaseUrl>>
    let srv: TestServer | null = null
    let hook: Awaited<ReturnType<typeof receiver>> | null = null
    const env = { SHIREN_WEBHOOK_ALLOW_PRIVATE: '1', SHIREN_WEBHOOK_BACKOFF_MS: '300', SHIREN_RETENTION_S: '60' }
    afterAll(async () => {
      await srv?.stop()
      await hook?.close()
      await db?.drop()
    })

    it('fails 3 deliveries, survives a restart, and ends with exactly one idempotency key per outcome among correctly signed deliveries', async () => {
      db = await databaseUrl(dialect, dataDir)
      hook = await receiver(3)
      srv = await startTestServer({ dataDir, databaseUrl: db.url, env })
      const admin = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${srv!.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${srv!.shiren.adminToken}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
        return { status: res.status, json: (await res.text().then((t) => (t ? JSON.parse(t) : null))) as any }
      }
      const app = (await admin('POST', '/v1/apps', { name: 'hooks' })).json
      const appId: string = app.app.appId
      const ruleId: string = (
        await admin('POST', '/v1/rules', { appId, liveness: 'action', compare: 'none', maxAttempts: 1 })
      ).json.ruleId
      const shortRule: string = (
        await admin('POST', '/v1/rules', { appId, liveness: 'action', compare: 'none', tokenTtlS: 60 })
      ).json.ruleId
      // bad URLs are the family's 400, not a 500
      expect((await admin('PUT', `/v1/apps/${appId}/webhook`, { url: 'ftp://x' })).json.error.reason).toBe(
        'INVALID_PARAMETER',
      )
      expect((await admin('PUT', `/v1/apps/NOAPP/webhook`, { url: hook.url })).status).toBe(404)
      // odd input is a 4xx with a reason, never a 500
      for (const [method, path, body] of [
        ['GET', '/v1/webhooks/events?limit=1e309'],
        ['GET', '/v1/webhooks/events?limit=0'],
        ['POST', '/v1/webhooks/events/%00/retry'],
        ['POST', `/v1/apps/${appId}/webhook/rotate`, { overlapS: -1 }],
        ['PUT', `/v1/apps/${appId}/webhook`, { url: `https://example.com/${'a'.repeat(3000)}` }],
      ] as Array<[string, string, unknown?]>) {
        const r = await admin(method, path, body)
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400)
        expect(r.status, `${method} ${path}`).toBeLessThan(500)
        expect(typeof r.json.error.reason).toBe('string')
      }
      const set = await admin('PUT', `/v1/apps/${appId}/webhook`, { url: hook.url })
      expect(set.status).toBe(200)
      const firstSecret: string = set.json.secret
      expect(firstSecret).toMatch(/^whsec_/)
      expect((await admin('GET', `/v1/apps/${appId}/webhook`)).json).toMatchObject({ url: hook.url, enabled: true })

      const sdk = faceidClient(srv.url, appId, app.secret)
      // 1: finished at once (an invalid ID number is a verdict) — queued in the creating transaction
      const early = await sdk.DetectAuth({ RuleId: ruleId, Name: NAME, IdCard: BAD_ID, Extra: 'early' })
      // 2: finished by the analysis job (no vision engine here: "not available", the only attempt)
      const analysed = await sdk.DetectAuth({ RuleId: ruleId })
      await fetch(`${srv.url}/capture/api/challenge?token=${analysed.BizToken}`, { method: 'POST' })
      const up = await fetch(`${srv.url}/capture/api/upload?token=${analysed.BizToken}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: fakeMp4(),
      })
      expect(up.status).toBe(202)
      // 3: never captured: expires (the sweep announces it)
      const expired = await sdk.DetectAuth({ RuleId: shortRule })
      srv.clock.advance(61)
      expect(await srv.shiren.webhooks.sweepExpired()).toBe(1)
      expect(await srv.shiren.webhooks.sweepExpired()).toBe(0)

      // the first three deliveries fail; the api process then stops, with deliveries still owed
      await until('3 failed deliveries', () => hook!.got.length >= 3)
      await srv.stop()
      srv = null
      const beforeRestart = hook.got.length
      expect(hook.got.slice(0, 3).every((g) => g.status === 500)).toBe(true)
      // at least one outcome was still owed when the process stopped
      const owed = new Set(hook.got.filter((g) => g.status === 200).map((g) => JSON.parse(g.raw.toString()).data.token))
      expect(owed.size).toBeLessThan(3)

      // a new process on the same data: the queued deliveries survive and go out
      srv = await startTestServer({ dataDir, databaseUrl: db.url, env })
      const tokens = [early.BizToken, analysed.BizToken, expired.BizToken]
      const delivered = () =>
        new Set(hook!.got.filter((g) => g.status === 200).map((g) => JSON.parse(g.raw.toString()).data.token as string))
      await until('one successful delivery per outcome', () => tokens.every((t) => delivered().has(t)))

      // rotation with overlap: both secrets sign the operator's retry of the first event
      const events = (await admin('GET', `/v1/webhooks/events?appId=${appId}`)).json as any[]
      expect(events).toHaveLength(3)
      const rot = await admin('POST', `/v1/apps/${appId}/webhook/rotate`, { overlapS: 3600 })
      expect(rot.status).toBe(200)
      const secondSecret: string = rot.json.secret
      expect(rot.json.webhook.previousSecretUntil).not.toBeNull()
      const earlyEvent = events.find((e) => e.data.token === early.BizToken)
      const n = hook.got.length
      expect((await admin('POST', `/v1/webhooks/events/${earlyEvent.id}/retry`)).status).toBe(202)
      await until('the retried delivery', () => hook!.got.length > n)
      const retried = hook.got.at(-1)!
      const sig = String(retried.headers['shiren-signature'])
      expect(sig.match(/v1=/g)).toHaveLength(2)
      expect(verifyShirenSignature(retried.raw, sig, secondSecret)).toBe(true)
      expect(verifyShirenSignature(retried.raw, sig, firstSecret)).toBe(true)

      // the receiver's view, checked with the README's recipe
      const isNew = makeDeduper()
      const keysByToken = new Map<string, Set<string>>()
      let signed = 0
      let duplicates = 0
      for (const g of hook.got) {
        const header = g.headers['shiren-signature'] as string
        const ok =
          verifyShirenSignature(g.raw, header, firstSecret) || verifyShirenSignature(g.raw, header, secondSecret)
        // the check can fail: a wrong secret, a changed body or an old timestamp do
        expect(verifyShirenSignature(g.raw, header, 'whsec_wrong')).toBe(false)
        expect(verifyShirenSignature(Buffer.concat([g.raw, Buffer.from(' ')]), header, firstSecret)).toBe(false)
        const t = Number(/t=(\d+)/.exec(header)![1])
        expect(verifyShirenSignature(g.raw, header, firstSecret, 300, t + 301)).toBe(false)
        if (!ok) continue
        signed++
        const body = JSON.parse(g.raw.toString())
        const key = g.headers['idempotency-key'] as string
        expect(g.headers['shiren-event-id']).toBe(body.id)
        if (!isNew(key)) duplicates++
        if (!keysByToken.has(body.data.token)) keysByToken.set(body.data.token, new Set())
        keysByToken.get(body.data.token)!.add(key)
        // no personal data: neither the name nor the ID number travel
        expect(g.raw.toString()).not.toContain(NAME)
        expect(g.raw.toString()).not.toContain(BAD_ID)
      }
      console.log(
        `[webhooks ${dialect}] ${hook.got.length} deliveries (${beforeRestart} before the restart), ${signed} correctly signed, ${duplicates} duplicates, keys per outcome: ${tokens.map((t) => keysByToken.get(t)?.size ?? 0).join('/')}`,
      )
      expect(signed).toBe(hook.got.length)
      expect(tokens.map((t) => keysByToken.get(t)?.size)).toEqual([1, 1, 1])
      expect(duplicates).toBeGreaterThanOrEqual(3)

      // what was sent: the code in the app's family, liveness status, the event types
      const byToken = (t: string) =>
        JSON.parse(hook!.got.find((g) => JSON.parse(g.raw.toString()).data.token === t)!.raw.toString())
      // the same code as the results API answers
      const errCode = async (BizToken: string, RuleId: string) =>
        (await faceidClient(srv!.url, appId, app.secret).GetDetectInfoEnhanced({ BizToken, RuleId, InfoType: '1' }))
          .Text.ErrCode as number
      expect(byToken(early.BizToken)).toMatchObject({
        type: 'verification.finished',
        data: {
          code: await errCode(early.BizToken, ruleId),
          reason: 'ID_NUMBER_INVALID',
          liveness: 'not_checked',
          appId,
          ruleId,
        },
      })
      expect(byToken(analysed.BizToken)).toMatchObject({
        type: 'verification.finished',
        data: {
          code: await errCode(analysed.BizToken, ruleId),
          reason: 'VISION_ENGINE_UNAVAILABLE',
          liveness: 'failed',
          similarity: null,
        },
      })
      expect(byToken(expired.BizToken)).toMatchObject({
        type: 'verification.expired',
        data: { code: 15, reason: 'TOKEN_EXPIRED', liveness: 'not_checked' },
      })

      // the delivery log: every try with its status, the 3 failures included, then delivered
      // the receiver has answered 200 a moment before the delivery job records it: wait for the record
      let log: any[] = []
      const deadline = Date.now() + 20_000
      do {
        log = (await admin('GET', `/v1/webhooks/events?appId=${appId}`)).json as any[]
        if (log.every((e) => e.state === 'delivered')) break
        await new Promise((r) => setTimeout(r, 100))
      } while (Date.now() < deadline)
      expect(log.map((e) => e.state)).toEqual(log.map(() => 'delivered'))
      const tries = log.flatMap((e) => e.deliveries)
      expect(tries.filter((d: any) => d.statusCode === 500)).toHaveLength(3)
      expect(tries.some((d: any) => d.trigger === 'manual' && d.statusCode === 200)).toBe(true)
      expect(tries.length).toBe(hook.got.length)

      // erasure's entry point: one verification's events and tries go, the others stay
      const earlyId = log.find((e) => e.data.token === early.BizToken).verificationId
      expect(await srv.shiren.store.webhooks.deleteForVerification(earlyId)).toBe(1)
      const left = (await admin('GET', `/v1/webhooks/events?appId=${appId}`)).json as any[]
      expect(left.map((e) => e.data.token).sort()).toEqual([analysed.BizToken, expired.BizToken].sort())
      expect(await srv.shiren.store.webhooks.deliveriesFor([earlyEvent.id])).toEqual([])

      // kept as long as the verifications: the retention sweep takes the log with them
      srv.clock.advance(3600)
      await srv.shiren.verifications.purgeExpired()
      expect((await admin('GET', `/v1/webhooks/events?appId=${appId}`)).json).toEqual([])
    })
  })
}
