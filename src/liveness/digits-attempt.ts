import type { Reason } from '../codes/index.js'
import { analyseAudioFile, verifyDigits, SileroVad, type AudioAnalysis, type DigitRecognizer } from '../audio/index.js'
import { MediaRejectedError } from '../media/index.js'
import { QUALITY_THRESHOLDS, scanVideo, type FaceDetector, type VideoScan } from '../vision/index.js'
import {
  DIGITS_THRESHOLDS,
  judgeDigits,
  type DigitsJudgeInput,
  type DigitsSignals,
  type DigitsThresholds,
} from './digits.js'

/**
 * Video sampling of the digits mode: lips move at 3–7 syllables/s, so denser than the 10 fps of the
 * other modes. The face mesh (most of an attempt's CPU) runs at the full rate from the first frame
 * to the end of what the lip rules read (the last speech offset + the judge's `avMarginS` +
 * `windowPadS`), and after that only on every `sparseEvery`-th frame (5 fps: the face count and
 * the best frame). Everything up to the end of that window is analysed exactly as before, frame
 * for frame: the face tracker carries its state from frame to frame, so thinning the frames
 * *before* the speech changed the mesh inside it (bench:digits, brbk7n's sound 0.5 s late: near
 * share 0.67 → 0.81, a dub passed) and is not done. Without speech the whole clip is sampled
 * sparsely (the judge refuses it before the lip rules).
 */
export const DIGITS_SAMPLING = { fps: 25, maxFrames: 200, sparseEvery: 5, windowPadS: 0.1 } as const

export interface DigitsAttemptOptions {
  /** Silero VAD; default: one per thread, loaded on first use */
  vad?: SileroVad
  /**
   * The recogniser that verifies the digits. Absent: only the sound and lip rules are judged
   * (`recognizer: "none"`): the benchmark's lip-sync columns and the judge's own tests. The analysis
   * engine always passes one, or refuses the attempt as not available.
   */
  recognizer?: DigitRecognizer
  thresholds?: Partial<DigitsThresholds>
  /** see DigitsJudgeInput.expectedSyllables (tests and benchmarks on English sentences) */
  expectedSyllables?: number
  /** analyse a separate audio file instead of the video's own track (benchmarks of dubbing attacks) */
  audioPath?: string
  /** benchmarks: analyse every frame at 25 fps (the sampling before 2026-12-06), for the CPU comparison */
  everyFrame?: boolean
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
  const recognizer = opts.recognizer ?? null
  const recognizerName = recognizer?.name ?? 'none'
  let scan: VideoScan
  // the sound first (cheap): it says where the lips must be measured at the full rate
  const audioOrError = await vadP
    .then((vad) => analyseAudioFile(vad, opts.audioPath ?? videoPath, { maxS: DIGITS_THRESHOLDS.maxVideoS + 10 }))
    .catch((err: unknown) => ({ error: err }))
  const window = 'error' in audioOrError ? null : lipWindow(audioOrError, opts.thresholds)
  try {
    scan = await scanVideo(detector, videoPath, {
      fps: DIGITS_SAMPLING.fps,
      maxFrames: DIGITS_SAMPLING.maxFrames,
      // the digits judge reads no motion measure of the scan
      motion: false,
      analyse: (f) =>
        opts.everyFrame === true ||
        (window !== null && f.t <= window.toS) ||
        f.index % DIGITS_SAMPLING.sparseEvery === 0,
    })
  } catch (err) {
    if (err instanceof MediaRejectedError) {
      const reason = DIGITS_MEDIA_REASON[err.reason] ?? err.reason
      return {
        reason,
        signals: { ...err.detail, rejection: err.message, recognizer: recognizerName, digitsRecognized: null },
        scan: null,
        audio: null,
      }
    }
    throw err
  }
  // a video the intake accepts whose sound cannot be read: the error the sound's analysis raised
  if ('error' in audioOrError) throw audioOrError.error
  const audio = audioOrError
  const signals: DigitsSignals = {
    durationS: r3(scan.info.durationS),
    frames: scan.info.frames,
    framesAnalysed: scan.samples.length,
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
    recognizer: recognizerName,
  }
  if (scan.framesWithFace === 0)
    return { reason: 'NO_FACE_IN_VIDEO', signals: { ...signals, digitsRecognized: null }, scan, audio }
  if (scan.framesWithSeveralFaces > scan.framesWithFace / 2) {
    const reason: Reason =
      scan.maxFaceCount > QUALITY_THRESHOLDS.maxFacesForMultiple ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES'
    return { reason, signals: { ...signals, digitsRecognized: null }, scan, audio }
  }
  const started = performance.now()
  const verification =
    recognizer && audio.hasTrack && !audio.digitalSilence ? await verifyDigits(recognizer, audio.pcm, digits) : null
  if (verification) signals.recognizerMs = Math.round(performance.now() - started)
  const verdict = judgeDigits(
    { ...digitsJudgeInput(scan, audio, digits, opts.expectedSyllables), verification },
    opts.thresholds,
  )
  return { reason: verdict.reason, signals: { ...signals, ...verdict.signals }, scan, audio }
}

/** The stretch of the video the lip rules read (s), or null when the sound has no speech; the scan analyses every frame up to `toS`. */
export function lipWindow(
  audio: Pick<AudioAnalysis, 'speech'>,
  thresholds: Partial<DigitsThresholds> = {},
): { fromS: number; toS: number } | null {
  if (!audio.speech.length) return null
  const margin = (thresholds.avMarginS ?? DIGITS_THRESHOLDS.avMarginS) + DIGITS_SAMPLING.windowPadS
  return { fromS: audio.speech[0]!.startS - margin, toS: audio.speech[audio.speech.length - 1]!.endS + margin }
}

/** What the judge sees of one scanned video and its sound (also used by bench:digits to judge the lip rules alone). */
export function digitsJudgeInput(
  scan: VideoScan,
  audio: AudioAnalysis,
  digits: string,
  expectedSyllables?: number,
): DigitsJudgeInput {
  const T = QUALITY_THRESHOLDS
  return {
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
    expectedSyllables,
  }
}
