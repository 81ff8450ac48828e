import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * Hearing the digits. shiren's own verifier (src/audio/sherpa-digits.ts, a Mandarin model run with
 * sherpa-onnx) is loaded by every analysis worker when the speech models are in the models dir; an
 * operator may plug their own with `SHIREN_DIGIT_RECOGNIZER` (an ES module whose default export
 * makes a DigitRecognizer, `loadDigitRecognizer`). Interface version 1 only recognises (`recognise`
 * → a digit string); version 2 also verifies (`verify(pcm, issued)`), which is what the judge asks.
 * A version-1 module still works: `verifyDigits` turns its transcript into a verification (equal to
 * the issued digits, nothing tolerated).
 */
export interface DigitRecognizer {
  /** human-readable name recorded in the signals (`recognizer`) */
  readonly name: string
  /** interface version: 1 (recognise only, the default when absent) or 2 (verify) */
  readonly version?: 1 | 2
  /**
   * The digits heard in 16 kHz mono PCM, as a string of 0–9 (for example "4829"), or null when the
   * recogniser cannot say. Must never guess: null is always allowed.
   */
  recognise(pcm16k: Float32Array): Promise<string | null>
  /** version 2: does the sound say `issued`, in order? */
  verify?(pcm16k: Float32Array, issued: string): Promise<DigitVerification>
}

/** The answer of a verification: the judge fails the attempt with SPEECH_MISMATCH unless `pass`. */
export interface DigitVerification {
  pass: boolean
  /** the digits heard (the hypothesis the decision used), null when none */
  heard: string | null
  /** per issued digit: the recogniser's score for it (0 = not heard), same length as the issued digits */
  scores: number[]
  /** decision margin (≥ 0 passes; in the recogniser's own unit, digits for the built-in one) */
  margin: number
  /** issued digits not heard, heard digits not issued (when the recogniser reports them) */
  unheard?: number
  foreign?: number
  /** built-in: per issued digit, how many decodings heard it in place (DigitsDecision.minVotes) */
  votes?: number[]
  /** issued digits heard only by the built-in verifier's second, targeted pass */
  rescued?: number
  /** every hypothesis considered (built-in: one per decoding) */
  hypotheses?: string[]
}

/** Ask a recogniser of either version whether `pcm` says `issued`. */
export async function verifyDigits(
  r: DigitRecognizer,
  pcm16k: Float32Array,
  issued: string,
): Promise<DigitVerification> {
  if (typeof r.verify === 'function') return r.verify(pcm16k, issued)
  // version 1: a transcript, compared whole (no tolerance: its errors are unknown)
  const heard = await r.recognise(pcm16k)
  const pass = heard === issued
  return {
    pass,
    heard,
    scores: [...issued].map((d, i) => (heard?.[i] === d ? 1 : 0)),
    margin: pass ? 0 : -1,
  }
}

/** Chinese and English digit words to digits, for recognisers that return words ("四 八 二 九", "four eight"). */
const WORDS: Record<string, string> = {
  零: '0',
  〇: '0',
  一: '1',
  幺: '1',
  二: '2',
  两: '2',
  三: '3',
  四: '4',
  五: '5',
  六: '6',
  七: '7',
  八: '8',
  九: '9',
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
}

/**
 * Normalise a recogniser's transcript to a digit string: digits are kept, Chinese and English digit
 * words are mapped, everything else is dropped. Returns null when nothing digit-like remains.
 */
export function normaliseDigits(text: string): string | null {
  let out = ''
  const tokens = text.toLowerCase().match(/[a-z]+|[0-9]|[\u3007\u4e00-\u9fff]/g) ?? []
  for (const t of tokens) {
    if (/^[0-9]$/.test(t)) out += t
    else if (WORDS[t] !== undefined) out += WORDS[t]
  }
  return out.length ? out : null
}

/** `SHIREN_DIGIT_RECOGNIZER` names a module that cannot be loaded or does not make a DigitRecognizer. */
export class RecognizerLoadError extends Error {
  override name = 'RecognizerLoadError'
}

/**
 * The factory of an operator's recogniser: `spec` is the path of an ES module (absolute, or relative
 * to the working directory) whose default export is a function returning a DigitRecognizer or a
 * promise of one. Checked at start-up without calling it, so that a wrong setting stops the server
 * while the model itself is loaded only in the analysis workers.
 */
export async function importRecognizerFactory(spec: string): Promise<() => unknown> {
  const url = pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href
  let mod: { default?: unknown }
  try {
    mod = (await import(url)) as { default?: unknown }
  } catch (err) {
    throw new RecognizerLoadError(`SHIREN_DIGIT_RECOGNIZER: cannot load ${spec}: ${(err as Error).message}`)
  }
  if (typeof mod.default !== 'function')
    throw new RecognizerLoadError(
      `SHIREN_DIGIT_RECOGNIZER: ${spec} must export a default function that returns a DigitRecognizer`,
    )
  return mod.default as () => unknown
}

/** Make the operator's recogniser (once per analysis worker). */
export async function loadDigitRecognizer(spec: string): Promise<DigitRecognizer> {
  const make = await importRecognizerFactory(spec)
  let r: Partial<DigitRecognizer> | null
  try {
    r = (await make()) as Partial<DigitRecognizer> | null
  } catch (err) {
    throw new RecognizerLoadError(
      `SHIREN_DIGIT_RECOGNIZER: the default export of ${spec} failed: ${(err as Error).message}`,
    )
  }
  if (
    !r ||
    typeof r.name !== 'string' ||
    !r.name ||
    typeof r.recognise !== 'function' ||
    (r.verify !== undefined && typeof r.verify !== 'function')
  ) {
    throw new RecognizerLoadError(
      `SHIREN_DIGIT_RECOGNIZER: the default export of ${spec} must return { name: string, recognise(pcm16k) }`,
    )
  }
  return r as DigitRecognizer
}
