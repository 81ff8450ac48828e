import type { Reason } from '../codes/index.js'
import type { Action, LightShown, LightStep } from '../liveness/index.js'
import type { Signals } from '../vision/index.js'

export type LivenessMode = 'action' | 'digital' | 'silent' | 'light'
export type { Action }

export interface AnalyseRequest {
  /** the live capture, a local file */
  media: { path: string; kind: 'video' | 'image' }
  liveness: LivenessMode | 'none'
  /** for 'action': the server-chosen sequence, to be found in this order */
  actions?: Action[]
  /** for 'digital': the digits the person was asked to read */
  digits?: string
  /** for 'light': the issued colour sequence and what the page reported it showed (absent report: refused) */
  light?: { steps: LightStep[]; shown: LightShown | null }
  /** reference photo to compare with (caller photo or registry photo) */
  reference?: { path: string } | null
  /** pass threshold on the 0–100 similarity scale */
  threshold: number
  /**
   * Only for uploads through the capture page, which knows how it recorded: how long its recorder ran
   * and the type it declared. A file that does not fit is VIDEO_TAMPERED; without it (`shiren inspect`,
   * API uploads) the video is judged on its content only.
   */
  recording?: { durationMs: number; mimeType: string }
}

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

/** One attempt's analysis in the worker pool: decode, vision detectors, then the liveness judge of the mode. */
export interface AnalysisEngine {
  analyse(req: AnalyseRequest): Promise<AnalyseResult>
  close(): Promise<void>
}
