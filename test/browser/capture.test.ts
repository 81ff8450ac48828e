import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { faceidClient } from '../support/tencent.js'
import { DATA, MODELS, hasData } from '../support/env.js'
import { createVisionEngine } from '../../src/vision/index.js'
import { DESKTOP, PHONE, cameraClip, ensureWebBuild, ff, foreignRequests, hasChromium, launch, microphoneClip, openPage, shot } from './support.js'

const ready = hasChromium && hasData && existsSync(MODELS)
if (!hasChromium) console.warn('[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the browser tests of the capture page are skipped')
else if (!ready) console.warn('[skip] ../shared/data or ../shared/models is absent: the browser capture tests are skipped')

/**
 * The whole h5 flow in a real browser with a fake camera made from real videos: the official Tencent
 * SDK calls DetectAuth, Chromium opens the Url, consents, records, uploads, is redirected, and
 * GetDetectInfoEnhanced returns the code and similarity the vision engine gave.
 */
describe.skipIf(!ready)('capture page, h5 family, in Chromium', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createVisionEngine>>
  let b: Awaited<ReturnType<typeof launch>>
  let appId: string
  let secret: string
  let silentRule: string
  let actionRule: string
  const clip: Record<string, string> = {}
  const photo: Record<string, Buffer> = {}

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch()
    const dir = b.dir
    const face1 = join(DATA, 'videos/video_retalking/face_1.mp4')
    ff('-ss', '1.0', '-i', face1, '-frames:v', '1', join(dir, 'ref.jpg'))
    const lfw = join(DATA, 'faces/lfw')
    const someone = readdirSync(lfw).sort()[3]!
    const otherPath = join(lfw, someone, readdirSync(join(lfw, someone))[0]!)
    photo.ref = readFileSync(join(dir, 'ref.jpg'))
    photo.other = readFileSync(otherPath)
    clip.genuine = cameraClip(face1, join(dir, 'genuine.y4m'), { seconds: 4 })
    clip.still = cameraClip(otherPath, join(dir, 'still.y4m'), { still: true, seconds: 3 })
    b.useMicrophone(microphoneClip(face1, join(dir, 'mic.wav')))
    b.useCamera(clip.genuine)
    engine = await createVisionEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'browser-h5' })
    appId = c.app.appId
    secret = c.secret
    silentRule = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'photo', maxAttempts: 1 })).ruleId
    actionRule = (await srv.shiren.apps.createRule({ appId, liveness: 'action', compareSource: 'photo', maxAttempts: 2 })).ruleId
    await built
  }, 240_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
    await engine?.close()
  })

  const detectAuth = async (ruleId: string, reference: Buffer) => {
    const sdk = faceidClient(srv.url, appId, secret)
    const r = await sdk.DetectAuth({ RuleId: ruleId, ImageBase64: reference.toString('base64'), RedirectUrl: `${srv.url}/healthz?from=capture`, Extra: randomBytes(4).toString('hex') })
    return { sdk, ...(r as { BizToken: string; Url: string }) }
  }

  /** the engine's signals of a verification's attempts, for failure messages */
  const signals = async (token: string) => {
    const v = await srv.shiren.verifications.byToken(token)
    return JSON.stringify((await srv.shiren.verifications.attempts(v!.id)).map((a) => (a as { signals?: unknown }).signals))
  }

  /** consent → camera → record → upload → verdict, as a person would click through it */
  const capture = async (page: Page, name: string, viewport: 'phone' | 'desktop' = 'phone') => {
    await page.waitForSelector('[data-screen="consent"]')
    await shot(page, `${name}-consent-${viewport}`)
    await page.click('#agree')
    await page.waitForSelector('[data-screen="camera"]')
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement | null)?.readyState === 4)
    await shot(page, `${name}-camera-${viewport}`)
    await page.click('#start')
    await page.waitForSelector('[data-screen="recording"]')
    await shot(page, `${name}-recording-${viewport}`)
  }

  it('a genuine person passes against their photo; the browser is sent back with the BizToken; the result has the engine\'s code and similarity', async () => {
    b.useCamera(clip.genuine!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.ref!)
    expect(Url.startsWith(srv.url)).toBe(true)
    const { context, page, requests, problems } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
    await page.goto(Url)
    await capture(page, 'h5-pass')
    await page.waitForURL(/\/healthz\?/, { timeout: 90_000 })
    const back = new URL(page.url())
    expect(back.searchParams.get('BizToken')).toBe(BizToken)
    expect(back.searchParams.get('token')).toBe(BizToken)
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: silentRule, InfoType: '0' })
    expect(r.Text.ErrCode, await signals(BizToken)).toBe(0)
    expect(Number(r.Text.Sim)).toBeGreaterThanOrEqual(70)
    // the best frame and the video are what the browser recorded (a WebM from MediaRecorder)
    expect(Buffer.from(r.BestFrame.BestFrame, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    expect(Buffer.from(r.VideoData.LivenessVideo, 'base64').subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))
    expect(foreignRequests(requests, srv.url)).toEqual([])
    expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([])
    await context.close()
  }, 150_000)

  it('another person\'s photo fails with the similarity code (2016) shown on the page, with its remedy, then the link is finished', async () => {
    b.useCamera(clip.genuine!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.other!)
    const { context, page, requests } = await openPage(b.browser, { viewport: DESKTOP, locale: 'zh-CN' })
    await page.goto(Url)
    await capture(page, 'h5-impostor', 'desktop')
    await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
    expect(await page.textContent('.code'), await signals(BizToken)).toContain('2016')
    await shot(page, 'h5-impostor-verdict-desktop')
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: silentRule, InfoType: '0' })
    expect(r.Text.ErrCode).toBe(2016)
    expect(Number(r.Text.Sim)).toBeLessThan(70)
    // opening the finished link again shows 14 instead of the camera
    await page.goto(Url)
    await page.waitForSelector('[data-screen="finished"]')
    expect(await page.textContent('#app')).toContain('14')
    await shot(page, 'h5-finished-desktop')
    expect(foreignRequests(requests, srv.url)).toEqual([])
    await context.close()
  }, 150_000)

  it('a camera showing one still photo fails with the single-image code (1003)', async () => {
    b.useCamera(clip.still!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.other!)
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
    await page.goto(Url)
    await capture(page, 'h5-still')
    await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
    await shot(page, 'h5-still-verdict-phone')
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: silentRule, InfoType: '0' })
    expect(r.Text.ErrCode, await signals(BizToken)).toBe(1003)
    expect(await page.textContent('.code')).toContain('1003')
    await context.close()
  }, 150_000)
})
