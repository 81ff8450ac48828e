/**
 * Synthetic light-reflection captures (issue 17): there is no recording of a face lit by a flashing
 * screen in ../shared/data, so genuine cases are built physically from real clips, and the attacks
 * from the same clips. Used by bench:light and the light-mode HTTP test. Nothing here is production code.
 *
 * The tint model (linear light, per pixel):
 *   out = in · (1 + k · g(pixel) · E_c(t − lag))
 * - E_c(t): the emission of the colour on screen above the neutral grey (linear, −0.22…0.78), averaged
 *   over the camera's exposure (the 33 ms before the frame's time), `lag` after the time the page reports;
 * - k: the screen's illuminance at the face over the ambient's, k = L·A / d² / E_amb (screen luminance
 *   L cd/m², screen area A m², distance d m, ambient illuminance E_amb lux);
 * - g(pixel), on a face modelled as an ellipsoid over the face box (normal n_z toward the screen):
 *   n_z / (α + (1 − α) n_z) · (d / (d + r(1 − n_z)))²: head-on light falls off toward the face's sides
 *   faster than the room light (α: how diffuse the ambient is; 1 = from everywhere) and the sides are
 *   further away (r = 8 cm head radius); hair, neck and shoulders around the face take 0.35; the
 *   background (d_bg metres away) (d/d_bg)².
 * Then the camera: auto white balance pulls each channel's frame mean back toward its baseline with a
 * strength β and time constant τ (one frame behind), sensor noise σ (8-bit levels, Gaussian), sRGB
 * encoding with clipping at 255. Video compression is not modelled here (the HTTP test encodes to H.264).
 */
import { decodeVideo, type RgbImage } from '../../src/media/index.js'
import { findFaces, type FaceDetector } from '../../src/vision/index.js'
import {
  LIGHT_NEUTRAL,
  LIGHT_PALETTE,
  LIGHT_SAMPLING,
  emission,
  measureLightFrame,
  pickLightSequence,
  type LightJudgeInput,
  type LightMeasure,
  type LightShown,
  type LightStep,
} from '../../src/liveness/index.js'

export type Box = [number, number, number, number]

export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
export const uniform = (r: () => number, lo: number, hi: number) => lo + (hi - lo) * r()
export const randInt = (r: () => number) => (n: number) => Math.floor(r() * n)

export interface SourceClip {
  name: string
  frames: Array<{ img: RgbImage; box: Box | null }>
  width: number
  height: number
}

/** Decode a clip at the light mode's sampling rate and find the face in every frame (once per clip). */
export async function loadSourceClip(
  detector: FaceDetector,
  path: string,
  name: string,
  opts: { maxSide?: number; maxFrames?: number; halve?: boolean } = {},
): Promise<SourceClip> {
  const frames: SourceClip['frames'] = []
  let width = 0,
    height = 0
  let first = true
  await decodeVideo(
    path,
    async (f) => {
      width = f.width
      height = f.height
      // as the engine's scan does: a blank frame first empties Human's tracking state, so a clip's
      // boxes do not depend on which clip was loaded before it
      if (first) {
        first = false
        await detector.detect(
          { data: Buffer.alloc(f.width * f.height * 3), width: f.width, height: f.height },
          { video: true },
        )
      }
      const found = await findFaces(detector, f, { video: true })
      const b = found.primary?.box
      // rendered at half the detection size: the bench renders every pixel of every sample
      const s = opts.halve === false ? 1 : 2
      const h = s === 2 ? halve(f) : { data: Buffer.from(f.data), width: f.width, height: f.height }
      width = h.width
      height = h.height
      frames.push({ img: h, box: b ? [b[0] / s, b[1] / s, b[2] / s, b[3] / s] : null })
    },
    {
      fps: LIGHT_SAMPLING.fps,
      maxSide: opts.maxSide ?? 360,
      maxFrames: opts.maxFrames ?? 200,
      ignoreDurationLimits: true,
    },
  )
  return { name, frames, width, height }
}

/** 2×2 box-filter downscale. */
export function halve(img: RgbImage): RgbImage {
  const w = img.width >> 1,
    h = img.height >> 1
  const out = Buffer.alloc(w * h * 3)
  const d = img.data,
    W = img.width
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const o = (2 * y * W + 2 * x) * 3 + c
        out[(y * w + x) * 3 + c] = (d[o]! + d[o + 3]! + d[o + W * 3]! + d[o + W * 3 + 3]! + 2) >> 2
      }
  return { data: out, width: w, height: h }
}

