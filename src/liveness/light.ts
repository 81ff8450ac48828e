import type { Reason } from '../codes/index.js'
import type { RgbImage } from '../media/index.js'
import { median } from './timeline.js'

/**
 * Light-reflection liveness: the page flashes a colour sequence the server chose on the person's own
 * screen, and the face in front of that screen must reflect it, in time. Pure: measurements of the
 * frames in, one reason and its signals out. No model runs here; the analysis engine measures each
 * frame (`measureLightFrame`) with the face box of the vision scan.
 *
 * What is measured, and why (docs in README "Light-reflection liveness"):
 * - per frame, the linear-light mean colour of the face skin and of the background (beside and above
 *   the face box grown 1.8×; the screen lights the neck and shoulders too). The screen is 25–70 cm
 *   from the face and metres from the wall behind: its light changes the face and barely the
 *   background. Auto exposure and auto white balance multiply the whole picture by one gain per
 *   channel, so the face-over-background ratio per channel cancels
 *   them (and the ambient light's own colour): `r_c = (F_c/B_c) / baseline − 1`, the baseline being the
 *   median before the first flash. Skin albedo cancels too, so `r_c ≈ k · e_c / A_c` (k: screen light
 *   over ambient at the face, e_c: the flashed colour's emission above the neutral grey).
 * - that 3-channel signal against the issued sequence placed at the reported times, for lags in a
 *   small window (camera and recorder latency), both detrended (slow head motion, slow gain drift) and
 *   with their luminance down-weighted against their chroma (a turning head's shading);
 * - each colour step's direction: the measured change from the previous colour's interior to this
 *   one's must point where the emitted change points (cosine);
 * - depth: a face is not flat. Screen light falls head-on on the centre of the face (nose, forehead) and
 *   grazes the cheeks' sides, while room light comes from everywhere; so the relative change at the
 *   sides is smaller than at the centre. A photo or a screen held up changes by the same share
 *   everywhere (ratio ≈ 1). This and the background's share are medians over the colour steps.
 */

/** The palette: full-brightness primaries and secondaries, white and black; no saturated red (WCAG 2.3.1). */
export const LIGHT_PALETTE = {
  white: [255, 255, 255],
  black: [0, 0, 0],
  blue: [0, 0, 255],
  green: [0, 255, 0],
  yellow: [255, 255, 0],
  cyan: [0, 255, 255],
  magenta: [255, 0, 255],
} as const satisfies Record<string, readonly [number, number, number]>

export type LightColour = keyof typeof LIGHT_PALETTE
export const LIGHT_COLOURS = Object.keys(LIGHT_PALETTE) as LightColour[]

/** What the screen shows before the first and after the last colour (the page's ring while the baseline is taken). */
export const LIGHT_NEUTRAL = [128, 128, 128] as const

/** The challenge's shape (issue 17): 6–10 colours, 350–700 ms each, at most three changes in any second. */
export const LIGHT_CHALLENGE = {
  minSteps: 6,
  maxSteps: 10,
  minMs: 350,
  maxMs: 700,
  maxChangesPerSecond: 3,
  /** the page waits this long with the neutral ring after the face is in the oval (baseline) */
  baselineMs: 1000,
  /** lifetime of an issued sequence (s): the whole capture fits in well under a minute */
  ttlS: 120,
} as const

/** WCAG 2.3.1 "saturated red": R/(R+G+B) ≥ 0.8 (sRGB values). */
export function isSaturatedRed(rgb: readonly [number, number, number]): boolean {
  const s = rgb[0] + rgb[1] + rgb[2]
  return s > 0 && rgb[0] / s >= 0.8
}

export interface LightStep {
  colour: LightColour
  ms: number
}

/**
 * A random sequence: 6–10 colours, consecutive ones differ, each held 350–700 ms. `randInt(n)` gives
 * an integer in [0, n) (the service passes crypto.randomInt).
 */
