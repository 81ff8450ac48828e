import type { Reason } from '../codes/index.js'
import type { FaceMeasure } from './face.js'

/**
 * Every threshold of the face judgements, in one table (mirrored in docs/vision.md, where each
 * number's evidence is given). Fractions are of the analysed picture's width or height.
 */
export const QUALITY_THRESHOLDS = {
  /** a second face counts (MULTIPLE_FACES) when it is complete, confidently detected and at least this wide relative to the main face */
  secondFaceMinRelWidth: 0.6,
  secondFaceMinDetectorScore: 0.5,
  /** more faces than this in one picture: TOO_MANY_FACES */
  maxFacesForMultiple: 2,
  /** FACE_INCOMPLETE: share of mesh points outside the picture */
  maxOutsideFrac: 0.04,
  /** FACE_TOO_CLOSE: face box wider than this share of the picture width, or taller than this share of its height */
  maxWidthFrac: 0.8,
  maxHeightFrac: 0.92,
  /** FACE_TOO_FAR: face box narrower than this share of the shorter picture side, or fewer pixels than this */
  minWidthFracOfShortSide: 0.12,
  minFacePixels: 48,
  /** FACE_TOO_LEFT / FACE_TOO_RIGHT: face centre x outside [min, max] of the picture width (image coordinates, not mirrored) */
  minCenterX: 0.15,
  maxCenterX: 0.85,
  /** TOO_DARK / TOO_BRIGHT: mean luma (0–255) of the inner face, or share of clipped pixels */
  minBrightness: 45,
  maxBrightness: 215,
  maxOverexposedFrac: 0.3,
  maxUnderexposedFrac: 0.5,
  /** FACE_BLURRED: variance of the Laplacian of the face resampled to 112×112 grey */
  minSharpness: 12,
  /** FACE_OCCLUDED: lower-face occlusion score (colour unlike forehead skin + missing lip/nostril texture) */
  maxOcclusion: 0.45,
  /** EYES_CLOSED: mean eye aspect ratio below this (1 of the 238 face photos is below: a squinting smile) */
  minEyeAspect: 0.1,
  /** best-frame choice: frames turned further than this are not "frontal" */
  frontalYawDeg: 20,
  frontalPitchDeg: 20,
} as const

export interface QualityVerdict {
  /** first failing reason in the order below, or null when the face is usable */
  reason: Reason | null
  /** 0–100: higher is a better face for comparison (sharp, frontal, eyes open, mouth closed, well lit, uncovered) */
  score: number
  failures: Reason[]
}

/**
 * Judge one face. Order matters: a face cut by the edge is also "too close", and the first cause
 * is the one reported (incomplete, size, position, exposure, blur, occlusion, eyes).
 */
export function judgeQuality(
  f: FaceMeasure,
  picture: { width: number; height: number },
  opts: { eyesMustBeOpen?: boolean } = {},
): QualityVerdict {
  const T = QUALITY_THRESHOLDS
  const failures: Reason[] = []
  if (f.outsideFrac > T.maxOutsideFrac) failures.push('FACE_INCOMPLETE')
  if (f.widthFrac > T.maxWidthFrac || f.heightFrac > T.maxHeightFrac) failures.push('FACE_TOO_CLOSE')
  const short = Math.min(picture.width, picture.height)
  if (f.box[2] < T.minWidthFracOfShortSide * short || f.box[2] < T.minFacePixels) failures.push('FACE_TOO_FAR')
  if (f.centerXFrac < T.minCenterX) failures.push('FACE_TOO_LEFT')
  if (f.centerXFrac > T.maxCenterX) failures.push('FACE_TOO_RIGHT')
  if (f.brightness < T.minBrightness || f.underexposedFrac > T.maxUnderexposedFrac) failures.push('TOO_DARK')
  if (f.brightness > T.maxBrightness || f.overexposedFrac > T.maxOverexposedFrac) failures.push('TOO_BRIGHT')
  if (f.sharpness < T.minSharpness) failures.push('FACE_BLURRED')
  if (f.occlusion > T.maxOcclusion) failures.push('FACE_OCCLUDED')
  if (opts.eyesMustBeOpen && f.ear < T.minEyeAspect) failures.push('EYES_CLOSED')
  return { reason: failures[0] ?? null, score: qualityScore(f), failures }
}

/** 0–100 ranking score for choosing the best frame: each factor in [0, 1], multiplied. */
export function qualityScore(f: FaceMeasure): number {
  const T = QUALITY_THRESHOLDS
  const sharp = Math.min(1, Math.log1p(f.sharpness) / Math.log1p(200))
  const frontal = Math.max(0, 1 - Math.abs(f.yawDeg) / 45) * Math.max(0, 1 - Math.abs(f.pitchDeg) / 45)
  const eyes = Math.max(0, Math.min(1, (f.ear - 0.1) / 0.15))
  const light = f.brightness < T.minBrightness || f.brightness > T.maxBrightness ? 0.3 : 1
  const complete = f.outsideFrac > T.maxOutsideFrac ? 0.2 : 1
  const uncovered = 1 - 0.7 * Math.min(1, f.occlusion)
  // a neutral (closed) mouth compares best with an ID photo
  const neutral = 1 - 0.5 * Math.min(1, f.mouthOpen / 0.5)
  return Math.round(100 * sharp * frontal * (0.4 + 0.6 * eyes) * light * complete * uncovered * neutral * 10) / 10
}
