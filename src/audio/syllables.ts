import { SAMPLE_RATE } from './decode.js'
import { envelopeTime, type Envelope } from './envelope.js'
import type { SpeechSegment } from './vad.js'

/**
 * Syllable nuclei after de Jong & Wempe (2009, "Praat script to detect syllable nuclei"), adapted:
 * peaks of the vowel-band intensity inside voice-activity segments, above a level relative to the
 * clip's loudest frame, each separated from the previous nucleus by a dip, and voiced
 * (periodic). A Mandarin digit is one syllable (零 一 二 … 九); English zero and seven are two.
 */
export const SYLLABLE_THRESHOLDS = {
  /** a nucleus is at most this many dB below the loudest frame of the clip */
  maxBelowPeakDb: 22,
  /** the intensity must dip at least this much between two nuclei (de Jong & Wempe: 2 dB) */
  minDipDb: 2.5,
  /** two nuclei are at least this far apart (fast speech: ≤ 8 syllables/s) */
  minGapS: 0.11,
  /** smoothing of the contour before peak picking (moving average, frames of 10 ms) */
  smoothFrames: 5,
  /** voicing: normalised autocorrelation at a pitch lag of 80–400 Hz */
  minVoicing: 0.35,
} as const

export interface SyllableNuclei {
  count: number
  /** seconds */
  times: number[]
}

function smooth(x: Float32Array, k: number): Float32Array {
  if (k <= 1) return x
  const h = k >> 1
  const y = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    let s = 0
    let n = 0
    for (let j = Math.max(0, i - h); j <= Math.min(x.length - 1, i + h); j++) {
      s += x[j]!
      n++
    }
    y[i] = s / n
  }
  return y
}

/** Normalised autocorrelation peak over pitch lags 80–400 Hz of a 40 ms window centred at `t`. */
export function voicing(pcm: Float32Array, t: number): number {
  const win = Math.round(0.04 * SAMPLE_RATE)
  const c = Math.round(t * SAMPLE_RATE)
  const a = Math.max(0, c - (win >> 1))
  const b = Math.min(pcm.length, a + win)
  if (b - a < win / 2) return 0
  const minLag = Math.floor(SAMPLE_RATE / 400)
  const maxLag = Math.ceil(SAMPLE_RATE / 80)
  let mean = 0
  for (let i = a; i < b; i++) mean += pcm[i]!
  mean /= b - a
  let best = 0
  for (let lag = minLag; lag <= maxLag; lag++) {
    let num = 0,
      e0 = 0,
      e1 = 0
    for (let i = a; i + lag < b; i++) {
      const x = pcm[i]! - mean
      const y = pcm[i + lag]! - mean
      num += x * y
      e0 += x * x
      e1 += y * y
    }
    const r = e0 > 0 && e1 > 0 ? num / Math.sqrt(e0 * e1) : 0
    if (r > best) best = r
  }
  return best
}

export function syllableNuclei(
  pcm: Float32Array,
  env: Envelope,
  speech: SpeechSegment[],
  t: Partial<typeof SYLLABLE_THRESHOLDS> = {},
): SyllableNuclei {
  const T = { ...SYLLABLE_THRESHOLDS, ...t }
  const db = smooth(env.db, T.smoothFrames)
  const inSpeech = (s: number) => speech.some((g) => s >= g.startS && s <= g.endS)
  let max = -Infinity
  for (let k = 0; k < db.length; k++) if (inSpeech(envelopeTime(k, env.rateHz)) && db[k]! > max) max = db[k]!
  if (!Number.isFinite(max)) return { count: 0, times: [] }
  const floor = max - T.maxBelowPeakDb
  // local maxima inside speech, above the floor
  const peaks: number[] = []
  for (let k = 1; k + 1 < db.length; k++) {
    const v = db[k]!
    if (v < floor || !(v > db[k - 1]! && v >= db[k + 1]!)) continue
    if (!inSpeech(envelopeTime(k, env.rateHz))) continue
    peaks.push(k)
  }
  // merge peaks not separated by a real dip (keep the higher), or too close
  const kept: number[] = []
  const minGap = Math.round(T.minGapS * env.rateHz)
  for (const k of peaks) {
    const prev = kept[kept.length - 1]
    if (prev === undefined) {
      kept.push(k)
      continue
    }
    let dip = Infinity
    for (let j = prev; j <= k; j++) dip = Math.min(dip, db[j]!)
    const separated = Math.min(db[prev]!, db[k]!) - dip >= T.minDipDb && k - prev >= minGap
    if (separated) kept.push(k)
    else if (db[k]! > db[prev]!) kept[kept.length - 1] = k
  }
  const times = kept.map((k) => envelopeTime(k, env.rateHz)).filter((s) => voicing(pcm, s) >= T.minVoicing)
  return { count: times.length, times: times.map((s) => Math.round(s * 1000) / 1000) }
}