export function pickLightSequence(randInt: (n: number) => number): LightStep[] {
  const C = LIGHT_CHALLENGE
  const n = C.minSteps + randInt(C.maxSteps - C.minSteps + 1)
  const steps: LightStep[] = []
  let prev: LightColour | null = null
  for (let i = 0; i < n; i++) {
    const choices = LIGHT_COLOURS.filter((c) => c !== prev)
    const colour = choices[randInt(choices.length)]!
    steps.push({ colour, ms: C.minMs + randInt(C.maxMs - C.minMs + 1) })
    prev = colour
  }
  return steps
}

/** Most colour changes (neutral → first … last → neutral) in any one-second window of the sequence. */
export function maxChangesInAnySecond(steps: Array<{ ms: number }>): number {
  const changes: number[] = [0]
  let t = 0
  for (const s of steps) {
    t += s.ms
    changes.push(t)
  }
  let most = 0
  for (let i = 0; i < changes.length; i++) {
    let n = 0
    for (let j = i; j < changes.length && changes[j]! - changes[i]! < 1000; j++) n++
    most = Math.max(most, n)
  }
  return most
}

// ── per-frame measurement ──────────────────────────────────────────────────

/** sRGB 8-bit → linear light. */
const TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
})
export function srgbToLinear(v: number): number {
  return TO_LINEAR[Math.max(0, Math.min(255, Math.round(v)))]!
}
/** The emission of a palette colour (or the neutral grey) in linear light, 0–1 per channel. */
export function emission(rgb: readonly [number, number, number]): [number, number, number] {
  return [TO_LINEAR[rgb[0]]!, TO_LINEAR[rgb[1]]!, TO_LINEAR[rgb[2]]!]
}

export type Rgb = [number, number, number]

/** Mean linear colour of the regions of one frame. */
export interface LightMeasure {
  /** face skin: the box's middle (x 20–80 %, y 30–85 %) */
  face: Rgb
  /** centre band of the face (x 40–60 %, y 30–80 %): nose, middle forehead */
  centre: Rgb
  /** both side bands (x 5–20 % and 80–95 %, y 40–75 %): the cheeks towards the face's edge */
  sides: Rgb
  /** beside and above the face box grown 1.8×, down to the box's middle (the screen lights neck and shoulders); the box itself when that leaves too little */
  background: Rgb
  /** share of face-skin pixels at 250 or more in some channel (over-exposure) */
  clipped: number
}

function regionMean(
  img: RgbImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  step: number,
  acc: { s: Rgb; n: number; clip?: number },
): void {
  const { data, width, height } = img
  const xa = Math.max(0, Math.floor(x0)),
    xb = Math.min(width, Math.ceil(x1))
  const ya = Math.max(0, Math.floor(y0)),
    yb = Math.min(height, Math.ceil(y1))
  for (let y = ya; y < yb; y += step) {
    let o = (y * width + xa) * 3
    for (let x = xa; x < xb; x += step, o += 3 * step) {
      const r = data[o]!,
        g = data[o + 1]!,
        b = data[o + 2]!
      acc.s[0] += TO_LINEAR[r]!
      acc.s[1] += TO_LINEAR[g]!
      acc.s[2] += TO_LINEAR[b]!
      acc.n++
      if (acc.clip !== undefined && (r >= 250 || g >= 250 || b >= 250)) acc.clip++
    }
  }
}

const mean3 = (a: { s: Rgb; n: number }): Rgb => (a.n ? [a.s[0] / a.n, a.s[1] / a.n, a.s[2] / a.n] : [NaN, NaN, NaN])

/**
 * The light measurement of one frame, given the face box [x, y, w, h] in its pixels. Face regions are
 * read every 2nd pixel, the background every 4th: about 0.3 ms for a 640×360 frame.
 */
