/**
 * Read-the-digits attempts on a real GRID clip (bbaf2n, "bin blue at f two now", 6 syllables) and
 * variants made from it with ffmpeg in a temporary folder. Each digital-liveness reason comes from a
 * real cause, and its code is asserted in both families. The clip is English: the digits issued are
 * six digits standing for its six syllables (`expectedSyllables` is not needed: one per digit).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCode } from '../codes/index.js'
import type { Reason } from '../codes/index.js'
import { ffmpegPath } from '../media/index.js'
import { SileroVad } from '../audio/index.js'
import { loadFaceDetector, type FaceDetector } from '../vision/index.js'
import { runDigitsAttempt } from './digits-attempt.js'

const shared = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'))
const data = join(shared, 'data')
const modelsDir = join(shared, 'models')
const hasData =
  existsSync(join(data, 'videos', 'grid', 'bbaf2n.mpg')) && existsSync(join(data, 'videos', 'liveportrait', 'd0.mp4'))
if (!hasData) console.log(`SKIP digits attempts on real clips: ${data}/videos is absent`)

const grid = join(data, 'videos/grid/bbaf2n.mpg')
let detector: FaceDetector
let vad: SileroVad
let dir = ''

function ff(args: string[]): void {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  if (r.status !== 0) throw new Error(r.stderr.toString())
}
/** bbaf2n's video stream (copied) with another sound */
function withSound(name: string, audioInput: string[], filter: string[] = []): string {
  const out = join(dir, name)
  ff([
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
  ])
  return out
}
const attempt = (path: string, digits = '482915') => runDigitsAttempt(detector, path, digits, { vad })
function expectReason(got: Reason, want: Reason) {
  expect({ reason: got, h5: toCode('h5', got).code, sdk: toCode('sdk', got).code }).toEqual({
    reason: want,
    h5: toCode('h5', want).code,
    sdk: toCode('sdk', want).code,
  })
}

