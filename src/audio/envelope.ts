import { SAMPLE_RATE } from './decode.js'

/** Rate of the intensity contour: one value every 10 ms. */
export const ENVELOPE_RATE = 100

export interface Envelope {
  /** values per second */
  rateHz: number
  /** intensity in dB relative to full scale (band 300–2500 Hz, 40 ms Hann window), floor −100 */
  db: Float32Array
}

/** RBJ band-pass biquad (constant 0 dB peak gain), applied in place on a copy. */
function bandPass(x: Float32Array, f0: number, q: number): Float32Array {
  const w = (2 * Math.PI * f0) / SAMPLE_RATE
  const alpha = Math.sin(w) / (2 * q)
  const a0 = 1 + alpha
  const b0 = alpha / a0
  const b2 = -alpha / a0
  const a1 = (-2 * Math.cos(w)) / a0
  const a2 = (1 - alpha) / a0
  const y = new Float32Array(x.length)
  let x1 = 0,
    x2 = 0,
    y1 = 0,
    y2 = 0
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!
    const yi = b0 * xi + b2 * x2 - a1 * y1 - a2 * y2
    x2 = x1
    x1 = xi
    y2 = y1
    y1 = yi
    y[i] = yi
  }
  return y
}

/**
 * Vowel-band intensity contour: the band 300–2500 Hz (two band-pass passes centred at 870 Hz)
 * holds the first formants of vowels, so syllable nuclei stand out and fricatives (s, f, x) and
 * low rumble count little. 40 ms Hann window every 10 ms.
 */
export function intensityEnvelope(pcm: Float32Array): Envelope {
  const band = bandPass(bandPass(pcm, 870, 0.6), 870, 0.6)
  const hop = SAMPLE_RATE / ENVELOPE_RATE
  const win = Math.round(0.04 * SAMPLE_RATE)
  const hann = new Float32Array(win)
  let wsum = 0
  for (let i = 0; i < win; i++) {
    hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / win)
    wsum += hann[i]! * hann[i]!
  }
  const n = Math.max(0, Math.floor((band.length - win) / hop) + 1)
  const db = new Float32Array(n)
  for (let k = 0; k < n; k++) {
    let s = 0
    const o = k * hop
    for (let i = 0; i < win; i++) {
      const v = band[o + i]! * hann[i]!
      s += v * v
    }
    db[k] = Math.max(-100, 10 * Math.log10(s / wsum + 1e-12))
  }
  return { rateHz: ENVELOPE_RATE, db }
}

/** Time (s) of the centre of envelope frame k. */
export function envelopeTime(k: number, rateHz = ENVELOPE_RATE): number {
  return k / rateHz + 0.02
}

/**
 * The envelope seen by a camera: at each frame time, the mean of the envelope over ±half a frame
 * period, in dB relative to the clip's loudest frame and clipped at −`rangeDb` (so silence is a
 * flat floor, not microphone noise). NaN where the audio does not reach.
 */
export function envelopeAt(env: Envelope, times: number[], rangeDb = 40): number[] {
  let max = -Infinity
  for (const v of env.db) if (v > max) max = v
  const periods = times.map((t, i) => (i + 1 < times.length ? times[i + 1]! - t : i > 0 ? t - times[i - 1]! : 0.04))
  return times.map((t, i) => {
    const half = Math.max(0.01, periods[i]! / 2)
    const a = Math.max(0, Math.floor((t - half - 0.02) * env.rateHz))
    const b = Math.min(env.db.length - 1, Math.ceil((t + half - 0.02) * env.rateHz))
    if (b < a || a >= env.db.length) return NaN
    let s = 0
    for (let k = a; k <= b; k++) s += Math.max(-rangeDb, env.db[k]! - max)
    return s / (b - a + 1)
  })
}
