/**
 * The worker pool: models load in the workers (TypeScript workers get tsx's loader), attempts come
 * back with their reason and best frame, unsupported capabilities and missing models are typed errors.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnalysisEngine, type AnalysisEngine, type AnalysisEngineExtras } from './index.js'
import { ModelMissingError } from '../vision/index.js'
import { listModels, MODELS, pullModels } from '../vision/index.js'

const shared = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'))
const data = join(shared, 'data')
const modelsDir = join(shared, 'models')
const hasData = existsSync(join(data, 'pairs.tsv')) && existsSync(join(modelsDir, 'antispoof_minifasv2se_128.onnx'))
if (!hasData) console.log(`SKIP vision engine tests: ${data} or ${modelsDir} is absent`)

describe.skipIf(!hasData)('vision engine (piscina pool)', () => {
  let engine: AnalysisEngine & AnalysisEngineExtras
  beforeAll(async () => {
    engine = await createAnalysisEngine({ modelsDir, workers: 1 })
  }, 120_000)
  afterAll(async () => engine?.close())

  it('analyses an attempt in a worker: reason, calibrated similarity, JPEG best frame', async () => {
    const r = await engine.analyse({
      media: { path: join(data, 'spoof/vietmoney/true_001.jpg'), kind: 'image' },
      liveness: 'silent',
      reference: { path: join(data, 'spoof/vietmoney/true_002.jpg') },
      threshold: 70,
    })
    expect(r.signals.faceCount).toBe(1)
    expect(Number(r.signals.padScore)).toBeGreaterThan(0.5)
    // true_001 and true_002 are two different men: the comparison runs and fails on similarity
    expect(r.similarity).not.toBeNull()
    expect(r.reason).toBe(r.similarity! >= 70 ? 'PASS' : 'SIMILARITY_BELOW_THRESHOLD')
    expect(Buffer.isBuffer(r.bestFrame)).toBe(true)
    expect(r.bestFrame!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
  })

  it("refuses 'digital' liveness without the issued digits, never a verdict", async () => {
    await expect(
      engine.analyse({
        media: { path: join(data, 'videos/grid/bbaf2n.mpg'), kind: 'video' },
        liveness: 'digital',
        threshold: 70,
      }),
    ).rejects.toThrow(/needs the issued digits/)
  })

  it('a corrupt upload is a reason, not a crashed worker', async () => {
    const r = await engine.analyse({
      media: { path: join(data, 'pairs.tsv'), kind: 'image' },
      liveness: 'none',
      threshold: 70,
    })
    expect(r.reason).toBe('IMAGE_DECODE_FAILED')
    const again = await engine.compare(
      join(data, 'faces/lfw/Hun_Sen/Hun_Sen_0001.jpg'),
      join(data, 'faces/lfw/Hun_Sen/Hun_Sen_0004.jpg'),
    )
    expect(again.reason).toBe('PASS')
  })
})

describe.skipIf(!hasData)('comparison on a pool of two workers', () => {
  it('reads one photo per worker and gives the same verdicts and scores as one worker', async () => {
    const one = await createAnalysisEngine({ modelsDir, workers: 1 })
    const two = await createAnalysisEngine({ modelsDir, workers: 2 })
    try {
      const hun = (n: number) => join(data, `faces/lfw/Hun_Sen/Hun_Sen_000${n}.jpg`)
      const cases: Array<[string, string]> = [
        [hun(1), hun(4)], // the same person: PASS
        [hun(1), join(data, 'idcards/chineseocr_idcard-demo.jpeg')], // a cartoon card portrait beside a face
        [join(data, 'pairs.tsv'), hun(1)], // a live "photo" that is not an image: refused before the reference is read
        [hun(1), join(data, 'pairs.tsv')], // a reference that is not an image
      ]
      for (const [a, b] of cases) {
        const [x, y] = await Promise.all([one.compare(a, b), two.compare(a, b)])
        expect({ ...y, ms: 0 }).toEqual({ ...x, ms: 0 })
      }
      expect((await two.compare(hun(1), hun(4))).reason).toBe('PASS')
    } finally {
      await one.close()
      await two.close()
    }
  }, 120_000)
})

describe.skipIf(!hasData)('models directory', () => {
  let empty = ''
  beforeAll(() => {
    empty = mkdtempSync(join(tmpdir(), 'shiren-models-'))
  })
  afterAll(() => rmSync(empty, { recursive: true, force: true }))

  it('without the anti-spoof models, silent liveness is ModelMissingError naming the file and `shiren models pull`; comparison still works', async () => {
    const engine = await createAnalysisEngine({ modelsDir: empty, workers: 1 })
    try {
      const req = {
        media: { path: join(data, 'spoof/vietmoney/true_001.jpg'), kind: 'image' as const },
        liveness: 'silent' as const,
        threshold: 70,
      }
      const err = await engine.analyse(req).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ModelMissingError)
      expect((err as Error).message).toContain('antispoof_minifasv2se_128.onnx')
      expect((err as Error).message).toContain('shiren models pull')
      const ok = await engine.analyse({ ...req, liveness: 'none' })
      expect(ok.reason).toBe('PASS')
    } finally {
      await engine.close()
    }
  }, 120_000)

  it('pull copies from a local folder and checks every sha256', async () => {
    const res = await pullModels(empty, { from: modelsDir })
    const dirModels = MODELS.filter((m) => m.location.kind === 'dir').length
    expect(res.map((r) => r.action)).toEqual(new Array(dirModels).fill('copied'))
    const list = await listModels(empty)
    expect(list.every((m) => m.present && m.sha256ok)).toBe(true)
    expect((await pullModels(empty, { from: modelsDir })).map((r) => r.action)).toEqual(
      new Array(dirModels).fill('present'),
    )
    // a wrong file never becomes a model
    const bad = await pullModels(join(empty, 'other'), { from: join(data, 'videos', 'grid') })
    expect(bad.every((r) => r.action === 'failed')).toBe(true)
  })
})
