import type { RgbImage } from '../media/index.js'
import { decodeVideo, type DecodeVideoOptions, type DecodedVideoInfo } from '../media/index.js'
import { MEDIA_LIMITS } from '../media/index.js'
import type { FrameSample } from './types.js'
import type { Reason } from '../codes/index.js'
import { greyCrop, type FaceMeasure } from './face.js'
import { findFaces, type FacesInPicture } from './faces.js'
import type { FaceDetector } from './mediapipe-face.js'
import { meanAbsDiff, nonRigidMotion } from './motion.js'
import { homographyResiduals, percentile, type Pt } from './planar.js'
import { judgeQuality, qualityScore } from './quality.js'

export interface KeptFrame {
  frame: RgbImage & { index: number; t: number }
  face: FaceMeasure
  quality: number
}

export interface VideoScan {
  info: DecodedVideoInfo
  samples: FrameSample[]
  /** highest-quality frame among those that pass the quality judge (else highest overall) */
  best: KeptFrame | null
  bestPassesQuality: boolean
  /** a few face frames spread over the clip, near-frontal ones when there are enough (anti-spoof, identity consistency) */
  spread: KeptFrame[]
  /**
   * How far the face's motion is from that of a flat object: 90th percentile over the face frames of the
   * 90th-percentile mesh residual after the best homography from the median-pose frame, in units of the
   * mesh's spread. A photo or a screen (moved, tilted) stays low; a head that turns does not.
   */
  planarResidual: number
  /** first quality failure of each face frame that failed, counted */
  qualityFailures: Partial<Record<Reason, number>>
  framesWithFace: number
  framesWithSeveralFaces: number
  maxFaceCount: number
  /** ms spent in face detection + mesh (inside the frame callback) */
  detectMs: number
  /** rate of the face samples: the decoding rate over `meshEvery` */
  sampleFps: number
}

/**
 * One pass over a video: decode (ffmpeg, streaming), find and measure the faces of every sampled
 * frame, record the liveness timeline and keep only the frames the later stages need.
 */
