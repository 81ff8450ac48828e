import { join } from 'node:path'
import type { Reason } from '../codes/index.js'
import { decodeImage, encodeJpeg, type DecodedImage, type ImageRole, type RgbImage } from '../media/index.js'
import { MediaRejectedError } from '../media/index.js'
import { judgeActions } from '../liveness/index.js'
import { judgeSilent, motionEvidence, motionVerdict, SILENT_SPREAD_FRAMES } from '../liveness/index.js'
import { continuityEvidence, judgeContinuity, CONTINUITY_THRESHOLDS } from '../liveness/index.js'
import { runDigitsAttempt } from '../liveness/index.js'
import { judgeLight, LightFrameReader, LIGHT_SAMPLING } from '../liveness/index.js'
import { loadDigitRecognizer, SherpaDigitVerifier, SPEECH_ZH_DIR, type DigitRecognizer } from '../audio/index.js'
import { resolveModel } from '../vision/index.js'
import { loadAntiSpoof, type AntiSpoof } from '../vision/index.js'
import { cosineToScore } from '../vision/index.js'
import { loadEmbedder, type FaceEmbedder } from '../vision/index.js'
import { cosine, decideCompare, type CompareSide } from '../vision/index.js'
import { CapabilityNotSupportedError, ModelMissingError } from '../vision/index.js'
import type { FaceMeasure } from '../vision/index.js'
import { findFaces, type FacesInPicture } from '../vision/index.js'
import { loadFaceDetector, type FaceDetector } from '../vision/index.js'
import { QUALITY_THRESHOLDS, judgeQuality } from '../vision/index.js'
import { scanVideo } from '../vision/index.js'
import type { CompareResult, Signals } from '../vision/index.js'
import type { AnalyseRequest, AnalyseResult } from './types.js'
import { judgeSimilarity } from '../verdict/index.js'

/** Models of one worker, loaded once. A capability whose model is missing keeps its error. */
export interface LoadedModels {
  detector: FaceDetector
  embedder: FaceEmbedder | null
  embedderError: Error | null
  antispoof: AntiSpoof | null
  antispoofError: Error | null
  /** the operator's SHIREN_DIGIT_RECOGNIZER, else the built-in verifier; null: the speech models are missing */
  recognizer: DigitRecognizer | null
  recognizerError: Error | null
}

/** The built-in Mandarin digit verifier from the models dir; ModelMissingError when a file is absent. */
export function loadBuiltInRecognizer(modelsDir: string): DigitRecognizer {
  for (const id of ['speech-zh-encoder', 'speech-zh-decoder', 'speech-zh-joiner', 'speech-zh-tokens'])
    resolveModel(id, modelsDir)
  return SherpaDigitVerifier.load(join(modelsDir, SPEECH_ZH_DIR))
}

export async function loadModels(modelsDir: string, opts: { digitRecognizer?: string } = {}): Promise<LoadedModels> {
  // first: a recogniser that fails must fail before any onnxruntime session exists in this thread
  // (a worker ended with live sessions aborted the whole process with Napi::Error)
  let recognizer: DigitRecognizer | null = opts.digitRecognizer ? await loadDigitRecognizer(opts.digitRecognizer) : null
  let recognizerError: Error | null = null
  if (!recognizer) {
    try {
      recognizer = loadBuiltInRecognizer(modelsDir)
    } catch (err) {
      if (!(err instanceof ModelMissingError)) throw err
      recognizerError = err
    }
  }
  const detector = await loadFaceDetector(modelsDir)
  let embedder: FaceEmbedder | null = null
  let embedderError: Error | null = null
  try {
    embedder = await loadEmbedder(modelsDir)
  } catch (err) {
    if (!(err instanceof ModelMissingError)) throw err
    embedderError = err
  }
  let antispoof: AntiSpoof | null = null
  let antispoofError: Error | null = null
  try {
    antispoof = await loadAntiSpoof(modelsDir)
  } catch (err) {
    if (!(err instanceof ModelMissingError)) throw err
    antispoofError = err
  }
  return { detector, embedder, embedderError, antispoof, antispoofError, recognizer, recognizerError }
}

