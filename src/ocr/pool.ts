/**
 * A pool of OCR worker threads. A card read is ≈ 1 s of CPU, so the server hands it to a worker
 * and awaits it; the event loop keeps answering other requests meanwhile.
 */
import { Piscina } from 'piscina'
import { workerFileBeside } from '../workers/index.js'
import type { IdCardReading } from './reader.js'
import type { OcrTask } from './worker.js'

export interface OcrPoolOptions {
  /** worker threads (default 1: each holds ≈ 0.5 GB at its peak) */
  workers?: number
  /** reads waiting for a worker beyond this are refused with OcrBusyError (default 16) */
  maxQueue?: number
}

export interface OcrPool {
  read(image: Buffer): Promise<IdCardReading>
  readonly workers: number
  close(): Promise<void>
}

/** The pool's queue is full: a caller answers "busy, retry", never a verdict about the card. */
export class OcrBusyError extends Error {
  override name = 'OcrBusyError'
}

export async function createOcrPool(opts: OcrPoolOptions = {}): Promise<OcrPool> {
  const workers = Math.max(1, opts.workers ?? 1)
  const { filename, execArgv } = workerFileBeside(import.meta.url)
  const pool = new Piscina({
    filename,
    execArgv,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.MAX_SAFE_INTEGER,
    concurrentTasksPerWorker: 1,
    maxQueue: opts.maxQueue ?? 16,
  })
  // load the models in every worker now: the first card should not pay for it
  await Promise.all(Array.from({ length: workers }, () => pool.run({ op: 'ping' } satisfies OcrTask)))
  return {
    workers,
    async read(image: Buffer): Promise<IdCardReading> {
      let r: IdCardReading
      try {
        // a copy the worker owns: the caller's buffer may be a slice of a larger pooled one
        const copy = new Uint8Array(image)
        r = (await pool.run({ op: 'read', image: copy } satisfies OcrTask, {
          transferList: [copy.buffer],
        })) as IdCardReading
      } catch (err) {
        if ((err as Error)?.message?.includes('Task queue is at limit'))
          throw new OcrBusyError('the OCR workers are busy; retry shortly')
        throw err
      }
      // structured clone turns Buffer into Uint8Array
      const p = r.portrait as unknown as Uint8Array | null
      return { ...r, portrait: p ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : null }
    },
    close: () => pool.destroy(),
  }
}
