export * from './types.js'
export {
  VerificationService,
  ANALYSE_JOB,
  MAX_REFERENCE_BYTES,
  LIVE_CODE_TTL_S,
  LIGHT_REVEAL_LEAD_MS,
  LIGHT_SHOWN_SCHEMA,
  publicChallenge,
  type CreateInput,
  type Created,
  type VerificationPolicy,
  type OutcomeListener,
  type RiskPolicy,
  type UploadResult,
} from './service.js'
export { AttemptAnalysis, type Analyser, type AnalyseRequest, type AnalyseResult, type Judged } from './analysis.js'
export {
  IdCardStepService,
  MAX_CARD_BYTES,
  type CardReader,
  type CardSide,
  type CardResult,
  type CardStepStatus,
  type CardData,
} from './idcard-step.js'
export { QueuedCardReader, OCR_JOB, runOcrJob } from './queued-card-reader.js'
