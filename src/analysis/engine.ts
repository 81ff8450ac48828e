import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { importRecognizerFactory, RecognizerLoadError } from '../audio/index.js'
import { workerFileBeside } from '../workers/index.js'
import { reviveVisionError } from '../vision/index.js'
import { resolveModel } from '../vision/index.js'
import { decideCompare, type CompareSide } from '../vision/index.js'
import type { CompareResult } from '../vision/index.js'
import type { AnalyseRequest, AnalyseResult, AnalysisEngine } from './types.js'
import type { AnalysisTask, AnalysisTaskResult } from './worker.js'

export interface AnalysisEngineOptions {
  modelsDir: string
  /** worker threads; default one per core */
  workers?: number
  /** module path of the operator's DigitRecognizer (SHIREN_DIGIT_RECOGNIZER); none by default */
  digitRecognizer?: string
}

export interface AnalysisEngineExtras {
  /** two photos, no liveness: the primary face of each, similarity on the 0–100 scale */
  compare(a: string, b: string, threshold?: number): Promise<CompareResult>
  /** embedding of the primary face of a photo (registry enrolment, benchmarks) */
  embed(path: string): Promise<{ faces: number; embedding: number[] | null }>
  /** process memory as seen from a worker (RSS is per process; see docs/benchmarks.md) */
  memory(): Promise<NodeJS.MemoryUsage>
  readonly workers: number
}

export async function createAnalysisEngine(
  opts: AnalysisEngineOptions,
): Promise<AnalysisEngine & AnalysisEngineExtras> {
  // the models every attempt needs must be there before any worker starts: fail now, clearly
  resolveModel('blazeface', opts.modelsDir)
  resolveModel('facemesh', opts.modelsDir)
  resolveModel('arcface', opts.modelsDir)
  // a wrong recogniser setting must stop start-up, not fail every digits attempt later
  if (opts.digitRecognizer) await importRecognizerFactory(opts.digitRecognizer)
  const workers = Math.max(1, opts.workers ?? availableParallelism())
  const { filename, execArgv } = workerFileBeside(import.meta.url)
  const pool = new Piscina({
    filename,
    execArgv,
    workerData: { modelsDir: opts.modelsDir, digitRecognizer: opts.digitRecognizer },
    minThreads: workers,
    maxThreads: workers,
    // each worker holds its models: never let it exit when idle
    idleTimeout: Number.MAX_SAFE_INTEGER,
    concurrentTasksPerWorker: 1,
  })
  const call = async <T>(task: AnalysisTask): Promise<T> => {
    const res = (await pool.run(task)) as AnalysisTaskResult
    if (!res.ok) throw reviveVisionError(res.error)
    return res.value as T
  }
  // load the models in every worker before answering: the first attempt should not pay for it
  try {
    await Promise.all(Array.from({ length: workers }, () => call({ op: 'ping' })))
  } catch (err) {
    await pool.destroy()
    // the worker's error crosses the thread as a plain Error: give the recogniser's back its class
    if (opts.digitRecognizer && /SHIREN_DIGIT_RECOGNIZER/.test((err as Error).message))
      throw new RecognizerLoadError((err as Error).message)
    throw err
  }
  return {
    workers,
    async analyse(req: AnalyseRequest): Promise<AnalyseResult> {
      const r = await call<AnalyseResult>({ op: 'analyse', req })
      // structured clone turns Buffer into Uint8Array
      const bf = r.bestFrame as unknown as Uint8Array | null
      return { ...r, bestFrame: bf ? Buffer.from(bf.buffer, bf.byteOffset, bf.byteLength) : null }
    },
    async compare(a: string, b: string, threshold = 70): Promise<CompareResult> {
      if (workers < 2) return call<CompareResult>({ op: 'compare', a, b, threshold })
      // one photo per worker: on an idle machine the pair takes the time of one photo, not two;
      // under load the two halves queue like any other task, so nothing waits on a busy worker
      const started = performance.now()
      const [sa, sb] = await Promise.all([
        call<CompareSide>({ op: 'compareSide', path: a, role: 'live' }),
        call<CompareSide>({ op: 'compareSide', path: b, role: 'reference' }),
      ])
      return decideCompare(sa, sb, threshold, Math.round(performance.now() - started))
    },
    embed: (path: string) => call({ op: 'embed', path }),
    memory: () => call({ op: 'memory' }),
    async close() {
      await pool.destroy()
    },
  }
}
