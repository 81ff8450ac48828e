import type { Reason } from '../codes/index.js'
import { analyseAudioFile, type AudioAnalysis } from '../audio/index.js'
import { NoRecognizer, type DigitRecognizer } from '../audio/index.js'
import { SileroVad } from '../audio/index.js'
import { MediaRejectedError } from '../media/index.js'
import { QUALITY_THRESHOLDS } from '../vision/index.js'
import type { FaceDetector } from '../vision/index.js'
import { scanVideo, type VideoScan } from '../vision/index.js'
import { DIGITS_THRESHOLDS, judgeDigits, type DigitsSignals, type DigitsThresholds } from './digits.js'

/** Video sampling of the digits mode: lips move at 3–7 syllables/s, so denser than the 10 fps of the other modes. */
export const DIGITS_SAMPLING = { fps: 25, maxFrames: 200 } as const

export interface DigitsAttemptOptions {
  /** Silero VAD; default: one per thread, loaded on first use */
  vad?: SileroVad
  /** default NoRecognizer: `digitsRecognized: null` */
  recognizer?: DigitRecognizer
  thresholds?: Partial<DigitsThresholds>
  /** see DigitsJudgeInput.expectedSyllables (tests and benchmarks on English sentences) */
  expectedSyllables?: number
  /** analyse a separate audio file instead of the video's own track (benchmarks of dubbing attacks) */
  audioPath?: string
}

export interface DigitsAttemptResult {
  reason: Reason
  signals: DigitsSignals
  /** the face scan (best frame, spread frames) for the comparison that follows a PASS; null when the video was refused */
  scan: VideoScan | null
  audio: AudioAnalysis | null
}

let sharedVad: Promise<SileroVad> | null = null
/** One Silero session per thread (a worker analyses one attempt at a time). */
export function digitsVad(): Promise<SileroVad> {
  sharedVad ??= SileroVad.load()
  return sharedVad
}

/** The intake's reasons, in the digits mode's own words (its codes differ: 1104, 1107, 1108). */
const DIGITS_MEDIA_REASON: Partial<Record<Reason, Reason>> = {
  VIDEO_FORMAT_INVALID: 'DIGITS_VIDEO_FORMAT_INVALID',
  VIDEO_DECODE_FAILED: 'DIGITS_VIDEO_FORMAT_INVALID',
  VIDEO_RESOLUTION_TOO_LOW: 'DIGITS_VIDEO_RESOLUTION_TOO_LOW',
  VIDEO_TOO_SHORT: 'DIGITS_VIDEO_DURATION_INVALID',
  VIDEO_TOO_LONG: 'DIGITS_VIDEO_DURATION_INVALID',
}

const r3 = (x: number) => Math.round(x * 1000) / 1000

/**
 * One `liveness: 'digital'` attempt on an uploaded video: the frames are scanned with the vision
 * engine's own scanner (face mesh → mouth opening, completeness), the sound is decoded by ffmpeg to
 * 16 kHz mono and analysed (silence, level, Silero VAD, envelope, syllable nuclei), an optional
 * recogniser listens, and `judgeDigits` decides. Media the intake refuses become the digits
 * mode's reasons. Faces: none at all → NO_FACE_IN_VIDEO; several in most frames → MULTIPLE_FACES.
 */
export async function runDigitsAttempt(
  detector: FaceDetector,
  videoPath: string,
  digits: string,
  opts: DigitsAttemptOptions = {},
): Promise<DigitsAttemptResult> {
  const vadP = opts.vad ? Promise.resolve(opts.vad) : digitsVad()
  const recognizer = opts.recognizer ?? new NoRecognizer()
  let scan: VideoScan
  // ffmpeg decodes the sound in its own process while the frames are scanned
  const audioP = vadP.then((vad) =>
    analyseAudioFile(vad, opts.audioPath ?? videoPath, { maxS: DIGITS_THRESHOLDS.maxVideoS + 10 }),
  )
  audioP.catch(() => undefined)
  try {
    scan = await scanVideo(detector, videoPath, { fps: DIGITS_SAMPLING.fps, maxFrames: DIGITS_SAMPLING.maxFrames })
  } catch (err) {
    if (err instanceof MediaRejectedError) {
      const reason = DIGITS_MEDIA_REASON[err.reason] ?? err.reason
      return {
        reason,
        signals: { ...err.detail, rejection: err.message, recognizer: recognizer.name, digitsRecognized: null },
        scan: null,
        audio: null,
      }
    }
    throw err
  }
  const audio = await audioP
  const signals: DigitsSignals = {
    durationS: r3(scan.info.durationS),
    frames: scan.info.frames,
    sampleFps: r3(scan.info.fps),
    framesWithFace: scan.framesWithFace,
    width: scan.info.width,
    height: scan.info.height,
    codec: scan.info.probe.codec,
    container: scan.info.probe.container,
    audioStream: audio.decoded.streamInfo,
    audioDurationS: r3(audio.durationS),
    peakDbfs: Number.isFinite(audio.peakDbfs) ? audio.peakDbfs : null,
    vadMeanProb: audio.vadMeanProb,
    syllableTimesS: audio.syllableTimesS.join(','),
    audioMs: audio.ms,
    recognizer: recognizer.name,
  }
  if (scan.framesWithFace === 0)
    return { reason: 'NO_FACE_IN_VIDEO', signals: { ...signals, digitsRecognized: null }, scan, audio }
  if (scan.framesWithSeveralFaces > scan.framesWithFace / 2) {
    const reason: Reason =
      scan.maxFaceCount > QUALITY_THRESHOLDS.maxFacesForMultiple ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES'
    return { reason, signals: { ...signals, digitsRecognized: null }, scan, audio }
  }
  const T = QUALITY_THRESHOLDS
  const recognized = audio.hasTrack && !audio.digitalSilence ? await recognizer.recognise(audio.pcm) : null
  const verdict = judgeDigits(
    {
      audio,
      mouthOpen: scan.samples.map((s) => (s.face ? s.face.mouthOpen : NaN)),
      frameTimesS: scan.samples.map((s) => s.t),
      faceComplete: scan.samples.map(
        (s) =>
          s.face !== null &&
          s.faceCount === 1 &&
          s.face.outsideFrac <= T.maxOutsideFrac &&
          s.face.occlusion <= T.maxOcclusion,
      ),
      video: {
        width: scan.info.probe.displayWidth,
        height: scan.info.probe.displayHeight,
        durationS: scan.info.durationS,
        format: scan.info.probe.container,
      },
      digits,
      expectedSyllables: opts.expectedSyllables,
      recognized,
    },
    opts.thresholds,
  )
  return { reason: verdict.reason, signals: { ...signals, ...verdict.signals }, scan, audio }
}