/** The conditions of one genuine capture (see the module comment). */
export interface Conditions {
  device: 'phone' | 'pc'
  distanceM: number
  screenNits: number
  screenAreaM2: number
  ambientLux: number
  /** α: 1 = ambient from everywhere, 0 = all from the camera's side */
  ambientDiffuse: number
  backgroundM: number
  noiseSigma: number
  awbStrength: number
  awbTauS: number
  /** display → recording timeline (s): camera and recorder latency */
  latencyS: number
}

export function strengthOf(c: Conditions): number {
  return (c.screenNits * c.screenAreaM2) / c.distanceM ** 2 / c.ambientLux
}

/** The stated genuine range (README, docs/benchmarks.md); `ambientLux` may be widened for the outside-range rows. */
export function drawConditions(r: () => number, ambientLux: [number, number] = [50, 300]): Conditions {
  const phone = r() < 0.6
  return {
    device: phone ? 'phone' : 'pc',
    distanceM: phone ? uniform(r, 0.25, 0.4) : uniform(r, 0.4, 0.65),
    screenNits: phone ? uniform(r, 350, 500) : uniform(r, 250, 400),
    screenAreaM2: phone ? 0.07 * 0.15 : 0.3 * 0.19,
    ambientLux: Math.exp(uniform(r, Math.log(ambientLux[0]), Math.log(ambientLux[1]))),
    ambientDiffuse: uniform(r, 0.5, 1),
    backgroundM: uniform(r, 1, 3),
    noiseSigma: uniform(r, 1, 4),
    awbStrength: uniform(r, 0, 0.8),
    awbTauS: uniform(r, 0.3, 1),
    latencyS: uniform(r, 0, 0.15),
  }
}

/** What the screen showed: colours and their actual start times (s) on the recording's timeline, and the end. */
export interface Schedule {
  steps: LightStep[]
  startsS: number[]
  endS: number
}

/** A schedule as a page shows it: each colour held its issued time rounded up to 60 Hz frames, from `firstS`. */
export function scheduleOf(steps: LightStep[], firstS: number): Schedule {
  const startsS: number[] = []
  let t = firstS
  for (const s of steps) {
    startsS.push(t)
    t += Math.ceil(s.ms / (1000 / 60)) / 60
  }
  return { steps, startsS, endS: t }
}

/** The page's report of a schedule, each time off by up to ±jitterS. */
export function reportOf(s: Schedule, r: () => number, jitterS = 0.008): LightShown {
  return {
    steps: s.steps.map((st, i) => ({
      seq: i,
      colour: st.colour,
      startMs: Math.round((s.startsS[i]! + uniform(r, -jitterS, jitterS)) * 1000),
    })),
    endMs: Math.round((s.endS + uniform(r, -jitterS, jitterS)) * 1000),
  }
}

const NEUTRAL_E = emission(LIGHT_NEUTRAL)
const TO_LIN = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
})
const TO_SRGB = Uint8Array.from({ length: 4097 }, (_, i) => {
  const c = i / 4096
  const s = c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055
  return Math.round(Math.min(1, s) * 255)
})
const NORMALS = (() => {
  const r = rng(12345)
  const t = new Float32Array(1 << 16)
  for (let i = 0; i < t.length; i += 2) {
    const u = Math.max(1e-12, r()),
      v = r()
    const m = Math.sqrt(-2 * Math.log(u))
    t[i] = m * Math.cos(2 * Math.PI * v)
    t[i + 1] = m * Math.sin(2 * Math.PI * v)
  }
  return t
})()

/** Emission above neutral of the schedule at time t (s), averaged over a 33 ms exposure ending at t. */
function emitted(s: Schedule | null, t: number): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0]
  if (!s) return out
  for (const d of [0, 0.008, 0.016, 0.025, 0.033]) {
    const u = t - d
    if (u < s.startsS[0]! || u >= s.endS) continue
    let i = s.startsS.length - 1
    while (i > 0 && s.startsS[i]! > u) i--
    const e = emission(LIGHT_PALETTE[s.steps[i]!.colour])
    for (let c = 0; c < 3; c++) out[c]! += (e[c]! - NEUTRAL_E[c]!) / 5
  }
  return out
}

