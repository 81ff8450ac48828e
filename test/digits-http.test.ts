import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { digitsFlow, type DigitsFlow } from './support/digits-flow.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'

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
