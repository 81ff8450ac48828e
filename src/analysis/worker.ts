/**
 * Piscina worker: loads the models once (first task), then analyses attempts one at a time.
 * WASM (Human) and onnxruntime each run on one thread, so one worker per core uses the machine
 * without oversubscribing it.
 */
import { workerData } from 'node:worker_threads'
import { analyse, compareImages, embedImage, loadModels, readCompareSide, type LoadedModels } from './analyser.js'
import { serializeVisionError, type SerializedVisionError } from '../vision/index.js'
import type { AnalyseRequest } from './types.js'

export type AnalysisTask =
  | { op: 'ping' }
  | { op: 'analyse'; req: AnalyseRequest }
  | { op: 'compare'; a: string; b: string; threshold?: number }
  | { op: 'compareSide'; path: string; role: 'live' | 'reference' }
  | { op: 'embed'; path: string }
  | { op: 'memory' }

export type AnalysisTaskResult = { ok: true; value: unknown } | { ok: false; error: SerializedVisionError }

const { modelsDir = '', digitRecognizer } =
  (workerData as { modelsDir?: string; digitRecognizer?: string } | undefined) ?? {}
let loading: Promise<LoadedModels> | null = null

function models(): Promise<LoadedModels> {
  loading ??= loadModels(modelsDir, { digitRecognizer })
  return loading
}

export default async function run(task: AnalysisTask): Promise<AnalysisTaskResult> {
  try {
    const m = await models()
    switch (task.op) {
      case 'ping':
        return {
          ok: true,
          value: { backend: m.detector.backend, antispoof: m.antispoof !== null, embedder: m.embedder !== null },
        }
      case 'analyse':
        return { ok: true, value: await analyse(m, task.req) }
      case 'compare':
        return { ok: true, value: await compareImages(m, task.a, task.b, task.threshold) }
      case 'compareSide':
        return { ok: true, value: await readCompareSide(m, task.path, task.role) }
      case 'embed': {
        const r = await embedImage(m, task.path)
        return { ok: true, value: { faces: r.faces, embedding: r.embedding ? Array.from(r.embedding) : null } }
      }
      case 'memory':
        return { ok: true, value: process.memoryUsage() }
    }
  } catch (err) {
    const typed = serializeVisionError(err)
    if (typed) return { ok: false, error: typed }
    throw err
  }
}
