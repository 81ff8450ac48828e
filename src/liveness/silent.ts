import type { Reason } from '../codes/index.js'
import { median, quantile, type FrameSample } from './timeline.js'
import { detectActions } from './action.js'

/**
 * Thresholds of the silent judge (mirrored in docs/vision.md).
 * Independent motion: a live face moves its eyelids, lips and head in 3-D; a still image (rendered
 * into a video, or a photo moved in front of the camera) only moves as a whole, which a similarity
 * transform explains. Measured on ../shared/data/videos (17 live clips) against still-image videos
 * made with ffmpeg from the face photos (static, and zoomed/panned/rotated).
 */
export const SILENT_THRESHOLDS = {
  /** fewer face frames than this: SILENT_LIVENESS_FAILED (cannot judge) */
  minFaceFrames: 5,
  /**
   * mouth: spread (90th − 10th percentile) of the inner-lip opening over max(median, 0.1). Mesh jitter
   * on a moved photo gives 0.18–0.27; talking gives ≥ 1 (it passes through closed and open).
   */
  minMouthRelRange: 0.6,
  /** eyes: a deep blink (EAR down to this share of the open level, then back) — jitter on a moved photo reaches ~0.7 */
  blinkDropRatio: 0.6,
  /**
   * The non-rigid mesh residual is reported (signal nonRigidP90) but does not count as evidence: on
   * photos zoomed, panned and turned in front of the camera the mesh jitters as much as a live face
   * moves (0.054–0.086 on 3 of 40 such videos, live clips 0.03–0.09).
   */
  /** pixel motion (mean abs grey difference, 0–255) under which consecutive frames count as identical */
  staticPixelMotion: 0.6,
  /** anti-spoof: median P(live) of the sampled frames below this: SPOOF_DETECTED (the 128-px model's own default) */
  minLiveScore: 0.5,
} as const

export interface MotionEvidence {
  faceFrames: number
  mouthRelRange: number
  /** deepest blink found: EAR over the open level (1 = none) */
  blinkDepth: number
  nonRigidP90: number
  pixelMotionMedian: number
  /** share of consecutive face frames that are pixel-identical */
  staticShare: number
  /** true when the lips move or the eyes blink on their own (not only the picture as a whole) */
  independentMotion: boolean
}

export function motionEvidence(samples: FrameSample[]): MotionEvidence {
  const T = SILENT_THRESHOLDS
  const faces = samples.filter((s) => s.face)
  const mouth = faces.map((s) => s.face!.mouthOpen)
  const ear = faces.map((s) => s.face!.ear)
  const nonRigid = faces.map((s) => s.nonRigid).filter((x): x is number => x !== null)
  const pix = faces.map((s) => s.pixelMotion).filter((x): x is number => x !== null)
  const mouthRelRange = faces.length ? (quantile(mouth, 0.9) - quantile(mouth, 0.1)) / Math.max(median(mouth), 0.1) : 0
  const blink = detectActions(samples).find((e) => e.action === 'blink')
  const blinkDepth = blink ? blink.value : 1
  const nonRigidP90 = nonRigid.length ? quantile(nonRigid, 0.9) : 0
  const staticShare = pix.length ? pix.filter((p) => p < T.staticPixelMotion).length / pix.length : 1
  const independentMotion = staticShare < 0.9 && (mouthRelRange >= T.minMouthRelRange || blinkDepth <= T.blinkDropRatio)
  return {
    faceFrames: faces.length,
    mouthRelRange,
    blinkDepth,
    nonRigidP90,
    pixelMotionMedian: pix.length ? median(pix) : 0,
    staticShare,
    independentMotion,
  }
}

export interface SilentVerdict {
  reason: Reason
  motion: MotionEvidence | null
  liveScore: number | null
}

/**
 * Silent liveness of a video: enough face frames, independent motion (else STILL_IMAGE_VIDEO), and
 * the anti-spoof score over several frames (else SPOOF_DETECTED). For a single image only the
 * anti-spoof score exists (`samples` null).
 */
export function judgeSilent(samples: FrameSample[] | null, liveScores: number[]): SilentVerdict {
  const T = SILENT_THRESHOLDS
  const liveScore = liveScores.length ? median(liveScores) : null
  let motion: MotionEvidence | null = null
  if (samples) {
    motion = motionEvidence(samples)
    if (motion.faceFrames < T.minFaceFrames) return { reason: 'SILENT_LIVENESS_FAILED', motion, liveScore }
    if (!motion.independentMotion) return { reason: 'STILL_IMAGE_VIDEO', motion, liveScore }
  }
  if (liveScore === null) return { reason: 'SILENT_LIVENESS_FAILED', motion, liveScore }
  if (liveScore < T.minLiveScore) return { reason: 'SPOOF_DETECTED', motion, liveScore }
  return { reason: 'PASS', motion, liveScore }
}
