import * as ort from 'onnxruntime-node'
import type { RgbImage } from '../media/index.js'
import { warpFace } from './align.js'
import type { Point } from './face.js'
import { resolveModel } from './models.js'
import { loadOnnxForCpu } from './onnx-graph.js'

/** ORT session options: one intra-op thread, since the pool already runs one worker per core. */
export const ORT_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
}

export interface FaceEmbedder {
  /** L2-normalised 512-d embedding of the face whose 5 points are given */
  embed(img: RgbImage, five: readonly Point[]): Promise<Float32Array>
  close(): Promise<void>
}

export async function loadEmbedder(modelsDir: string): Promise<FaceEmbedder> {
  const path = resolveModel('arcface', modelsDir)
  const session = await ort.InferenceSession.create(await loadOnnxForCpu(path), ORT_OPTIONS)
  const inputName = session.inputNames[0]!
  const outputName = session.outputNames[0]!
  return {
    async embed(img, five) {
      const crop = warpFace(img, five, 112)
      const plane = 112 * 112
      const input = new Float32Array(3 * plane)
      for (let i = 0; i < plane; i++) {
        input[i] = (crop[i * 3]! - 127) / 128
        input[plane + i] = (crop[i * 3 + 1]! - 127) / 128
        input[2 * plane + i] = (crop[i * 3 + 2]! - 127) / 128
      }
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 3, 112, 112]) })
      const v = out[outputName]!.data as Float32Array
      return l2normalise(Float32Array.from(v))
    },
    close: () => session.release(),
  }
}

export function l2normalise(v: Float32Array): Float32Array {
  let s = 0
  for (const x of v) s += x * x
  const n = Math.sqrt(s) || 1
  for (let i = 0; i < v.length; i++) v[i]! /= n
  return v
}

export { cosine } from './compare.js'
