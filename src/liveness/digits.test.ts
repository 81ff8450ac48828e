/**
 * The digits judge on synthetic inputs: every rule and the order of the rules. The real clips are
 * in digits-attempt.test.ts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Envelope } from '../audio/index.js'
import {
  avCorrelation,
  DIGITS_THRESHOLDS,
  fillGaps,
  highPass,
  judgeDigits,
  pearson,
  syncEvidence,
  type DigitsJudgeInput,
  pickLiveDigits,
} from './digits.js'

const FPS = 25
const DUR = 4
const times = Array.from({ length: DUR * FPS }, (_, i) => i / FPS)
/** syllables at 4 per second from 1.0 s to 2.5 s: mouth opens at each, the sound follows 40 ms later */
const nuclei = [1.0, 1.25, 1.5, 1.75, 2.0, 2.25]
const bump = (t: number, c: number) => Math.exp(-((t - c) ** 2) / (2 * 0.05 ** 2))
const mouth = times.map((t) => 0.02 + 0.3 * Math.max(...nuclei.map((c) => bump(t, c))))
function envelope(shiftS = 0.04): Envelope {
  const db = Float32Array.from({ length: DUR * 100 }, (_, k) => {
    const t = k / 100 + 0.02
    return -60 + 45 * Math.max(...nuclei.map((c) => bump(t - shiftS, c)))
  })
  return { rateHz: 100, db }
}
function input(over: Partial<DigitsJudgeInput> = {}, audio: Partial<DigitsJudgeInput['audio']> = {}): DigitsJudgeInput {
  return {
    audio: {
      hasTrack: true,
      digitalSilence: false,
      speechDbfs: -20,
      speech: [{ startS: 0.9, endS: 2.4 }],
      speechS: 1.5,
      envelope: envelope(),
      syllables: 6,
      ...audio,
    },
    mouthOpen: mouth,
    frameTimesS: times,
    faceComplete: times.map(() => true),
    video: { width: 640, height: 480, durationS: DUR, format: 'matroska,webm' },
    digits: '482915',
    ...over,
  }
}

