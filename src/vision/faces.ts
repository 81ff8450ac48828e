import type { RgbImage } from '../media/index.js'
import { measureFace, type FaceMeasure } from './face.js'
import type { FaceDetector } from './mediapipe-face.js'
import { QUALITY_THRESHOLDS } from './quality.js'

/** The faces of one picture: the primary one (the person being verified) and how many count. */
export interface FacesInPicture {
  faces: FaceMeasure[]
  primary: FaceMeasure | null
  /** faces that count for MULTIPLE_FACES: the primary plus every complete, confident, similarly large one */
  count: number
  /** raw mesh of the primary face (for motion analysis) */
  primaryMesh: Array<[number, number, number]> | null
}

/**
 * Primary face: the largest face weighted by closeness to the picture centre — a verification
 * photo is centred on its subject, and bystanders are off-centre (LFW crops show this often).
 */
export async function findFaces(
  detector: FaceDetector,
  img: RgbImage,
  opts: { video?: boolean } = {},
): Promise<FacesInPicture> {
  const raw = await detector.detect(img, opts)
  if (!raw.length) return { faces: [], primary: null, count: 0, primaryMesh: null }
  const measured = raw.map((r) => ({ r, m: measureFace(img, r) }))
  const weight = (m: FaceMeasure) => {
    const dx = m.centerXFrac - 0.5
    const dy = m.centerYFrac - 0.5
    return m.box[2] * Math.exp(-(dx * dx + dy * dy) / 0.08)
  }
  measured.sort((a, b) => weight(b.m) - weight(a.m))
  const primary = measured[0]!.m
  const T = QUALITY_THRESHOLDS
  let count = 1
  for (const { m } of measured.slice(1)) {
    if (
      m.detectorScore >= T.secondFaceMinDetectorScore &&
      m.outsideFrac <= T.maxOutsideFrac &&
      m.box[2] >= T.secondFaceMinRelWidth * primary.box[2]
    )
      count++
  }
  return { faces: measured.map((x) => x.m), primary, count, primaryMesh: measured[0]!.r.mesh }
}
