import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SherpaDigitVerifier, SPEECH_ZH_DIR } from './sherpa-digits.js'
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
})
