export { decodeAudio, SAMPLE_RATE, type DecodedAudio, type DecodeAudioOptions } from './decode.js'
export { toDbfs, rms, peak, frameRms, isDigitalSilence, speechLevelDbfs } from './level.js'
export {
  SileroVad,
  speechSegments,
  sileroModelPath,
  VAD_THRESHOLDS,
  VAD_FRAME,
  VAD_FRAME_S,
  type SpeechSegment,
} from './vad.js'
export { intensityEnvelope, envelopeAt, envelopeTime, ENVELOPE_RATE, type Envelope } from './envelope.js'
export { syllableNuclei, voicing, SYLLABLE_THRESHOLDS, type SyllableNuclei } from './syllables.js'
export { analysePcm, analyseAudioFile, type AudioAnalysis, type AnalyseAudioOptions } from './analyse.js'
export {
  RecognizerLoadError,
  verifyDigits,
  type DigitVerification,
  importRecognizerFactory,
  loadDigitRecognizer,
  normaliseDigits,
  type DigitRecognizer,
} from './recognizer.js'
export {
  SherpaDigitVerifier,
  SPEECH_ZH_DIR,
  SPEECH_ZH_FILES,
  DIGITS_DECODING,
  DIGITS_DECISION,
  type DigitsDecision,
  DIGITS_RESCUE,
  decideDigits,
  rescueDigits,
  type SegmentDecoder,
  alignHeard,
  hearsExactly,
  digitsInTokens,
  type HeardDigit,
} from './sherpa-digits.js'