/** How the light reaches the picture. */
export type TintGeometry =
  | 'face' // a real face in front of the screen (genuine, and the virtual camera's tint)
  | 'uniform' // the whole frame alike (a screen or filter in front of the camera)
  | 'photo' // a flat photo held up: the same change over the photo, the room behind far away
  | 'none' // nothing reflected (an injected video)

export interface SynthSpec {
  clip: SourceClip
  /** what the light really did (null: nothing shown, e.g. injected) */
  schedule: Schedule | null
  geometry: TintGeometry
  cond: Conditions
  /** strength override (uniform and photo attacks); default strengthOf(cond) */
  k?: number
  /** seconds from the reported schedule to the light in the recording (default cond.latencyS) */
  lagS?: number
  durationS: number
  /** index of the still frame (photo attack) */
  stillIndex?: number
  seed: number
}

/**
 * Render the frames of one synthetic capture at LIGHT_SAMPLING.fps and hand each to `onFrame` with the
 * face box the scan found in its source frame (null: none). The clip is played forward and back
 * (ping-pong) when it is shorter than the capture.
 */
export function renderCapture(spec: SynthSpec, onFrame: (img: RgbImage, t: number, box: Box | null) => void): void {
  const { clip, cond } = spec
  const r = rng(spec.seed)
  const fps = LIGHT_SAMPLING.fps
  const n = Math.round(spec.durationS * fps)
  const k = spec.k ?? strengthOf(cond)
  const lag = spec.lagS ?? cond.latencyS
  const W = clip.width,
    H = clip.height
  const gain = new Float64Array(W * H)
  const awb = [0, 0, 0]
  const alpha = 1 - Math.exp(-1 / fps / cond.awbTauS)
  const gBg = (cond.distanceM / cond.backgroundM) ** 2
  const period = Math.max(1, 2 * (clip.frames.length - 1))
  let lastBox: Box | null = clip.frames.find((f) => f.box)?.box ?? null
  const out = Buffer.alloc(W * H * 3)
  for (let j = 0; j < n; j++) {
    const t = j / fps
    let src: SourceClip['frames'][number]
    if (spec.geometry === 'photo') src = clip.frames[spec.stillIndex ?? 0]!
    else {
      const m = j % period
      src = clip.frames[m < clip.frames.length ? m : period - m]!
    }
    if (src.box) lastBox = src.box
    const E = emitted(spec.schedule, t - lag)
    // the pixel gains of this frame's geometry
    if (spec.geometry === 'uniform') gain.fill(1)
    else if (spec.geometry === 'none' || !lastBox) gain.fill(0)
    else if (spec.geometry === 'photo') {
      const [bx, by, bw, bh] = lastBox
      const cx = bx + bw / 2,
        cy = by + bh / 2
      const x0 = cx - bw * 1.2,
        x1 = cx + bw * 1.2,
        y0 = cy - bh * 1.3,
        y1 = cy + bh * 1.4
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) gain[y * W + x] = x >= x0 && x < x1 && y >= y0 && y < y1 ? 1 : gBg
    } else {
      const [bx, by, bw, bh] = lastBox
      const cx = bx + bw / 2,
        cy = by + bh * 0.5
      const a = bw * 0.52,
        b = bh * 0.62
      const d = cond.distanceM,
        amb = cond.ambientDiffuse
      gain.fill(gBg)
      // only the head, hair, neck and shoulders differ from the background
      const ya = Math.max(0, Math.floor(cy - 1.62 * b)),
        xa = Math.max(0, Math.floor(cx - 2.2 * a)),
        xb = Math.min(W, Math.ceil(cx + 2.2 * a))
      for (let y = ya; y < H; y++) {
        const v = (y - cy) / b
        for (let x = xa; x < xb; x++) {
          const u = (x - cx) / a
          const q = u * u + v * v
          if (q < 1) {
            const nz = Math.sqrt(1 - q)
            gain[y * W + x] = (nz / (amb + (1 - amb) * nz)) * (d / (d + 0.08 * (1 - nz))) ** 2
          } else if (q < 2.6 || v > 0) gain[y * W + x] = 0.35 // hair, ears, neck, shoulders
        }
      }
    }
    // camera: white balance from the previous frames' means, noise, sRGB with clipping
    const wb = [
      1 / (1 + cond.awbStrength * awb[0]!),
      1 / (1 + cond.awbStrength * awb[1]!),
      1 / (1 + cond.awbStrength * awb[2]!),
    ]
    const sumIn = [0, 0, 0],
      sumOut = [0, 0, 0]
    const data = src.img.data
    let noiseAt = Math.floor(r() * NORMALS.length)
    const step = 1 + 2 * Math.floor(r() * 200)
    // most pixels share one of a few gains (background, hair and shoulders, a uniform or no tint): their
    // lit linear value and 8-bit code per source level come from a table of this frame (the same
    // arithmetic as a face pixel's, done once per level instead of once per pixel)
    const tableGains = [gBg, 0.35, 1, 0]
    const tables = tableGains.map((g) => {
      const lit = new Float64Array(768),
        enc = new Uint8Array(768)
      for (let c = 0; c < 3; c++)
        for (let v = 0; v < 256; v++) {
          const l = Math.max(0, TO_LIN[v]! * (1 + k * g * E[c]!))
          lit[c * 256 + v] = l
          enc[c * 256 + v] = TO_SRGB[Math.min(4096, Math.round(l * wb[c]! * 4096))]!
        }
      return { lit, enc }
    })
    const sigma = cond.noiseSigma
    for (let p = 0, o = 0; p < W * H; p++, o += 3) {
      const g = gain[p]!
      const ti = g === gBg ? 0 : g === 0.35 ? 1 : g === 1 ? 2 : g === 0 ? 3 : -1
      for (let c = 0; c < 3; c++) {
        const v8 = data[o + c]!
        const lin = TO_LIN[v8]!
        let lit: number, enc: number
        if (ti >= 0) {
          const t = tables[ti]!
          lit = t.lit[c * 256 + v8]!
          enc = t.enc[c * 256 + v8]!
        } else {
          lit = Math.max(0, lin * (1 + k * g * E[c]!))
          enc = TO_SRGB[Math.min(4096, Math.round(lit * wb[c]! * 4096))]!
        }
        sumIn[c]! += lin
        sumOut[c]! += lit
        noiseAt = (noiseAt + step) & 0xffff
        const v = enc + sigma * NORMALS[noiseAt]!
        out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)
      }
    }
    for (let c = 0; c < 3; c++) {
      const rel = sumIn[c]! > 0 ? sumOut[c]! / sumIn[c]! - 1 : 0
      awb[c] = awb[c]! + (rel - awb[c]!) * alpha
    }
    onFrame({ data: out, width: W, height: H }, t, src.box)
  }
}

