import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { faceidClient, type FaceidSdk } from './support/tencent.js'
import { ticketSign } from '../src/auth/index.js'
import { toCode } from '../src/codes/index.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import { loadFaceDetector, type FaceDetector } from '../src/vision/index.js'
import type { LightShown, LightStep } from '../src/liveness/index.js'
import {
  TEST_CONDITIONS,
  encodeCapture,
  loadSourceClip,
  reportOf,
  rng,
  scheduleOf,
  type SourceClip,
} from './support/light-synth.js'

const clipPath = join(DATA, 'videos/liveportrait/d13.mp4')
const ready = hasData && existsSync(MODELS) && existsSync(clipPath)
if (!ready)
  console.warn('[skip] ../shared/data videos or ../shared/models are absent: the light HTTP tests are skipped')

/**
 * Light-reflection liveness over HTTP, in both families: a verification with a `light` rule created
 * through DetectAuth (h5) and through the ticket flow (sdk); the page's part played by the test: ask for
 * the challenge, have each colour revealed in turn (the test clock stands in for the time each colour
 * is on screen), then upload a recording made from a real clip tinted physically by the colours
 * revealed (test/support/light-synth.ts), with the times they were shown.
 */
describe.skipIf(!ready)('light liveness over HTTP, both families', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let detector: FaceDetector
  let clip: SourceClip
  let dir: string
  let appId: string
  let secret: string
  let ruleId: string
  let h5: FaceidSdk
  let ticket: string

  beforeAll(async () => {
    dir = tempDir()
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    detector = await loadFaceDetector(MODELS)
    clip = await loadSourceClip(detector, clipPath, 'd13', { maxSide: 480, maxFrames: 140, halve: false })
    const c = await srv.shiren.apps.createApp({ name: 'light-http' })
    appId = c.app.appId
    secret = c.secret
    h5 = faceidClient(srv.url, appId, secret)
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'light', compareSource: 'none', maxAttempts: 2 }))
      .ruleId
    const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
    const access = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    ticket = (await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=SIGN&version=1.0.0`))
      .tickets[0].value
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  const post = async (path: string, body?: unknown) => {
    const r = await fetch(srv.url + path, {
      method: 'POST',
      ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as any }
  }

  /** A verification in each family: [family, token, read the code back]. */
  async function verifications(): Promise<Array<{ family: 'h5' | 'sdk'; token: string; code: () => Promise<string> }>> {
    const { BizToken } = await h5.DetectAuth({ RuleId: ruleId, Extra: randomBytes(4).toString('hex') })
    const orderNo = `lt${randomBytes(6).toString('hex')}`
    const nonce = randomBytes(16).toString('hex')
    const start = await post('/api/server/getfaceid', {
      appId,
      orderNo,
      userId: 'p1',
      version: '1.0.0',
      nonce,
      ruleId,
      sign: ticketSign([appId, 'p1', '1.0.0', nonce, ticket]),
    })
    expect(start.body.code).toBe('0')
    return [
      {
        family: 'h5',
        token: BizToken,
        code: async () =>
          String((await h5.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '1' })).Text.ErrCode),
      },
      {
        family: 'sdk',
        token: start.body.result.faceId,
        code: async () => {
          const n2 = randomBytes(16).toString('hex')
          return (
            await post('/api/v2/base/queryfacerecord', {
              appId,
              orderNo,
              version: '1.0.0',
              nonce: n2,
              sign: ticketSign([appId, orderNo, '1.0.0', n2, ticket]),
            })
          ).body.code as string
        },
      },
    ]
  }

  /** The page's part: the challenge, then every colour revealed in order as it is shown. */
  async function showSequence(token: string): Promise<{ nonce: string; steps: LightStep[] }> {
    const ch = await post(`/capture/api/challenge?token=${token}`)
    expect(ch.status).toBe(200)
    const c = ch.body.challenge
    expect(c).toMatchObject({ mode: 'light', revealed: 0 })
    // the page sees how many colours come, never which
    expect(c.steps).toBeUndefined()
    expect(c.count).toBeGreaterThanOrEqual(6)
    const steps: LightStep[] = []
    for (let seq = 0; seq < c.count; seq++) {
      if (seq === 1) {
        // asked too early (the first colour has just appeared; the clock held back so a slow machine cannot pass time): refused
        srv.clock.advance(-1)
        const early = await post(`/capture/api/light/next?token=${token}&nonce=${c.nonce}&seq=1`)
        srv.clock.advance(1)
        expect(early.status).toBe(409)
      }
      if (seq > 0) srv.clock.advance(steps[seq - 1]!.ms / 1000)
      const r = await post(`/capture/api/light/next?token=${token}&nonce=${c.nonce}&seq=${seq}`)
      expect(r.status, JSON.stringify(r.body)).toBe(200)
      steps.push({ colour: r.body.colour, ms: r.body.ms })
    }
    return { nonce: c.nonce, steps }
  }

  let n = 0
  /** The clip tinted by `tinted`'s colours, reported as showing `reported` (the same times). */
  async function recording(tinted: LightStep[]): Promise<{ bytes: Buffer; shown: LightShown; recMs: number }> {
    const r = rng(100 + n)
    const schedule = scheduleOf(tinted, 1.0)
    const durationS = schedule.endS + 0.7
    const bytes = await encodeCapture(
      { clip, schedule, geometry: 'face', cond: TEST_CONDITIONS, durationS, seed: 7 + n },
      ffmpeg.path,
      join(dir, `light-${n++}.mp4`),
    )
    return { bytes, shown: reportOf(schedule, r, 0.005), recMs: Math.round(durationS * 1000) }
  }

  const upload = (token: string, nonce: string, rec: { bytes: Buffer; shown: LightShown; recMs: number }, pad = 0) =>
    fetch(
      `${srv.url}/capture/api/upload?token=${token}&recMs=${rec.recMs}&nonce=${nonce}&shown=${encodeURIComponent(JSON.stringify(rec.shown))}`,
      {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        // a trailing byte keeps a second upload of the same file from being a replay
        body: Buffer.concat([rec.bytes, Buffer.alloc(pad)]),
      },
    )

  it('passes a clip tinted with its issued sequence; the same clip fails against a new challenge (66660025 / 1005); a reused challenge is refused', async () => {
    const pass = await verifications()
    const kept: Array<{ bytes: Buffer; shown: LightShown; recMs: number; steps: LightStep[] }> = []
    for (const v of pass) {
      const { nonce, steps } = await showSequence(v.token)
      const rec = await recording(steps)
      kept.push({ ...rec, steps })
      expect((await upload(v.token, nonce, rec)).status).toBe(202)
    }
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    const why = async (token: string) =>
      JSON.stringify(
        (await srv.shiren.verifications.attempts((await srv.shiren.verifications.byToken(token))!.id)).map((a) => [
          a.reason,
          a.signals,
        ]),
      )
    expect({ h5: await pass[0]!.code(), sdk: await pass[1]!.code() }, await why(pass[0]!.token)).toEqual({
      h5: '0',
      sdk: '0',
    })

    // the recordings made for those challenges, against new ones
    const again = await verifications()
    const nonces: string[] = []
    for (const [i, v] of again.entries()) {
      const { nonce, steps } = await showSequence(v.token)
      nonces.push(nonce)
      const old = kept[i]!
      // the page reports the times of the colours it showed now; the recording reflects the old ones
      const shown = reportOf(scheduleOf(steps, 1.0), rng(5), 0.005)
      // (the recorder's length is the file's: a longer new sequence then ends after the video, also 66660025)
      expect((await upload(v.token, nonce, { bytes: old.bytes, shown, recMs: old.recMs }, 1)).status).toBe(202)
    }
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    for (const v of again) {
      const attempts = await srv.shiren.verifications.attempts((await srv.shiren.verifications.byToken(v.token))!.id)
      expect(attempts.at(-1)!.reason, await why(v.token)).toBe('LIGHT_LIVENESS_FAILED')
      expect(attempts.at(-1)!.code).toBe(v.family === 'h5' ? 1005 : 66660025)
    }
    // a second upload with the challenge already judged: refused in the family's code, nothing queued
    for (const [i, v] of again.entries()) {
      const r = await upload(v.token, nonces[i]!, kept[i]!, 2)
      expect(r.status).toBe(409)
      const body = (await r.json()) as any
      expect(body.error.code).toBe(toCode(v.family, 'BUSINESS_REQUEST_INVALID').code)
      expect(body.error.detail ?? body.error.message.en).toBeTruthy()
    }
    expect(
      (await srv.shiren.verifications.attempts((await srv.shiren.verifications.byToken(again[0]!.token))!.id)).length,
    ).toBe(1)
  }, 300_000)

  it("a rule's fallback mode for a person who declines the flashes; without one, declining is refused", async () => {
    await expect(
      srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none', lightFallback: 'action' }),
    ).rejects.toMatchObject({ reason: 'INVALID_PARAMETER' })
    const withFallback = await srv.shiren.apps.createRule({
      appId,
      liveness: 'light',
      compareSource: 'none',
      lightFallback: 'action',
    })
    expect((await srv.shiren.apps.getRule(withFallback.ruleId))!.lightFallback).toBe('action')
    const a = await h5.DetectAuth({ RuleId: withFallback.ruleId })
    const before = await (await fetch(`${srv.url}/capture/api/session?token=${a.BizToken}`)).json()
    expect(before).toMatchObject({ liveness: 'light', lightFallback: true })
    const d = await post(`/capture/api/light/decline?token=${a.BizToken}`)
    expect(d.status).toBe(200)
    expect(d.body.challenge.mode).toBe('action')
    expect(d.body.session).toMatchObject({ liveness: 'action', lightFallback: false })
    // the choice holds for the verification: the next challenge is the fallback's again
    expect((await post(`/capture/api/challenge?token=${a.BizToken}`)).body.challenge.mode).toBe('action')
    // the main rule names no fallback: the person cannot leave the light check
    const b = await h5.DetectAuth({ RuleId: ruleId })
    const refused = await post(`/capture/api/light/decline?token=${b.BizToken}`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe(toCode('h5', 'BUSINESS_REQUEST_INVALID').code)
  })
})
