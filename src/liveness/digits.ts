import type { Reason } from '../codes/index.js'
import { envelopeAt, type Envelope, type DigitVerification } from '../audio/index.js'
import { ACCEPTED_VIDEO_CONTAINERS, MEDIA_LIMITS } from '../media/index.js'
import { quantile } from './timeline.js'

/**
 * Read-the-digits liveness: the judge. Pure: it sees measurements (the sound analysed by
 * src/audio, the mouth opening per video frame from the face mesh) and returns one reason and the
 * signals it based it on. No model runs here. Thresholds are one table, mirrored in docs/digits.md
 * with their evidence.
 */
export const DIGITS_THRESHOLDS = {
  /** video length (s); the product asks for about 6 s */
  minVideoS: MEDIA_LIMITS.video.minDurationS,
  maxVideoS: 20,
  /** shorter side of the picture (px) */
  minShortSide: MEDIA_LIMITS.video.minShortSide,
  /** speech level (RMS over the voice-activity segments) below this: too quiet (dBFS) */
  minSpeechDbfs: -42,
  /** less speech than this (s) in total: none detected */
  minSpeechS: 0.3,
  /** speech span (first onset → last offset) per expected syllable: at least / at most (s) … */
  minSpanPerSyllableS: 0.12,
  maxSpanPerSyllableS: 0.9,
  /** … plus this much slack on the upper bound (hesitation before the first digit) */
  spanSlackS: 1.5,
  /** a complete face in at least this share of the video frames that fall in speech */
  minFaceCompleteShare: 0.8,
  /** mouth opening (inner-lip gap / mouth width): 90th − 10th percentile during speech */
  minMouthRange: 0.05,
  /** audio–visual agreement: best Pearson correlation of the mouth opening and the speech envelope … */
  minAvCorrelation: 0.35,
  /** … over audio lags within ±this (s); lips usually lead the sound by 0–150 ms */
  maxAvLagS: 0.2,
  /** frames before the first and after the last speech segment that take part in the correlation (s) */
  avMarginS: 0.5,
  /**
   * Lip sync at the syllable rate: both series (mouth opening, envelope) lose their slow shape
   * (minus a moving mean over this many seconds, i.e. a high-pass near 2 Hz) so the common
   * silence/speech/silence outline of every clip no longer correlates; then the correlation is taken
   * at audio lags every 20 ms within ±syncMaxLagS.
   */
  syncHighPassS: 0.5,
  syncMaxLagS: 0.6,
  /** the peak is looked for within ±this lag (phone audio/video offsets) … */
  syncNearLagS: 0.12,
  /** … and compared with the correlations at lags at least this far (a z-score: no absolute scale) */
  syncFarLagS: 0.3,
  /** near-lag peak of the band-passed correlation (genuine min 0.27; see docs/digits.md) */
  minSyncPeak: 0.22,
  /** z of that peak over the far-lag correlations (genuine min 1.76) */
  minSyncZ: 1.5,
  /**
   * the near peak over the best correlation at any lag within ±syncMaxLagS: a sound that fits the
   * lips clearly better at another lag belongs to another moment (genuine min 0.82, face_3; in
   * bench:digits it stops a sound 0.5 s late whose best lag is +0.5 s, at 0.67; docs/digits.md)
   */
  minSyncNearShare: 0.75,
  /**
   * syllable nuclei counted minus syllables expected: allowed range (counting merges syllables in connected speech
   * more often than it splits them). The surplus binds only where no recogniser verified the digits: 三 五 七 九
   * often count as two nuclei, and a verified reading has every heard digit issued, in order (docs/digits.md).
   */
  maxSyllablesBelow: 2,
  maxSyllablesAbove: 1,
} as const

