import { describe, expect, it } from 'vitest'
import {
  LIGHT_CHALLENGE,
  LIGHT_COLOURS,
  LIGHT_NEUTRAL,
  LIGHT_PALETTE,
  emission,
  isSaturatedRed,
  judgeLight,
  LightFrameReader,
  maxChangesInAnySecond,
  measureLightFrame,
  pickLightSequence,
  type LightMeasure,
  type LightShown,
  type LightStep,
  type Rgb,
} from './light.js'

/** a seeded generator (mulberry32) */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STEPS: LightStep[] = [
  { colour: 'blue', ms: 500 },
  { colour: 'yellow', ms: 400 },
  { colour: 'white', ms: 600 },
  { colour: 'black', ms: 450 },
  { colour: 'green', ms: 550 },
  { colour: 'magenta', ms: 400 },
  { colour: 'cyan', ms: 500 },
]
const FIRST_S = 1.0
function shownOf(steps: LightStep[], firstS = FIRST_S): LightShown {
  let t = firstS * 1000
  const out: LightShown = { steps: [], endMs: 0 }
  steps.forEach((s, i) => {
    out.steps.push({ seq: i, colour: s.colour, startMs: t })
    t += s.ms
  })
  out.endMs = t
  return out
}
const NEUTRAL = emission(LIGHT_NEUTRAL)

/**
 * Frames at 15 fps of a face lit by `lit` (the schedule that really reached it, `lagS` later): the face
 * skin's change k·E, the centre's k·E, the sides' k·side·E, the background's k·bg·E; small noise.
 */
function frames(
  lit: LightShown | null,
  o: { k?: number; side?: number; bg?: number; lagS?: number; level?: number; seed?: number; durationS?: number } = {},
) {
  const { k = 0.4, side = 0.6, bg = 0, lagS = 0.06, level = 0.2, seed = 1 } = o
  const r = rng(seed)
  const durationS = o.durationS ?? (lit ? lit.endMs / 1000 + 0.8 : 6)
  const out: Array<{ t: number; m: LightMeasure }> = []
  for (let i = 0; i < Math.round(durationS * 15); i++) {
    const t = i / 15
    let e: Rgb = [0, 0, 0]
    if (lit) {
      const u = t - lagS
      const idx = lit.steps.findLastIndex((s) => s.startMs / 1000 <= u)
      if (idx >= 0 && u < lit.endMs / 1000) {
        const c = emission(LIGHT_PALETTE[lit.steps[idx]!.colour as keyof typeof LIGHT_PALETTE])
        e = [c[0] - NEUTRAL[0], c[1] - NEUTRAL[1], c[2] - NEUTRAL[2]]
      }
    }
    const noise = () => 1 + (r() - 0.5) * 0.004
    const lit3 = (base: number, g: number): Rgb => [0, 1, 2].map((c) => base * (1 + k * g * e[c]!) * noise()) as Rgb
    out.push({
      t,
      m: {
        face: lit3(level, 0.85),
        centre: lit3(level * 1.1, 1),
        sides: lit3(level * 0.8, side),
        background: lit3(0.15, bg),
        clipped: 0,
      },
    })
  }
  return out
}
const judge = (f: ReturnType<typeof frames>, shown = shownOf(STEPS), issued = STEPS) =>
  judgeLight({ frames: f, issued, shown, video: { durationS: f.at(-1)!.t } })

describe('light challenge', () => {
  it('draws 6–10 colours of 350–700 ms, consecutive ones differ, never over three changes a second, no saturated red', () => {
    const r = rng(7)
    const lengths = new Set<number>()
    for (let i = 0; i < 300; i++) {
      const s = pickLightSequence((n) => Math.floor(r() * n))
      lengths.add(s.length)
      expect(s.length).toBeGreaterThanOrEqual(LIGHT_CHALLENGE.minSteps)
      expect(s.length).toBeLessThanOrEqual(LIGHT_CHALLENGE.maxSteps)
      for (const [j, st] of s.entries()) {
        expect(st.ms).toBeGreaterThanOrEqual(350)
        expect(st.ms).toBeLessThanOrEqual(700)
        if (j) expect(st.colour).not.toBe(s[j - 1]!.colour)
      }
      expect(maxChangesInAnySecond(s)).toBeLessThanOrEqual(3)
    }
    expect(lengths.size).toBe(5)
    for (const c of LIGHT_COLOURS) expect(isSaturatedRed(LIGHT_PALETTE[c])).toBe(false)
    expect(isSaturatedRed([255, 0, 0])).toBe(true)
    expect(maxChangesInAnySecond([{ ms: 300 }, { ms: 300 }, { ms: 300 }])).toBe(4)
  })
})