export function measureLightFrame(img: RgbImage, box: readonly [number, number, number, number]): LightMeasure {
  const [bx, by, bw, bh] = box
  const at = (fx: number, fy: number) => [bx + fx * bw, by + fy * bh] as const
  const face = { s: [0, 0, 0] as Rgb, n: 0, clip: 0 }
  regionMean(img, ...at(0.2, 0.3), ...at(0.8, 0.85), 2, face)
  // the depth bands are narrow: every pixel (sampling every 2nd lets texture alias as the head moves)
  const centre = { s: [0, 0, 0] as Rgb, n: 0 }
  regionMean(img, ...at(0.4, 0.3), ...at(0.6, 0.8), 1, centre)
  const sides = { s: [0, 0, 0] as Rgb, n: 0 }
  regionMean(img, ...at(0.05, 0.4), ...at(0.2, 0.75), 1, sides)
  regionMean(img, ...at(0.8, 0.4), ...at(0.95, 0.75), 1, sides)
  // background: what lies beside and above the head, outside the face box grown 1.8×: the screen
  // lights the neck and shoulders below the face too (a phone selfie is mostly shoulders below the
  // chin), so what is below the face's centre line is not background
  const background = (grow: number) => {
    const acc = { s: [0, 0, 0] as Rgb, n: 0 }
    const cx = bx + bw / 2
    const gx0 = cx - (bw * grow) / 2,
      gx1 = cx + (bw * grow) / 2
    const gy0 = by + bh / 2 - (bh * grow) / 2
    const bottom = Math.min(img.height, by + bh / 2)
    const { width: W } = img
    regionMean(img, 0, 0, W, gy0, 4, acc)
    regionMean(img, 0, Math.max(0, gy0), gx0, bottom, 4, acc)
    regionMean(img, gx1, Math.max(0, gy0), W, bottom, 4, acc)
    return acc
  }
  let bg = background(1.8)
  // a face close to the camera leaves little outside the grown box: take what is outside the box itself
  if (bg.n * 16 < img.width * img.height * 0.04) bg = background(1.0)
  return {
    face: mean3(face),
    centre: mean3(centre),
    sides: mean3(sides),
    background: mean3(bg),
    clipped: face.n ? face.clip / face.n : 0,
  }
}

// ── the judge ──────────────────────────────────────────────────────────────

/**
 * Video sampling of the light mode: the shortest colour (350 ms) spans 5 sampled frames at 15 fps.
 * The colours are read on every frame; the face (detector + mesh) is found on every `meshEvery`-th
 * (7.5 fps, the rate of the other modes' scan) and its box interpolated in between.
 */
export const LIGHT_SAMPLING = { fps: 15, maxFrames: 240, meshEvery: 2 } as const

type Box = readonly [number, number, number, number]

/**
 * The light measures of a scan that finds the face on some frames only: a frame between two scanned
 * ones is measured on the box interpolated between theirs (in 67 ms a face moves a few pixels; the
 * reflection needs every frame's colours, not every frame's mesh), and not measured where either
 * scanned neighbour has no face; frames after the last scanned one keep its box.
 */
export class LightFrameReader {
  readonly frames: Array<{ t: number; m: LightMeasure | null }> = []
  /** ms spent measuring */
  ms = 0
  private pending: Array<RgbImage & { t: number }> = []
  private prev: { t: number; box: Box | null } | null = null

  scanned(frame: RgbImage & { t: number }, box: Box | null): void {
    const t0 = performance.now()
    const prev = this.prev
    for (const f of this.pending) {
      let b: Box | null = null
      if (prev?.box && box) {
        const u = (f.t - prev.t) / (frame.t - prev.t || 1)
        b = [0, 1, 2, 3].map((i) => prev.box![i]! + u * (box[i]! - prev.box![i]!)) as unknown as Box
      }
      this.frames.push({ t: f.t, m: b ? measureLightFrame(f, b) : null })
    }
    this.pending = []
    this.frames.push({ t: frame.t, m: box ? measureLightFrame(frame, box) : null })
    this.prev = { t: frame.t, box }
    this.ms += performance.now() - t0
  }

  skipped(frame: RgbImage & { t: number }): void {
    if (this.prev) this.pending.push(frame)
    else this.frames.push({ t: frame.t, m: null })
  }

