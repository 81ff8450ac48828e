import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startTestServer, type TestServer } from '../support/server.js'
import { faceidClient } from '../support/tencent.js'
import { DATA, MODELS, hasData } from '../support/env.js'
import { buildReading, mulberry32, speakerTakes, wavBytes, type Takes } from '../support/digit-readings.js'
import { warpedReadingVideo } from '../support/warped-reading.js'
import { createAnalysisEngine } from '../../src/analysis/index.js'
import { alignHeard, DIGITS_DECISION } from '../../src/audio/index.js'
import { loadFaceDetector, type FaceDetector } from '../../src/vision/index.js'
import { PHONE, ensureWebBuild, ff, hasChromium, launch, openPage, shot } from './support.js'

const talking = join(DATA, 'videos/grid/lbax4n.mpg')
const speechZh = join(DATA, 'speech', 'zh')
const ready =
  hasChromium &&
  hasData &&
  existsSync(talking) &&
  existsSync(speechZh) &&
  existsSync(join(MODELS, 'speech-zh-kws-zipformer-wenetspeech-3.3M'))
if (!ready)
  console.warn(
    '[skip] /usr/bin/chromium, ../shared/data (speech, GRID videos) or the speech models are absent: the digits browser test is skipped',
  )

/**
 * The test harness's microphone and camera for a digits attempt. Chromium's
 * --use-file-for-fake-audio-capture loops its file from the moment the device opens, so where the
 * reading falls in the recording cannot be controlled; this init script wraps getUserMedia instead.
 * A request with audio gets a stream whose video track is a canvas showing the fake camera (the
 * real GRID clip from --use-file-for-fake-video-capture) and, from the moment the page's
 * MediaRecorder starts, the MADE-TO-FIT reading video; its audio track is a WebAudio
 * MediaStreamAudioDestinationNode fed by the same media element, so lips and voice stay in step.
 * The reading is fetched from `/__test__/reading.webm` (served by the test) as soon as the page's
 * challenge answer arrives, i.e. before recording starts. The page itself is not changed.
 */
const HARNESS = `(() => {
  const md = navigator.mediaDevices
  if (!md || !md.getUserMedia) return
  const original = md.getUserMedia.bind(md)
  const reading = document.createElement('video')
  reading.playsInline = true
  reading.preload = 'auto'
  let loaded = Promise.resolve()
  let playing = false
  let ac = null
  const origFetch = window.fetch.bind(window)
  window.fetch = async (input, init) => {
    const res = await origFetch(input, init)
    if (String(input).includes('/capture/api/challenge')) {
      loaded = origFetch('/__test__/reading.webm', { cache: 'no-store' })
        .then((r) => r.blob())
        .then((b) => new Promise((resolve) => {
          reading.oncanplaythrough = () => resolve()
          reading.src = URL.createObjectURL(b)
          reading.load()
        }))
      await loaded
    }
    return res
  }
  md.getUserMedia = async (c) => {
    if (!c || !c.audio) return original(c)
    const cam = await original({ video: c.video, audio: false })
    const camEl = document.createElement('video')
    camEl.muted = true
    camEl.playsInline = true
    camEl.srcObject = cam
    await camEl.play()
    const canvas = document.createElement('canvas')
    canvas.width = 360
    canvas.height = 288
    const g = canvas.getContext('2d')
    const draw = () => {
      const src = playing && reading.readyState >= 2 ? reading : camEl
      try { g.drawImage(src, 0, 0, canvas.width, canvas.height) } catch {}
    }
    draw()
    setInterval(draw, 20)
    ac = new AudioContext({ sampleRate: 48000 })
    const dest = ac.createMediaStreamDestination()
    ac.createMediaElementSource(reading).connect(dest)
    const out = new MediaStream([canvas.captureStream(25).getVideoTracks()[0], dest.stream.getAudioTracks()[0]])
    const stop = out.getTracks().map((t) => t.stop.bind(t))
    out.getTracks().forEach((t, i) => { t.stop = () => { stop[i](); cam.getTracks().forEach((x) => x.stop()) } })
    return out
  }
  const start = MediaRecorder.prototype.start
  MediaRecorder.prototype.start = function (...a) {
    const r = start.apply(this, a)
    void loaded.then(() => {
      reading.currentTime = 0
      playing = true
      window.__readingStartedMs = performance.now()
      return Promise.all([ac ? ac.resume() : null, reading.play()])
    })
    return r
  }
})()`

