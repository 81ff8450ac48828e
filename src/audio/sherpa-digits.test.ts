import { describe, expect, it, vi } from 'vitest'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SherpaDigitVerifier, SPEECH_ZH_DIR, hearsExactly } from './sherpa-digits.js'
import { decodeAudio } from './decode.js'

const shared = resolve(process.cwd(), '..', 'shared')
const modelDir = join(shared, 'models', SPEECH_ZH_DIR)
const clip = join(shared, 'data', 'speech', 'zh', 'wenya_tw', '3486790251_0.wav')
const ready = existsSync(modelDir) && existsSync(clip)
if (!ready) console.log(`SKIP built-in digit verifier tests: ${modelDir} or ${clip} is absent`)

/** The built-in verifier on the one real recording of a digit string in the data (10.9 s, Taiwan Mandarin). */
describe.skipIf(!ready)('built-in digit verifier (sherpa-onnx, Mandarin)', () => {
  it('hears 3486790251 in order; the same recording against one changed digit, two swapped, or other digits is refused', async () => {
    const v = SherpaDigitVerifier.load(modelDir)
    expect(v.version).toBe(2)
    const { pcm } = await decodeAudio(clip)
    const ok = await v.verify(pcm, '3486790251')
    expect(ok).toMatchObject({ pass: true, heard: '3486790251', unheard: 0, foreign: 0, margin: 2 })
    expect(ok.scores).toHaveLength(10)
    expect(Math.min(...ok.scores)).toBeGreaterThan(0)
    expect(await v.recognise(pcm)).toBe('3486790251')
    for (const other of ['3486790257', '3486709251', '1234567890'])
      expect((await v.verify(pcm, other)).pass, other).toBe(false)
    // digital silence and low noise: nothing heard, never a pass
    const silent = await v.verify(new Float32Array(48000), '3581')
    expect(silent).toMatchObject({ pass: false, heard: null, unheard: 4 })
  }, 120_000)

  it('stops decoding at the first decoding that hears the issued digits exactly, with the decision all four would give', async () => {
    const v = SherpaDigitVerifier.load(modelDir)
    const { pcm } = await decodeAudio(clip)
    const all = v.hypotheses(pcm)
    const decodeOnce = vi.spyOn(v, 'decodeOnce')
    for (const issued of ['3486790251', '3486790257', '1234567890']) {
      decodeOnce.mockClear()
      const early = await v.verify(pcm, issued)
      const full = v.decide(pcm, all, issued)
      const first = all.findIndex((h) => hearsExactly(h, issued))
      // this recording is heard exactly by every decoding: the genuine string takes one
      if (issued === '3486790251') expect(first).toBe(0)
      // decodings made: up to the first exact one, all four when none is exact (other digits)
      expect(decodeOnce, issued).toHaveBeenCalledTimes(first >= 0 ? first + 1 : all.length)
      expect(early.hypotheses).toEqual(full.hypotheses!.slice(0, decodeOnce.mock.calls.length))
      // the hypotheses and the votes count the decodings made; everything else is the decision of all four
      const { hypotheses: _e, votes: _ev, ...earlyDecision } = early
      const { hypotheses: _f, votes: _fv, ...fullDecision } = full
      expect(earlyDecision, issued).toEqual(fullDecision)
    }
  }, 120_000)
})

const hasModel = existsSync(modelDir)
/** one speaker saying 一 (yī) */
const one = join(shared, 'data', 'speech', 'zh', 'josehung', '1_0.wav')
if (!hasModel) console.log(`SKIP the digit verifier's temp-file test: ${modelDir} is absent`)

describe.skipIf(!hasModel)('built-in digit verifier: files', () => {
  it('leaves nothing in the temp directory: its token list and hotwords are handed over in memory', async () => {
    // a temp directory of this test's own, so that other processes' files do not count
    const tmp = mkdtempSync(join(tmpdir(), 'shiren-digits-tmp-'))
    const saved = process.env.TMPDIR
    process.env.TMPDIR = tmp
    try {
      expect(tmpdir()).toBe(tmp)
      const v = SherpaDigitVerifier.load(modelDir)
      // and it decodes with them: a spoken digit is heard, digital silence is not
      if (existsSync(one)) expect(await v.recognise((await decodeAudio(one)).pcm)).toBe('1')
      expect(await v.verify(new Float32Array(16000), '3581')).toMatchObject({ pass: false, heard: null })
      expect(readdirSync(tmp)).toEqual([])
    } finally {
      if (saved === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = saved
      rmSync(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})