describe('light judge', () => {
  it('passes a face that reflects the issued colours at the reported times', () => {
    const v = judge(frames(shownOf(STEPS)))
    expect(v.reason, JSON.stringify(v.signals)).toBe('PASS')
    expect(v.signals.lightCorrelation as number).toBeGreaterThan(0.9)
    expect(Math.abs((v.signals.lightLagMs as number) - 60)).toBeLessThanOrEqual(20)
    expect(v.signals.lightStepAgreement).toBe(1)
  })

  it('refuses no reflection, another sequence, a late reflection, a uniform tint and a flat surface', () => {
    const why = (f: ReturnType<typeof frames>) => {
      const v = judge(f)
      return `${v.reason}/${v.signals.lightFailure}`
    }
    expect(why(frames(null))).toBe('LIGHT_LIVENESS_FAILED/no reflection')
    const other: LightStep[] = STEPS.map((s, i) => ({ ...s, colour: STEPS[(i + 3) % STEPS.length]!.colour }))
    expect(why(frames(shownOf(other)))).toMatch(/^LIGHT_LIVENESS_FAILED\/(sequence|no reflection|steps)$/)
    expect(why(frames(shownOf(STEPS), { lagS: 0.6 }))).toMatch(/^LIGHT_LIVENESS_FAILED\//)
    expect(why(frames(shownOf(STEPS), { bg: 0.85 }))).toMatch(/^LIGHT_LIVENESS_FAILED\/(uniform|no reflection)$/)
    expect(why(frames(shownOf(STEPS), { side: 1 }))).toBe('LIGHT_LIVENESS_FAILED/flat')
  })

  it('refuses reported times that cannot be this recording, and answers too dark', () => {
    const f = frames(shownOf(STEPS))
    const v1 = judge(f, shownOf(STEPS.slice(1)))
    expect([v1.reason, v1.signals.lightFailure]).toEqual(['LIGHT_LIVENESS_FAILED', 'timings'])
    const late = shownOf(STEPS, 20)
    const v2 = judge(f, late)
    expect(v2.signals.lightTimingMisfit).toMatch(/ends at/)
    const short = shownOf(STEPS)
    short.steps[2]!.startMs = short.steps[1]!.startMs + 100
    expect(judge(f, short).signals.lightFailure).toBe('timings')
    expect(judge(frames(shownOf(STEPS), { level: 0.004 })).reason).toBe('TOO_DARK')
  })
})

describe('measureLightFrame', () => {
  it('reads the face regions and the background of the frame', () => {
    const W = 200,
      H = 160
    const data = Buffer.alloc(W * H * 3)
    const box = [70, 40, 60, 80] as const
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inBox = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3]
        data.set(inBox ? [200, 150, 120] : [60, 60, 60], (y * W + x) * 3)
      }
    const m = measureLightFrame({ data, width: W, height: H }, box)
    expect(m.face[0]).toBeCloseTo(emission([200, 150, 120])[0], 5)
    expect(m.sides[2]).toBeCloseTo(emission([200, 150, 120])[2], 5)
    expect(m.background[1]).toBeCloseTo(emission([60, 60, 60])[1], 5)
    expect(m.clipped).toBe(0)
  })
})

describe('LightFrameReader', () => {
  it('measures a frame between two scanned ones on the interpolated box, none where a neighbour has no face', () => {
    const W = 120,
      H = 80
    // a bright square that moves 10 px right per frame on a dark picture
    const frame = (i: number) => {
      const data = Buffer.alloc(W * H * 3, 20)
      for (let y = 20; y < 60; y++)
        for (let x = 20 + 10 * i; x < 60 + 10 * i; x++) data.fill(200, (y * W + x) * 3, (y * W + x) * 3 + 3)
      return { data, width: W, height: H, t: i / 15 }
    }
    const box = (i: number) => [20 + 10 * i, 20, 40, 40] as const
    const r = new LightFrameReader()
    r.scanned(frame(0), box(0))
    r.skipped(frame(1))
    r.scanned(frame(2), box(2))
    r.skipped(frame(3))
    r.scanned(frame(4), null)
    r.skipped(frame(5))
    const f = r.finish()
    expect(f.map((x) => x.t)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i / 15))
    const lit = emission([200, 200, 200])[0]
    // frame 1 on the box halfway between frames 0 and 2: the square exactly
    expect(f[1]!.m!.face[0]).toBeCloseTo(lit, 6)
    expect(f[1]!.m!.sides[0]).toBeCloseTo(lit, 6)
    expect(f[3]!.m).toBeNull()
    expect(f[4]!.m).toBeNull()
    expect(f[5]!.m).toBeNull()
  })
})