/**
 * The digits a person is asked to read: `count` random digits, never the same digit twice in a row. A run such
 * as 3-3-3 runs together when read aloud, and one digit the verifier does not hear is then missed several times
 * over, past the tolerated unheard digits (the HTTP suite's made-to-fit reading of 3339 was heard as 9 alone in
 * all four decodings, 2026-12-06); without runs a four-digit challenge holds any digit at most twice.
 * 10 · 9³ = 7,290 four-digit challenges, each valid for minutes and used once.
 */
export function pickLiveDigits(count: number, randInt: (n: number) => number): string {
  let out = ''
  for (let i = 0; i < count; i++) {
    const prev = out.length ? Number(out[out.length - 1]) : -1
    // uniform over the 9 digits other than the previous one (10 for the first)
    let d = randInt(prev < 0 ? 10 : 9)
    if (prev >= 0 && d >= prev) d++
    out += String(d)
  }
  return out
}

export type DigitsThresholds = { -readonly [K in keyof typeof DIGITS_THRESHOLDS]: number }

/** What the judge needs to know about the sound (a subset of src/audio's AudioAnalysis). */
export interface DigitsAudio {
  hasTrack: boolean
  digitalSilence: boolean
  speechDbfs: number
  speech: Array<{ startS: number; endS: number }>
  speechS: number
  envelope: Envelope
  syllables: number
}

export interface DigitsJudgeInput {
  audio: DigitsAudio
  /** mouth opening per analysed video frame (inner-lip gap over mouth width), NaN where no face */
  mouthOpen: number[]
  /** time (s) of each analysed frame */
  frameTimesS: number[]
  /** per frame: one face, fully inside the picture and uncovered */
  faceComplete: boolean[]
  video: { width: number; height: number; durationS: number; format: string }
  /** the digits issued for this attempt */
  digits: string
  /**
   * Syllables the digits stand for. Default: one per digit (every Mandarin digit 零…九 is one
   * syllable). Tests and benchmarks on English sentences pass the sentence's syllable count.
   */
  expectedSyllables?: number
  /**
   * The recogniser's verification of the issued digits (src/audio). Undefined: no recogniser took
   * part (only the judge's own tests and the benchmark's lip-sync columns); the analysis engine
   * never judges a digits attempt without one (it answers "not available" instead).
   */
  verification?: DigitVerification | null
}

export type DigitsSignals = Record<string, number | string | boolean | null>

export interface DigitsVerdict {
  reason: Reason
  signals: DigitsSignals
}

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null)

/** Pearson correlation of the pairs where both are finite; NaN with fewer than 5 pairs or no variance. */
export function pearson(a: number[], b: number[]): number {
  let n = 0,
    sa = 0,
    sb = 0
  for (let i = 0; i < a.length; i++)
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) {
      n++
      sa += a[i]!
      sb += b[i]!
    }
  if (n < 5) return NaN
  const ma = sa / n,
    mb = sb / n
  let num = 0,
    va = 0,
    vb = 0
  for (let i = 0; i < a.length; i++) {
    if (!(Number.isFinite(a[i]) && Number.isFinite(b[i]))) continue
    const x = a[i]! - ma,
      y = b[i]! - mb
    num += x * y
    va += x * x
    vb += y * y
  }
  return va > 0 && vb > 0 ? num / Math.sqrt(va * vb) : NaN
}

/** Fill NaN gaps (frames without a face) by linear interpolation; leading/trailing gaps take the nearest value. */
export function fillGaps(v: number[]): number[] {
  const out = [...v]
  const known = out.map((x, i) => (Number.isFinite(x) ? i : -1)).filter((i) => i >= 0)
  if (!known.length) return out
  for (let i = 0; i < out.length; i++) {
    if (Number.isFinite(out[i])) continue
    const next = known.find((k) => k > i)
    const prev = [...known].reverse().find((k) => k < i)
    if (prev === undefined) out[i] = out[next!]!
    else if (next === undefined) out[i] = out[prev]!
    else out[i] = out[prev]! + ((out[next]! - out[prev]!) * (i - prev)) / (next - prev)
  }
  return out
}

