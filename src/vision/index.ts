// Face detectors, measurements, quality, embeddings, anti-spoofing and similarity calibration.
// Vision knows nothing of liveness modes: the judges (src/liveness) and the attempt analysis
// (src/analysis) sit above it.
export type { CompareResult, Signals, FrameSample } from './types.js'
export { ModelMissingError, ModelChecksumError, CapabilityNotSupportedError } from './errors.js'
export { serializeVisionError, reviveVisionError, type SerializedVisionError } from './errors.js'
export {
  MODELS,
  defaultModelsDir,
  listModels,
  pullModels,
  resolveModel,
  type ModelSpec,
  type ModelStatus,
  type PullResult,
} from './models.js'
export { farAtScore, cosineToScore, buildCalibration, FAR_ANCHORS, type CalibrationTable } from './calibration.js'
export { CALIBRATION } from './calibration-table.js'
export { QUALITY_THRESHOLDS, judgeQuality, qualityScore, type QualityVerdict } from './quality.js'
export { loadFaceDetector, type FaceDetector, type RawFace } from './mediapipe-face.js'
export { findFaces, type FacesInPicture } from './faces.js'
export { measureFace, type FaceMeasure } from './face.js'
export { loadEmbedder, l2normalise, type FaceEmbedder } from './embed.js'
export { cosine, decideCompare, type CompareSide } from './compare.js'
export { loadAntiSpoof, type AntiSpoof } from './antispoof.js'
export { scanVideo, type VideoScan, type KeptFrame } from './scan.js'
export { sharedDir, projectRoot, packageDir } from './paths.js'
