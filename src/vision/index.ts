export type {
  LivenessMode,
  Action,
  AnalyseRequest,
  AnalyseResult,
  CompareResult,
  Signals,
  VisionEngine,
} from './types.js'
export { createVisionEngine, type VisionEngineOptions, type VisionEngineExtras } from './engine.js'
export { ModelMissingError, ModelChecksumError, CapabilityNotSupportedError } from './errors.js'
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
export { cosineToScore, FAR_ANCHORS } from './calibration.js'
export { CALIBRATION } from './calibration-table.js'
export { QUALITY_THRESHOLDS } from './quality.js'
