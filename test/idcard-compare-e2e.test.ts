import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient, type FaceidSdk } from './support/tencent.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import { toCode } from '../src/codes/index.js'
import { seededRng } from '../src/identity/index.js'
import { cjkFontAvailable, frontSvg, randomTruth, renderCard, type SyntheticTruth } from '../src/ocr/synthetic.js'

const VIDEOS = join(DATA, 'videos/video_retalking')
const hasFont = cjkFontAvailable()
const ready =
  hasData &&
  existsSync(MODELS) &&
  existsSync(join(VIDEOS, 'face_1.mp4')) &&
  existsSync(join(VIDEOS, 'face_2.mp4')) &&
  hasFont
if (!ready) {
  console.warn(
    hasFont
      ? '[skip] ../shared/data (videos/video_retalking) or ../shared/models is absent: the ID-card comparison end-to-end tests are skipped'
      : '[skip] font "Noto Sans CJK SC" missing (apt-get install fonts-noto-cjk): the ID-card comparison end-to-end tests are skipped',
  )
}

/**
 * Compare source `idcard` end to end over HTTP: the real OCR pool cuts the portrait out of a synthetic
 * card front rendered here with a real face printed on it, and the real vision engine compares the live
 * clip with that portrait. The same person passes; a card carrying another person's face fails with the
 * similarity code.
 */
describe.skipIf(!ready)('compare source idcard, end to end (OCR pool and vision engine)', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let sdk: FaceidSdk
  let appId: string
  let ruleId: string
  const threshold = 70
  const video = () => readFileSync(join(VIDEOS, 'face_1.mp4'))
  const cards: Record<'same' | 'other', { truth: SyntheticTruth; image: Buffer }> = {} as never

  beforeAll(async () => {
    const dir = tempDir()
    const ff = (...args: string[]) => execFileSync(ffmpeg.path, ['-loglevel', 'error', '-y', ...args])
    // the portraits: a frame of the person of the live clip, and a frame of someone else
    ff('-ss', '1.0', '-i', join(VIDEOS, 'face_1.mp4'), '-frames:v', '1', join(dir, 'face_1.jpg'))
    ff('-ss', '1.0', '-i', join(VIDEOS, 'face_2.mp4'), '-frames:v', '1', join(dir, 'face_2.jpg'))
    const rng = seededRng(20261203)
    for (const [key, face] of [
      ['same', 'face_1.jpg'],
      ['other', 'face_2.jpg'],
    ] as const) {
      const truth = randomTruth(rng)
      const svg = frontSvg(truth.front, rng, { portrait: readFileSync(join(dir, face)) })
      cards[key] = { truth, image: await renderCard(svg, { angle: 3, jpegQuality: 85, blur: 0, half: false }) }
    }

    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'idcard-compare' })
    appId = c.app.appId
    sdk = faceidClient(srv.url, appId, c.secret)
    const rule = await srv.shiren.apps.createRule({
      appId,
      liveness: 'silent',
      compareSource: 'idcard',
      idcardStep: 'front',
      maxAttempts: 1,
      threshold,
    })
    expect(rule).toMatchObject({ compareSource: 'idcard', idcardStep: 'front', threshold })
    ruleId = rule.ruleId
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  /** One verification of the rule: the card front, then the face clip; the result once the queue is idle. */
  const verify = async (card: Buffer, clip: Buffer) => {
    const { BizToken } = await sdk.DetectAuth({ RuleId: ruleId, Extra: randomBytes(4).toString('hex') })
    const sent = await fetch(`${srv.url}/capture/api/idcard?token=${BizToken}&side=front`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: card,
    })
    expect(sent.status).toBe(200)
    const body = (await sent.json()) as any
    expect(body, JSON.stringify(body)).toMatchObject({
      accepted: true,
      verdict: { code: 0 },
      idcard: { done: ['front'], next: null },
    })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: clip,
    })
    expect(up.status).toBe(202)
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    return sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '0' })
  }

  it('the card carries the face of the live clip: passes (ErrCode 0) above the threshold, with the Ocr* fields of the card', async () => {
    const { truth, image } = cards.same
    const r = await verify(image, video())
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(0)
    console.log('SIM same', r.Text.Sim)
    expect(Number(r.Text.Sim)).toBeGreaterThanOrEqual(threshold)
    expect(r.Text.Comparestatus).toBe(0)
    expect(r.Text.LivenessDetail).toHaveLength(1)
    expect(r.Text.LivenessDetail[0]).toMatchObject({ Errcode: 0, IsNeedCharge: true })
    const f = truth.front
    expect(r.Text).toMatchObject({
      Name: f.name,
      IdCard: f.idNumber,
      IdInfoFrom: 'OCR',
      OcrName: f.name,
      OcrIdCard: f.idNumber,
      OcrGender: f.gender,
      OcrNation: f.nation,
      OcrBirth: f.birth,
      OcrAddress: f.address,
      OcrValidDate: null,
      OcrAuthority: null,
    })
    expect(Buffer.from(r.IdCardData.OcrFront, 'base64').equals(image)).toBe(true)
    expect(Buffer.from(r.IdCardData.Avatar, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
  })

  it("the card carries another person's face: fails with the similarity code of the h5 table (2016, billable)", async () => {
    const { truth, image } = cards.other
    const expected = toCode('h5', 'SIMILARITY_BELOW_THRESHOLD')
    expect(expected).toMatchObject({ code: 2016, billable: true })
    // a different upload of the same clip, so that it is not taken for a replay of the first case
    const r = await verify(image, Buffer.concat([video(), randomBytes(16)]))
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(expected.code)
    expect(r.Text.Comparestatus).toBe(expected.code)
    expect(r.Text.LiveStatus).toBe(0)
    console.log('SIM other', r.Text.Sim)
    expect(Number(r.Text.Sim)).toBeLessThan(threshold)
    expect(r.Text.LivenessDetail[0]).toMatchObject({ Errcode: expected.code, IsNeedCharge: expected.billable })
    expect(r.Text).toMatchObject({ OcrName: truth.front.name, OcrIdCard: truth.front.idNumber, IdInfoFrom: 'OCR' })
  })
})
