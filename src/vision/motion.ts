import { estimateSimilarity } from './align.js'
import type { Point } from './face.js'
import { MESH } from './face.js'

/**
 * Non-rigid motion between two meshes of the same face: fit the best similarity transform (what a
 * photo moved, turned in-plane or zoomed in front of a camera can do) and measure what it cannot
 * explain — eyelids, lips, 3-D head rotation. Returned as the 95th percentile of the point residuals
 * over the inter-ocular distance.
 */
export function nonRigidMotion(prev: Array<[number, number, number]>, cur: Array<[number, number, number]>): number {
  const n = Math.min(prev.length, cur.length)
  if (n < 10) return 0
  const a: Point[] = []
  const b: Point[] = []
  for (let i = 0; i < n; i++) {
    a.push([prev[i]![0], prev[i]![1]])
    b.push([cur[i]![0], cur[i]![1]])
  }
  const t = estimateSimilarity(a, b)
  const res: number[] = []
  for (let i = 0; i < n; i++) {
    const x = t.a * a[i]![0] - t.b * a[i]![1] + t.tx
    const y = t.b * a[i]![0] + t.a * a[i]![1] + t.ty
    res.push(Math.hypot(x - b[i]![0], y - b[i]![1]))
  }
  res.sort((p, q) => p - q)
  const p95 = res[Math.floor(res.length * 0.95)]!
  const eA = cur[MESH.eyeA.outer]!
  const eB = cur[MESH.eyeB.outer]!
  const iod = Math.hypot(eA[0] - eB[0], eA[1] - eB[1]) || 1
  return p95 / iod
}

/** Mean absolute difference of two equal-length grey crops. */
export function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!)
  return s / a.length
}
