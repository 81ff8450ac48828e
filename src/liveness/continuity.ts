import type { Reason } from '../codes/index.js'
import type { FrameSample } from './timeline.js'

/**
 * One person, one take (mirrored in docs/vision.md). A capture is one continuous shot of one person:
 * no shot cut, no second face for more than a moment, the same identity from the first frame to the last.
 */
export const CONTINUITY_THRESHOLDS = {
  /**
   * shot cut: between two consecutive sampled frames the face jumps by (centre shift in face widths
   * + 2 × |log of the width ratio|) at least this. Hand-held phone selfies turning fast reach 0.71 at
   * 8 fps; a cut to another framing or another person jumps further at once.
   */
  cutJump: 1.0,
  /**
   * a jump this large (but under a cut) makes a failed liveness judge look at the identity first
   * (src/analysis/analyser.ts): two people spliced at similar framings jump 0.84 in the captures test
   */
  identityCheckJump: 0.5,
  /** a second face counts when it stays this long (seconds of consecutive sampled frames) */
  secondFaceMaxS: 0.5,
  /** identity: first, middle and last sampled faces against the best frame, on the 0–100 similarity scale (FAR 10 %) */
  minIdentityScore: 50,
} as const

export interface ContinuityEvidence {
  /** largest face jump between consecutive sampled frames, and where (seconds) */
  maxJump: number
  maxJumpT: number | null
  /** longest run of consecutive sampled frames with several counted faces, in seconds, and the most faces in it */
  secondFaceS: number
  secondFaceMax: number
}

export function continuityEvidence(samples: FrameSample[], sampleFps: number): ContinuityEvidence {
  let maxJump = 0
  let maxJumpT: number | null = null
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!.face
    const b = samples[i]!.face
    if (!a || !b) continue
    const w = (a.width + b.width) / 2 || 1
    const jump =
      Math.hypot(a.centerX - b.centerX, a.centerY - b.centerY) / w +
      2 * Math.abs(Math.log((b.width || 1) / (a.width || 1)))
    if (jump > maxJump) {
      maxJump = jump
      maxJumpT = samples[i]!.t
    }
  }
  let run = 0
  let runMax = 0
  let best = 0
  let bestMax = 0
  for (const s of samples) {
    if (s.face && s.faceCount > 1) {
      run++
      runMax = Math.max(runMax, s.faceCount)
      if (run > best) {
        best = run
        bestMax = runMax
      }
    } else {
      run = 0
      runMax = 0
    }
  }
  return { maxJump, maxJumpT, secondFaceS: best / (sampleFps || 1), secondFaceMax: bestMax }
}

/**
 * SUSPECTED_RECORDING for a shot cut (edited footage, not one live take), MULTIPLE_FACES /
 * TOO_MANY_FACES for a second face that stays, FACE_SWAPPED when the identity changes
 * (`identityScores`: first, middle and last sampled faces against the best frame), else null.
 */
export function judgeContinuity(
  e: ContinuityEvidence,
  identityScores: number[],
  maxFacesForMultiple = 2,
): Reason | null {
  const T = CONTINUITY_THRESHOLDS
  if (e.secondFaceS >= T.secondFaceMaxS)
    return e.secondFaceMax > maxFacesForMultiple ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES'
  if (identityScores.some((s) => s < T.minIdentityScore)) return 'FACE_SWAPPED'
  if (e.maxJump >= T.cutJump) return 'SUSPECTED_RECORDING'
  return null
}