function requireEmbedder(m: LoadedModels): FaceEmbedder {
  if (!m.embedder) throw m.embedderError ?? new CapabilityNotSupportedError('comparison', 'no embedding model')
  return m.embedder
}

function requireAntiSpoof(m: LoadedModels): AntiSpoof {
  if (!m.antispoof) throw m.antispoofError ?? new CapabilityNotSupportedError('silent liveness', 'no anti-spoof model')
  return m.antispoof
}

const r3 = (x: number) => Math.round(x * 1000) / 1000

function faceSignals(f: FaceMeasure, prefix = ''): Signals {
  return {
    [`${prefix}yawDeg`]: r3(f.yawDeg),
    [`${prefix}pitchDeg`]: r3(f.pitchDeg),
    [`${prefix}rollDeg`]: r3(f.rollDeg),
    [`${prefix}eyeAspect`]: r3(f.ear),
    [`${prefix}mouthOpen`]: r3(f.mouthOpen),
    [`${prefix}faceWidthFrac`]: r3(f.widthFrac),
    [`${prefix}faceCenterX`]: r3(f.centerXFrac),
    [`${prefix}outsideFrac`]: r3(f.outsideFrac),
    [`${prefix}brightness`]: r3(f.brightness),
    [`${prefix}sharpness`]: r3(f.sharpness),
    [`${prefix}occlusion`]: r3(f.occlusion),
  }
}

/** Picture-level face verdict: none, several, or the first quality failure of the primary face. */
function judgePicture(
  found: FacesInPicture,
  pic: RgbImage,
  role: ImageRole,
  eyesMustBeOpen = false,
): { reason: Reason | null; quality: number } {
  if (!found.primary) return { reason: role === 'reference' ? 'REFERENCE_NO_FACE' : 'NO_FACE', quality: 0 }
  if (role === 'reference') return { reason: found.count > 1 ? 'REFERENCE_MULTIPLE_FACES' : null, quality: 0 }
  if (found.count > QUALITY_THRESHOLDS.maxFacesForMultiple) return { reason: 'TOO_MANY_FACES', quality: 0 }
  if (found.count > 1) return { reason: 'MULTIPLE_FACES', quality: 0 }
  const q = judgeQuality(found.primary, pic, { eyesMustBeOpen })
  return { reason: q.reason, quality: q.score }
}

interface Side {
  img: DecodedImage
  found: FacesInPicture
}

async function readPicture(m: LoadedModels, path: string, role: ImageRole): Promise<Side> {
  const img = await decodeImage(path, { role })
  const found = await findFaces(m.detector, img)
  return { img, found }
}

/**
 * One attempt: decode once, judge faces and quality, run the liveness judge of the mode, compare
 * with the reference. The reason is the first failing cause; signals carry every measurement made.
 */
