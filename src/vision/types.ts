import type { Reason } from '../codes/index.js'

export type Signals = Record<string, number | string | boolean | null>

export interface CompareResult {
  similarity: number | null
  /** raw cosine of the two embeddings */
  score: number | null
  faces: { a: number; b: number }
  reason: Reason
  ms: number
}

/**
 * What the liveness judges see of a video: one sample per analysed frame, primary face only.
 * Built by the scan (vision), judged by the liveness judges without any model (pure functions, easy to test).
 */
export interface FrameSample {
  index: number
  t: number
  faceCount: number
  /** null when no face was found in this frame */
  face: {
    ear: number
    mouthOpen: number
    yawDeg: number
    pitchDeg: number
    rollDeg: number
    /** face box width in pixels (scale for motion) */
    width: number
    quality: number
    /** share of mesh points outside the picture */
    outsideFrac: number
    /** 0–1 cover of the lower face (see FaceMeasure.occlusion) */
    occlusion: number
  } | null
  /** non-rigid motion since the previous face frame: 95th-percentile mesh residual after the best similarity fit, over inter-ocular distance */
  nonRigid: number | null
  /** mean absolute grey difference (0–255) of the face region since the previous face frame */
  pixelMotion: number | null
}