describe.skipIf(!hasData)('digits attempts on a real talking clip', () => {
  beforeAll(async () => {
    detector = await loadFaceDetector(modelsDir)
    vad = await SileroVad.load()
    dir = mkdtempSync(join(tmpdir(), 'shiren-digits-'))
  }, 120_000)
  afterAll(async () => {
    await vad?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('the genuine clip passes; digitsRecognized is null (no recogniser configured)', async () => {
    const r = await attempt(grid)
    expect(r.reason).toBe('PASS')
    expect(r.signals.digitsRecognized).toBeNull()
    expect(r.signals.recognizer).toBe('none')
    expect(r.signals.avCorrelation).toBeGreaterThan(0.35)
    expect(r.scan?.best).toBeTruthy()
  })

  it('1101 / -5010: no audio track, and a track of digital silence (NO_AUDIO)', async () => {
    const none = join(dir, 'no-track.mkv')
    ff(['-i', grid, '-an', '-c:v', 'copy', none])
    expectReason((await attempt(none)).reason, 'NO_AUDIO')
    expect(toCode('h5', 'NO_AUDIO').code).toBe(1101)
    expect(toCode('sdk', 'NO_AUDIO').code).toBe(-5010)
    const zeros = withSound('zeros.mkv', ['-f', 'lavfi', '-t', '3', '-i', 'anullsrc=r=44100:cl=mono'])
    expectReason((await attempt(zeros)).reason, 'NO_AUDIO')
  })

  it('1106 / -5010: the same speech 45 dB quieter (AUDIO_TOO_QUIET)', async () => {
    const quiet = withSound('quiet.mkv', ['-i', grid], ['-af', 'volume=-45dB'])
    const r = await attempt(quiet)
    expectReason(r.reason, 'AUDIO_TOO_QUIET')
    expect(toCode('h5', 'AUDIO_TOO_QUIET').code).toBe(1106)
  })

  it('1101 / -5010: loud noise and no voice (SPEECH_NOT_DETECTED)', async () => {
    const noise = withSound('noise.mkv', ['-f', 'lavfi', '-t', '3', '-i', 'anoisesrc=r=44100:a=0.2:c=pink:seed=1'])
    expectReason((await attempt(noise)).reason, 'SPEECH_NOT_DETECTED')
  })

  it('1104 / 66660016: not a video (DIGITS_VIDEO_FORMAT_INVALID)', async () => {
    const wav = join(dir, 'sound-only.mkv')
    ff(['-i', grid, '-vn', '-c:a', 'pcm_s16le', wav])
    expectReason((await attempt(wav)).reason, 'DIGITS_VIDEO_FORMAT_INVALID')
    expect(toCode('sdk', 'DIGITS_VIDEO_FORMAT_INVALID').code).toBe(66660016)
  })

  it('1108 / -1304: 200×160 picture (DIGITS_VIDEO_RESOLUTION_TOO_LOW)', async () => {
    const small = join(dir, 'small.mkv')
    ff(['-i', grid, '-vf', 'scale=200:160', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', small])
    expectReason((await attempt(small)).reason, 'DIGITS_VIDEO_RESOLUTION_TOO_LOW')
    expect(toCode('h5', 'DIGITS_VIDEO_RESOLUTION_TOO_LOW').code).toBe(1108)
  })

  it('1107 / -5051: a 1.5 s clip, and 1.2 s of speech for 20 digits (DIGITS_VIDEO_DURATION_INVALID)', async () => {
    const short = join(dir, 'short.mkv')
    ff(['-i', grid, '-t', '1.5', '-c:v', 'copy', '-c:a', 'aac', short])
    expectReason((await attempt(short)).reason, 'DIGITS_VIDEO_DURATION_INVALID')
    // 1.2 s of speech cannot be 20 digits
    expectReason((await attempt(grid, '12345678901234567890')).reason, 'DIGITS_VIDEO_DURATION_INVALID')
  })

  it('1102 / -5009: the lower face covered while speaking (FACE_INCOMPLETE_DURING_SPEECH)', async () => {
    const covered = join(dir, 'covered.mkv')
    ff([
      '-i',
      grid,
      '-vf',
      "drawbox=x=0:y=ih*0.5:w=iw:h=ih*0.5:color=black:t=fill:enable='between(t,0.9,2.3)'",
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      covered,
    ])
    const r = await attempt(covered)
    expectReason(r.reason, 'FACE_INCOMPLETE_DURING_SPEECH')
    expect(toCode('sdk', 'FACE_INCOMPLETE_DURING_SPEECH').code).toBe(-5009)
  })

  it('1109 / -7001: a person who does not speak while a recording plays (LIP_MOVEMENT_TOO_SMALL)', async () => {
    const still = join(dir, 'playback.mkv')
    ff([
      '-i',
      join(data, 'videos/liveportrait/d0.mp4'),
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
      still,
    ])
    const r = await attempt(still)
    expectReason(r.reason, 'LIP_MOVEMENT_TOO_SMALL')
    expect(toCode('sdk', 'LIP_MOVEMENT_TOO_SMALL').code).toBe(-7001)
  })

  it('1103 / -5008: sound advanced by 0.5 s, and a syllable count that does not fit (SPEECH_MISMATCH)', async () => {
    const early = withSound('advanced.mkv', ['-ss', '0.5', '-i', grid])
    const r = await attempt(early)
    expectReason(r.reason, 'SPEECH_MISMATCH')
    expect(r.signals.avCorrelation as number).toBeLessThan(0.35)
    // 5 nuclei counted; 9 digits issued (speech span 1.2 s is still plausible for 9)
    const wrong = await attempt(grid, '123456789')
    expectReason(wrong.reason, 'SPEECH_MISMATCH')
    expect(wrong.signals.syllableDifference).toBe(-4)
    expect(toCode('h5', 'SPEECH_MISMATCH').code).toBe(1103)
    expect(toCode('sdk', 'SPEECH_MISMATCH').code).toBe(-5008)
  })
})