  /** the measures of every frame, in order */
  finish(): Array<{ t: number; m: LightMeasure | null }> {
    const t0 = performance.now()
    const box = this.prev?.box ?? null
    for (const f of this.pending) this.frames.push({ t: f.t, m: box ? measureLightFrame(f, box) : null })
    this.pending = []
    this.ms += performance.now() - t0
    return this.frames
  }
}

export const LIGHT_THRESHOLDS = {
  /** reported duration of a colour vs the issued one: at least issued − this … (ms; a frame or two of paint delay) */
  shownEarlyMs: 100,
  /**
   * … at most issued + this (ms): a page whose next colour arrives late (a slow network; the page
   * asks 200 ms ahead) shows the current one longer; what it reports is what is correlated
   */
  shownLateMs: 1500,
  /** the first colour must start at least this far into the recording (s): the baseline */
  minBaselineS: 0.4,
  /** the last colour must end within the video, up to this slack (s) */
  endSlackS: 0.5,
  /** face found in at least this share of the frames of the light window */
  minFaceShare: 0.7,
  /** baseline face skin below this linear mean (≈ sRGB 28): too dark to see a reflection */
  minFaceLinear: 0.011,
  /** more than this share of face-skin pixels clipped in the baseline: too bright */
  maxClipped: 0.25,
  /** lags (s) of the reflection after the reported times that are searched: camera and recorder latency */
  minLagS: -0.1,
  maxLagS: 0.25,
  /** the lags looked at to see whether the sequence fits better elsewhere (mistimed) */
  farLagS: 1.2,
  /** slow changes below this (Hz) are removed from the signal and the expectation before they are compared */
  slowHz: 0.4,
  /**
   * correlation of the reflection with the issued sequence at the best in-window lag (0.55 before the
   * luminance was down-weighted; with it genuine p5 0.85, another sequence's max 0.62: docs/benchmarks.md)
   */
  minCorrelation: 0.7,
  /**
   * weight of the luminance (the three channels' common change) against the chroma in the correlation:
   * a head that turns changes the face's shading, all channels alike, by as much as a weak reflection;
   * it hardly changes its chroma, which every coloured flash does
   */
  lumaWeight: 0.3,
  /** in-window best over the best at any lag within ±farLagS: below this, the sequence fits another time */
  minNearShare: 0.9,
  /** reflection strength: relative change of face/background per unit of emitted linear light */
  minStrength: 0.03,
  /** share of colour steps whose measured change points the emitted way (cosine ≥ minStepCosine) */
  minStepShare: 0.6,
  minStepCosine: 0.5,
  /** the background's response to the sequence over the face's: at or above this, the whole picture was tinted */
  maxBackgroundShare: 0.5,
  /** side-over-centre reflection ratio at or above this: the same change everywhere, a flat surface */
  maxFlatRatio: 0.88,
} as const

export type LightThresholds = { -readonly [K in keyof typeof LIGHT_THRESHOLDS]: number }

/** What the page reported it showed (AWS ColorDisplayed-like): each colour's start, and when the last one ended, in ms of the recording. */
export interface LightShown {
  steps: Array<{ seq: number; colour: string; startMs: number }>
  endMs: number
}

export interface LightJudgeInput {
  frames: Array<{ t: number; m: LightMeasure | null }>
  issued: LightStep[]
  shown: LightShown
  video: { durationS: number }
}

export type LightSignals = Record<string, number | string | boolean | null>

export interface LightVerdict {
  reason: Reason
  signals: LightSignals
}

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null)