export async function analyse(m: LoadedModels, req: AnalyseRequest): Promise<AnalyseResult> {
  const started = performance.now()
  // fail fast on missing capabilities: a verdict must never rest on a model that is not there
  if (req.liveness === 'silent') requireAntiSpoof(m)
  if (req.reference) requireEmbedder(m)
  const signals: Signals = {}
  const done = (reason: Reason, similarity: number | null, bestFrame: Buffer | null): AnalyseResult => ({
    reason,
    signals,
    similarity,
    bestFrame,
    ms: Math.round(performance.now() - started),
  })
  try {
    let live: { img: RgbImage; face: FaceMeasure } | null = null
    let bestFrame: Buffer | null = null
    let spreadFaces: Array<{ img: RgbImage; face: FaceMeasure }> = []
    // embedding of the best frame, when the one-take check made it (the comparison reuses it)
    let liveEmbedding: Float32Array | null = null
    let checkIdentity = false
    /** the face jumped like a splice of two framings, though less than a cut (continuity.ts) */
    let spliceSuspected = false
    /**
     * A failed liveness judge: where the face jumped like a splice, the identity is checked first, so
     * that two people spliced into one clip fail as FACE_SWAPPED whether or not the judge also refused
     * the clip (which of the two fires first must not depend on a score near its threshold).
     */
    const livenessFailed = async (reason: Reason): Promise<AnalyseResult> => {
      if (spliceSuspected && (await identityChanges())) return done('FACE_SWAPPED', null, bestFrame)
      return done(reason, null, bestFrame)
    }
    /** one person from the first sampled face to the last: first, middle and last against the best frame */
    const identityChanges = async (): Promise<boolean> => {
      if (!live || !m.embedder || spreadFaces.length < 2) return false
      const t0 = performance.now()
      liveEmbedding ??= await m.embedder.embed(live.img, live.face.five)
      const identity: number[] = []
      for (const i of [0, spreadFaces.length >> 1, spreadFaces.length - 1]) {
        const k = spreadFaces[i]!
        identity.push(cosineToScore(cosine(await m.embedder.embed(k.img, k.face.five), liveEmbedding)))
      }
      signals.identityConsistency = Math.min(...identity)
      signals.identityMs = Math.round(performance.now() - t0)
      return identity.some((x) => x < CONTINUITY_THRESHOLDS.minIdentityScore)
    }
    if (req.liveness === 'digital') {
      // read-the-digits: sound and lips are judged together on the video (src/liveness/digits-attempt.ts)
      if (req.media.kind !== 'video') return done('DIGITS_VIDEO_FORMAT_INVALID', null, null)
      if (!req.digits) throw new TypeError("'digital' liveness needs the issued digits")
      // no recogniser: the digits cannot be heard, so the attempt is "not available", never a pass
      if (!m.recognizer)
        throw m.recognizerError ?? new CapabilityNotSupportedError('read-the-digits liveness', 'no speech model')
      const d = await runDigitsAttempt(m.detector, req.media.path, req.digits, { recognizer: m.recognizer })
      Object.assign(signals, d.signals)
      if (d.scan?.best) {
        Object.assign(signals, faceSignals(d.scan.best.face))
        signals.qualityScore = d.scan.best.quality
        bestFrame = await encodeJpeg(d.scan.best.frame)
      }
      if (d.reason !== 'PASS') return done(d.reason, null, bestFrame)
      live = { img: d.scan!.best!.frame, face: d.scan!.best!.face }
      spreadFaces = d.scan!.spread.map((k) => ({ img: k.frame, face: k.face }))
    } else if (req.media.kind === 'image') {
      if (req.liveness === 'action') return done('FILE_FORMAT_INVALID', null, null)
      const side = await readPicture(m, req.media.path, 'live')
      signals.faceCount = side.found.count
      signals.width = side.img.width
      signals.height = side.img.height
      if (side.found.primary) Object.assign(signals, faceSignals(side.found.primary))
      const verdict = judgePicture(side.found, side.img, 'live', req.liveness !== 'none')
      signals.qualityScore = verdict.quality
      bestFrame = await encodeJpeg(side.img)
      if (verdict.reason) return done(verdict.reason, null, bestFrame)
      live = { img: side.img, face: side.found.primary! }
      if (req.liveness === 'silent') {
        const s = await requireAntiSpoof(m).score(side.img, live.face.box)
        signals.padScore128 = r3(s.p128)
        signals.padScore80 = r3(s.p80)
        const v = judgeSilent(null, [s])
        signals.padScore = v.liveScore === null ? null : r3(v.liveScore)
        signals.liveProbability = v.liveProbability === null ? null : r3(v.liveProbability)
        if (v.reason !== 'PASS') return done(v.reason, null, bestFrame)
      }
    } else {
      // light mode: every sampled frame's colours are measured, on the face box the scan found on it or
      // interpolated between the scanned frames around it (the scan finds faces on every 2nd frame)
      const light = req.liveness === 'light'
      if (light && !req.light) throw new TypeError("'light' liveness needs the issued colour sequence")
      const lightReader = light ? new LightFrameReader() : null
      const scan = await scanVideo(m.detector, req.media.path, {
        spreadFrames: req.liveness === 'silent' ? SILENT_SPREAD_FRAMES : 5,
        ...(lightReader && {
          fps: LIGHT_SAMPLING.fps,
          maxFrames: LIGHT_SAMPLING.maxFrames,
          meshEvery: LIGHT_SAMPLING.meshEvery,
          // the light judge and the continuity check read no motion measures (still images and flat
          // surfaces are the light judge's own attacks: no reflection, or a uniform one)
          motion: false,
          onFrame: (frame, found) => lightReader.scanned(frame, found.primary?.box ?? null),
          onSkippedFrame: (frame) => lightReader.skipped(frame),
        }),
      })
      const lightFrames = lightReader?.finish() ?? []
      Object.assign(signals, {
        durationS: r3(scan.info.durationS),
        frames: scan.info.frames,
        sampleFps: r3(scan.sampleFps),
        framesWithFace: scan.framesWithFace,
        framesWithSeveralFaces: scan.framesWithSeveralFaces,
        faceCount: scan.maxFaceCount,
        decodeMs: Math.round(scan.info.decodeMs),
        detectMs: Math.round(scan.detectMs),
        width: scan.info.width,
        height: scan.info.height,
        codec: scan.info.probe.codec,
      })
      if (scan.best) {
        Object.assign(signals, faceSignals(scan.best.face))
        signals.qualityScore = scan.best.quality
        signals.bestFrameT = r3(scan.best.frame.t)
        bestFrame = await encodeJpeg(scan.best.frame)
      }
      if (req.recording) {
        const misfit = recordingMisfit(req.recording, scan.info)
        if (misfit) {
          signals.recordingMisfit = misfit
          return done('VIDEO_TAMPERED', null, null)
        }
      }
      if (!scan.best || scan.framesWithFace === 0) return done('NO_FACE_IN_VIDEO', null, null)
      // several faces in most face frames: someone else is in the picture
      if (scan.framesWithSeveralFaces > scan.framesWithFace / 2) {
        return done(
          scan.maxFaceCount > QUALITY_THRESHOLDS.maxFacesForMultiple ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES',
          null,
          bestFrame,
        )
      }
      const faceSamples = scan.samples.filter((s) => s.face)
      // a face that is never turned to the camera (every face frame beyond the frontal limits)
      if (
        faceSamples.every(
          (s) =>
            Math.abs(s.face!.yawDeg) > QUALITY_THRESHOLDS.frontalYawDeg ||
            Math.abs(s.face!.pitchDeg) > QUALITY_THRESHOLDS.frontalPitchDeg,
        )
      )
        return done('FACE_NOT_FRONTAL', null, bestFrame)
      if (!scan.bestPassesQuality) {
        // no usable frame: report the most frequent cause, in its video form (the comparison photo is
        // taken from the video: a covered or blurred face in every frame leaves none to compare)
        const worst = Object.entries(scan.qualityFailures).sort((a, b) => b[1] - a[1])[0]
        return done(
          videoQualityReason((worst?.[0] as Reason | undefined) ?? 'NO_FACE_IN_VIDEO', !!req.reference),
          null,
          bestFrame,
        )
      }
      const faces = scan.samples.filter((s) => s.face)
      const closed = faces.filter((s) => s.face!.ear < QUALITY_THRESHOLDS.minEyeAspect).length
      signals.eyesClosedShare = r3(closed / faces.length)
      if (req.liveness !== 'none' && closed / faces.length > 0.8) return done('EYES_CLOSED', null, bestFrame)
      live = { img: scan.best.frame, face: scan.best.face }
      spreadFaces = scan.spread.map((k) => ({ img: k.frame, face: k.face }))
      if (req.liveness !== 'none') {
        // one person, one take: a second face that stays, another identity, a shot cut
        const ce = continuityEvidence(scan.samples, scan.sampleFps)
        signals.maxFaceJump = r3(ce.maxJump)
        signals.secondFaceS = r3(ce.secondFaceS)
        // the identity part (three embeddings) runs once the liveness judge passed: a clip that fails its
        // actions costs no embedding (bench:speed: action attempt ≤ 5× ffmpeg's decode)
        const cr = judgeContinuity(ce, [])
        // a cut between two people is a swap: the more specific reason
        if (cr === 'SUSPECTED_RECORDING' && (await identityChanges())) return done('FACE_SWAPPED', null, bestFrame)
        if (cr) return done(cr, null, bestFrame)
        checkIdentity = true
        spliceSuspected = ce.maxJump >= CONTINUITY_THRESHOLDS.identityCheckJump
      }
      if (light) {
        // the judge of the light mode: the face must have reflected the issued colours at the reported times
        const t0 = performance.now()
        const v = req.light!.shown
          ? judgeLight({
              frames: lightFrames,
              issued: req.light!.steps,
              shown: req.light!.shown,
              video: { durationS: scan.info.durationS },
            })
          : {
              reason: 'LIGHT_LIVENESS_FAILED' as const,
              signals: { lightFailure: 'timings', lightTimingMisfit: 'no report' },
            }
        Object.assign(signals, v.signals)
        signals.lightMs = Math.round(lightReader!.ms + performance.now() - t0)
        if (v.reason !== 'PASS') return livenessFailed(v.reason)
      } else if (req.liveness === 'action') {
        const asked = req.actions?.length ? req.actions : []
        if (!asked.length) throw new TypeError("'action' liveness needs the server-chosen actions")
        const v = judgeActions(scan.samples, asked)
        signals.actionsAsked = asked.join(',')
        signals.actionsFound = v.events.map((e) => `${e.action}@${e.t.toFixed(1)}`).join(',')
        signals.blinkCount = v.events.filter((e) => e.action === 'blink').length
        // a still image cannot perform actions, but say so when that is the cause
        const me = motionEvidence(scan.samples, scan.planarResidual)
        signals.independentMotion = me.independentMotion
        if (v.reason !== 'PASS') return livenessFailed(motionVerdict(me) ?? v.reason)
      } else if (req.liveness === 'silent') {
        const anti = requireAntiSpoof(m)
        const pad: Array<{ p128: number; p80: number }> = []
        for (const k of spreadFaces) pad.push(await anti.score(k.img, k.face.box))
        const v = judgeSilent(scan.samples, pad, scan.planarResidual)
        if (v.motion) {
          signals.mouthRelRange = r3(v.motion.mouthRelRange)
          signals.blinkDepth = r3(v.motion.blinkDepth)
          signals.nonRigidP90 = r3(v.motion.nonRigidP90)
          signals.staticShare = r3(v.motion.staticShare)
          signals.planarResidual = r3(v.motion.planarResidual)
          signals.rigidTravel = r3(v.motion.rigidTravel)
          signals.yawRange = r3(v.motion.yawRange)
          signals.ownMotion = v.motion.ownMotion
          signals.headMotion3d = v.motion.headMotion3d
          signals.independentMotion = v.motion.independentMotion
        }
        signals.padFrames = pad.length
        signals.padScore = v.liveScore === null ? null : r3(v.liveScore)
        signals.liveProbability = v.liveProbability === null ? null : r3(v.liveProbability)
        signals.padLogit80Q25 = v.logit80Q25 === null ? null : r3(v.logit80Q25)
        if (v.reason !== 'PASS') return livenessFailed(v.reason)
      }
    }
    if (checkIdentity && (await identityChanges())) return done('FACE_SWAPPED', null, bestFrame)
    if (!req.reference) return done('PASS', null, bestFrame)

    // comparison with the reference photo
    const embedder = requireEmbedder(m)
    const ref = await readPicture(m, req.reference.path, 'reference')
    signals.referenceFaceCount = ref.found.count
    const refVerdict = judgePicture(ref.found, ref.img, 'reference')
    if (refVerdict.reason) return done(refVerdict.reason, null, bestFrame)
    const t0 = performance.now()
    const eLive = liveEmbedding ?? (await embedder.embed(live.img, live.face.five))
    const eRef = await embedder.embed(ref.img, ref.found.primary!.five)
    const cos = cosine(eLive, eRef)
    if (!Number.isFinite(cos)) return done('COMPARE_FAILED', null, bestFrame)
    const similarity = cosineToScore(cos)
    signals.cosine = r3(cos)
    signals.similarity = similarity
    // a video without a liveness judge (mode 'none') still must not change identity: first and last sampled faces
    if (req.liveness === 'none' && spreadFaces.length >= 2) {
      const first = spreadFaces[0]!
      const last = spreadFaces[spreadFaces.length - 1]!
      const c = cosine(await embedder.embed(first.img, first.face.five), await embedder.embed(last.img, last.face.five))
      signals.identityConsistency = cosineToScore(c)
      if (cosineToScore(c) < FACE_SWAP_MAX_SCORE) {
        signals.embedMs = Math.round(performance.now() - t0)
        return done('FACE_SWAPPED', similarity, bestFrame)
      }
    }
    signals.embedMs = Math.round(performance.now() - t0)
    return done(judgeSimilarity(similarity, req.threshold), similarity, bestFrame)
  } catch (err) {
    if (err instanceof MediaRejectedError) {
      Object.assign(signals, err.detail)
      signals.rejection = err.message
      return done(err.reason, null, null)
    }
    throw err
  }
}