/**
 * A digits attempt in Chromium, heard by the built-in verifier. No video of a person reading
 * Mandarin digits exists in the data, so the recording is MADE TO FIT (docs/digits.md): a reading
 * of the digits the server issued, built from speaker wenya_tw's real isolated digits
 * (test/support/digit-readings.ts), over the GRID clip lbax4n whose mouth openings are time-warped
 * onto the reading's syllables (test/support/warped-reading.ts), played into the page through the
 * harness above. The page, the upload and the judge are the product's own, unchanged.
 */
describe.skipIf(!ready)('digits attempt in Chromium: the issued digits are heard', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let b: Awaited<ReturnType<typeof launch>>
  let detector: FaceDetector
  let takes: Takes
  let appId: string
  let secret: string
  let ruleId: string
  const rnd = mulberry32(2026)

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch()
    // the fake camera before recording: the real GRID clip, at its own size
    const cam = join(b.dir, 'grid.y4m')
    ff('-i', talking, '-t', '3', '-an', '-vf', 'fps=25', '-pix_fmt', 'yuv420p', cam)
    b.useCamera(cam)
    const mic = join(b.dir, 'silence.wav')
    writeFileSync(mic, wavBytes(new Float32Array(16000)))
    b.useMicrophone(mic)
    takes = speakerTakes(speechZh, 'wenya_tw')
    detector = await loadFaceDetector(MODELS)
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'browser-digits' })
    appId = c.app.appId
    secret = c.secret
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'digital', compareSource: 'none', maxAttempts: 1 }))
      .ruleId
    await built
  }, 240_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
    await engine?.close()
  })

  /** the made-to-fit reading video of `digits`, as WebM for the page's media element */
  const madeToFitReading = async (digits: string): Promise<Buffer> => {
    // the page records 1 s + 0.9 s per digit + 0.8 s; a person reads within it: the last digit ends by 4.4 s
    let reading = buildReading(takes, digits, rnd, { phone: false, gapS: [0.05, 0.6], maxTakeS: 0.7 })
    while (reading.spans.at(-1)!.endS > 4.4)
      reading = buildReading(takes, digits, rnd, { phone: false, gapS: [0.05, 0.6], maxTakeS: 0.7 })
    const name = `made-to-fit-${digits}-${randomBytes(3).toString('hex')}`
    const mkv = await warpedReadingVideo(detector, talking, reading, b.dir, name)
    const webm = join(b.dir, `${name}.webm`)
    ff('-i', mkv, '-c:v', 'libvpx', '-b:v', '2M', '-c:a', 'libopus', '-b:a', '128k', '-ar', '48000', webm)
    return readFileSync(webm)
  }

  /** the page with the harness: the challenge's digits are read, and `reading` decides what is played */
  const attempt = async (name: string, reading: (issued: string) => Promise<Buffer>) => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken, Url } = (await sdk.DetectAuth({ RuleId: ruleId, Extra: randomBytes(4).toString('hex') })) as {
      BizToken: string
      Url: string
    }
    const { context, page, problems } = await openPage(b.browser, { viewport: PHONE, locale: 'zh-CN', init: HARNESS })
    let issued = ''
    let played: Buffer | null = null
    await page.route('**/__test__/reading.webm', (route) =>
      route.fulfill({ status: 200, contentType: 'video/webm', body: played ?? Buffer.alloc(0) }),
    )
    await page.route('**/capture/api/challenge**', async (route) => {
      const res = await route.fetch()
      const body = await res.json()
      issued = body.challenge.digits
      played = await reading(issued)
      await route.fulfill({ response: res, json: body })
    })
    await page.goto(Url)
    await page.waitForSelector('[data-screen="consent"] li.p-mic')
    await page.click('#agree')
    await page.waitForSelector('[data-screen="camera"]')
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement | null)?.readyState === 4)
    await page.click('#start')
    await page.waitForSelector('#digits', { timeout: 120_000 })
    expect((await page.textContent('#digits'))!.replace(/\s/g, '')).toBe(issued)
    await page.waitForTimeout(2500)
    await shot(page, `${name}-digits-zh-phone`)
    await page.waitForFunction(
      () =>
        ['pass', 'fail-final', 'fail-retry', 'error'].includes(document.getElementById('app')?.dataset.screen ?? '') ||
        location.pathname.startsWith('/healthz'),
      undefined,
      { timeout: 150_000 },
    )
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '0' })
    const v = await srv.shiren.verifications.byToken(BizToken)
    const attempts = await srv.shiren.verifications.attempts(v!.id)
    const signals = attempts.map((a) => (a as { signals?: Record<string, unknown> }).signals ?? {})
    const s0 = signals[0] ?? {}
    console.log(
      `[measure] ${name}: issued ${issued}, code ${r.Text.ErrCode}, heard ${s0.digitsRecognized}, margin ${s0.digitsMargin}, scores ${s0.digitScores}, syncPeak ${s0.syncPeak}`,
    )
    return { page, context, problems, issued, played: played!, code: r.Text.ErrCode as number, signals }
  }

  let first: { issued: string; played: Buffer } | null = null

  // One retry: Chromium's recording of the played reading sometimes shifts its picture against its sound under
  // the suite's load (a CI run on 2026-12-06: lips 0.17 s off the sound, sync peak 0.24 and code 1103 with every
  // digit heard; the same construction judged offline peaks at 0.32–0.61 for ten random readings, with either
  // face pipeline). A second failure in a row fails the test.
  it(
    'the page asks for the challenge, the made-to-fit reading of those digits is recorded, and the judge hears them: code 0, the issued digits heard in order (a dropped one tolerated as in the rule)',
    { retry: 1, timeout: 300_000 },
    async () => {
      const r = await attempt('digits-heard', madeToFitReading)
      first = { issued: r.issued, played: r.played }
      expect(r.issued).toMatch(/^\d{4}$/)
      expect(r.signals).toHaveLength(1)
      const s = r.signals[0]!
      // the issued digits are random, and the model sometimes drops a syllable (tolerated up to
      // DIGITS_DECISION.maxUnheard): what was heard must be the issued digits in order, none foreign
      const heard = alignHeard(String(s.digitsRecognized), r.issued)
      expect({ code: r.code, foreign: heard.foreign }, JSON.stringify(s)).toEqual({ code: 0, foreign: 0 })
      expect(heard.unheard, JSON.stringify(s)).toBeLessThanOrEqual(DIGITS_DECISION.maxUnheard)
      if (heard.unheard) console.log(`[measure] digits-heard: ${heard.unheard} issued digit(s) unheard, tolerated`)
      expect(s.recognizer).toBe('sherpa-onnx-zh-kws-zipformer-3.3M')
      expect(s.digitsVerified).toBe(true)
      expect(r.problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([])
      await r.context.close()
    },
  )

  it('the same reading against a new challenge fails with 1103 (the digits read are not the ones issued)', async () => {
    expect(first, 'the first case built the reading').not.toBeNull()
    const r = await attempt('digits-replayed', async () => first!.played)
    expect(r.issued).toMatch(/^\d{4}$/)
    const s = r.signals[0]!
    // a new challenge could, one time in 10 000, issue the same digits: then the replay is a valid reading
    if (r.issued === first!.issued) return
    expect({ code: r.code, digitsVerified: s.digitsVerified }, JSON.stringify(s)).toEqual({
      code: 1103,
      digitsVerified: false,
    })
    expect(s.digitsRecognized).not.toBe(r.issued)
    await shot(r.page, 'digits-replayed-verdict-zh-phone')
    expect(await r.page.textContent('#app')).toContain('1103')
    await r.context.close()
  }, 300_000)
})
