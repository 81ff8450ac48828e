import { readFile } from 'node:fs/promises'
import protobuf from 'protobufjs'

/**
 * ONNX models as data: the protobuf schema shiren reads and writes them with, and one rewrite that
 * makes onnxruntime's CPU kernels much faster on the face models (see `preluNodes`).
 *
 * Why a schema written here: no npm package ships onnx.proto for JavaScript (onnxruntime-node takes
 * bytes only). This is onnx/onnx.proto's ModelProto (field numbers as there, IR version 8) with every
 * field the staged models and the converted TensorFlow.js graphs use; a model decoded and encoded again
 * comes out byte for byte the same (a test checks the staged ones), so nothing is dropped silently.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  string doc_string = 13;
  int32 type = 20;
  string ref_attr_name = 21;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
  string domain = 7;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4;
  repeated int32 int32_data = 5;
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7;
  string name = 8;
  bytes raw_data = 9;
  repeated double double_data = 10;
  repeated uint64 uint64_data = 11;
  string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  int32 data_location = 14;
}
message TensorShapeProto {
  message Dimension { int64 dim_value = 1; string dim_param = 2; string denotation = 3; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  Tensor tensor_type = 1;
  string denotation = 6;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
`
export const ModelProto = protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto')

/** TensorProto data types and AttributeProto types used here (onnx.proto's enums) */
export const ONNX_TYPE = { FLOAT: 1, INT64: 7 } as const
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const

/** A node and an initializer as protobufjs objects (ModelProto.fromObject / decode give and take these). */
export interface OnnxNode {
  opType: string
  input: string[]
  output: string[]
  name: string
  attribute?: object[]
}
export interface OnnxTensor {
  name: string
  dims: Array<number | { toNumber(): number }>
  dataType: number
  rawData?: Uint8Array
  floatData?: number[]
}

const floatInit = (name: string, data: Float32Array): OnnxTensor => ({
  name,
  dims: [data.length],
  dataType: ONNX_TYPE.FLOAT,
  rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
})

/**
 * PReLU with a per-channel slope α, as Relu(x) + (−α)·Relu(−x). Why not ONNX's PRelu: onnxruntime's
 * NCHWc layout (its fastest CPU convolutions, optimisation level "all") has no PRelu kernel, so every
 * PRelu took the activations out of NCHWc and back (FaceMesh: 28 PRelu, 56 reorders). Both scalings are
 * BatchNormalization with mean 0, variance 1, epsilon 0 and bias 0 (exactly s·x), which that layout turns
 * into 1×1 depthwise convolutions; Relu and Add stay in it too. The values are PReLU's (one of the two
 * terms is always 0); only the convolutions' rounding may differ in the last bit. CPU a run (one thread,
 * 2026-12-06): FaceMesh 4.5 → 1.9 ms, the ArcFace embedder 12.6 → 6.5 ms, MiniFASNet 128 8.6 → 5.5 ms
 * and 80 2.6 → 2.3 ms.
 */
export function preluNodes(
  x: string,
  alpha: Float32Array,
  out: string,
): { nodes: OnnxNode[]; initializers: OnnxTensor[] } {
  const c = alpha.length
  const initializers: OnnxTensor[] = []
  const scale = (input: string, s: Float32Array, name: string): OnnxNode => {
    initializers.push(
      floatInit(`${name}/scale`, s),
      floatInit(`${name}/bias`, new Float32Array(c)),
      floatInit(`${name}/mean`, new Float32Array(c)),
      floatInit(`${name}/var`, new Float32Array(c).fill(1)),
    )
    return {
      opType: 'BatchNormalization',
      input: [input, `${name}/scale`, `${name}/bias`, `${name}/mean`, `${name}/var`],
      output: [name],
      name,
      attribute: [{ name: 'epsilon', type: ATTR.FLOAT, f: 0 }],
    }
  }
  const nodes: OnnxNode[] = [
    { opType: 'Relu', input: [x], output: [`${out}/pos`], name: `${out}/pos` },
    scale(x, new Float32Array(c).fill(-1), `${out}/neg`),
    { opType: 'Relu', input: [`${out}/neg`], output: [`${out}/negRelu`], name: `${out}/negRelu` },
    scale(
      `${out}/negRelu`,
      Float32Array.from(alpha, (a) => -a),
      `${out}/negScaled`,
    ),
    { opType: 'Add', input: [`${out}/pos`, `${out}/negScaled`], output: [out], name: out },
  ]
  return { nodes, initializers }
}

/** The float values of an initializer (raw little-endian bytes or float_data). */
function floatValues(t: OnnxTensor): Float32Array {
  if (t.rawData && t.rawData.length) {
    // a copy: protobufjs hands out views into the model's bytes, at any offset
    const copy = Uint8Array.from(t.rawData)
    return new Float32Array(copy.buffer, 0, copy.byteLength >> 2)
  }
  return Float32Array.from(t.floatData ?? [])
}

/**
 * A model file's PRelu nodes rewritten as `preluNodes` (the staged anti-spoofing models and the
 * embedder; the converted TensorFlow.js graphs are written so from the start). Only a PRelu whose slope
 * is a float initializer of shape [C, 1, 1] (one value per channel of 4-d activations) is rewritten
 * (all of theirs); any other stays as it is.
 * The old slopes are dropped when nothing else reads them. Returns the model's bytes unchanged when it
 * has nothing to rewrite.
 */
export function rewritePreluForNchwc(model: Uint8Array): Uint8Array {
  const m = ModelProto.decode(model) as unknown as {
    graph: { node: OnnxNode[]; initializer: OnnxTensor[] }
  }
  const g = m.graph
  const inits = new Map(g.initializer.map((t) => [t.name, t]))
  const nodes: OnnxNode[] = []
  const added: OnnxTensor[] = []
  const replaced = new Set<string>()
  for (const n of g.node) {
    const slope = n.opType === 'PRelu' ? inits.get(n.input[1] ?? '') : undefined
    // [C, 1, 1]: one slope per channel of NCHW activations (a [C] slope would broadcast along the width)
    const dims = slope?.dims.map(Number) ?? []
    const channels = dims[0] ?? 0
    const alpha =
      slope?.dataType === ONNX_TYPE.FLOAT && dims.length === 3 && dims[1] === 1 && dims[2] === 1 && channels >= 2
        ? floatValues(slope)
        : null
    if (!slope || !alpha || alpha.length !== channels) {
      nodes.push(n)
      continue
    }
    const r = preluNodes(n.input[0]!, alpha, n.output[0]!)
    nodes.push(...r.nodes)
    added.push(...r.initializers)
    replaced.add(slope.name)
  }
  if (!replaced.size) return model
  const stillRead = new Set(nodes.flatMap((n) => n.input))
  g.node = nodes
  g.initializer = [...g.initializer.filter((t) => !replaced.has(t.name) || stillRead.has(t.name)), ...added]
  return ModelProto.encode(m as unknown as protobuf.Message).finish()
}

/** A model file's bytes, rewritten by `rewritePreluForNchwc` for onnxruntime's CPU kernels. */
export async function loadOnnxForCpu(path: string): Promise<Uint8Array> {
  return rewritePreluForNchwc(await readFile(path))
}