/**
 * Audio–visual agreement: the mouth opening against the speech envelope shifted by each lag in
 * ±maxLagS (positive lag = the sound comes later than the lips), over the frames from `fromS` to
 * `toS`. Returns the best correlation, its lag, and the correlation at lag 0.
 */
export function avCorrelation(
  mouth: number[],
  times: number[],
  env: Envelope,
  fromS: number,
  toS: number,
  maxLagS: number,
): { best: number; lagS: number; atZero: number } {
  const idx = times.map((t, i) => (t >= fromS && t <= toS ? i : -1)).filter((i) => i >= 0)
  const m = idx.map((i) => mouth[i]!)
  const ts = idx.map((i) => times[i]!)
  const maxK = Math.max(0, Math.round(maxLagS / 0.01))
  let best = -Infinity
  let lagS = 0
  let atZero = NaN
  for (let k = -maxK; k <= maxK; k++) {
    const lag = k * 0.01
    const e = envelopeAt(
      env,
      ts.map((t) => t + lag),
    )
    const c = pearson(m, e)
    if (k === 0) atZero = c
    if (Number.isFinite(c) && c > best) {
      best = c
      lagS = lag
    }
  }
  return { best: Number.isFinite(best) ? best : NaN, lagS, atZero }
}

function movingMean(x: number[], w: number): number[] {
  const h = Math.floor(w / 2)
  return x.map((_, i) => {
    let s = 0,
      n = 0
    for (let j = Math.max(0, i - h); j <= Math.min(x.length - 1, i + h); j++)
      if (Number.isFinite(x[j])) {
        s += x[j]!
        n++
      }
    return n ? s / n : NaN
  })
}
/** The series minus its moving mean over `w` samples: keeps the syllable-rate wiggle, drops the outline. */
export function highPass(x: number[], w: number): number[] {
  const m = movingMean(x, w)
  return x.map((v, i) => v - m[i]!)
}

/**
 * Lip sync at the syllable rate (after the AV-sync literature, without a learned model): mouth
 * opening and envelope, both high-passed, correlated at audio lags every 20 ms within ±maxLagS. A
 * genuine recording peaks near lag 0; a shifted sound peaks far from 0; a sound from another
 * recording has no outstanding peak. `z` = (near peak − mean far) / sd far; `best` / `bestLagS`: the
 * highest correlation at any lag, so the judge can ask that none beats the near peak by much.
 */
export function syncEvidence(
  mouth: number[],
  times: number[],
  env: Envelope,
  fromS: number,
  toS: number,
  T: Pick<DigitsThresholds, 'syncHighPassS' | 'syncMaxLagS' | 'syncNearLagS' | 'syncFarLagS'>,
): { peak: number; lagS: number; z: number; best: number; bestLagS: number } {
  const none = { peak: NaN, lagS: 0, z: NaN, best: NaN, bestLagS: 0 }
  const idx = times.map((t, i) => (t >= fromS && t <= toS ? i : -1)).filter((i) => i >= 0)
  if (idx.length < 10) return none
  const ts = idx.map((i) => times[i]!)
  const dt = (ts[ts.length - 1]! - ts[0]!) / (ts.length - 1)
  const w = Math.max(3, Math.round(T.syncHighPassS / dt) | 1)
  const m = highPass(
    idx.map((i) => mouth[i]!),
    w,
  )
  let peak = -Infinity,
    lagS = 0
  let best = -Infinity,
    bestLagS = 0
  const far: number[] = []
  const steps = Math.round(T.syncMaxLagS / 0.02)
  for (let k = -steps; k <= steps; k++) {
    const lag = k * 0.02
    const at = ts.map((t) => t + lag)
    const e = envelopeAt(env, at).map((v, i) => (at[i]! < 0 ? NaN : v))
    const c = pearson(m, highPass(e, w))
    if (!Number.isFinite(c)) continue
    if (c > best) {
      best = c
      bestLagS = lag
    }
    if (Math.abs(lag) <= T.syncNearLagS + 1e-9 && c > peak) {
      peak = c
      lagS = lag
    }
    if (Math.abs(lag) >= T.syncFarLagS - 1e-9) far.push(c)
  }
  if (!Number.isFinite(peak) || far.length < 3) return none
  const mf = far.reduce((a, c) => a + c, 0) / far.length
  const sd = Math.sqrt(far.reduce((a, c) => a + (c - mf) ** 2, 0) / far.length)
  return { peak, lagS, z: sd > 0 ? (peak - mf) / sd : NaN, best, bestLagS }
}

