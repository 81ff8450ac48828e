import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ATTR, ModelProto, ONNX_TYPE, preluNodes } from './onnx-graph.js'

/**
 * Converts the two MediaPipe graphs shiren uses (BlazeFace and FaceMesh, as TensorFlow.js graph models
 * in @vladmandic/human's npm package) into ONNX, in memory, when a worker loads them; onnxruntime then
 * runs them natively: FaceMesh ≈ 2 ms (its PReLU written for onnxruntime's NCHWc layout, onnx-graph.ts)
 * against 8.8 ms on TensorFlow.js's WebAssembly backend, BlazeFace 6 ms against 30 ms (docs/vision.md).
 *
 * Written here rather than taken from a converter: the only converters are Python (tfjs → SavedModel →
 * tf2onnx) and need TensorFlow; these graphs use ten operators, each mapped below, and a test checks the
 * converted graphs against TensorFlow.js on real faces. Only what these graphs use is supported: any
 * other operator or attribute throws, so a changed model cannot be converted silently wrong.
 *
 * TensorFlow.js works in NHWC, ONNX's Conv in NCHW: the converted graph takes NCHW input (the caller
 * fills it so) and transposes back to NHWC only before a Reshape, so outputs keep TensorFlow's order.
 */

const FLOAT = ONNX_TYPE.FLOAT
const INT64 = ONNX_TYPE.INT64

interface TfjsNode {
  name: string
  op: string
  input?: string[]
  attr?: Record<string, { s?: string; i?: string; f?: number; list?: { s?: string[]; i?: string[] }; type?: string }>
}
interface TfjsWeight {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  quantization?: { dtype: 'float16' | 'uint8' | 'uint16'; scale?: number; min?: number }
}
interface TfjsModel {
  modelTopology: { node: TfjsNode[] }
  weightsManifest: Array<{ paths: string[]; weights: TfjsWeight[] }>
}

interface Const {
  shape: number[]
  /** float32 weights as float32, int32 as numbers */
  data: Float32Array | Int32Array
}

/** IEEE half → float (the models' weights are stored as float16) */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const f = h & 0x3ff
  if (e === 0) return s * 2 ** -14 * (f / 1024)
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY
  return s * 2 ** (e - 15) * (1 + f / 1024)
}

function readWeights(model: TfjsModel, bin: Buffer): Map<string, Const> {
  const out = new Map<string, Const>()
  let off = 0
  for (const group of model.weightsManifest)
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1)
      if (w.quantization) {
        if (w.quantization.dtype !== 'float16' || w.dtype !== 'float32')
          throw new Error(`tfjs→onnx: unsupported quantization ${w.quantization.dtype} of ${w.name}`)
        const data = new Float32Array(n)
        for (let i = 0; i < n; i++) data[i] = halfToFloat(bin.readUInt16LE(off + 2 * i))
        off += 2 * n
        out.set(w.name, { shape: w.shape, data })
      } else if (w.dtype === 'float32') {
        const data = new Float32Array(n)
        for (let i = 0; i < n; i++) data[i] = bin.readFloatLE(off + 4 * i)
        off += 4 * n
        out.set(w.name, { shape: w.shape, data })
      } else {
        const data = new Int32Array(n)
        for (let i = 0; i < n; i++) data[i] = bin.readInt32LE(off + 4 * i)
        off += 4 * n
        out.set(w.name, { shape: w.shape, data })
      }
    }
  if (off !== bin.length) throw new Error(`tfjs→onnx: weights file has ${bin.length} bytes, manifest ${off}`)
  return out
}

const b64 = (s: string | undefined) => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'))
const ints = (n: TfjsNode, key: string) => (n.attr?.[key]?.list?.i ?? []).map(Number)

/** HWIO (conv) → OIHW */
function convWeights(w: Const): Const {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number]
  const data = new Float32Array(w.data.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) data[((o * ci + i) * kh + y) * kw + x] = w.data[((y * kw + x) * ci + i) * co + o]!
  return { shape: [co, ci, kh, kw], data }
}

