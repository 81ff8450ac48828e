import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, hasData, tempDir } from './support/env.js'

const video = hasData ? readFileSync(join(DATA, 'videos/liveportrait/d5.mp4')) : null
const photo = hasData ? readFileSync(join(DATA, 'spoof/vietmoney/true_001.jpg')) : null
if (!hasData) console.warn('[skip] ../shared/data is absent: lifecycle tests with real media are skipped')

async function capture(url: string, token: string, media: Buffer) {
  const ch = await fetch(`${url}/capture/api/challenge?token=${token}`, { method: 'POST' })
  const up = await fetch(`${url}/capture/api/upload?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'video/mp4' },
    body: media,
  })
  return { challenge: (await ch.json()) as any, upload: { status: up.status, json: (await up.json()) as any } }
}

describe.skipIf(!hasData)('verification lifecycle through HTTP', () => {
  let srv: TestServer
  let appId: string
  let secret: string
  let ruleId: string

  beforeAll(async () => {
    srv = await startTestServer()
    const c = await srv.shiren.apps.createApp({ name: 'life' })
    appId = c.app.appId
    secret = c.secret
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'action', compareSource: 'photo', maxAttempts: 2 }))
      .ruleId
  })
  afterAll(async () => srv?.close())

  it('an upload becomes an attempt whose job runs; without a vision engine the verdict is "not available" (1001), never a pass', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({ RuleId: ruleId, ImageBase64: photo!.toString('base64') })
    const { challenge, upload } = await capture(srv.url, BizToken, video!)
    expect(challenge.challenge.mode).toBe('action')
    expect(challenge.challenge.actions.length).toBe(2)
    expect(upload.status).toBe(202)
    expect(await srv.shiren.queue.idle(20_000)).toBe(true)
    const info = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '1' })
    // one attempt of two used: the verification stays open, its last attempt says why
    expect(info.Text.ErrCode).toBeNull()
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    expect(session.lastAttempt).toMatchObject({ reason: 'VISION_ENGINE_UNAVAILABLE', code: 1001, billable: false })
    expect(session.attemptsLeft).toBe(1)
  })

  it('the same video uploaded again is a replay (1002 / 400604) without analysis; the last attempt finishes the verification; 14 after', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: photo!.toString('base64'),
      Extra: 'replay',
    })
    const fresh = readFileSync(join(DATA, 'videos/liveportrait/d1.mp4'))
    await capture(srv.url, BizToken, fresh)
    await srv.shiren.queue.idle(20_000)
    const second = await capture(srv.url, BizToken, fresh)
    expect(second.upload.status).toBe(202)
    await srv.shiren.queue.idle(20_000)
    const info = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '1' })
    expect(info.Text.ErrCode).toBe(1002)
    expect(info.Text.LivenessDetail.map((d: any) => d.Errcode)).toEqual([1001, 1002])
    const third = await capture(srv.url, BizToken, fresh)
    expect(third.upload.status).toBe(409)
    expect(third.upload.json.error).toMatchObject({ reason: 'ALREADY_COMPLETED', code: 14 })
  })

  it('an expired token gets 15, in the capture API and in GetDetectInfoEnhanced', async () => {
    // a one-minute token: the clock moves past it while staying inside the signature's 5-minute window
    const shortRule = (
      await srv.shiren.apps.createRule({ appId, liveness: 'action', compareSource: 'photo', tokenTtlS: 60 })
    ).ruleId
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: shortRule,
      ImageBase64: photo!.toString('base64'),
      Extra: 'expiry',
    })
    srv.clock.advance(61)
    try {
      const r = await capture(srv.url, BizToken, video!)
      expect(r.upload.status).toBe(410)
      expect(r.upload.json.error).toMatchObject({ reason: 'TOKEN_EXPIRED', code: 15 })
      const info = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: shortRule, InfoType: '1' })
      expect(info.Text.ErrCode).toBe(15)
    } finally {
      srv.clock.advance(-61)
    }
  })

  it('concurrent uploads for one verification: one attempt starts, the other is refused, nothing half-written', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: photo!.toString('base64'),
      Extra: 'concurrent',
    })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const [one, other] = ['videos/grid/bbaf2n.mpg', 'videos/liveportrait/d18.mp4'].map((f) =>
      readFileSync(join(DATA, f)),
    )
    const [a, b] = await Promise.all(
      [one!, other!].map((m) =>
        fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
          method: 'POST',
          headers: { 'content-type': 'video/mp4' },
          body: m,
        }),
      ),
    )
    expect([a!.status, b!.status].sort()).toEqual([202, 409])
    await srv.shiren.queue.idle(20_000)
    const v = await srv.shiren.verifications.byToken(BizToken)
    expect(await srv.shiren.verifications.attempts(v!.id)).toHaveLength(1)
  })

  it('bad uploads get catalog codes: not a video, empty, unknown token', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: photo!.toString('base64'),
      Extra: 'bad uploads',
    })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const text = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(5000, 0x41),
    })
    expect(text.status).toBe(400)
    expect(((await text.json()) as any).error).toMatchObject({ reason: 'VIDEO_FORMAT_INVALID', code: 9 })
    const html = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'text/html' },
      body: '<html>',
    })
    expect(html.status).toBe(415)
    const unknown = await fetch(`${srv.url}/capture/api/session?token=nope`)
    expect(unknown.status).toBe(404)
  })
})

describe.skipIf(!hasData)('retention', () => {
  it('after the retention period, names, ID numbers and every media file of a verification are gone; the verdict and ledger stay', async () => {
    const srv = await startTestServer({ env: { SHIREN_RETENTION_S: '3600' } })
    try {
      const { app, secret } = await srv.shiren.apps.createApp({ name: 'retention' })
      const rule = await srv.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'silent',
        compareSource: 'photo',
        maxAttempts: 1,
      })
      const sdk = faceidClient(srv.url, app.appId, secret)
      const { BizToken } = await sdk.DetectAuth({
        RuleId: rule.ruleId,
        Name: '张三',
        IdCard: '11010519491231002X',
        ImageBase64: photo!.toString('base64'),
      })
      await capture(srv.url, BizToken, readFileSync(join(DATA, 'videos/grid/lbax4n.mpg')))
      await srv.shiren.queue.idle(20_000)
      const v = (await srv.shiren.verifications.byToken(BizToken))!
      const mediaDir = join(srv.dataDir, 'media', v.id)
      expect(readdirSync(mediaDir).length).toBeGreaterThanOrEqual(2)
      expect(await srv.shiren.verifications.purgeExpired()).toBe(0)

      srv.clock.advance(7300)
      expect(await srv.shiren.verifications.purgeExpired()).toBe(1)
      expect(readdirSync(mediaDir)).toEqual([])
      expect(await srv.shiren.verifications.identity(v)).toEqual({ name: null, idNumber: null })
      const after = (await srv.shiren.verifications.byToken(BizToken))!
      expect(after.finalCode).toBe(1001)
      const today = new Date().toISOString().slice(0, 10)
      expect((await srv.shiren.billing.usage({ from: today, to: today, appId: app.appId })).rows).toHaveLength(1)
    } finally {
      await srv.close()
    }
  })
})

describe.skipIf(!hasData)('a queued analysis survives a restart', () => {
  it('the job written with the upload runs after the process comes back', async () => {
    const dataDir = tempDir()
    const first = await startTestServer({ dataDir, startQueue: false })
    const { app, secret } = await first.shiren.apps.createApp({ name: 'restart' })
    const rule = await first.shiren.apps.createRule({
      appId: app.appId,
      liveness: 'silent',
      compareSource: 'none',
      maxAttempts: 1,
    })
    const sdk = faceidClient(first.url, app.appId, secret)
    const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId })
    const r = await capture(first.url, BizToken, video!)
    expect(r.upload.status).toBe(202)
    expect((await first.shiren.store.jobs.counts()).queued).toBe(1)
    await first.close()

    const second = await startTestServer({ dataDir, databaseUrl: `sqlite:${join(dataDir, 'shiren.db')}` })
    try {
      expect(await second.shiren.queue.idle(20_000)).toBe(true)
      const info = await faceidClient(second.url, app.appId, secret).GetDetectInfoEnhanced({
        BizToken,
        RuleId: rule.ruleId,
        InfoType: '1',
      })
      expect(info.Text.ErrCode).toBe(1001)
    } finally {
      await second.close()
    }
  })
})