/**
 * The judge's rules on the sound alone that come before the face rules (first failure, or null): a sound track
 * that is not digital silence, loud enough, with speech, over a span plausible for the digits. Exported with
 * `syllableCountRule` so that bench:digits judges its audio-only readings as the judge would, not by the
 * recogniser alone.
 */
export function digitsSoundRule(
  audio: DigitsAudio,
  expectedSyllables: number,
  T: DigitsThresholds = DIGITS_THRESHOLDS,
): Reason | null {
  if (!audio.hasTrack || audio.digitalSilence) return 'NO_AUDIO'
  if (!(audio.speechDbfs >= T.minSpeechDbfs)) return 'AUDIO_TOO_QUIET'
  if (audio.speechS < T.minSpeechS || !audio.speech.length) return 'SPEECH_NOT_DETECTED'
  const span = audio.speech[audio.speech.length - 1]!.endS - audio.speech[0]!.startS
  if (
    span < expectedSyllables * T.minSpanPerSyllableS ||
    span > expectedSyllables * T.maxSpanPerSyllableS + T.spanSlackS
  )
    return 'DIGITS_VIDEO_DURATION_INVALID'
  return null
}

/**
 * The syllable count (after the lip rules): nuclei short of the syllables expected by more than
 * `maxSyllablesBelow` refuse; a surplus over `maxSyllablesAbove` refuses only where no recogniser verified the
 * digits (三 五 七 九 often count as two nuclei; docs/digits.md, "Syllable counting").
 */
export function syllableCountRule(
  syllables: number,
  expectedSyllables: number,
  digitsVerified: boolean,
  T: DigitsThresholds = DIGITS_THRESHOLDS,
): Reason | null {
  const diff = syllables - expectedSyllables
  if (diff < -T.maxSyllablesBelow || (diff > T.maxSyllablesAbove && !digitsVerified)) return 'SPEECH_MISMATCH'
  return null
}

/**
 * The digits judge. Order (the first failure is the reason): format → resolution → duration →
 * audio present → loud enough → speech present → speech span plausible for the digits → face
 * complete during speech → lips move → lips and sound agree → syllable count (its surplus only where the digits
 * were not verified) → the recogniser's verification of the issued digits.
 */
