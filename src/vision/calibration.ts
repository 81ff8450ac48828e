import { CALIBRATION } from './calibration-table.js'
import type { CalibrationTable } from './calibration-types.js'

export type { CalibrationTable }

/**
 * The 0–100 similarity scale. Anchors map cosine similarities to scores so that, like the
 * commercial scale, a threshold of 60 / 70 / 80 accepts about 1 % / 0.1 % / 0.01 % of impostors.
 * The cosines at those false-accept rates were measured on every cross-identity pair of
 * ../shared/data/faces (`npm run bench:faces -- --write-calibration` regenerates the table).
 * Between anchors the mapping is linear in the cosine; it is monotonic, so ranking is unchanged.
 */

export function cosineToScore(cos: number, table: CalibrationTable = CALIBRATION): number {
  const a = table.anchors
  if (cos <= a[0]![0]) return a[0]![1]
  for (let i = 1; i < a.length; i++) {
    const [c1, s1] = a[i]!
    if (cos <= c1) {
      const [c0, s0] = a[i - 1]!
      return Math.round((s0 + ((cos - c0) / (c1 - c0)) * (s1 - s0)) * 100) / 100
    }
  }
  return a[a.length - 1]![1]
}

/** Anchor scores on the false-accept rates that the commercial scale uses. */
export const FAR_ANCHORS: Array<[far: number, score: number]> = [
  [0.5, 30],
  [0.1, 50],
  [1e-2, 60],
  [1e-3, 70],
  [1e-4, 80],
]

/**
 * Build the table from impostor cosines: cosine at each false-accept rate (the (1−FAR) quantile),
 * plus the ends: cosine −1 → 0 and cosine 1 → 100. With n impostor pairs, FAR 1e-4 rests on n·1e-4
 * pairs (about 3 for 27,000): the docs say so.
 */
export function buildCalibration(impostor: number[], genuine: number, model: string): CalibrationTable {
  const s = [...impostor].sort((x, y) => x - y)
  const q = (far: number) => {
    const pos = (s.length - 1) * (1 - far)
    const lo = Math.floor(pos)
    const hi = Math.ceil(pos)
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
  }
  const farCosines: Record<string, number> = {}
  const anchors: Array<[number, number]> = [[-1, 0]]
  for (const [far, score] of FAR_ANCHORS) {
    let c = q(far)
    // keep the mapping strictly increasing even where quantiles tie
    const last = anchors[anchors.length - 1]![0]
    if (c <= last) c = last + 1e-4
    farCosines[String(far)] = c
    anchors.push([Math.round(c * 1e5) / 1e5, score])
  }
  anchors.push([1, 100])
  return {
    model,
    impostorPairs: impostor.length,
    genuinePairs: genuine,
    generatedAt: new Date().toISOString().slice(0, 10),
    anchors,
    farCosines,
  }
}

/**
 * The false-accept rate per pair that a 0–100 score means: log-linear between the FAR anchors. Below
 * score 30 it is 0.5 or more (reported as 1); from score 80 up it is at most 1e-4 — the calibration
 * rests on about 28,000 impostor pairs, so it cannot tell rarer rates apart — and 1e-4 is reported as
 * an upper bound.
 */
export function farAtScore(score: number): number {
  const a = FAR_ANCHORS
  if (score < a[0]![1]) return 1
  for (let i = 1; i < a.length; i++) {
    const [f1, s1] = a[i]!
    if (score <= s1) {
      const [f0, s0] = a[i - 1]!
      const t = (score - s0) / (s1 - s0)
      return Number((10 ** (Math.log10(f0) + t * (Math.log10(f1) - Math.log10(f0)))).toPrecision(2))
    }
  }
  return a[a.length - 1]![0]
}