export async function scanVideo(
  detector: FaceDetector,
  path: string,
  opts: DecodeVideoOptions & {
    spreadFrames?: number
    /**
     * find faces on every n-th decoded frame only (default 1: all); the others are handed to
     * `onSkippedFrame` and leave no sample (a mode that needs each frame's pixels but not each
     * frame's mesh: light)
     */
    meshEvery?: number
    onSkippedFrame?: (frame: RgbImage & { index: number; t: number }) => void | Promise<void>
    /**
     * Which decoded frames are analysed (face detector, mesh, measures); the others are skipped and
     * leave no sample. Default: every frame. The digits mode analyses every frame up to the end of
     * what its lip rules read, then sparsely (src/liveness/digits-attempt.ts).
     */
    analyse?: (frame: { index: number; t: number }) => boolean
    /**
     * false: no per-frame motion measures (`nonRigid`, `pixelMotion` stay null; `planarResidual` 0),
     * for a mode that reads none of them (digits). Default true.
     */
    motion?: boolean
    /** called once per analysed frame after its sample is recorded (benchmarks' feature cache) */
    onFrame?: (
      frame: RgbImage & { index: number; t: number },
      found: FacesInPicture,
      sample: FrameSample,
    ) => void | Promise<void>
  } = {},
): Promise<VideoScan> {
  const samples: FrameSample[] = []
  const spreadWanted = opts.spreadFrames ?? 5
  let best: KeptFrame | null = null
  let bestPasses = false
  const spreadCandidates: KeptFrame[] = []
  const frontalCandidates: KeptFrame[] = []
  // every 4th mesh point of each face frame, with its yaw: enough for the planar fit after the scan
  const meshes: Array<{ yaw: number; pts: Pt[] }> = []
  const qualityFailures: Partial<Record<Reason, number>> = {}
  let framesWithFace = 0
  let framesWithSeveralFaces = 0
  let maxFaceCount = 0
  let detectMs = 0
  let prevMesh: Array<[number, number, number]> | null = null
  let prevFrame: RgbImage | null = null
  let prevBox: [number, number, number, number] | null = null
  let first = true
  const meshEvery = Math.max(1, Math.floor(opts.meshEvery ?? 1))
  let decoded = 0
  // spread: keep every k-th face frame, k from the expected frame count
  let stride = 1
  const motion = opts.motion ?? true
  const info = await decodeVideo(
    path,
    async (frame) => {
      if (decoded++ % meshEvery !== 0) {
        await opts.onSkippedFrame?.(frame)
        return
      }
      if (opts.analyse && !opts.analyse(frame)) return
      const firstFrame = first
      if (first) {
        first = false
        // expected frames are not known before the probe; estimate from the sampling plan
        stride = Math.max(1, Math.floor(MEDIA_LIMITS.video.maxFrames / spreadWanted / 2))
      }
      const t0 = performance.now()
      // the detector tracks faces across calls and keeps its boxes and last input per worker: a clip
      // starts afresh, so it is judged the same whatever this worker analysed before (a leftover box
      // from the previous clip gave a false FACE_SWAPPED)
      if (firstFrame) await detector.reset()
      const found = await findFaces(detector, frame, { video: true })
      detectMs += performance.now() - t0
      maxFaceCount = Math.max(maxFaceCount, found.count)
      const f = found.primary
      let nonRigid: number | null = null
      let pixelMotion: number | null = null
      let quality = 0
      if (f && found.primaryMesh) {
        framesWithFace++
        if (found.count > 1) framesWithSeveralFaces++
        const verdict = judgeQuality(f, frame)
        quality = verdict.score
        if (verdict.reason) qualityFailures[verdict.reason] = (qualityFailures[verdict.reason] ?? 0) + 1
        if (motion) {
          if (prevMesh) nonRigid = nonRigidMotion(prevMesh, found.primaryMesh)
          // same region in both frames (the previous face box): a moving box would make a still video look alive
          if (prevFrame && prevBox)
            pixelMotion = meanAbsDiff(greyCrop(prevFrame, prevBox, 48), greyCrop(frame, prevBox, 48))
          prevFrame = frame
          prevBox = f.box
          prevMesh = found.primaryMesh
        }
        const kept: KeptFrame = { frame, face: f, quality }
        const passes = verdict.reason === null
        if (!best || (passes && !bestPasses) || (passes === bestPasses && quality > best.quality)) {
          best = kept
          bestPasses = passes
        }
        if ((framesWithFace - 1) % stride === 0) {
          spreadCandidates.push(kept)
          if (Math.abs(f.yawDeg) <= FRONTAL.yawDeg && Math.abs(f.pitchDeg) <= FRONTAL.pitchDeg)
            frontalCandidates.push(kept)
        }
        if (motion)
          meshes.push({
            yaw: f.yawDeg,
            pts: found.primaryMesh.filter((_, i) => i % 4 === 0).map((q) => [q[0], q[1]] as Pt),
          })
      }
      const sample: FrameSample = {
        index: frame.index,
        t: frame.t,
        faceCount: found.count,
        face: f
          ? {
              ear: f.ear,
              mouthOpen: f.mouthOpen,
              yawDeg: f.yawDeg,
              pitchDeg: f.pitchDeg,
              rollDeg: f.rollDeg,
              width: f.box[2],
              centerX: f.box[0] + f.box[2] / 2,
              centerY: f.box[1] + f.box[3] / 2,
              quality,
              outsideFrac: f.outsideFrac,
              occlusion: f.occlusion,
            }
          : null,
        nonRigid,
        pixelMotion,
      }
      samples.push(sample)
      await opts.onFrame?.(frame, found, sample)
    },
    opts,
  )
  // thin the candidates to `spreadWanted`, evenly over time; near-frontal ones when there are enough (the
  // anti-spoof models and the embedding are trained on near-frontal faces: a turned head scores low on both)
  const pool = frontalCandidates.length >= Math.min(3, spreadCandidates.length) ? frontalCandidates : spreadCandidates
  const spread: KeptFrame[] = []
  if (pool.length <= spreadWanted) spread.push(...pool)
  else
    for (let i = 0; i < spreadWanted; i++) spread.push(pool[Math.round((i * (pool.length - 1)) / (spreadWanted - 1))]!)
  return {
    info,
    samples,
    best,
    bestPassesQuality: bestPasses,
    spread,
    planarResidual: planarResidual(meshes),
    qualityFailures,
    framesWithFace,
    framesWithSeveralFaces,
    maxFaceCount,
    detectMs,
    sampleFps: info.fps / meshEvery,
  }
}

/** Near-frontal pose for the anti-spoof and identity frames (the models' training poses). */
export const FRONTAL = { yawDeg: 25, pitchDeg: 20 } as const

/** See VideoScan.planarResidual. */
export function planarResidual(meshes: Array<{ yaw: number; pts: Pt[] }>): number {
  if (meshes.length < 3) return 0
  const yaws = meshes.map((x) => x.yaw).sort((a, b) => a - b)
  const my = yaws[yaws.length >> 1]!
  let ref = meshes[0]!
  for (const x of meshes) if (Math.abs(x.yaw - my) < Math.abs(ref.yaw - my)) ref = x
  const per: number[] = []
  for (const x of meshes) {
    const r = homographyResiduals(ref.pts, x.pts)
    if (r) per.push(percentile(r, 0.9))
  }
  return per.length ? percentile(per, 0.9) : 0
}

export { qualityScore }
