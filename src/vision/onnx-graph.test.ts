import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { resolveModel } from './models.js'
import { ModelProto, ONNX_TYPE, preluNodes, rewritePreluForNchwc, type OnnxNode } from './onnx-graph.js'
import { sharedDir } from './paths.js'

const ORT_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
}

function opCount(model: Uint8Array, op: string): number {
  const m = ModelProto.decode(model) as unknown as { graph: { node: OnnxNode[] } }
  return m.graph.node.filter((n) => n.opType === op).length
}

/** A deterministic input in [−1, 1) */
function input(n: number, seed = 1): Float32Array {
  const x = new Float32Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    x[i] = (s >>> 8) / 2 ** 23 - 1
  }
  return x
}

async function run(model: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, ORT_OPTIONS)
  try {
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, dims) })
    return Float32Array.from(out[s.outputNames[0]!]!.data as Float32Array)
  } finally {
    await s.release()
  }
}

/** input [1, C, 4, 4] → PRelu(slope) → output, the slope of the given shape */
function preluModel(slope: Float32Array, slopeDims: number[]): Uint8Array {
  const c = 3
  const shape = { dim: [1, c, 4, 4].map((d) => ({ dimValue: d })) }
  return ModelProto.encode(
    ModelProto.fromObject({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'prelu',
        node: [{ opType: 'PRelu', input: ['x', 'slope'], output: ['y'], name: 'y' }],
        initializer: [
          { name: 'slope', dims: slopeDims, dataType: ONNX_TYPE.FLOAT, rawData: Buffer.from(slope.buffer) },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: ONNX_TYPE.FLOAT, shape } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: ONNX_TYPE.FLOAT } } }],
      },
    }),
  ).finish()
}

describe('PReLU for the NCHWc layout', () => {
  it('gives exactly PReLU’s values, negative and positive slopes alike', async () => {
    const slope = Float32Array.from([0.25, -1.5, 1.37])
    const model = preluModel(slope, [3, 1, 1])
    const rewritten = rewritePreluForNchwc(model)
    expect(opCount(rewritten, 'PRelu')).toBe(0)
    expect(opCount(rewritten, 'BatchNormalization')).toBe(2)
    const x = input(48)
    const want = await run(model, x, [1, 3, 4, 4])
    const got = await run(rewritten, x, [1, 3, 4, 4])
    expect(Array.from(got)).toEqual(Array.from(want))
    // and what PReLU means, per channel
    for (let i = 0; i < 48; i++) {
      const a = slope[Math.floor(i / 16)]!
      expect(got[i]).toBe(Math.fround(x[i]! >= 0 ? x[i]! : a * x[i]!))
    }
  })

  it('leaves a slope that is not one value per channel alone', () => {
    // [C] broadcasts along the width, not the channels; [1] is one slope for all
    for (const [slope, dims] of [
      [Float32Array.from([0.1, 0.2, 0.3, 0.4]), [4]],
      [Float32Array.from([0.1]), [1, 1, 1]],
    ] as const) {
      const model = preluModel(slope, [...dims])
      expect(rewritePreluForNchwc(model)).toBe(model)
    }
  })

  it('builds the nodes the converted TensorFlow.js graphs use', () => {
    const { nodes, initializers } = preluNodes('x', Float32Array.from([0.5, 2]), 'y')
    expect(nodes.map((n) => n.opType)).toEqual(['Relu', 'BatchNormalization', 'Relu', 'BatchNormalization', 'Add'])
    expect(nodes.at(-1)!.output).toEqual(['y'])
    expect(initializers).toHaveLength(8)
  })
})

const models = join(sharedDir(), 'models')
const staged = [
  { id: 'antispoof-128', dims: [1, 3, 128, 128] },
  { id: 'antispoof-80', dims: [1, 3, 80, 80] },
  { id: 'arcface', dims: [1, 3, 112, 112] },
]
const missing = staged.filter((m) => {
  try {
    return !existsSync(resolveModel(m.id, models))
  } catch {
    return true
  }
})
if (missing.length) console.log(`SKIP staged-model checks: ${missing.map((m) => m.id).join(', ')} not in ${models}`)

describe.skipIf(missing.length > 0)('the staged models, rewritten', () => {
  for (const m of staged) {
    it(`${m.id}: decodes and encodes byte for byte, and gives the same outputs without PRelu`, async () => {
      const bytes = new Uint8Array(readFileSync(resolveModel(m.id, models)))
      expect(Buffer.from(ModelProto.encode(ModelProto.decode(bytes)).finish()).equals(Buffer.from(bytes))).toBe(true)
      const rewritten = rewritePreluForNchwc(bytes)
      expect(opCount(bytes, 'PRelu')).toBeGreaterThan(0)
      expect(opCount(rewritten, 'PRelu')).toBe(0)
      const n = m.dims.reduce((a, b) => a * b, 1)
      for (const seed of [1, 2]) {
        const x = input(n, seed)
        const want = await run(bytes, x, m.dims)
        const got = await run(rewritten, x, m.dims)
        const scale = Math.max(...Array.from(want, Math.abs))
        let worst = 0
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!))
        // the convolutions may round differently in the last bits; nothing more
        expect(worst / scale).toBeLessThan(1e-5)
      }
    })
  }
})
