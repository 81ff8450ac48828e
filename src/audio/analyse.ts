import { decodeAudio, SAMPLE_RATE, type DecodedAudio, type DecodeAudioOptions } from './decode.js'
import { intensityEnvelope, type Envelope } from './envelope.js'
import { isDigitalSilence, peak, rms, speechLevelDbfs, toDbfs } from './level.js'
import { syllableNuclei, type SYLLABLE_THRESHOLDS } from './syllables.js'
import { SileroVad, speechSegments, type SpeechSegment, type VAD_THRESHOLDS } from './vad.js'

/** Everything the digits judge needs to know about the sound of an attempt. */
export interface AudioAnalysis {
  hasTrack: boolean
  durationS: number
  /** no sample differs from the mean by more than one 16-bit step */
  digitalSilence: boolean
  peakDbfs: number
  rmsDbfs: number
  /** RMS over the speech segments (or the loud 5 % of frames when there is no speech), dBFS */
  speechDbfs: number
  speech: SpeechSegment[]
  /** total seconds of speech */
  speechS: number
  /** vowel-band intensity contour, 100 Hz */
  envelope: Envelope
  syllables: number
  syllableTimesS: number[]
  /** Silero's mean P(speech) over the speech segments (0 when none) */
  vadMeanProb: number
  ms: number
}

export interface AnalyseAudioOptions {
  vad?: Partial<typeof VAD_THRESHOLDS>
  syllables?: Partial<typeof SYLLABLE_THRESHOLDS>
}

const r2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x)

/** Analyse 16 kHz mono PCM (already decoded). */
export async function analysePcm(
  vad: SileroVad,
  pcm: Float32Array,
  hasTrack = true,
  opts: AnalyseAudioOptions = {},
): Promise<AudioAnalysis> {
  const started = performance.now()
  const durationS = pcm.length / SAMPLE_RATE
  const envelope = intensityEnvelope(pcm)
  const digitalSilence = !hasTrack || isDigitalSilence(pcm)
  if (digitalSilence) {
    return {
      hasTrack,
      durationS,
      digitalSilence,
      peakDbfs: toDbfs(peak(pcm)),
      rmsDbfs: toDbfs(rms(pcm)),
      speechDbfs: -Infinity,
      speech: [],
      speechS: 0,
      envelope,
      syllables: 0,
      syllableTimesS: [],
      vadMeanProb: 0,
      ms: Math.round(performance.now() - started),
    }
  }
  const probs = await vad.probabilities(pcm)
  const speech = speechSegments(probs, opts.vad)
  let ps = 0
  let pn = 0
  for (const s of speech) {
    for (let i = Math.floor(s.startS / 0.032); i < Math.min(probs.length, Math.ceil(s.endS / 0.032)); i++) {
      ps += probs[i]!
      pn++
    }
  }
  const nuclei = syllableNuclei(pcm, envelope, speech, opts.syllables)
  return {
    hasTrack,
    durationS: r2(durationS),
    digitalSilence,
    peakDbfs: r2(toDbfs(peak(pcm))),
    rmsDbfs: r2(toDbfs(rms(pcm))),
    speechDbfs: r2(speechLevelDbfs(pcm, speech)),
    speech: speech.map((s) => ({ startS: r2(s.startS), endS: r2(s.endS) })),
    speechS: r2(speech.reduce((a, s) => a + s.endS - s.startS, 0)),
    envelope,
    syllables: nuclei.count,
    syllableTimesS: nuclei.times,
    vadMeanProb: pn ? r2(ps / pn) : 0,
    ms: Math.round(performance.now() - started),
  }
}

/** Decode the audio of a media file (ffmpeg → 16 kHz mono) and analyse it. */
export async function analyseAudioFile(
  vad: SileroVad,
  path: string,
  opts: AnalyseAudioOptions & DecodeAudioOptions = {},
): Promise<AudioAnalysis & { pcm: Float32Array; decoded: Omit<DecodedAudio, 'pcm'> }> {
  const decoded = await decodeAudio(path, opts)
  const a = await analysePcm(vad, decoded.pcm, decoded.hasTrack, opts)
  const { pcm, ...rest } = decoded
  return { ...a, pcm, decoded: rest }
}
