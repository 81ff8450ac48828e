import type { Reason } from '../codes/index.js'
import { median, quantile, type FrameSample } from './timeline.js'
import { detectActions } from './action.js'

/**
 * Thresholds of the silent judge (mirrored in docs/vision.md; evidence and leave-one-clip-out figures in
 * docs/benchmarks.md, from `npm run bench:faces -- --only captures`). What separates a live person from a
 * photo or a screen is not how much the picture moves but what moves: eyelids and lips on their own, a
 * head that turns in 3-D (its landmarks leave any plane), against a flat thing that moves only as a whole.
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
   * head in 3-D: the face's landmarks leave the best homography from the median-pose frame by more than
   * this (VideoScan.planarResidual). Photos moved, zoomed and turned in front of the camera and still
   * webcam users stay below; head turns of phone selfies and webcam users are above.
   */
  minPlanarResidual: 0.16,
  /**
   * a flat picture that travels: face centre range (in face widths), log scale range or roll range (rad)
   * at least this, with no eye, mouth or 3-D head motion → VIDEO_LIVENESS_FAILED
   */
  maxRigidTravel: 0.08,
  /** pixel motion (mean abs grey difference, 0–255) under which consecutive frames count as identical */
  staticPixelMotion: 0.6,
  /**
   * share of identical consecutive frames from which the video is one picture (STILL_IMAGE_VIDEO). A real
   * camera's sensor noise makes frames differ: the live clips reach 0.16 at most. A picture fed as a
   * camera is mostly identical frames, but an encoder's key frames and quality steps break the run: a
   * still photo recorded by Chromium's MediaRecorder gave 0.86 (so 0.9 let it through to the score).
   */
  stillShare: 0.5,
  /**
   * presentation-attack score: median over the sampled near-frontal frames of the mean of both models'
   * logits (logit P(live), clipped at ±9.21). Below this: SPOOF_DETECTED, or SCREEN_REPLAY_DETECTED when
   * the face shows live motion (a recording replayed on a display). Chosen midway between the highest
   * attack and the lowest bona fide presentation of section E, NUAA and spoof/vietmoney.
   */
  minPadScore: 1.93,
  /**
   * without motion of the eyes or mouth of its own, the face must also convince the 80-px model
   * (lower quartile of its logit over the sampled frames at least this): a rigid mask worn by a
   * turning head fails here (SILENT_LIVENESS_BELOW_THRESHOLD)
   */
  minStillFaceLogit80: 1.0,
} as const

/**
 * Near-frontal face frames spread over the clip that the anti-spoof models score in silent mode: with
 * 5 the median of a hand-held selfie swung by ±1.5 logits between samplings, 12 keep it steady.
 */
export const SILENT_SPREAD_FRAMES = 12

/** Both anti-spoof models' P(live) on one sampled face. */
export interface PadFrame {
  p128: number
  p80: number
}

const LOGIT_CLIP = 9.21
export function logit(p: number): number {
  const q = Math.min(1 - 1e-4, Math.max(1e-4, p))
  return Math.max(-LOGIT_CLIP, Math.min(LOGIT_CLIP, Math.log(q / (1 - q))))
}

/**
 * One presentation-attack score of an attempt from both models and every sampled frame: the median over
 * frames of the mean of the two models' logits. The two models fail on different faces (the 128-px one
 * on turned phone selfies, the 80-px one on some studio and masked faces): averaging logits keeps either
 * one's confident verdict, the median over frames drops the odd frame.
 */
export function padScore(frames: PadFrame[]): number | null {
  if (!frames.length) return null
  return median(frames.map((f) => (logit(f.p128) + logit(f.p80)) / 2))
}

/**
 * Calibrated P(live) of a PAD score: logistic (Platt) fit of the score against the bona fide / attack
 * labels of the presentations above (bench:faces prints the fit; a, b are copied from it).
 */
export const PAD_CALIBRATION = { a: 1.147, b: -1.804 } as const
export function padProbability(score: number): number {
  return 1 / (1 + Math.exp(-(PAD_CALIBRATION.a * score + PAD_CALIBRATION.b)))
}

export interface MotionEvidence {
  faceFrames: number
  mouthRelRange: number
  /** deepest blink found: EAR over the open level (1 = none) */
  blinkDepth: number
  nonRigidP90: number
  pixelMotionMedian: number
  /** share of consecutive face frames that are pixel-identical */
  staticShare: number
  /** yaw spread (90th − 10th percentile, degrees) */
  yawRange: number
  /** VideoScan.planarResidual: how far the face's motion is from a flat object's */
  planarResidual: number
  /** how far the face travelled as a whole (centre in face widths, log scale, roll in radians: the largest) */
  rigidTravel: number
  /** the eyes or the mouth move on their own */
  ownMotion: boolean
  /** the head moves in 3-D (not explained by a plane) */
  headMotion3d: boolean
  /** ownMotion or headMotion3d: motion a photo cannot make */
  independentMotion: boolean
}

