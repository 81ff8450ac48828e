import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Mandarin digit readings built from the real isolated digits of ../shared/data/speech/zh (16 kHz
 * mono WAV): 4–6 digits of one speaker, trimmed takes with natural gaps, a level change per digit
 * and per reading, room noise, and sometimes a phone band (300–3400 Hz). No real recording of
 * someone reading digit strings exists in the data; these stand in for one (docs/digits.md).
 */

/** Deterministic PRNG (mulberry32): the same seed builds the same readings. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** 16-bit PCM mono WAV → float samples (the data's own format; anything else is refused). */
export function readWav16(path: string): Float32Array {
  const b = readFileSync(path)
  let off = 12
  let fmtOk = false
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4)
    const size = b.readUInt32LE(off + 4)
    if (id === 'fmt ')
      fmtOk = b.readUInt16LE(off + 8) === 1 && b.readUInt16LE(off + 10) === 1 && b.readUInt32LE(off + 12) === 16000
    if (id === 'data') {
      if (!fmtOk) throw new Error(`${path}: not 16 kHz mono PCM`)
      const n = Math.floor(size / 2)
      const out = new Float32Array(n)
      for (let i = 0; i < n; i++) out[i] = b.readInt16LE(off + 8 + 2 * i) / 32768
      return out
    }
    off += 8 + size + (size & 1)
  }
  throw new Error(`${path}: no data chunk`)
}

/** Float samples → 16-bit PCM mono 16 kHz WAV bytes. */
export function wavBytes(pcm: Float32Array): Buffer {
  const b = Buffer.alloc(44 + pcm.length * 2)
  b.write('RIFF', 0, 'ascii')
  b.writeUInt32LE(36 + pcm.length * 2, 4)
  b.write('WAVEfmt ', 8, 'ascii')
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(16000, 24)
  b.writeUInt32LE(32000, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36, 'ascii')
  b.writeUInt32LE(pcm.length * 2, 40)
  for (let i = 0; i < pcm.length; i++)
    b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(pcm[i]! * 32767))), 44 + 2 * i)
  return b
}

/**
 * Keep 60 ms before the first and after the last 10 ms frame within 20 dB of the loudest one (the
 * recordings carry long noisy tails), and bring the take's peak to −3 dBFS: the sources were
 * recorded at levels from −25 to 0 dBFS, a reader's own level is set by buildReading.
 */
function trim(x: Float32Array): Float32Array {
  const f = 160
  const e: number[] = []
  for (let i = 0; i + f <= x.length; i += f) {
    let s = 0
    for (let j = i; j < i + f; j++) s += x[j]! * x[j]!
    e.push(10 * Math.log10(s / f + 1e-12))
  }
  const mx = Math.max(...e)
  const on = e.findIndex((v) => v > mx - 20)
  let off = e.length - 1
  while (off > 0 && e[off]! <= mx - 20) off--
  const y = x.slice(Math.max(0, (on - 6) * f), Math.min(x.length, (off + 7) * f))
  let pk = 0
  for (const v of y) pk = Math.max(pk, Math.abs(v))
  const g = pk > 0 ? Math.pow(10, -3 / 20) / pk : 1
  return y.map((v) => v * g)
}

export type Takes = Record<string, Float32Array[]>

/** One speaker's isolated digit takes (`<digit>_<n>.wav`), trimmed; digit strings are left out. */
export function speakerTakes(speechZhDir: string, speaker: string): Takes {
  const out: Takes = {}
  for (const f of readdirSync(join(speechZhDir, speaker)).sort()) {
    const m = /^(\d)_\d+\.wav$/.exec(f)
    if (m) (out[m[1]!] ??= []).push(trim(readWav16(join(speechZhDir, speaker, f))))
  }
  return out
}