/** Two frames of one clip scoring below this on the similarity scale are two people (FAR 10 % level). */
export const FACE_SWAP_MAX_SCORE = CONTINUITY_THRESHOLDS.minIdentityScore

/** How far a capture-page upload may differ from the page's recording window: browser recorders add or drop well under a second. */
export const RECORDING_TOLERANCE = { seconds: 1.0, share: 0.25 } as const

/**
 * Why a capture-page upload does not fit the recording the page made, or null: another container than
 * the recorder's type, or a length (decoded, or the header's) outside the recording window. Container
 * tags are not looked at: they can be stripped or written by anyone.
 */
export function recordingMisfit(
  rec: { durationMs: number; mimeType: string },
  info: { probe: { container: string }; durationS: number },
): string | null {
  const c = info.probe.container.toLowerCase()
  if (rec.mimeType === 'video/webm' && !/webm|matroska/.test(c)) return `container ${c}, recorder said ${rec.mimeType}`
  if (rec.mimeType === 'video/mp4' && !/mp4|mov|quicktime|3gp|m4a/.test(c))
    return `container ${c}, recorder said ${rec.mimeType}`
  const window = rec.durationMs / 1000
  const d = info.durationS
  if (Math.abs(d - window) > Math.max(RECORDING_TOLERANCE.seconds, RECORDING_TOLERANCE.share * window))
    return `${d.toFixed(2)} s of video for a ${window.toFixed(2)} s recording`
  return null
}