/** Why the reported timings cannot be those of this recording and challenge, or null. */
export function lightTimingMisfit(
  issued: LightStep[],
  shown: LightShown,
  durationS: number,
  T: LightThresholds = { ...LIGHT_THRESHOLDS },
): string | null {
  if (shown.steps.length !== issued.length) return `${shown.steps.length} colours reported, ${issued.length} issued`
  for (let i = 0; i < issued.length; i++) {
    const s = shown.steps[i]!
    if (s.seq !== i || s.colour !== issued[i]!.colour) return `step ${i} reported as ${s.seq}/${s.colour}`
    const end = i + 1 < issued.length ? shown.steps[i + 1]!.startMs : shown.endMs
    const d = end - s.startMs
    if (!Number.isFinite(d) || d < issued[i]!.ms - T.shownEarlyMs || d > issued[i]!.ms + T.shownLateMs)
      return `step ${i} shown ${Math.round(d)} ms, issued ${issued[i]!.ms} ms`
  }
  if (shown.steps[0]!.startMs < T.minBaselineS * 1000) return `first colour at ${shown.steps[0]!.startMs} ms`
  if (shown.endMs > (durationS + T.endSlackS) * 1000)
    return `last colour ends at ${Math.round(shown.endMs)} ms of a ${durationS.toFixed(2)} s video`
  return null
}

const NEUTRAL_E = emission(LIGHT_NEUTRAL)

/** Emission above the neutral grey shown at time t (s), given the reported schedule (before / after: neutral). */
function emittedAt(t: number, starts: number[], endS: number, em: Rgb[]): Rgb {
  if (t < starts[0]! || t >= endS) return [0, 0, 0]
  let i = starts.length - 1
  while (i > 0 && starts[i]! > t) i--
  return em[i]!
}

/**
 * Removes the slow part of a series: its projection on a constant, a line and cosines up to `hz` over
 * the window (a discrete cosine basis). Head motion, the person's own shading changes and slow gain
 * drift live below ~0.4 Hz; a colour held 350–700 ms changes the light at 0.7–1.4 Hz.
 */
export class SlowBasis {
  private readonly q: Float64Array[] = []
  constructor(t: number[], hz: number) {
    const n = t.length
    const t0 = t[0] ?? 0
    const span = Math.max(1e-3, (t[n - 1] ?? 0) - t0)
    const k = Math.max(0, Math.floor(2 * span * hz))
    const cols: Float64Array[] = [Float64Array.from(t, () => 1), Float64Array.from(t, (x) => x - t0)]
    for (let j = 1; j <= k; j++) cols.push(Float64Array.from(t, (x) => Math.cos((Math.PI * j * (x - t0)) / span)))
    // Gram–Schmidt (twice for stability); columns that vanish are dropped
    for (const c of cols) {
      for (let pass = 0; pass < 2; pass++)
        for (const b of this.q) {
          let d = 0
          for (let i = 0; i < n; i++) d += c[i]! * b[i]!
          for (let i = 0; i < n; i++) c[i]! -= d * b[i]!
        }
      let norm = 0
      for (let i = 0; i < n; i++) norm += c[i]! ** 2
      norm = Math.sqrt(norm)
      if (norm > 1e-9 * Math.sqrt(n)) this.q.push(c.map((x) => x / norm))
    }
  }
  residual(v: number[]): number[] {
    const out = [...v]
    for (const b of this.q) {
      let d = 0
      for (let i = 0; i < out.length; i++) d += out[i]! * b[i]!
      for (let i = 0; i < out.length; i++) out[i]! -= d * b[i]!
    }
    return out
  }
}

interface Fit {
  corr: number
  slope: number
}

/** Pooled 3-channel correlation and slope of y on x (both already without their slow part). */
function fit3(y: number[][], x: number[][]): Fit {
  let sxy = 0,
    sxx = 0,
    syy = 0
  for (let c = 0; c < 3; c++) {
    const yc = y[c]!,
      xc = x[c]!
    for (let i = 0; i < yc.length; i++) {
      sxy += xc[i]! * yc[i]!
      sxx += xc[i]! ** 2
      syy += yc[i]! ** 2
    }
  }
  return {
    corr: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN,
    slope: sxx > 0 ? sxy / sxx : NaN,
  }
}