/** RBJ biquad high-pass then low-pass, each applied twice: a telephone band. */
function phoneBand(x: Float32Array, lo = 300, hi = 3400): Float32Array {
  const run = (x: Float32Array, lowPass: boolean, f0: number) => {
    const w = (2 * Math.PI * f0) / 16000,
      c = Math.cos(w),
      al = Math.sin(w) / (2 * Math.SQRT1_2)
    const b0 = lowPass ? (1 - c) / 2 : (1 + c) / 2,
      b1 = lowPass ? 1 - c : -(1 + c),
      b2 = b0
    const a0 = 1 + al,
      a1 = -2 * c,
      a2 = 1 - al
    const y = new Float32Array(x.length)
    let x1 = 0,
      x2 = 0,
      y1 = 0,
      y2 = 0
    for (let i = 0; i < x.length; i++) {
      const v = (b0 * x[i]! + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0
      x2 = x1
      x1 = x[i]!
      y2 = y1
      y1 = v
      y[i] = v
    }
    return y
  }
  return run(run(run(run(x, false, lo), false, lo), true, hi), true, hi)
}

export interface Reading {
  pcm: Float32Array
  digits: string
  /** where each digit's take starts and ends (s) */
  spans: Array<{ startS: number; endS: number }>
  phone: boolean
  noiseDbfs: number
}

/** A reading of `digits` from one speaker's takes. */
export function buildReading(
  takes: Takes,
  digits: string,
  rnd: () => number,
  opts: { phone?: boolean; gapS?: [number, number]; maxTakeS?: number } = {},
): Reading {
  const [gapMin, gapMax] = opts.gapS ?? [0.12, 0.47]
  const lead = 0.3 + rnd() * 0.7
  const noiseDbfs = -60 + rnd() * 20
  const noiseAmp = Math.pow(10, noiseDbfs / 20) * Math.sqrt(3)
  let len = Math.round(lead * 16000)
  const segs: Array<{ at: number; x: Float32Array; g: number }> = []
  for (const d of digits) {
    const arr = takes[d]
    if (!arr?.length) throw new Error(`no take of ${d}`)
    let x = arr[Math.floor(rnd() * arr.length)]!
    if (opts.maxTakeS && x.length > opts.maxTakeS * 16000) {
      // an isolated-word take ends in a long decay; a digit read in a string is shorter: fade it out
      x = x.slice(0, Math.round(opts.maxTakeS * 16000))
      const fade = 800
      for (let i = 0; i < fade; i++) x[x.length - fade + i]! *= 1 - i / fade
    }
    segs.push({ at: len, x, g: Math.pow(10, (rnd() * 8 - 4) / 20) })
    len += x.length + Math.round((gapMin + rnd() * (gapMax - gapMin)) * 16000)
  }
  len += Math.round((0.4 + rnd() * 0.6) * 16000)
  let y: Float32Array = new Float32Array(len)
  const level = Math.pow(10, (-4 - rnd() * 14) / 20)
  for (const s of segs) for (let i = 0; i < s.x.length; i++) y[s.at + i]! += s.x[i]! * s.g * level
  // room noise: white plus a low-passed (rumbling) part
  let lp = 0
  for (let i = 0; i < len; i++) {
    const w = rnd() * 2 - 1
    lp = 0.97 * lp + 0.03 * w
    y[i]! += noiseAmp * (0.5 * w + 3 * lp)
  }
  const phone = opts.phone ?? rnd() < 0.3
  if (phone) y = phoneBand(y)
  return {
    pcm: y,
    digits,
    spans: segs.map((s) => ({ startS: s.at / 16000, endS: (s.at + s.x.length) / 16000 })),
    phone,
    noiseDbfs,
  }
}

export function randomDigits(n: number, rnd: () => number, alphabet = '0123456789'): string {
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)]
  return s
}

/**
 * Digits as the service issues them (`pickLiveDigits`: never the same digit twice in a row), over `alphabet`
 * (a speaker's digits): uniform over the alphabet's digits other than the previous one.
 */
export function randomIssuedDigits(n: number, rnd: () => number, alphabet = '0123456789'): string {
  let s = ''
  for (let i = 0; i < n; i++) {
    const choices = s ? alphabet.replace(s[s.length - 1]!, '') : alphabet
    s += choices[Math.floor(rnd() * choices.length)]
  }
  return s
}

/** No digit twice in a row: a string the service can issue. */
export const issuable = (digits: string): boolean => !/(\d)\1/.test(digits)
