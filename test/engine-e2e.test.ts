import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import { ticketSign } from '../src/auth/index.js'

const ready = hasData && existsSync(MODELS)
if (!ready) console.warn('[skip] ../shared/data or ../shared/models is absent: the engine end-to-end tests are skipped')

/**
 * The foundation's queue running the real vision engine: a verification created through the API,
 * with media uploaded, ends with the engine's code and similarity in each family's result call.
 */
describe.skipIf(!ready)('verification with the vision engine, end to end', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let appId: string
  let secret: string
  let photoRule: string
  const media: Record<string, Buffer> = {}

  beforeAll(async () => {
    const dir = tempDir()
    const ff = (...args: string[]) => execFileSync(ffmpeg.path, ['-loglevel', 'error', '-y', ...args])
    // the person in the clip, photographed from the clip itself: a genuine reference
    ff('-ss', '1.0', '-i', join(DATA, 'videos/video_retalking/face_1.mp4'), '-frames:v', '1', join(dir, 'ref.jpg'))
    // a video made from one still photo: what a replay of a picture looks like
    const lfw = join(DATA, 'faces/lfw')
    const someone = readdirSync(lfw).sort()[3]!
    const otherPath = join(lfw, someone, readdirSync(join(lfw, someone))[0]!)
    ff(
      '-loop',
      '1',
      '-t',
      '3',
      '-i',
      otherPath,
      '-vf',
      'scale=480:-2,fps=25',
      '-pix_fmt',
      'yuv420p',
      join(dir, 'still.mp4'),
    )
    media.ref = readFileSync(join(dir, 'ref.jpg'))
    media.video = readFileSync(join(DATA, 'videos/video_retalking/face_1.mp4'))
    media.still = readFileSync(join(dir, 'still.mp4'))
    media.other = readFileSync(otherPath)

    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'e2e' })
    appId = c.app.appId
    secret = c.secret
    photoRule = (
      await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'photo', maxAttempts: 1 })
    ).ruleId
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  const captureAndWait = async (token: string, video: Buffer) => {
    await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
    const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: video,
    })
    expect(up.status).toBe(202)
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
  }

  const h5 = async (reference: Buffer, video: Buffer) => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: photoRule,
      ImageBase64: reference.toString('base64'),
      Extra: randomBytes(4).toString('hex'),
    })
    await captureAndWait(BizToken, video)
    return sdk.GetDetectInfoEnhanced({ BizToken, RuleId: photoRule, InfoType: '0' })
  }

  it('h5: the person of the reference photo passes, with a high similarity, a best frame and the video', async () => {
    const r = await h5(media.ref!, media.video!)
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(0)
    expect(Number(r.Text.Sim)).toBeGreaterThanOrEqual(70)
    expect(r.Text.LivenessDetail[0].IsNeedCharge).toBe(true)
    expect(Buffer.from(r.BestFrame.BestFrame, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    expect(Buffer.from(r.VideoData.LivenessVideo, 'base64').equals(media.video!)).toBe(true)
  })

  it("h5: another person's photo fails with the similarity code (2016, billable)", async () => {
    // a different upload of the same clip, so that it is not taken for a replay
    const r = await h5(media.other!, Buffer.concat([media.video!, randomBytes(16)]))
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(2016)
    expect(Number(r.Text.Sim)).toBeLessThan(70)
    expect(r.Text.Comparestatus).toBe(2016)
    expect(r.Text.LiveStatus).toBe(0)
    expect(r.Text.LivenessDetail[0].IsNeedCharge).toBe(true)
  })

  it('h5: a video made from one still image fails with the single-image code (1003)', async () => {
    const r = await h5(media.other!, media.still!)
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(1003)
  })

  it('digital: a recording whose sound track is silent fails with 1101; digits expire after 5 minutes (h5 3)', async () => {
    const digitalRule = (
      await srv.shiren.apps.createRule({ appId, liveness: 'digital', compareSource: 'none', maxAttempts: 2 })
    ).ruleId
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({ RuleId: digitalRule, Extra: 'digits' })
    const ch = (await (
      await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    ).json()) as any
    expect(ch.challenge.digits).toMatch(/^\d{4}$/)
    // d18: a face opening its mouth, with an audio track that holds only silence
    const silent = readFileSync(join(DATA, 'videos/liveportrait/d18.mp4'))
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: silent,
    })
    expect(up.status).toBe(202)
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    expect(session.lastAttempt).toMatchObject({ reason: 'NO_AUDIO', code: 1101 })

    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    srv.clock.advance(301)
    try {
      const late = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: Buffer.concat([silent, randomBytes(8)]),
      })
      expect(((await late.json()) as any).error).toMatchObject({ reason: 'LIVE_CODE_EXPIRED', code: 3 })
    } finally {
      srv.clock.advance(-301)
    }
  })

  it('sdk: the same verdicts through the ticket flow: 66660004 for another person, -15002 for a still image', async () => {
    const base = srv.url
    const get = async (path: string) => (await (await fetch(base + path)).json()) as any
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(base + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as any
    const token = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    const ticket = (await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${token}&type=SIGN&version=1.0.0`))
      .tickets[0].value
    const run = async (reference: Buffer, video: Buffer) => {
      const orderNo = `e2e${randomBytes(6).toString('hex')}`
      const nonce = randomBytes(16).toString('hex')
      const start = await post('/api/server/getfaceid', {
        appId,
        orderNo,
        userId: 'p1',
        version: '1.0.0',
        nonce,
        sourcePhotoStr: reference.toString('base64'),
        sourcePhotoType: '2',
        ruleId: photoRule,
        sign: ticketSign([appId, 'p1', '1.0.0', nonce, ticket]),
      })
      expect(start.code).toBe('0')
      await captureAndWait(start.result.faceId, video)
      const n2 = randomBytes(16).toString('hex')
      return post('/api/v2/base/queryfacerecord', {
        appId,
        orderNo,
        version: '1.0.0',
        nonce: n2,
        getFile: '2',
        sign: ticketSign([appId, orderNo, '1.0.0', n2, ticket]),
      })
    }
    const impostor = await run(media.other!, Buffer.concat([media.video!, randomBytes(16)]))
    expect(impostor.code).toBe('66660004')
    expect(Number(impostor.result.similarity)).toBeLessThan(70)
    const still = await run(media.other!, Buffer.concat([media.still!, randomBytes(16)]))
    expect(still.code).toBe('-15002')
  })
})