/** Render and measure one capture: what the judge sees (frames' light measures). */
export function measureCapture(spec: SynthSpec): LightJudgeInput['frames'] {
  const frames: Array<{ t: number; m: LightMeasure | null }> = []
  renderCapture(spec, (img, t, box) => frames.push({ t, m: box ? measureLightFrame(img, box) : null }))
  return frames
}

/** A random issued sequence and the page's schedule for it: first colour 0.9–1.4 s into the recording. */
export function issue(r: () => number): { steps: LightStep[]; schedule: Schedule } {
  const steps = pickLightSequence(randInt(r))
  return { steps, schedule: scheduleOf(steps, uniform(r, 0.9, 1.4)) }
}

/** A favourable genuine setting for the HTTP and browser tests: a phone at 30 cm, 450 nits, a 100 lux room. */
export const TEST_CONDITIONS: Conditions = {
  device: 'phone',
  distanceM: 0.3,
  screenNits: 450,
  screenAreaM2: 0.07 * 0.15,
  ambientLux: 100,
  ambientDiffuse: 0.8,
  backgroundM: 2,
  noiseSigma: 2,
  awbStrength: 0.3,
  awbTauS: 0.5,
  latencyS: 0.06,
}

/** Render a capture and encode it as H.264 MP4 (15 fps) with ffmpeg; returns the file's bytes. */
export async function encodeCapture(spec: SynthSpec, ffmpeg: string, out: string): Promise<Buffer> {
  const { spawn } = await import('node:child_process')
  const { readFile } = await import('node:fs/promises')
  const W = spec.clip.width,
    H = spec.clip.height
  const p = spawn(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${W}x${H}`,
    '-r',
    String(LIGHT_SAMPLING.fps),
    '-i',
    '-',
    '-c:v',
    'libx264',
    '-crf',
    '14',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    out,
  ])
  const done = new Promise<void>((resolve, reject) => {
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))))
  })
  const chunks: Buffer[] = []
  renderCapture(spec, (img) => chunks.push(Buffer.from(img.data)))
  for (const c of chunks) if (!p.stdin.write(c)) await new Promise((r) => p.stdin.once('drain', r))
  p.stdin.end()
  await done
  return readFile(out)
}
