import type { RgbImage } from '../media/index.js'
import { decodeVideo, type DecodeVideoOptions, type DecodedVideoInfo } from '../media/index.js'
import { MEDIA_LIMITS } from '../media/index.js'
import type { FrameSample } from './types.js'
import type { Reason } from '../codes/index.js'
import { greyCrop, type FaceMeasure } from './face.js'
import { findFaces } from './faces.js'
import type { FaceDetector } from './human.js'
import { meanAbsDiff, nonRigidMotion } from './motion.js'
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
  /** a few face frames spread over the clip (anti-spoof, identity consistency) */
  spread: KeptFrame[]
  /** first quality failure of each face frame that failed, counted */
  qualityFailures: Partial<Record<Reason, number>>
  framesWithFace: number
  framesWithSeveralFaces: number
  maxFaceCount: number
  /** ms spent in face detection + mesh (inside the frame callback) */
  detectMs: number
}

/**
 * One pass over a video: decode (ffmpeg, streaming), find and measure the faces of every sampled
 * frame, record the liveness timeline and keep only the frames the later stages need.
 */
export async function scanVideo(
  detector: FaceDetector,
  path: string,
  opts: DecodeVideoOptions & { spreadFrames?: number } = {},
): Promise<VideoScan> {
  const samples: FrameSample[] = []
  const spreadWanted = opts.spreadFrames ?? 5
  let best: KeptFrame | null = null
  let bestPasses = false
  const spreadCandidates: KeptFrame[] = []
  const qualityFailures: Partial<Record<Reason, number>> = {}
  let framesWithFace = 0
  let framesWithSeveralFaces = 0
  let maxFaceCount = 0
  let detectMs = 0
  let prevMesh: Array<[number, number, number]> | null = null
  let prevFrame: RgbImage | null = null
  let prevBox: [number, number, number, number] | null = null
  let first = true
  // spread: keep every k-th face frame, k from the expected frame count
  let stride = 1
  const info = await decodeVideo(
    path,
    async (frame) => {
      const firstFrame = first
      if (first) {
        first = false
        // expected frames are not known before the probe; estimate from the sampling plan
        stride = Math.max(1, Math.floor(MEDIA_LIMITS.video.maxFrames / spreadWanted / 4))
      }
      const t0 = performance.now()
      // Human tracks faces across calls and caches its boxes and last input per worker: a blank frame
      // first empties that state, so a clip is judged the same whatever this worker analysed before
      // (a leftover box from the previous clip gave a false FACE_SWAPPED)
      if (firstFrame)
        await detector.detect(
          { data: Buffer.alloc(frame.width * frame.height * 3), width: frame.width, height: frame.height },
          { video: true },
        )
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
        if (prevMesh) nonRigid = nonRigidMotion(prevMesh, found.primaryMesh)
        // same region in both frames (the previous face box): a moving box would make a still video look alive
        if (prevFrame && prevBox)
          pixelMotion = meanAbsDiff(greyCrop(prevFrame, prevBox, 48), greyCrop(frame, prevBox, 48))
        prevFrame = frame
        prevBox = f.box
        prevMesh = found.primaryMesh
        const kept: KeptFrame = { frame, face: f, quality }
        const passes = verdict.reason === null
        if (!best || (passes && !bestPasses) || (passes === bestPasses && quality > best.quality)) {
          best = kept
          bestPasses = passes
        }
        if ((framesWithFace - 1) % stride === 0) spreadCandidates.push(kept)
      }
      samples.push({
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
              quality,
              outsideFrac: f.outsideFrac,
              occlusion: f.occlusion,
            }
          : null,
        nonRigid,
        pixelMotion,
      })
    },
    opts,
  )
  // thin the candidates to `spreadWanted`, evenly over time
  const spread: KeptFrame[] = []
  if (spreadCandidates.length <= spreadWanted) spread.push(...spreadCandidates)
  else
    for (let i = 0; i < spreadWanted; i++)
      spread.push(spreadCandidates[Math.round((i * (spreadCandidates.length - 1)) / (spreadWanted - 1))]!)
  return {
    info,
    samples,
    best,
    bestPassesQuality: bestPasses,
    spread,
    qualityFailures,
    framesWithFace,
    framesWithSeveralFaces,
    maxFaceCount,
    detectMs,
  }
}

export { qualityScore }