export function judgeDigits(input: DigitsJudgeInput, thresholds: Partial<DigitsThresholds> = {}): DigitsVerdict {
  const T = { ...DIGITS_THRESHOLDS, ...thresholds }
  const { audio, video } = input
  const expected = input.expectedSyllables ?? input.digits.length
  const signals: DigitsSignals = {
    digitsIssued: input.digits,
    expectedSyllables: expected,
    digitsRecognized: input.verification?.heard ?? null,
    audioTrack: audio.hasTrack,
    digitalSilence: audio.digitalSilence,
    speechDbfs: r3(audio.speechDbfs),
    speechS: r3(audio.speechS),
    speechSegments: audio.speech.length,
    syllables: audio.syllables,
  }
  if (input.verification) {
    const v = input.verification
    signals.digitScores = v.scores.join(',')
    signals.digitsMargin = r3(v.margin)
    signals.digitsVerified = v.pass
    if (v.unheard !== undefined) signals.digitsUnheard = v.unheard
    if (v.foreign !== undefined) signals.digitsForeign = v.foreign
    if (v.votes) signals.digitVotes = v.votes.join('')
    if (v.hypotheses) signals.digitHypotheses = v.hypotheses.join('|')
  }
  const out = (reason: Reason): DigitsVerdict => ({ reason, signals })
  if (!/^[0-9]+$/.test(input.digits)) throw new TypeError('digits must be a non-empty string of 0-9')

  if (!(ACCEPTED_VIDEO_CONTAINERS as readonly string[]).includes(video.format))
    return out('DIGITS_VIDEO_FORMAT_INVALID')
  if (Math.min(video.width, video.height) < T.minShortSide) return out('DIGITS_VIDEO_RESOLUTION_TOO_LOW')
  if (!(video.durationS >= T.minVideoS && video.durationS <= T.maxVideoS)) return out('DIGITS_VIDEO_DURATION_INVALID')

  const soundReason = digitsSoundRule(audio, expected, T)
  if (soundReason && soundReason !== 'DIGITS_VIDEO_DURATION_INVALID') return out(soundReason)
  const first = audio.speech[0]!.startS
  const last = audio.speech[audio.speech.length - 1]!.endS
  signals.speechStartS = r3(first)
  signals.speechSpanS = r3(last - first)
  if (soundReason) return out(soundReason)

  // frames during speech
  const inSpeech = input.frameTimesS.map((t) => audio.speech.some((s) => t >= s.startS && t <= s.endS))
  const speechFrames = inSpeech.filter(Boolean).length
  const complete = input.faceComplete.filter((c, i) => c && inSpeech[i]).length
  signals.speechFrames = speechFrames
  signals.faceCompleteShare = speechFrames ? r3(complete / speechFrames) : 0
  if (!speechFrames || complete / speechFrames < T.minFaceCompleteShare) return out('FACE_INCOMPLETE_DURING_SPEECH')

  const mouthDuring = input.mouthOpen.filter((v, i) => inSpeech[i] && input.faceComplete[i] && Number.isFinite(v))
  const range = quantile(mouthDuring, 0.9) - quantile(mouthDuring, 0.1)
  signals.mouthRange = r3(range)
  signals.mouthMax = r3(Math.max(...mouthDuring))
  if (!(range >= T.minMouthRange)) return out('LIP_MOVEMENT_TOO_SMALL')

  const mouth = fillGaps(input.mouthOpen.map((v, i) => (input.faceComplete[i] ? v : NaN)))
  const av = avCorrelation(
    mouth,
    input.frameTimesS,
    audio.envelope,
    first - T.avMarginS,
    last + T.avMarginS,
    T.maxAvLagS,
  )
  signals.avCorrelation = r3(av.best)
  signals.avLagS = r3(av.lagS)
  signals.avCorrelationAtZero = r3(av.atZero)
  if (!(av.best >= T.minAvCorrelation)) return out('SPEECH_MISMATCH')
  const sync = syncEvidence(mouth, input.frameTimesS, audio.envelope, first - T.avMarginS, last + T.avMarginS, T)
  signals.syncPeak = r3(sync.peak)
  signals.syncLagS = r3(sync.lagS)
  signals.syncZ = r3(sync.z)
  signals.syncBestLagS = r3(sync.bestLagS)
  const nearShare = sync.best > 0 ? sync.peak / sync.best : NaN
  signals.syncNearShare = r3(nearShare)
  if (!(sync.peak >= T.minSyncPeak && sync.z >= T.minSyncZ && nearShare >= T.minSyncNearShare))
    return out('SPEECH_MISMATCH')

  signals.syllableDifference = audio.syllables - expected
  const countReason = syllableCountRule(audio.syllables, expected, input.verification?.pass === true, T)
  if (countReason) return out(countReason)

  // the digits themselves: a recording made before they were issued says other digits
  if (input.verification && !input.verification.pass) return out('SPEECH_MISMATCH')
  return out('PASS')
}
