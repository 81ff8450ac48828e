import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import { loadDigitRecognizer, RecognizerLoadError } from '../src/audio/index.js'
import { loadAnalyser } from '../src/server.js'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { startTestServer } from './support/server.js'
import { digitsFlow } from './support/digits-flow.js'

const grid = join(DATA, 'videos/grid/bbaf2n.mpg')
const ready = hasData && existsSync(MODELS) && existsSync(grid)
if (!ready)
  console.warn('[skip] ../shared/data videos or ../shared/models are absent: the recogniser plug tests are skipped')

/**
 * SHIREN_DIGIT_RECOGNIZER: an operator's recogniser module, loaded by every analysis worker instead
 * of the built-in verifier. The modules here are written by the test (the built-in one is tested in
 * test/digits-http.test.ts and src/audio/sherpa-digits.test.ts): what is tested is the plug itself:
 * a wrong module stops start-up, an old-style module (recognise only) and a version-2 module
 * (verify) both reach the judge and the signals.
 */
describe('SHIREN_DIGIT_RECOGNIZER', () => {
  const dir = tempDir('shiren-recognizer-')
  const module = (name: string, body: string) => {
    const p = join(dir, name)
    writeFileSync(p, body)
    return p
  }
  const heard = (text: string | null) =>
    module(
      `heard-${text ?? 'null'}.mjs`,
      `
    export default async () => ({
      name: 'fixed-${text ?? 'null'}',
      async recognise(pcm) {
        if (!(pcm instanceof Float32Array) || pcm.length < 16000) throw new Error('expected 16 kHz float PCM')
        return ${JSON.stringify(text)}
      },
    })`,
    )

  it('a module that is missing, exports no function, or makes no recogniser is a RecognizerLoadError naming the setting', async () => {
    await expect(loadDigitRecognizer(join(dir, 'absent.mjs'))).rejects.toThrow(RecognizerLoadError)
    await expect(loadDigitRecognizer(module('no-default.mjs', 'export const x = 1'))).rejects.toThrow(
      /must export a default function/,
    )
    await expect(loadDigitRecognizer(module('bad-shape.mjs', 'export default () => ({ name: "x" })'))).rejects.toThrow(
      /must return \{ name: string, recognise/,
    )
    await expect(
      loadDigitRecognizer(module('throws.mjs', 'export default () => { throw new Error("model dir missing") }')),
    ).rejects.toThrow(/failed: model dir missing/)
    const r = await loadDigitRecognizer(heard('4829'))
    expect(r.name).toBe('fixed-4829')
  })

  describe.skipIf(!ready)('in the analysis workers', () => {
    const engines: Array<{ close(): Promise<void> }> = []
    afterAll(async () => {
      for (const e of engines) await e.close()
    })
    const attempt = async (recognizer: string) => {
      const engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1, digitRecognizer: recognizer })
      engines.push(engine)
      // bbaf2n says six syllables ("bin blue at f two now"): six digits keep the syllable check satisfied
      return engine.analyse({
        media: { path: grid, kind: 'video' },
        liveness: 'digital',
        digits: '482913',
        reference: null,
        threshold: 70,
      })
    }
    let nullHeard: Awaited<ReturnType<typeof attempt>>
    beforeAll(async () => {
      nullHeard = await attempt(heard(null))
    }, 120_000)

    it('a version-1 module (recognise only) that cannot say (null) never passes: digits nobody heard are SPEECH_MISMATCH', () => {
      expect(nullHeard.reason).toBe('SPEECH_MISMATCH')
      expect(nullHeard.signals.recognizer).toBe('fixed-null')
      expect(nullHeard.signals.digitsRecognized).toBeNull()
      expect(nullHeard.signals.digitsVerified).toBe(false)
    })

    it('a version-1 module that heard exactly the issued digits passes the genuine clip', async () => {
      const r = await attempt(heard('482913'))
      expect(r.reason, JSON.stringify(r.signals)).toBe('PASS')
      expect(r.signals.digitsRecognized).toBe('482913')
      expect(r.signals.digitScores).toBe('1,1,1,1,1,1')
    }, 120_000)

    it('a version-2 module is asked to verify, with the issued digits', async () => {
      const v2 = module(
        'verifies.mjs',
        `export default () => ({
          name: 'v2-test', version: 2,
          async recognise() { throw new Error('recognise must not be called when verify exists') },
          async verify(pcm, issued) {
            return { pass: issued === '482913', heard: '482913', scores: [...issued].map(() => 0.5), margin: issued === '482913' ? 1 : -1 }
          },
        })`,
      )
      const r = await attempt(v2)
      expect(r.reason, JSON.stringify(r.signals)).toBe('PASS')
      expect(r.signals).toMatchObject({
        recognizer: 'v2-test',
        digitsMargin: 1,
        digitScores: '0.5,0.5,0.5,0.5,0.5,0.5',
      })
    }, 120_000)

    it('a recogniser that heard other digits fails the same clip with SPEECH_MISMATCH (1103 / -5008) and records what it heard', async () => {
      const r = await attempt(heard('000000'))
      expect(r.reason).toBe('SPEECH_MISMATCH')
      expect(r.signals.recognizer).toBe('fixed-000000')
      expect(r.signals.digitsRecognized).toBe('000000')
      expect(r.signals.digitsIssued).toBe('482913')
    }, 120_000)

    it('a recogniser that throws fails the attempt, never a pass: LIVENESS_ENGINE_ERROR, 1001 (h5) and -5000 (sdk), not billable', async () => {
      const broken = module(
        'throws-on-use.mjs',
        'export default () => ({ name: "flaky", async recognise() { throw new Error("decoder crashed") } })',
      )
      await expect(attempt(broken)).rejects.toThrow(/decoder crashed/)
      const engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1, digitRecognizer: broken })
      engines.push(engine)
      const srv = await startTestServer({ analyser: engine })
      try {
        const r = await (await digitsFlow(srv, 'recogniser-throws')).both(readFileSync(grid))
        expect({ h5: r.h5, sdk: r.sdk, billable: r.billable }, r.why).toEqual({
          h5: 1001,
          sdk: '-5000',
          billable: false,
        })
        expect(r.why).toContain('LIVENESS_ENGINE_ERROR')
        expect(r.why).toContain('decoder crashed')
      } finally {
        await srv.close()
      }
    }, 180_000)

    it('the server refuses to start with a recogniser setting it cannot load, instead of running without it', async () => {
      const config = loadConfig({
        SHIREN_DATA_DIR: tempDir(),
        SHIREN_MODELS_DIR: MODELS,
        SHIREN_DIGIT_RECOGNIZER: join(dir, 'absent.mjs'),
      })
      await expect(loadAnalyser(config, createLogger('silent'))).rejects.toThrow(RecognizerLoadError)
      const broken = loadConfig({
        SHIREN_DATA_DIR: tempDir(),
        SHIREN_MODELS_DIR: MODELS,
        SHIREN_DIGIT_RECOGNIZER: module(
          'throws-in-worker.mjs',
          'export default () => { throw new Error("no model here") }',
        ),
      })
      await expect(loadAnalyser(broken, createLogger('silent'))).rejects.toThrow(/no model here/)
    }, 120_000)
  })
})
