import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { digitsFlow, type DigitsFlow } from './support/digits-flow.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import { loadAnalyser } from '../src/server.js'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { MODELS as MODEL_SPECS, loadFaceDetector, type FaceDetector } from '../src/vision/index.js'
import { buildReading, mulberry32, speakerTakes, type Takes } from './support/digit-readings.js'
import { warpedReadingVideo } from './support/warped-reading.js'
import { mkdirSync, symlinkSync } from 'node:fs'
import { dirname } from 'node:path'

const grid = join(DATA, 'videos/grid/bbaf2n.mpg')
const ready = hasData && existsSync(MODELS) && existsSync(grid)
if (!ready)
  console.warn('[skip] ../shared/data videos or ../shared/models are absent: the digits HTTP tests are skipped')

/**
 * Each digital-liveness code over HTTP, in both families: a read-the-digits verification created
 * through DetectAuth (h5) and through the ticket flow (sdk), a recording derived with ffmpeg from a
 * real GRID clip uploaded through the capture API, and the code read back from each family's own
 * result call. The digits the server issues are random; every cause below is decided before (or,
 * for 1103, independently of) the count of syllables against them.
 */
describe.skipIf(!ready)('digital liveness codes over HTTP, both families', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let flow: DigitsFlow
  let dir: string

  const ff = (...args: string[]) => execFileSync(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  /** the GRID clip through one ffmpeg command: `args` go between the input and the output file */
  const derive = (name: string, ...args: string[]) => {
    const out = join(dir, name)
    ff('-i', grid, ...args, out)
    return out
  }
  /** the GRID clip's picture (copied) with another sound */
  const withSound = (name: string, audioInput: string[], filter: string[] = []) => {
    const out = join(dir, name)
    ff(
      '-i',
      grid,
      ...audioInput,
      '-map',
      '0:v:0',
      '-map',
      '1:a:0',
      '-c:v',
      'copy',
      ...filter,
      '-c:a',
      'aac',
      '-t',
      '2.98',
      out,
    )
    return out
  }

  beforeAll(async () => {
    dir = tempDir()
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    flow = await digitsFlow(srv, 'digits-http')
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })
  const both = (file: string) => flow.both(readFileSync(file))

  const expectCodes = (r: Awaited<ReturnType<typeof both>>, h5Code: number, sdkCode: string) => {
    expect({ h5: r.h5, sdk: r.sdk, billable: r.billable }, r.why).toEqual({ h5: h5Code, sdk: sdkCode, billable: false })
  }

  it('1101 / -5010: no sound track, and loud noise with no voice in it', async () => {
    expectCodes(await both(derive('no-track.mkv', '-an', '-c:v', 'copy')), 1101, '-5010')
    expectCodes(
      await both(withSound('noise.mkv', ['-f', 'lavfi', '-t', '3', '-i', 'anoisesrc=r=44100:a=0.2:c=pink:seed=1'])),
      1101,
      '-5010',
    )
  }, 120_000)

  it('1106 / -5010: the speech 45 dB quieter', async () => {
    expectCodes(await both(withSound('quiet.mkv', ['-i', grid], ['-af', 'volume=-45dB'])), 1106, '-5010')
  }, 120_000)

  it('1104 / 66660016: a file with sound and no picture', async () => {
    expectCodes(await both(derive('sound-only.mkv', '-vn', '-c:a', 'pcm_s16le')), 1104, '66660016')
  }, 120_000)

  it('1108 / -1304: a 200×160 picture', async () => {
    expectCodes(
      await both(derive('small.mkv', '-vf', 'scale=200:160', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac')),
      1108,
      '-1304',
    )
  }, 120_000)

  it('1107 / -5051: a 1.5 s recording', async () => {
    expectCodes(await both(derive('short.mkv', '-t', '1.5', '-c:v', 'copy', '-c:a', 'aac')), 1107, '-5051')
  }, 120_000)

  it('1102 / -5009: the lower face covered while speaking', async () => {
    const cover = "drawbox=x=0:y=ih*0.5:w=iw:h=ih*0.5:color=black:t=fill:enable='between(t,0.9,2.3)'"
    expectCodes(
      await both(derive('covered.mkv', '-vf', cover, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac')),
      1102,
      '-5009',
    )
  }, 120_000)

  it('1109 / -7001: a face that does not speak while a recording plays', async () => {
    const playback = join(dir, 'playback.mkv')
    ff(
      '-i',
      join(DATA, 'videos/liveportrait/d0.mp4'),
      '-i',
      grid,
      '-map',
      '0:v:0',
      '-map',
      '1:a:0',
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      '-t',
      '2.98',
      playback,
    )
    expectCodes(await both(playback), 1109, '-7001')
  }, 120_000)

  it('1103 / -5008: the sound advanced by 0.5 s against the lips', async () => {
    expectCodes(await both(withSound('advanced.mkv', ['-ss', '0.5', '-i', grid])), 1103, '-5008')
  }, 120_000)
})

/**
 * The digits themselves, heard by the built-in verifier (sherpa-onnx, the Mandarin model of
 * ../shared/models). No video of a person reading Mandarin digits exists in the data, so the
 * recording of a whole attempt is MADE TO FIT: a reading built from speaker wenya_tw's real
 * digits (cut from her one connected reading of ten digits: the test checks the HTTP path, the
 * verifier's accuracy over speakers is bench:digits' business) (test/support/digit-readings.ts) over the GRID clip lbax4n (the speaker with the
 * widest mouth openings: bbaf2n's 0.05–0.06 mouth range sits on the lip rule's 0.05 floor) whose
 * mouth openings are time-warped onto the reading's syllables (test/support/warped-reading.ts).
 * The lip rules judge it exactly as any upload.
 */
const talking = join(DATA, 'videos/grid/lbax4n.mpg')
const speechZh = join(DATA, 'speech', 'zh')
const speechReady =
  ready && existsSync(speechZh) && existsSync(join(MODELS, 'speech-zh-kws-zipformer-wenetspeech-3.3M'))
if (ready && !speechReady)
  console.warn('[skip] ../shared/data/speech or the speech models are absent: the digits-heard HTTP tests are skipped')

describe.skipIf(!speechReady)('digital liveness hears the digits over HTTP, both families', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let flow: DigitsFlow
  let dir: string
  let takes: Takes
  let detector: FaceDetector
  const rnd = mulberry32(1206)
  /** the made-to-fit video of wenya_tw reading `said` (docs/digits.md) */
  const readingVideo = async (said: string) => {
    // digits ≤ 0.7 s with irregular gaps, as a person reading four digits off a screen (a probe of
    // this construction on 12 random strings: 12 passed; with gaps of 0.05–0.2 s only 8, the regular
    // rhythm then also fits the lips 0.3–0.6 s away and the sync z-rule refuses it)
    const reading = buildReading(takes, said, rnd, { phone: false, gapS: [0.05, 0.6], maxTakeS: 0.7 })
    return readFileSync(
      await warpedReadingVideo(detector, talking, reading, dir, `reading-${said}-${rnd().toString(36).slice(2, 8)}`),
    )
  }
  /** every digit changed (d → d+5 mod 10): a recording made for other digits */
  const otherDigits = (d: string) => [...d].map((x) => String((+x + 5) % 10)).join('')

  beforeAll(async () => {
    dir = tempDir()
    takes = speakerTakes(speechZh, 'wenya_tw')
    detector = await loadFaceDetector(MODELS)
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    flow = await digitsFlow(srv, 'digits-heard')
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  // One retry: the made-to-fit construction itself is not perfect. Judged offline as the engine judges it, 39 of 40
  // random challenges passed (2026-12-06; the one refused, 5812, had every digit heard and a sync z of 1.48 against
  // the rule's 1.5: the construction's regular rhythm also fits the lips 0.3–0.6 s away). Each run judges two new
  // readings (one per family); a second failure in a row fails the test.
  it(
    'a reading of the issued digits passes in both families, with what was heard in the signals',
    { retry: 1, timeout: 300_000 },
    async () => {
      const r = await flow.both(readingVideo)
      expect({ h5: r.h5, sdk: r.sdk }, r.why).toEqual({ h5: 0, sdk: '0' })
      for (const s of r.signals) {
        expect(s.recognizer).toBe('sherpa-onnx-zh-kws-zipformer-3.3M')
        expect(s.digitsVerified).toBe(true)
        expect(s.digitsMargin).toBeGreaterThanOrEqual(0)
        expect(String(s.digitScores).split(',')).toHaveLength(4)
      }
    },
  )

  it('the same kind of recording made for other digits fails with 1103 / -5008, the lips having passed', async () => {
    const r = await flow.both((issued) => readingVideo(otherDigits(issued)))
    expectCodes(r, 1103, '-5008')
    for (const s of r.signals) {
      expect(s.digitsVerified, JSON.stringify(s)).toBe(false)
      expect(s.syncPeak).toBeGreaterThanOrEqual(0.22) // decided by the digits, not by the lip rules
    }
  }, 300_000)

  it('without the speech models the attempt is refused as not available: 1001 / -5000, not billable, never a pass', async () => {
    const noSpeech = join(dir, 'models-without-speech')
    for (const m of MODEL_SPECS) {
      if (m.location.kind !== 'dir' || m.id.startsWith('speech-')) continue
      mkdirSync(dirname(join(noSpeech, m.file)), { recursive: true })
      symlinkSync(join(MODELS, m.file), join(noSpeech, m.file))
    }
    // the server's start-up says so (loadAnalyser is what `shiren serve` runs)
    const lines: string[] = []
    const log = createLogger('warn', { write: (l: string) => void lines.push(l) })
    const loaded = await loadAnalyser(
      loadConfig({ SHIREN_DATA_DIR: tempDir(), SHIREN_MODELS_DIR: noSpeech, SHIREN_WORKERS: '1' }),
      log,
    )
    expect(loaded).not.toBeNull()
    await loaded!.close()
    expect(lines.join('\n')).toMatch(/speech models are missing/)
    const bare = await createAnalysisEngine({ modelsDir: noSpeech, workers: 1 })
    const s2 = await startTestServer({ analyser: bare })
    try {
      const r = await (await digitsFlow(s2, 'digits-no-speech')).both(readingVideo)
      expectCodes(r, 1001, '-5000')
      expect(r.why).toContain('VISION_ENGINE_UNAVAILABLE')
      expect(r.why).toContain('speech-zh')
    } finally {
      await s2.close()
      await bare.close()
    }
  }, 300_000)

  function expectCodes(r: Awaited<ReturnType<DigitsFlow['both']>>, h5Code: number, sdkCode: string) {
    expect({ h5: r.h5, sdk: r.sdk, billable: r.billable }, r.why).toEqual({ h5: h5Code, sdk: sdkCode, billable: false })
  }
})