/** depthwise [kh, kw, C, mult] → [C·mult, 1, kh, kw] (output channel c·mult + m, ONNX's grouped conv) */
function depthwiseWeights(w: Const): Const {
  const [kh, kw, c, m] = w.shape as [number, number, number, number]
  const data = new Float32Array(w.data.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < c; i++)
        for (let j = 0; j < m; j++) data[((i * m + j) * kh + y) * kw + x] = w.data[((y * kw + x) * c + i) * m + j]!
  return { shape: [c * m, 1, kh, kw], data }
}

/**
 * Converts a TensorFlow.js graph model (model.json + its weights file) into an ONNX model. The ONNX
 * input is the graph's Placeholder in NCHW ([1, 3, H, W]); its outputs are the graph's Identity nodes,
 * named as there, in TensorFlow's layout.
 */
export function tfjsGraphToOnnx(model: TfjsModel, bin: Buffer): { onnx: Uint8Array; input: string; outputs: string[] } {
  const weights = readWeights(model, bin)
  const nodes: object[] = []
  const initializers: object[] = []
  let input = ''
  const outputs: string[] = []
  let inputShape: number[] = []
  const addInit = (name: string, c: Const, asInt64 = false) => {
    const raw = asInt64
      ? Buffer.from(new BigInt64Array([...c.data].map((v) => BigInt(v))).buffer)
      : Buffer.from(new Float32Array(c.data).buffer)
    initializers.push({ name, dims: c.shape, dataType: asInt64 ? INT64 : FLOAT, rawData: raw })
    return name
  }
  const weight = (name: string | undefined): Const => {
    const w = name === undefined ? undefined : weights.get(name)
    if (!w) throw new Error(`tfjs→onnx: missing constant ${String(name)}`)
    return w
  }
  const node = (op: string, inputs: string[], output: string, attribute: object[] = []) =>
    nodes.push({ opType: op, input: inputs, output: [output], name: output, attribute })
  const intsAttr = (name: string, v: number[]) => ({ name, type: ATTR.INTS, ints: v })
  const intAttr = (name: string, v: number) => ({ name, type: ATTR.INT, i: v })
  const strAttr = (name: string, v: string) => ({ name, type: ATTR.STRING, s: Buffer.from(v) })
  const padding = (n: TfjsNode) => {
    const p = b64(n.attr?.padding?.s)
    if (p === 'SAME') return [strAttr('auto_pad', 'SAME_UPPER')]
    if (p === 'VALID') return [strAttr('auto_pad', 'VALID')]
    throw new Error(`tfjs→onnx: padding ${p} of ${n.name}`)
  }
  const checkNhwc = (n: TfjsNode) => {
    const f = b64(n.attr?.data_format?.s)
    if (f && f !== 'NHWC') throw new Error(`tfjs→onnx: data format ${f} of ${n.name}`)
    const d = ints(n, 'dilations')
    if (d.some((x) => x !== 1)) throw new Error(`tfjs→onnx: dilations of ${n.name}`)
  }
  const hw = (v: number[]) => [v[1]!, v[2]!]
  /** PReLU in the form onnxruntime's NCHWc layout keeps (onnx-graph.ts) */
  const prelu = (x: string, alpha: Const, out: string) => {
    const r = preluNodes(x, Float32Array.from(alpha.data), out)
    nodes.push(...r.nodes)
    initializers.push(...r.initializers)
  }

  for (const n of model.modelTopology.node) {
    const ins = n.input ?? []
    switch (n.op) {
      case 'Const':
        break
      case 'Placeholder': {
        input = n.name
        const shape = n.attr?.shape as { shape?: { dim?: Array<{ size: string }> } } | undefined
        inputShape = (shape?.shape?.dim ?? []).map((d) => Number(d.size))
        break
      }
      case '_FusedConv2D': {
        checkNhwc(n)
        const fused = (n.attr?.fused_ops?.list?.s ?? []).map(b64)
        if (fused[0] !== 'BiasAdd' || fused.length > 2)
          throw new Error(`tfjs→onnx: fused ops ${fused.join()} of ${n.name}`)
        const w = addInit(`${n.name}/W`, convWeights(weight(ins[1])))
        const b = addInit(`${n.name}/B`, weight(ins[2]))
        const act = fused[1]
        const convOut = act ? `${n.name}/conv` : n.name
        node('Conv', [ins[0]!, w, b], convOut, [intsAttr('strides', hw(ints(n, 'strides'))), ...padding(n)])
        if (act === 'Relu') node('Relu', [convOut], n.name)
        else if (act === 'Prelu') prelu(convOut, weight(ins[3]), n.name)
        else if (act) throw new Error(`tfjs→onnx: activation ${act} of ${n.name}`)
        break
      }
      case 'DepthwiseConv2dNative': {
        checkNhwc(n)
        const w = depthwiseWeights(weight(ins[1]))
        const wName = addInit(`${n.name}/W`, w)
        node('Conv', [ins[0]!, wName], n.name, [
          intsAttr('strides', hw(ints(n, 'strides'))),
          intAttr('group', weight(ins[1]).shape[2]!),
          ...padding(n),
        ])
        break
      }
      case 'MaxPool':
        checkNhwc(n)
        node('MaxPool', [ins[0]!], n.name, [
          intsAttr('kernel_shape', hw(ints(n, 'ksize'))),
          intsAttr('strides', hw(ints(n, 'strides'))),
          ...padding(n),
        ])
        break
      case 'Pad': {
        // paddings [[n0,n1],[h0,h1],[w0,w1],[c0,c1]] (NHWC) → ONNX pads [n0,c0,h0,w0, n1,c1,h1,w1]
        const p = weight(ins[1]).data
        const pads = [p[0]!, p[6]!, p[2]!, p[4]!, p[1]!, p[7]!, p[3]!, p[5]!]
        node('Pad', [ins[0]!, addInit(`${n.name}/pads`, { shape: [8], data: Int32Array.from(pads) }, true)], n.name)
        break
      }
      case 'AddV2':
        node('Add', [ins[0]!, ins[1]!], n.name)
        break
      case 'Prelu':
        prelu(ins[0]!, weight(ins[1]), n.name)
        break
      case 'Relu':
      case 'Sigmoid':
        node(n.op, [ins[0]!], n.name)
        break
      case 'Reshape': {
        // back to TensorFlow's element order first: NCHW → NHWC
        const nhwc = `${n.name}/nhwc`
        node('Transpose', [ins[0]!], nhwc, [intsAttr('perm', [0, 2, 3, 1])])
        const shape = weight(ins[1])
        node('Reshape', [nhwc, addInit(`${n.name}/shape`, shape, true)], n.name)
        break
      }
      case 'Identity':
        node('Identity', [ins[0]!], n.name)
        outputs.push(n.name)
        break
      default:
        throw new Error(`tfjs→onnx: operator ${n.op} (${n.name}) is not supported`)
    }
  }
  if (!input || inputShape.length !== 4) throw new Error('tfjs→onnx: no 4-d input')
  const [, h, w, c] = inputShape as [number, number, number, number]
  const dims = (d: number[]) => ({ dim: d.map((x) => (x > 0 ? { dimValue: x } : { dimParam: 'n' })) })
  const msg = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'shiren tfjs-onnx',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'converted',
      node: nodes,
      initializer: initializers,
      input: [{ name: input, type: { tensorType: { elemType: FLOAT, shape: dims([1, c, h, w]) } } }],
      output: outputs.map((name) => ({ name, type: { tensorType: { elemType: FLOAT } } })),
    },
  })
  return { onnx: ModelProto.encode(msg).finish(), input, outputs }
}

/** Reads a graph model's JSON and its weights file (the manifest's paths, beside the JSON) and converts it. */
export async function convertTfjsGraphFile(
  jsonPath: string,
): Promise<{ onnx: Uint8Array; input: string; outputs: string[] }> {
  const model = JSON.parse(await readFile(jsonPath, 'utf8')) as TfjsModel
  const bins = await Promise.all(
    model.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dirname(jsonPath), p))),
  )
  return tfjsGraphToOnnx(model, Buffer.concat(bins))
}