describe('digits judge', () => {
  it('passes lips and sound that agree, with the right number of syllables', () => {
    const v = judgeDigits(input())
    expect(v.reason).toBe('PASS')
    expect(v.signals.avCorrelation).toBeGreaterThan(0.9)
    expect(v.signals.avLagS).toBeCloseTo(0.04, 2)
    expect(v.signals.digitsRecognized).toBeNull()
  })
  it('media rules come first: format, resolution, duration', () => {
    expect(judgeDigits(input({ video: { width: 640, height: 480, durationS: DUR, format: 'gif' } })).reason).toBe(
      'DIGITS_VIDEO_FORMAT_INVALID',
    )
    expect(
      judgeDigits(input({ video: { width: 320, height: 200, durationS: DUR, format: 'matroska,webm' } })).reason,
    ).toBe('DIGITS_VIDEO_RESOLUTION_TOO_LOW')
    expect(
      judgeDigits(input({ video: { width: 640, height: 480, durationS: 1.2, format: 'matroska,webm' } })).reason,
    ).toBe('DIGITS_VIDEO_DURATION_INVALID')
    expect(
      judgeDigits(input({ video: { width: 640, height: 480, durationS: 45, format: 'matroska,webm' } })).reason,
    ).toBe('DIGITS_VIDEO_DURATION_INVALID')
  })
  it('sound: none, digital silence, too quiet, no speech', () => {
    expect(judgeDigits(input({}, { hasTrack: false })).reason).toBe('NO_AUDIO')
    expect(judgeDigits(input({}, { digitalSilence: true })).reason).toBe('NO_AUDIO')
    expect(judgeDigits(input({}, { speechDbfs: -55 })).reason).toBe('AUDIO_TOO_QUIET')
    expect(judgeDigits(input({}, { speech: [], speechS: 0 })).reason).toBe('SPEECH_NOT_DETECTED')
  })
  it('speech far too short or too long for the digits issued', () => {
    expect(judgeDigits(input({}, { speech: [{ startS: 1, endS: 1.4 }], speechS: 0.4 })).reason).toBe(
      'DIGITS_VIDEO_DURATION_INVALID',
    )
    expect(
      judgeDigits(
        input(
          { digits: '1234', video: { width: 640, height: 480, durationS: 12, format: 'matroska,webm' } },
          { speech: [{ startS: 0.5, endS: 9 }], speechS: 8.5 },
        ),
      ).reason,
    ).toBe('DIGITS_VIDEO_DURATION_INVALID')
  })
  it('the face must be complete while the digits are spoken', () => {
    const faceComplete = times.map((t) => t < 1.2 || t > 2.2)
    expect(judgeDigits(input({ faceComplete })).reason).toBe('FACE_INCOMPLETE_DURING_SPEECH')
    // a face missing outside the speech does not matter
    expect(judgeDigits(input({ faceComplete: times.map((t) => t > 0.5) })).reason).toBe('PASS')
  })
  it('lips that barely move', () => {
    expect(judgeDigits(input({ mouthOpen: times.map((t) => 0.03 + 0.01 * Math.sin(t * 20)) })).reason).toBe(
      'LIP_MOVEMENT_TOO_SMALL',
    )
  })
  it('sound that does not follow the lips: shifted by 0.5 s, or another rhythm', () => {
    const shifted = judgeDigits(input({}, { envelope: envelope(0.54) }))
    // the synthetic rhythm is periodic (0.25 s): a 0.5 s shift lands on the next-but-one syllable, but the ends no longer match
    expect(shifted.signals.avCorrelation).toBeLessThan(0.9)
    const other = [0.45, 0.7, 2.6, 2.85] // sound while the lips rest
    const db = Float32Array.from(
      { length: DUR * 100 },
      (_, k) => -60 + 45 * Math.max(...other.map((c) => bump(k / 100 + 0.02, c))),
    )
    expect(judgeDigits(input({}, { envelope: { rateHz: 100, db } })).reason).toBe('SPEECH_MISMATCH')
  })
  /** an irregular rhythm: unlike the regular one, a shift of it lands on no other syllable */
  const at = [0.9, 1.1, 1.45, 1.6, 2.05, 2.4]
  const mo = times.map((t) => 0.02 + 0.3 * Math.max(...at.map((c) => bump(t, c))))
  const env = (cs: number[], shift: number): Envelope => ({
    rateHz: 100,
    db: Float32Array.from(
      { length: DUR * 100 },
      (_, k) => -60 + 45 * Math.max(...cs.map((c) => bump(k / 100 + 0.02 - shift, c))),
    ),
  })
  it('syllable-rate sync: an irregular rhythm peaks at its own lag; the same rhythm 0.45 s late has no near peak', () => {
    const own = syncEvidence(mo, times, env(at, 0.04), 0.4, 2.9, DIGITS_THRESHOLDS)
    expect(own.peak).toBeGreaterThan(0.8)
    expect(own.lagS).toBeCloseTo(0.04, 2)
    expect(own.z).toBeGreaterThan(DIGITS_THRESHOLDS.minSyncZ)
    const late = syncEvidence(mo, times, env(at, 0.45), 0.4, 2.9, DIGITS_THRESHOLDS)
    expect(late.peak >= DIGITS_THRESHOLDS.minSyncPeak && late.z >= DIGITS_THRESHOLDS.minSyncZ).toBe(false)
    expect(late.z).toBeLessThan(own.z)
    expect(
      judgeDigits(input({ mouthOpen: mo }, { envelope: env(at, 0.45), speech: [{ startS: 1.3, endS: 2.85 }] })).reason,
    ).toBe('SPEECH_MISMATCH')
    expect(highPass([1, 1, 1, 1, 1], 3)).toEqual([0, 0, 0, 0, 0])
  })
  it('a sound that fits the lips clearly better at another lag is refused, whatever its near peak and z', () => {
    const loose = { minAvCorrelation: -1, minSyncPeak: -1, minSyncZ: -Infinity }
    const own = judgeDigits(input({ mouthOpen: mo }, { envelope: env(at, 0.04) }), loose)
    expect(own.reason).toBe('PASS')
    expect(own.signals.syncNearShare).toBeCloseTo(1, 2)
    const late = judgeDigits(
      input({ mouthOpen: mo }, { envelope: env(at, 0.35), speech: [{ startS: 1.2, endS: 2.75 }] }),
      loose,
    )
    expect(late.reason).toBe('SPEECH_MISMATCH')
    expect(late.signals.syncBestLagS).toBeCloseTo(0.36, 1)
    expect(late.signals.syncNearShare as number).toBeLessThan(DIGITS_THRESHOLDS.minSyncNearShare)
  })
  it('a syllable count that does not fit the digits issued', () => {
    expect(judgeDigits(input({ digits: '48291' }, { syllables: 2 })).reason).toBe('SPEECH_MISMATCH')
    expect(judgeDigits(input({ digits: '4829' }, { syllables: 6 })).reason).toBe('SPEECH_MISMATCH')
    expect(judgeDigits(input({ digits: '48291' })).reason).toBe('PASS') // 6 counted for 5: within +1
  })
  it('a surplus of syllables does not refuse digits the recogniser verified; a shortfall still does', () => {
    const heard = (pass: boolean) => ({ pass, heard: '4829', scores: [0.9, 0.8, 0.7, 0.9], margin: pass ? 2 : -1 })
    // 三 五 七 九 often count as two nuclei: 6 counted for 4 verified digits
    const surplus = judgeDigits(input({ digits: '4829', verification: heard(true) }, { syllables: 6 }))
    expect(surplus.reason).toBe('PASS')
    expect(surplus.signals.syllableDifference).toBe(2)
    expect(judgeDigits(input({ digits: '4829', verification: heard(false) }, { syllables: 6 })).reason).toBe(
      'SPEECH_MISMATCH',
    )
    expect(judgeDigits(input({ digits: '4829', verification: null }, { syllables: 6 })).reason).toBe('SPEECH_MISMATCH')
    expect(judgeDigits(input({ digits: '4829123', verification: heard(true) }, { syllables: 3 })).reason).toBe(
      'SPEECH_MISMATCH',
    )
  })
  it("the recogniser's verification decides the digits and its evidence is in the signals", () => {
    const v = (pass: boolean, heard: string | null) => ({
      pass,
      heard,
      scores: [0.9, 0.8, 0, 0.7, 0.9, 0.6],
      margin: pass ? 1 : -3,
      unheard: 1,
      foreign: pass ? 0 : 1,
      hypotheses: [heard ?? ''],
    })
    const ok = judgeDigits(input({ verification: v(true, '48915') }))
    expect(ok.reason).toBe('PASS')
    expect(ok.signals).toMatchObject({
      digitsRecognized: '48915',
      digitScores: '0.9,0.8,0,0.7,0.9,0.6',
      digitsMargin: 1,
      digitsVerified: true,
      digitsUnheard: 1,
    })
    const bad = judgeDigits(input({ verification: v(false, '482916') }))
    expect(bad.reason).toBe('SPEECH_MISMATCH')
    expect(bad.signals.digitsMargin).toBe(-3)
    expect(judgeDigits(input({ verification: null })).signals.digitsRecognized).toBeNull()
  })
  it('helpers', () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).toBeCloseTo(1)
    expect(fillGaps([NaN, 1, NaN, 3, NaN])).toEqual([1, 1, 2, 3, 3])
    const av = avCorrelation(mouth, times, envelope(0.1), 0.5, 3, 0.2)
    expect(av.lagS).toBeCloseTo(0.1, 2)
  })
})

describe('pickLiveDigits', () => {
  it('gives the asked number of digits, never the same digit twice in a row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (n, draws) => {
        let k = 0
        const d = pickLiveDigits(n, (m) => draws[k++]! % m)
        expect(d).toMatch(new RegExp(`^\\d{${n}}$`))
        for (let i = 1; i < d.length; i++) expect(d[i]).not.toBe(d[i - 1])
      }),
    )
  })
  it('can give every digit after every other one (uniform over the nine allowed)', () => {
    const seen = new Set<string>()
    for (let first = 0; first < 10; first++)
      for (let next = 0; next < 9; next++) {
        const draws = [first, next]
        let k = 0
        seen.add(pickLiveDigits(2, (m) => draws[k++]! % m))
      }
    expect(seen.size).toBe(90)
  })
})
