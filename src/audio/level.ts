import { SAMPLE_RATE } from './decode.js'

/** dBFS of an RMS or peak amplitude (full scale = 1.0); −Infinity for 0. */
export function toDbfs(x: number): number {
  return x > 0 ? 20 * Math.log10(x) : -Infinity
}

export function rms(pcm: Float32Array, from = 0, to = pcm.length): number {
  let s = 0
  for (let i = from; i < to; i++) s += pcm[i]! * pcm[i]!
  return to > from ? Math.sqrt(s / (to - from)) : 0
}

export function peak(pcm: Float32Array): number {
  let p = 0
  for (let i = 0; i < pcm.length; i++) {
    const a = Math.abs(pcm[i]!)
    if (a > p) p = a
  }
  return p
}

/** RMS of consecutive frames (default 32 ms = 512 samples, no overlap). */
export function frameRms(pcm: Float32Array, frame = 512): Float32Array {
  const n = Math.floor(pcm.length / frame)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = rms(pcm, i * frame, (i + 1) * frame)
  return out
}

/**
 * Digital silence: nothing above one 16-bit step (−90 dBFS) anywhere, after removing a DC offset.
 * A muted microphone, an empty track added by a muxer, or a track of zeros; any real microphone
 * has a noise floor far above this (−70 … −50 dBFS).
 */
export function isDigitalSilence(pcm: Float32Array, floor = 1 / 32768): boolean {
  if (pcm.length === 0) return true
  let mean = 0
  for (let i = 0; i < pcm.length; i++) mean += pcm[i]!
  mean /= pcm.length
  for (let i = 0; i < pcm.length; i++) if (Math.abs(pcm[i]! - mean) > floor) return false
  return true
}

/**
 * Level of the speech: RMS over the given speech intervals (seconds), in dBFS; when there are none,
 * the 95th-percentile 32 ms frame RMS (the loud part of whatever is there).
 */
export function speechLevelDbfs(pcm: Float32Array, segments: Array<{ startS: number; endS: number }>): number {
  let s = 0
  let n = 0
  for (const seg of segments) {
    const a = Math.max(0, Math.floor(seg.startS * SAMPLE_RATE))
    const b = Math.min(pcm.length, Math.ceil(seg.endS * SAMPLE_RATE))
    for (let i = a; i < b; i++) s += pcm[i]! * pcm[i]!
    n += Math.max(0, b - a)
  }
  if (n > 0) return toDbfs(Math.sqrt(s / n))
  const fr = Array.from(frameRms(pcm)).sort((x, y) => x - y)
  if (!fr.length) return -Infinity
  return toDbfs(fr[Math.min(fr.length - 1, Math.floor(fr.length * 0.95))]!)
}
