// One attempt's analysis in the worker pool: decode the capture, run the vision detectors the rule
// needs, then the liveness judge of its mode and the comparison. Sits above vision, liveness and audio.
export type { LivenessMode, Action, AnalyseRequest, AnalyseResult, AnalysisEngine } from './types.js'
export { createAnalysisEngine, type AnalysisEngineOptions, type AnalysisEngineExtras } from './engine.js'
export {
  loadModels,
  closeModels,
  analyse,
  compareImages,
  embedImage,
  loadBuiltInRecognizer,
  type LoadedModels,
} from './analyser.js'