const range = (v: number[]) => (v.length ? quantile(v, 0.9) - quantile(v, 0.1) : 0)

export function motionEvidence(samples: FrameSample[], planarResidual = 0): MotionEvidence {
  const T = SILENT_THRESHOLDS
  const faces = samples.filter((s) => s.face)
  const mouth = faces.map((s) => s.face!.mouthOpen)
  const nonRigid = faces.map((s) => s.nonRigid).filter((x): x is number => x !== null)
  const pix = faces.map((s) => s.pixelMotion).filter((x): x is number => x !== null)
  const mouthRelRange = faces.length ? range(mouth) / Math.max(median(mouth), 0.1) : 0
  const blink = detectActions(samples).find((e) => e.action === 'blink')
  const blinkDepth = blink ? blink.value : 1
  const nonRigidP90 = nonRigid.length ? quantile(nonRigid, 0.9) : 0
  const staticShare = pix.length ? pix.filter((p) => p < T.staticPixelMotion).length / pix.length : 1
  const w = faces.length ? median(faces.map((s) => s.face!.width)) || 1 : 1
  const rigidTravel = Math.max(
    Math.hypot(range(faces.map((s) => s.face!.centerX)), range(faces.map((s) => s.face!.centerY))) / w,
    range(faces.map((s) => Math.log(Math.max(1, s.face!.width)))),
    (range(faces.map((s) => s.face!.rollDeg)) * Math.PI) / 180,
  )
  const ownMotion = mouthRelRange >= T.minMouthRelRange || blinkDepth <= T.blinkDropRatio
  const headMotion3d = planarResidual >= T.minPlanarResidual
  return {
    faceFrames: faces.length,
    mouthRelRange,
    blinkDepth,
    nonRigidP90,
    pixelMotionMedian: pix.length ? median(pix) : 0,
    staticShare,
    yawRange: range(faces.map((s) => s.face!.yawDeg)),
    planarResidual,
    rigidTravel,
    ownMotion,
    headMotion3d,
    independentMotion: staticShare < T.stillShare && (ownMotion || headMotion3d),
  }
}

/**
 * What the motion alone says: STILL_IMAGE_VIDEO (the frames are pixel-identical: a video made from one
 * picture), VIDEO_LIVENESS_FAILED (the face travels like a flat picture, with no eye, mouth or 3-D head
 * motion), or null (no evidence against a live person).
 */
export function motionVerdict(m: MotionEvidence): Reason | null {
  const T = SILENT_THRESHOLDS
  if (m.staticShare >= T.stillShare) return 'STILL_IMAGE_VIDEO'
  if (!m.independentMotion && m.rigidTravel >= T.maxRigidTravel) return 'VIDEO_LIVENESS_FAILED'
  return null
}

export interface SilentVerdict {
  reason: Reason
  motion: MotionEvidence | null
  /** padScore of the sampled frames (null: none) */
  liveScore: number | null
  /** calibrated P(live) of liveScore */
  liveProbability: number | null
  /** lower quartile of the 80-px model's logit over the sampled frames */
  logit80Q25: number | null
}

/**
 * Silent liveness. For a video: enough face frames (SILENT_LIVENESS_FAILED), not a still picture
 * (STILL_IMAGE_VIDEO), the presentation-attack score (SPOOF_DETECTED, or SCREEN_REPLAY_DETECTED when the
 * face moves like a live one: a recording on a display), no flat picture travelling
 * (VIDEO_LIVENESS_FAILED), and a face that either moves its eyes or mouth or convinces the 80-px model
 * too (SILENT_LIVENESS_BELOW_THRESHOLD). For a single image only the attack score exists (`samples` null).
 */
export function judgeSilent(samples: FrameSample[] | null, pad: PadFrame[], planarResidual = 0): SilentVerdict {
  const T = SILENT_THRESHOLDS
  const liveScore = padScore(pad)
  const liveProbability = liveScore === null ? null : padProbability(liveScore)
  const l80 = pad.map((f) => logit(f.p80))
  const logit80Q25 = l80.length ? quantile(l80, 0.25) : null
  let motion: MotionEvidence | null = null
  const v = (reason: Reason): SilentVerdict => ({ reason, motion, liveScore, liveProbability, logit80Q25 })
  if (samples) {
    motion = motionEvidence(samples, planarResidual)
    if (motion.faceFrames < T.minFaceFrames) return v('SILENT_LIVENESS_FAILED')
    if (motion.staticShare >= T.stillShare) return v('STILL_IMAGE_VIDEO')
  }
  if (liveScore === null) return v('SILENT_LIVENESS_FAILED')
  if (liveScore < T.minPadScore) return v(motion?.independentMotion ? 'SCREEN_REPLAY_DETECTED' : 'SPOOF_DETECTED')
  if (motion) {
    const m = motionVerdict(motion)
    if (m) return v(m)
    if (!motion.ownMotion && (logit80Q25 ?? -Infinity) < T.minStillFaceLogit80)
      return v('SILENT_LIVENESS_BELOW_THRESHOLD')
  }
  return v('PASS')
}