/**
 * A quality failure that holds for every frame of a video, in its video form: the comparison photo is
 * taken from the video, so a face covered or blurred throughout leaves none (BEST_FRAME_* when a
 * comparison was asked for, FACE_OCCLUDED_IN_VIDEO otherwise).
 */
export function videoQualityReason(r: Reason, comparing: boolean): Reason {
  if (r === 'FACE_OCCLUDED') return comparing ? 'BEST_FRAME_OCCLUDED' : 'FACE_OCCLUDED_IN_VIDEO'
  if (r === 'FACE_BLURRED') return 'BEST_FRAME_BLURRED'
  return r
}

/** Compare the primary faces of two photos (CLI `compare`, registry checks). */
export async function readCompareSide(m: LoadedModels, path: string, role: ImageRole): Promise<CompareSide> {
  const started = performance.now()
  const embedder = requireEmbedder(m)
  let side: Side
  try {
    side = await readPicture(m, path, role)
  } catch (err) {
    if (err instanceof MediaRejectedError)
      return { rejected: err.reason, faces: 0, embedding: null, ms: Math.round(performance.now() - started) }
    throw err
  }
  const embedding = side.found.primary ? await embedder.embed(side.img, side.found.primary.five) : null
  return { rejected: null, faces: side.found.count, embedding, ms: Math.round(performance.now() - started) }
}

export async function compareImages(m: LoadedModels, a: string, b: string, threshold = 70): Promise<CompareResult> {
  const started = performance.now()
  const sa = await readCompareSide(m, a, 'live')
  // a refused live photo decides the comparison: the reference is not read
  const sb = sa.rejected
    ? { rejected: null, faces: 0, embedding: null, ms: 0 }
    : await readCompareSide(m, b, 'reference')
  return decideCompare(sa, sb, threshold, Math.round(performance.now() - started))
}

/** Embedding of the primary face of a photo (benchmarks, registry enrolment). */
export async function embedImage(
  m: LoadedModels,
  path: string,
): Promise<{ embedding: Float32Array | null; faces: number }> {
  const side = await readPicture(m, path, 'live')
  if (!side.found.primary) return { embedding: null, faces: 0 }
  return { embedding: await requireEmbedder(m).embed(side.img, side.found.primary.five), faces: side.found.count }
}

export async function closeModels(m: LoadedModels): Promise<void> {
  await m.embedder?.close()
  await m.antispoof?.close()
}
