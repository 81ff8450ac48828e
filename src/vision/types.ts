import type { Reason } from '../codes/reasons.js'
import type { Action } from '../liveness/action.js'

export type LivenessMode = 'action' | 'digital' | 'silent'
export type { Action }

export interface AnalyseRequest {
  /** the live capture, a local file */
  media: { path: string; kind: 'video' | 'image' }
  liveness: LivenessMode | 'none'
  /** for 'action': the server-chosen sequence, to be found in this order */
  actions?: Action[]
  /** reference photo to compare with (caller photo or registry photo) */
  /** for 'digital': the digits the person was asked to read */
  digits?: string
  reference?: { path: string } | null
  /** pass threshold on the 0–100 similarity scale */
  threshold: number
}

export type Signals = Record<string, number | string | boolean | null>

export interface AnalyseResult {
  /** 'PASS' or the first failing cause */
  reason: Reason
  /** named measurements: faceCount, yawDeg, blinkCount, padScore, similarity … */
  signals: Signals
  /** calibrated 0–100, null when no comparison ran */
  similarity: number | null
  /** JPEG of the best frame */
  bestFrame: Buffer | null
  ms: number
}

export interface CompareResult {
  similarity: number | null
  /** raw cosine of the two embeddings */
  score: number | null
  faces: { a: number; b: number }
  reason: Reason
  ms: number
}

export interface VisionEngine {
  analyse(req: AnalyseRequest): Promise<AnalyseResult>
  close(): Promise<void>
}
