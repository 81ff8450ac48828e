import type { Reason } from '../codes/index.js'
import { cosineToScore } from './calibration.js'
import { QUALITY_THRESHOLDS } from './quality.js'
import type { CompareResult } from './types.js'

// Pure: the engine's main thread joins two sides read by two workers without loading any model.

/**
 * One photo of a comparison, read and embedded on its own: a worker can do one side while another
 * worker does the other (the engine's compare on a pool of two), and `decideCompare` joins them.
 */
export interface CompareSide {
  /** the photo was refused before any face was looked for (undecodable, too small …) */
  rejected: Reason | null
  faces: number
  embedding: Float32Array | null
  ms: number
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

const r3 = (x: number) => Math.round(x * 1000) / 1000

/** The verdict of a comparison from its two sides: the live photo's faults first, then the reference's. */
export function decideCompare(a: CompareSide, b: CompareSide, threshold: number, ms: number): CompareResult {
  const out = (reason: Reason, faces: { a: number; b: number }, cos: number | null): CompareResult => ({
    similarity: cos === null ? null : cosineToScore(cos),
    score: cos === null ? null : r3(cos),
    faces,
    reason,
    ms,
  })
  if (a.rejected) return out(a.rejected, { a: 0, b: 0 }, null)
  if (b.rejected) return out(b.rejected, { a: a.faces, b: 0 }, null)
  const faces = { a: a.faces, b: b.faces }
  if (!a.embedding) return out('NO_FACE', faces, null)
  if (!b.embedding) return out('REFERENCE_NO_FACE', faces, null)
  const cos = cosine(a.embedding, b.embedding)
  if (!Number.isFinite(cos)) return out('COMPARE_FAILED', faces, null)
  // the similarity is reported even when a side shows several faces: the reason says which rule failed
  if (faces.a > 1)
    return out(faces.a > QUALITY_THRESHOLDS.maxFacesForMultiple ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES', faces, cos)
  if (faces.b > 1) return out('REFERENCE_MULTIPLE_FACES', faces, cos)
  return out(cosineToScore(cos) >= threshold ? 'PASS' : 'SIMILARITY_BELOW_THRESHOLD', faces, cos)
}
