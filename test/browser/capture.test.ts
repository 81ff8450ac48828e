import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { faceidClient } from '../support/tencent.js'
import { DATA, MODELS, hasData } from '../support/env.js'
import { createAnalysisEngine } from '../../src/analysis/index.js'
import { ticketSign } from '../../src/auth/index.js'
import { REMEDIES } from '../../src/codes/index.js'
import {
  DESKTOP,
  PHONE,
  cameraClip,
  ensureWebBuild,
  ff,
  foreignRequests,
  hasChromium,
  launch,
  microphoneClip,
  openPage,
  shot,
} from './support.js'

const ready = hasChromium && hasData && existsSync(MODELS)
if (!hasChromium)
  console.warn(
    '[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the browser tests of the capture page are skipped',
  )
else if (!ready)
  console.warn('[skip] ../shared/data or ../shared/models is absent: the browser capture tests are skipped')

/**
 * The whole flow of each family in a real browser with a fake camera made from real videos: the official Tencent
 * SDK calls DetectAuth, Chromium opens the Url, consents, records, uploads, is redirected, and
 * GetDetectInfoEnhanced returns the code and similarity the vision engine gave; the sdk family does the
 * same through the signed login URL and queryfacerecord. Then the screens that replace the camera.
 */
describe.skipIf(!ready)('capture page in Chromium, both families', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let b: Awaited<ReturnType<typeof launch>>
  let appId: string
  let secret: string
  let silentRule: string
  let actionRule: string
  let shortRule: string
  const clip: Record<string, string> = {}
  const photo: Record<string, Buffer> = {}
  const guideFps: number[] = []
  const guideMs: number[] = []

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
    // framing faults for the live guide: a dark room, a face far away, a face at the picture's left edge
    clip.dark = cameraClip(face1, join(dir, 'dark.y4m'), { seconds: 2, vf: 'eq=brightness=-0.42' })
    clip.far = cameraClip(face1, join(dir, 'far.y4m'), { seconds: 2, vf: 'scale=150:150,pad=480:480:165:165' })
    clip.left = cameraClip(face1, join(dir, 'left.y4m'), { seconds: 2, vf: 'crop=300:480:180:0,pad=480:480:0:0' })
    b.useMicrophone(microphoneClip(face1, join(dir, 'mic.wav')))
    b.useCamera(clip.genuine)
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'browser-h5' })
    appId = c.app.appId
    secret = c.secret
    silentRule = (
      await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'photo', maxAttempts: 1 })
    ).ruleId
    actionRule = (
      await srv.shiren.apps.createRule({
        appId,
        liveness: 'action',
        compareSource: 'photo',
        maxAttempts: 2,
        actionCount: 2,
      })
    ).ruleId
    shortRule = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'photo', tokenTtlS: 60 }))
      .ruleId
    await built
  }, 240_000)

  afterAll(async () => {
    if (guideFps.length)
      console.log(
        `[measure] capture-page guide loop: ${guideFps.join(', ')} frames/s, last frame ${guideMs.join(', ')} ms (Human on the wasm backend, headless Chromium, 2 shared cores)`,
      )
    await b?.browser.close()
    await srv?.close()
    await engine?.close()
  })

  const detectAuth = async (ruleId: string, reference: Buffer) => {
    const sdk = faceidClient(srv.url, appId, secret)
    const r = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: reference.toString('base64'),
      RedirectUrl: `${srv.url}/healthz?from=capture`,
      Extra: randomBytes(4).toString('hex'),
    })
    return { sdk, ...(r as { BizToken: string; Url: string }) }
  }

  /** the engine's signals of a verification's attempts, for failure messages */
  const signals = async (token: string) => {
    const v = await srv.shiren.verifications.byToken(token)
    return JSON.stringify(
      (await srv.shiren.verifications.attempts(v!.id)).map((a) => (a as { signals?: unknown }).signals),
    )
  }

  /** consent → camera → record → upload → verdict, as a person would click through it */
  const capture = async (page: Page, name: string, viewport: 'phone' | 'desktop' = 'phone', waitGuide = true) => {
    await page.waitForSelector('[data-screen="consent"]')
    await shot(page, `${name}-consent-${viewport}`)
    await page.click('#agree')
    await page.waitForSelector('[data-screen="camera"]')
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement | null)?.readyState === 4)
    if (waitGuide) {
      // the in-page face guide (Human on WebAssembly) judges the framing before recording starts
      await page.waitForSelector('#hint[data-reason="OK"]', { timeout: 60_000 })
      await page.waitForTimeout(1500)
      guideFps.push(Number(await page.getAttribute('#hint', 'data-fps')))
      guideMs.push(Number(await page.getAttribute('#hint', 'data-ms')))
    }
    await shot(page, `${name}-camera-${viewport}`)
    await page.click('#start')
    await page.waitForSelector('[data-screen="recording"]')
    await shot(page, `${name}-recording-${viewport}`)
  }

  it("a genuine person passes against their photo; the browser is sent back with the BizToken; the result has the engine's code and similarity", async () => {
    b.useCamera(clip.genuine!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.ref!)
    expect(Url.startsWith(srv.url)).toBe(true)
    const { context, page, requests, problems } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
    // bytes over the wire (compressed bodies + headers): the page itself, then with the face guide loaded
    let bytes = 0
    page.on(
      'requestfinished',
      (r) =>
        void r
          .sizes()
          .then((z) => {
            bytes += z.responseBodySize + z.responseHeadersSize
          })
          .catch(() => {}),
    )
    await page.goto(Url)
    await page.waitForSelector('[data-screen="consent"]')
    await page.waitForLoadState('networkidle')
    const firstLoad = bytes
    await capture(page, 'h5-pass')
    console.log(
      `[measure] capture page first load (to the consent screen): ${(firstLoad / 1024).toFixed(1)} KiB; with the face guide (Human, models, wasm): ${(bytes / 1024 / 1024).toFixed(2)} MiB`,
    )
    expect(firstLoad).toBeLessThan(100 * 1024)
    await page.waitForURL(/\/healthz\?/, { timeout: 90_000 })
    const back = new URL(page.url())
    expect(back.searchParams.get('BizToken')).toBe(BizToken)
    expect(back.searchParams.get('token')).toBe(BizToken)
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: silentRule, InfoType: '0' })
    expect(r.Text.ErrCode, await signals(BizToken)).toBe(0)
    expect(Number(r.Text.Sim)).toBeGreaterThanOrEqual(70)
    // the best frame and the video are what the browser recorded (a WebM from MediaRecorder)
    expect(Buffer.from(r.BestFrame.BestFrame, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    expect(Buffer.from(r.VideoData.LivenessVideo, 'base64').subarray(0, 4)).toEqual(
      Buffer.from([0x1a, 0x45, 0xdf, 0xa3]),
    )
    expect(foreignRequests(requests, srv.url)).toEqual([])
    expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([])
    await context.close()
  }, 150_000)

  it('ID-card step: a photo without a card is refused on the page (303, one attempt), the card is then accepted, and the face step follows', async () => {
    b.useCamera(clip.genuine!)
    const cardRule = (
      await srv.shiren.apps.createRule({
        appId,
        liveness: 'silent',
        compareSource: 'photo',
        idcardStep: 'front',
        maxAttempts: 2,
      })
    ).ruleId
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken, Url } = (await sdk.DetectAuth({
      RuleId: cardRule,
      Name: '小静',
      IdCard: '370782198709170246',
      ImageBase64: photo.ref!.toString('base64'),
      RedirectUrl: `${srv.url}/healthz?from=card`,
    })) as { BizToken: string; Url: string }
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'zh-CN' })
    await page.goto(Url)
    await page.waitForSelector('[data-screen="consent"]')
    await page.click('#agree')
    await page.waitForSelector('[data-screen="idcard-front"]')
    await shot(page, 'idcard-front-phone')
    const lfw = join(DATA, 'faces/lfw')
    const someone = readdirSync(lfw).sort()[0]!
    await page.setInputFiles('#card-front', join(lfw, someone, readdirSync(join(lfw, someone))[0]!))
    await page.waitForSelector('#card-note', { timeout: 60_000 })
    expect(await page.textContent('#card-note')).toContain('303')
    await page.setInputFiles('#card-front', join(DATA, 'idcards/chineseocr_card.png'))
    await page.waitForSelector('[data-screen="camera"]', { timeout: 60_000 })
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement | null)?.readyState === 4)
    await page.waitForSelector('#hint[data-reason="OK"]', { timeout: 60_000 })
    await page.click('#start')
    await page.waitForURL(/\/healthz\?from=card/, { timeout: 90_000 })
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: cardRule, InfoType: '0' })
    expect(r.Text.ErrCode, await signals(BizToken)).toBe(0)
    expect(r.Text.LivenessDetail.map((d: { Errcode: number }) => d.Errcode)).toEqual([303, 0])
    expect(r.Text).toMatchObject({ OcrName: '小静', OcrIdCard: '370782198709170246' })
    await context.close()
  }, 180_000)

  it("another person's photo fails with the similarity code (2016) shown on the page, with its remedy, then the link is finished", async () => {
    b.useCamera(clip.genuine!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.other!)
    const { context, page, requests } = await openPage(b.browser, { viewport: DESKTOP, locale: 'zh-CN' })
    await page.goto(Url)
    await capture(page, 'h5-impostor', 'desktop')
    await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
    expect(await page.textContent('.code'), await signals(BizToken)).toContain('2016')
    expect(await page.textContent('.code + #remedy')).toBe(REMEDIES.SIMILARITY_BELOW_THRESHOLD.zh)
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

  it('every screen of the flow at phone and desktop size, in Chinese and English (screenshots)', async () => {
    b.useCamera(clip.genuine!)
    for (const [vp, size] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      for (const locale of ['zh-CN', 'en-US']) {
        const lang = locale.slice(0, 2)
        const { BizToken, Url } = await detectAuth(silentRule, photo.other!)
        const { context, page } = await openPage(b.browser, { viewport: size, locale })
        await page.goto(Url)
        await capture(page, `flow-${lang}`, vp, false)
        await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
        expect(await page.textContent('.code'), await signals(BizToken)).toContain('2016')
        expect(await page.getAttribute('html', 'lang')).toMatch(new RegExp(`^${lang}`))
        await shot(page, `flow-${lang}-verdict-${vp}`)
        await page.goto(Url)
        await page.waitForSelector('[data-screen="finished"]')
        await shot(page, `flow-${lang}-finished-${vp}`)
        await context.close()
      }
    }
  }, 400_000)

  it('a camera showing one still photo fails with the single-image code (1003) and says what to do under it', async () => {
    b.useCamera(clip.still!)
    const { sdk, BizToken, Url } = await detectAuth(silentRule, photo.other!)
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
    await page.goto(Url)
    await capture(page, 'h5-still', 'phone', false)
    await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
    await shot(page, 'h5-still-verdict-phone')
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: silentRule, InfoType: '0' })
    expect(r.Text.ErrCode, await signals(BizToken)).toBe(1003)
    expect(await page.textContent('.code')).toContain('1003')
    // what to do, in the page's language, right under the code
    expect(await page.textContent('.code + #remedy')).toBe(REMEDIES.STILL_IMAGE_VIDEO.en)
    await context.close()
  }, 150_000)

  it('sdk: the login URL hands over to the page; the upload survives a dropped connection; a genuine pass comes back with code 0, orderNo, faceId and newSign; queryfacerecord agrees', async () => {
    b.useCamera(clip.genuine!)
    const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(srv.url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as any
    const nonce = () => randomBytes(16).toString('hex')
    const access = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    const signTicket = (
      await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=SIGN&version=1.0.0`)
    ).tickets[0].value
    const userId = `u${randomBytes(4).toString('hex')}`
    const orderNo = `web${randomBytes(6).toString('hex')}`
    const n1 = nonce()
    const start = await post('/api/server/getfaceid', {
      appId,
      orderNo,
      userId,
      version: '1.0.0',
      nonce: n1,
      sourcePhotoStr: photo.ref!.toString('base64'),
      sourcePhotoType: '2',
      ruleId: silentRule,
      sign: ticketSign([appId, userId, '1.0.0', n1, signTicket]),
    })
    expect(start.code).toBe('0')
    const faceId = start.result.faceId as string
    const nonceTicket = (
      await get(
        `/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=NONCE&version=1.0.0&user_id=${userId}`,
      )
    ).tickets[0].value
    const n2 = nonce()
    const callback = `${srv.url}/healthz?from=sdk`
    const login = `${srv.url}/api/web/login?${new URLSearchParams({ appId, version: '1.0.0', nonce: n2, orderNo, faceId, userId, url: callback, from: 'browser', sign: ticketSign([appId, userId, orderNo, '1.0.0', faceId, n2, nonceTicket]) })}`
    const { context, page, requests } = await openPage(b.browser, { viewport: PHONE, locale: 'zh-CN' })
    // the first upload's connection drops: the page retries the same recording by itself
    let uploads = 0
    await page.route('**/capture/api/upload**', async (route) => {
      if (uploads++ === 0) return route.abort('connectionreset')
      return route.continue()
    })
    await page.goto(login)
    expect(new URL(page.url()).pathname).toBe('/capture')
    await capture(page, 'sdk-pass')
    await page.waitForSelector('[data-screen="analysing"]', { timeout: 60_000 })
    await shot(page, 'sdk-analysing-zh-phone')
    expect(uploads).toBe(2)
    await page.waitForURL(/\/healthz\?from=sdk/, { timeout: 90_000 })
    const back = new URL(page.url()).searchParams
    expect(back.get('code'), await signals(faceId)).toBe('0')
    expect(back.get('orderNo')).toBe(orderNo)
    expect(back.get('faceId') ?? back.get('h5faceId')).toBe(faceId)
    expect(back.get('newSign')).toMatch(/^[0-9A-F]{40}$/)
    const n3 = nonce()
    const rec = await post('/api/v2/base/queryfacerecord', {
      appId,
      orderNo,
      version: '1.0.0',
      nonce: n3,
      getFile: '1',
      sign: ticketSign([appId, orderNo, '1.0.0', n3, signTicket]),
    })
    expect(rec.code).toBe('0')
    expect(Number(rec.result.similarity)).toBeGreaterThanOrEqual(70)
    expect(foreignRequests(requests, srv.url)).toEqual([])
    await context.close()
  }, 150_000)

  it("sdk: an impostor's photo fails with 66660004 and a still photo with -15002, on the page and in queryfacerecord", async () => {
    const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(srv.url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as any
    const nonce = () => randomBytes(16).toString('hex')
    const access = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    const signTicket = (
      await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=SIGN&version=1.0.0`)
    ).tickets[0].value
    for (const [camera, reference, code] of [
      [clip.genuine!, photo.other!, '66660004'],
      [clip.still!, photo.other!, '-15002'],
    ] as const) {
      b.useCamera(camera)
      const userId = `u${randomBytes(4).toString('hex')}`
      const orderNo = `web${randomBytes(6).toString('hex')}`
      const n1 = nonce()
      const start = await post('/api/server/getfaceid', {
        appId,
        orderNo,
        userId,
        version: '1.0.0',
        nonce: n1,
        sourcePhotoStr: reference.toString('base64'),
        sourcePhotoType: '2',
        ruleId: silentRule,
        sign: ticketSign([appId, userId, '1.0.0', n1, signTicket]),
      })
      const faceId = start.result.faceId as string
      const nonceTicket = (
        await get(
          `/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=NONCE&version=1.0.0&user_id=${userId}`,
        )
      ).tickets[0].value
      const n2 = nonce()
      const login = `${srv.url}/api/web/login?${new URLSearchParams({ appId, version: '1.0.0', nonce: n2, orderNo, faceId, userId, from: 'browser', sign: ticketSign([appId, userId, orderNo, '1.0.0', faceId, n2, nonceTicket]) })}`
      const { context, page, requests } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
      await page.goto(login)
      await capture(page, `sdk-fail-${code}`, 'phone', false)
      await page.waitForSelector('[data-screen="fail-final"]', { timeout: 90_000 })
      expect(await page.textContent('.code'), await signals(faceId)).toContain(code)
      await shot(page, `sdk-verdict-${code}-en-phone`)
      const n3 = nonce()
      const rec = await post('/api/v2/base/queryfacerecord', {
        appId,
        orderNo,
        version: '1.0.0',
        nonce: n3,
        sign: ticketSign([appId, orderNo, '1.0.0', n3, signTicket]),
      })
      expect(rec.code).toBe(code)
      expect(foreignRequests(requests, srv.url)).toEqual([])
      await context.close()
    }
  }, 300_000)

  it("action mode: the page shows the server's action sequence in order and then the server's verdict for it, with a retry while attempts remain", async () => {
    b.useCamera(clip.genuine!)
    const { BizToken, Url } = await detectAuth(actionRule, photo.ref!)
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'en-US' })
    await page.goto(Url)
    await capture(page, 'h5-action')
    const v = await srv.shiren.verifications.byToken(BizToken)
    const actions = (v!.challenge as { actions: string[] }).actions
    const shown = await page.$$eval('.steps li', (els) => els.map((e) => e.textContent))
    const words: Record<string, string> = {
      blink: 'Blink your eyes',
      mouth: 'Open your mouth',
      left: 'Turn your head left',
      right: 'Turn your head right',
    }
    expect(shown).toEqual(actions.map((a) => words[a]))
    await page.waitForSelector('[data-screen="fail-retry"], [data-screen="pass"]', { timeout: 90_000 })
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    if (await page.$('[data-screen="fail-retry"]')) {
      await shot(page, 'h5-action-retry-phone')
      expect(await page.textContent('.code')).toContain(String(session.lastAttempt.code))
      expect(session.attemptsLeft).toBe(1)
      expect(await page.isVisible('#retry')).toBe(true)
    } else {
      expect(session.result.reason).toBe('PASS')
    }
    await context.close()
  }, 150_000)

  it('the live guide says what the server would and what to do: too dark, too far, too far left — before anything is recorded', async () => {
    const { Url } = await detectAuth(silentRule, photo.ref!)
    for (const [name, reason] of [
      ['dark', 'TOO_DARK'],
      ['far', 'FACE_TOO_FAR'],
      ['left', 'FACE_TOO_LEFT'],
    ] as const) {
      b.useCamera(clip[name]!)
      const { context, page } = await openPage(b.browser, {
        viewport: PHONE,
        locale: name === 'far' ? 'zh-CN' : 'en-US',
      })
      await page.goto(Url)
      await page.click('#agree')
      await page.waitForSelector(`#hint[data-reason="${reason}"]`, { timeout: 60_000 })
      const text = await page.textContent('#hint')
      // the hint is the reason's remedy (src/codes/remedies.ts) in the page's language
      expect(text).toBe(REMEDIES[reason][name === 'far' ? 'zh' : 'en'])
      await shot(page, `guide-${name}-${name === 'far' ? 'zh' : 'en'}-phone`)
      await context.close()
    }
    // nothing was recorded or uploaded
    const v = await srv.shiren.verifications.byToken(new URL(Url).searchParams.get('token')!)
    expect(v!.attemptsUsed).toBe(0)
  }, 120_000)

  it('digital mode (when the server issues digits): the page shows the digits, asks for sound in the consent, and uploads a recording with an audio track', async () => {
    b.useCamera(clip.genuine!)
    const { Url } = await detectAuth(silentRule, photo.ref!)
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'zh-CN' })
    // the server refuses digital rules until its judge lands, so its answers are stood in for here
    await page.route('**/capture/api/session**', async (route) => {
      try {
        const res = await route.fetch()
        await route.fulfill({ response: res, json: { ...(await res.json()), liveness: 'digital' } })
      } catch {
        /* the context closed while a poll was in flight */
      }
    })
    await page.route('**/capture/api/challenge**', (route) =>
      route.fulfill({ json: { challenge: { mode: 'digital', digits: '4821' } } }),
    )
    let uploaded: Buffer | null = null
    let type = ''
    await page.route('**/capture/api/upload**', async (route) => {
      uploaded = route.request().postDataBuffer()
      type = route.request().headers()['content-type'] ?? ''
      await route.fulfill({ status: 202, json: { attemptId: 'stand-in', seq: 1, state: 'queued' } })
    })
    await page.goto(Url)
    await page.waitForSelector('[data-screen="consent"] li.p-mic')
    await page.click('#agree')
    await page.waitForSelector('[data-screen="camera"]')
    await page.click('#start')
    await page.waitForSelector('#digits')
    expect((await page.textContent('#digits'))!.replace(/\s/g, '')).toBe('4821')
    await shot(page, 'digital-recording-zh-phone')
    await page.waitForFunction(() => document.getElementById('app')?.dataset.screen === 'analysing', undefined, {
      timeout: 30_000,
    })
    expect(uploaded).not.toBeNull()
    expect(type).toBe('video/webm')
    const file = join(b.dir, 'digital.webm')
    writeFileSync(file, uploaded!)
    let probe = ''
    // ffmpeg with only an input lists the streams and exits with an error (no output named)
    try {
      execFileSync(ffmpeg.path, ['-hide_banner', '-i', file], { stdio: 'pipe' })
    } catch (e) {
      probe = String((e as { stderr?: Buffer }).stderr ?? e)
    }
    expect(probe).toMatch(/Audio: opus/)
    expect(probe).toMatch(/Video: vp8/)
    // the page keeps polling the stand-in session: stop answering before closing
    await page.unrouteAll({ behavior: 'ignoreErrors' })
    await context.close()
  }, 90_000)

  it('a PC with two cameras gets a camera picker; a phone does not', async () => {
    b.useCamera(clip.genuine!)
    const { Url } = await detectAuth(silentRule, photo.ref!)
    const twoCameras = `{
      const real = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices)
      navigator.mediaDevices.enumerateDevices = async () => {
        const list = await real()
        const cam = list.find((d) => d.kind === 'videoinput')
        return cam ? [...list, { deviceId: 'second-camera', groupId: 'g2', kind: 'videoinput', label: 'USB camera', toJSON() { return this } }] : list
      }
    }`
    for (const [vp, size, ua] of [
      ['desktop', DESKTOP, ''],
      [
        'phone',
        PHONE,
        'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Mobile Safari/537.36',
      ],
    ] as const) {
      const context = await b.browser.newContext({ viewport: size, locale: 'en-US', ...(ua && { userAgent: ua }) })
      await context.addInitScript(twoCameras)
      const page = await context.newPage()
      await page.goto(Url)
      await page.click('#agree')
      await page.waitForSelector('[data-screen="camera"]')
      await page.waitForTimeout(500)
      if (vp === 'desktop') {
        await page.waitForSelector('#camera-picker')
        expect(await page.locator('#camera-picker option').count()).toBe(2)
        await shot(page, 'camera-picker-en-desktop')
      } else {
        expect(await page.$('#camera-picker')).toBeNull()
      }
      await context.close()
    }
  })

  it('camera permission denied shows its screen and code (3004), in both languages', async () => {
    const deny = `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'))`
    for (const [locale, lang] of [
      ['en-US', 'en'],
      ['zh-CN', 'zh'],
    ] as const) {
      const { Url } = await detectAuth(silentRule, photo.ref!)
      for (const [vp, size] of [
        ['phone', PHONE],
        ['desktop', DESKTOP],
      ] as const) {
        const { context, page } = await openPage(b.browser, { viewport: size, locale, init: deny })
        await page.goto(Url)
        await page.waitForSelector('[data-screen="consent"]')
        await shot(page, `consent-${lang}-${vp}`)
        await page.click('#agree')
        await page.waitForSelector('[data-screen="camera-denied"]')
        expect(await page.textContent('.code')).toContain('3004')
        expect(await page.textContent('h1')).toBe(lang === 'en' ? 'Camera access was denied' : '没有摄像头权限')
        await shot(page, `denied-${lang}-${vp}`)
        await context.close()
      }
    }
  }, 60_000)

  it('an in-app browser without getUserMedia is told how to open the link in the system browser (3005)', async () => {
    const { Url } = await detectAuth(silentRule, photo.ref!)
    const noMedia = `Object.defineProperty(navigator, 'mediaDevices', { value: undefined }); Object.defineProperty(navigator, 'userAgent', { value: navigator.userAgent + ' MicroMessenger/8.0.40' })`
    const { context, page } = await openPage(b.browser, { viewport: PHONE, locale: 'zh-CN', init: noMedia })
    await page.goto(Url)
    await page.click('#agree')
    await page.waitForSelector('[data-screen="unsupported-inApp"]')
    expect(await page.textContent('.code')).toContain('3005')
    expect(await page.textContent('#app')).toContain('在浏览器中打开')
    await shot(page, 'inapp-zh-phone')
    await context.close()
  })

  it('an expired link shows its screen and code instead of the camera: 15 (h5) and 66660018 (sdk)', async () => {
    const { Url } = await detectAuth(shortRule, photo.ref!)
    const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
    const access = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    const signTicket = (
      await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=SIGN&version=1.0.0`)
    ).tickets[0].value
    const n1 = randomBytes(16).toString('hex')
    const start = (await (
      await fetch(`${srv.url}/api/server/getfaceid`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId,
          orderNo: `exp${randomBytes(5).toString('hex')}`,
          userId: 'exp',
          version: '1.0.0',
          nonce: n1,
          sourcePhotoStr: photo.ref!.toString('base64'),
          sourcePhotoType: '2',
          ruleId: shortRule,
          sign: ticketSign([appId, 'exp', '1.0.0', n1, signTicket]),
        }),
      })
    ).json()) as any
    expect(start.code).toBe('0')
    // the server's clock moves past the 60 s lifetime; still within the SDK's signature window
    srv.clock.advance(61)
    for (const [url, code, lang, vp] of [
      [Url, '15', 'en', PHONE],
      [`${srv.url}/capture?token=${start.result.faceId}`, '66660018', 'zh', DESKTOP],
    ] as const) {
      const { context, page } = await openPage(b.browser, { viewport: vp, locale: lang === 'en' ? 'en-US' : 'zh-CN' })
      await page.goto(url)
      await page.waitForSelector('[data-screen="expired"]')
      expect(await page.textContent('.code')).toContain(code)
      expect(await page.$('video')).toBeNull()
      await shot(page, `expired-${lang}-${vp === PHONE ? 'phone' : 'desktop'}`)
      await context.close()
    }
  })
})