/** The light judge. Order: timings → face present → light level → correlation and lag → strength → steps → depth. */
export function judgeLight(input: LightJudgeInput, thresholds: Partial<LightThresholds> = {}): LightVerdict {
  const T: LightThresholds = { ...LIGHT_THRESHOLDS, ...thresholds }
  const n = input.issued.length
  const signals: LightSignals = {
    lightColours: input.issued.map((s) => s.colour).join(','),
    lightSteps: n,
    lightSampleFps: LIGHT_SAMPLING.fps,
  }
  const out = (reason: Reason, failure?: string): LightVerdict => {
    if (failure) signals.lightFailure = failure
    return { reason, signals }
  }
  if (!n) throw new TypeError('light liveness needs the issued sequence')
  const misfit = lightTimingMisfit(input.issued, input.shown, input.video.durationS, T)
  if (misfit) {
    signals.lightTimingMisfit = misfit
    return out('LIGHT_LIVENESS_FAILED', 'timings')
  }
  const starts = input.shown.steps.map((s) => s.startMs / 1000)
  const endS = input.shown.endMs / 1000
  const em: Rgb[] = input.issued.map((s) => {
    const e = emission(LIGHT_PALETTE[s.colour])
    return [e[0] - NEUTRAL_E[0], e[1] - NEUTRAL_E[1], e[2] - NEUTRAL_E[2]]
  })

  // baseline: frames before the first colour (with the earliest lag: nothing reflected yet)
  const base = input.frames.filter((f) => f.m && f.t < starts[0]! + T.minLagS - 0.02)
  const inWindow = input.frames.filter((f) => f.t >= starts[0]! && f.t <= endS)
  const withFace = inWindow.filter((f) => f.m && Number.isFinite(f.m.face[0]) && Number.isFinite(f.m.background[0]))
  signals.lightFaceShare = inWindow.length ? r3(withFace.length / inWindow.length) : 0
  signals.lightBaselineFrames = base.length
  if (!inWindow.length || withFace.length / inWindow.length < T.minFaceShare || base.length < 2)
    return out('LIGHT_LIVENESS_FAILED', 'face')

  const faceLum = median(base.map((f) => (f.m!.face[0] + f.m!.face[1] + f.m!.face[2]) / 3))
  const clipped = median(base.map((f) => f.m!.clipped))
  signals.lightFaceLevel = r3(faceLum)
  signals.lightClipped = r3(clipped)
  if (!(faceLum >= T.minFaceLinear)) return out('TOO_DARK')
  if (clipped > T.maxClipped) return out('TOO_BRIGHT')

  // frames of the analysis: from just before the first colour to just after the last (lags either way)
  const frames = input.frames.filter(
    (f) =>
      f.m &&
      Number.isFinite(f.m.face[0]) &&
      Number.isFinite(f.m.background[0]) &&
      f.t >= starts[0]! - 0.5 &&
      f.t <= endS + T.maxLagS + 0.3,
  )
  const ts = frames.map((f) => f.t)
  /** relative change against the baseline median of num/den per channel (den absent: 1) */
  const relative = (num: (m: LightMeasure) => Rgb, den?: (m: LightMeasure) => Rgb): Rgb[] => {
    const q = (m: LightMeasure): Rgb => {
      const a = num(m),
        b = den ? den(m) : ([1, 1, 1] as Rgb)
      return [0, 1, 2].map((c) => a[c]! / Math.max(b[c]!, 1e-4)) as Rgb
    }
    const b0 = [0, 1, 2].map((c) => median(base.map((f) => q(f.m!)[c]!)))
    return frames.map((f) => {
      const v = q(f.m!)
      return [v[0] / b0[0]! - 1, v[1] / b0[1]! - 1, v[2] / b0[2]! - 1]
    })
  }
  const slow = new SlowBasis(ts, T.slowHz)
  const channels = (v: Rgb[]): number[][] => [0, 1, 2].map((c) => slow.residual(v.map((p) => p[c]!)))
  // two readings of the face: over the background (cancels auto exposure and white balance when the
  // background is steady) and alone (when the background is a sliver that the moving head keeps
  // changing, as in a phone held close); the judge takes the one that follows the sequence better and
  // checks below that the background did not follow it as much as the face (a uniform tint)
  const readings = {
    ratio: channels(
      relative(
        (m) => m.face,
        (m) => m.background,
      ),
    ),
    face: channels(relative((m) => m.face)),
  }
  const bgSeries = channels(relative((m) => m.background))
  if (readings.ratio.some((v) => !v.every(Number.isFinite)) || readings.face.some((v) => !v.every(Number.isFinite)))
    return out('TOO_DARK')
  // the camera integrates over its exposure (up to one 30 fps frame): the expected value of a frame is
  // the mean emission over the 33 ms before its timestamp
  const expected = (lag: number): Rgb[] =>
    ts.map((t) => {
      const s: Rgb = [0, 0, 0]
      for (const d of [0, 0.011, 0.022, 0.033]) {
        const e = emittedAt(t - lag - d, starts, endS, em)
        s[0] += e[0] / 4
        s[1] += e[1] / 4
        s[2] += e[2] / 4
      }
      return s
    })
  /** y_c − (1 − w)·mean(y): the luminance part down-weighted (see lumaWeight) */
  const lumaDown = (v: number[][]): number[][] => {
    const w = 1 - T.lumaWeight
    return v.map((c) => c.map((x, i) => x - (w * (v[0]![i]! + v[1]![i]! + v[2]![i]!)) / 3))
  }
  const lumaDown3 = (v: Rgb): Rgb => {
    const m = ((1 - T.lumaWeight) * (v[0] + v[1] + v[2])) / 3
    return [v[0] - m, v[1] - m, v[2] - m]
  }
  const weighted = { ratio: lumaDown(readings.ratio), face: lumaDown(readings.face) }
  let best: Fit & { lag: number; reading: keyof typeof readings } = {
    corr: -Infinity,
    slope: NaN,
    lag: 0,
    reading: 'ratio',
  }
  let far: Fit & { lag: number } = { corr: -Infinity, slope: NaN, lag: 0 }
  for (let k = Math.round(-T.farLagS * 100); k <= Math.round(T.farLagS * 100); k++) {
    const lag = k / 100
    const x = lumaDown(channels(expected(lag)))
    for (const reading of ['ratio', 'face'] as const) {
      const f = fit3(weighted[reading], x)
      if (!Number.isFinite(f.corr)) continue
      if (lag >= T.minLagS - 1e-9 && lag <= T.maxLagS + 1e-9 && f.corr > best.corr) best = { ...f, lag, reading }
      if (f.corr > far.corr) far = { ...f, lag }
    }
  }
  signals.lightReading = best.reading
  signals.lightCorrelation = r3(best.corr)
  signals.lightLagMs = Number.isFinite(best.corr) ? Math.round(best.lag * 1000) : null
  signals.lightStrength = r3(best.slope)
  signals.lightBestLagMs = Number.isFinite(far.corr) ? Math.round(far.lag * 1000) : null
  const nearShare = far.corr > 0 ? best.corr / far.corr : NaN
  signals.lightNearShare = r3(nearShare)
  if (!(best.slope >= T.minStrength)) return out('LIGHT_LIVENESS_FAILED', 'no reflection')
  if (!(best.corr >= T.minCorrelation)) return out('LIGHT_LIVENESS_FAILED', 'sequence')
  if (!(nearShare >= T.minNearShare)) return out('LIGHT_LIVENESS_FAILED', 'timing')

  // per-step direction, on the detrended signal at the best lag
  const yd = readings[best.reading]
  const interior = (series: number[][], from: number, to: number): Rgb | null => {
    const idx = ts.map((t, i) => (t >= from && t <= to ? i : -1)).filter((i) => i >= 0)
    if (!idx.length) return null
    return [0, 1, 2].map((c) => idx.reduce((a, i) => a + series[c]![i]!, 0) / idx.length) as Rgb
  }
  const edges = [...starts, endS].map((s) => s + best.lag)
  /**
   * The change of a series across colour change i (i = n: the last colour back to neutral), from the
   * interior of the previous colour (or the baseline) to this one's, one exposure after each change;
   * and the emitted change it answers. Null where a side has no frame.
   */
  const stepChange = (series: number[][], i: number): { dy: Rgb; dx: Rgb } | null => {
    const prevFrom = i === 0 ? edges[0]! - 0.5 : edges[i - 1]! + 0.05
    const prev = interior(series, prevFrom, edges[i]!)
    const cur = interior(series, edges[i]! + 0.05, i < n ? edges[i + 1]! : edges[n]! + 0.5)
    if (!prev || !cur) return null
    const pe = i === 0 ? [0, 0, 0] : em[i - 1]!
    const ce = i < n ? em[i]! : [0, 0, 0]
    // weighed as the correlation weighs them (lumaWeight)
    return {
      dy: lumaDown3([cur[0] - prev[0], cur[1] - prev[1], cur[2] - prev[2]]),
      dx: lumaDown3([ce[0]! - pe[0]!, ce[1]! - pe[1]!, ce[2]! - pe[2]!]),
    }
  }
  let agree = 0,
    judged = 0
  const cosines: string[] = []
  for (let i = 0; i < n; i++) {
    const sc = stepChange(yd, i)
    if (!sc) {
      cosines.push('')
      continue
    }
    const { dy, dx } = sc
    const dot = dy[0] * dx[0] + dy[1] * dx[1] + dy[2] * dx[2]
    const cos = dot / (Math.hypot(...dy) * Math.hypot(...dx) || 1)
    judged++
    if (cos >= T.minStepCosine) agree++
    cosines.push(cos.toFixed(2))
  }
  signals.lightStepCosines = cosines.join(',')
  signals.lightStepAgreement = judged ? r3(agree / n) : 0
  if (!(agree / n >= T.minStepShare)) return out('LIGHT_LIVENESS_FAILED', 'steps')

  // The two geometry checks compare one region's response with the face's, step by step (the change
  // along the emitted change, per unit of it), and take the median over the steps: a head that turns
  // or a hand that shakes during one or two colours changes the shading of the sides and the sliver
  // of background by more than the reflection does, and a regression over all frames lets those few
  // steps decide; a photo or a tinted screen responds alike at every step.
  const along = (series: number[][]): Array<number | null> =>
    Array.from({ length: n + 1 }, (_, i) => {
      const sc = stepChange(series, i)
      if (!sc) return null
      const { dy, dx } = sc
      return (dy[0] * dx[0] + dy[1] * dx[1] + dy[2] * dx[2]) / (dx[0] ** 2 + dx[1] ** 2 + dx[2] ** 2 || 1)
    })
  const faceSteps = along(readings.face)
  /** median over the steps of region / face response, on the steps where the face responded the emitted way */
  const stepRatio = (region: Array<number | null>, offset = 0): number => {
    const q: number[] = []
    for (let i = 0; i <= n; i++) {
      const f = faceSteps[i],
        r = region[i]
      if (f != null && r != null && f > 0) q.push(offset + r / f)
    }
    return q.length >= Math.min(3, n) ? median(q) : NaN
  }
  // a uniform tint (a screen or filter in front of the camera) moves the background with the face
  const bgShare = stepRatio(along(bgSeries))
  signals.lightBackgroundShare = r3(bgShare)
  if (!(bgShare < T.maxBackgroundShare)) return out('LIGHT_LIVENESS_FAILED', 'uniform')
  // depth: the sides over the centre of the face (the global gains cancel in this ratio); a face's
  // sides take less of the head-on screen light than its centre, a flat surface takes the same share
  const contrastSeries = channels(
    relative(
      (m) => m.sides,
      (m) => m.centre,
    ),
  )
  const flat = stepRatio(along(contrastSeries), 1)
  signals.lightSideContrast = r3(flat - 1)
  signals.lightFlatRatio = r3(flat)
  if (!(flat < T.maxFlatRatio)) return out('LIGHT_LIVENESS_FAILED', 'flat')
  return out('PASS')
}
