import { Type } from '@sinclair/typebox'
import { ulid } from 'ulid'
import { defineJob, type JobEnqueuer, type JobPayload, type JobResult } from '../queue/index.js'
import { BlobNotFoundError, type BlobStore } from '../media/index.js'
import type { IdCardReading } from '../ocr/index.js'
import type { Store } from '../storage/index.js'
import type { CardReader } from './idcard-step.js'

/**
 * Reading an ID-card photo on a worker process. An api process loads no OCR engine: it puts the
 * photo in the blob store (sealed, like all media), queues this job and waits for the reading the
 * worker puts beside it, so the capture page still gets its answer in the same request. Past the
 * deadline the api process has answered "busy, retry" and the worker makes no reading.
 */
export const OCR_JOB = defineJob(
  'ocr-card',
  Type.Object({
    id: Type.String({ minLength: 1, maxLength: 64 }),
    /** epoch milliseconds after which nobody waits for the reading */
    deadline: Type.Integer({ minimum: 0 }),
  }),
)

const imageKey = (id: string) => `ocr/${id}.image`
const readingKey = (id: string) => `ocr/${id}.reading`

type Wire = Omit<IdCardReading, 'portrait'> & { portrait: string | null }

function encode(r: IdCardReading): Buffer {
  const wire: Wire = { ...r, portrait: r.portrait ? r.portrait.toString('base64') : null }
  return Buffer.from(JSON.stringify({ reading: wire }))
}

function decode(raw: Buffer): IdCardReading {
  const v = JSON.parse(raw.toString('utf8')) as { reading?: Wire; error?: { name: string; message: string } }
  if (v.error) throw Object.assign(new Error(v.error.message), { name: v.error.name })
  const r = v.reading!
  return { ...r, portrait: r.portrait ? Buffer.from(r.portrait, 'base64') : null }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class QueuedCardReader implements CardReader {
  constructor(
    private readonly store: Store,
    private readonly queue: JobEnqueuer,
    private readonly blobs: BlobStore,
    private readonly opts: { timeoutMs?: number; pollMs?: number } = {},
  ) {}

  async read(image: Buffer): Promise<IdCardReading> {
    const id = `ocr_${ulid().toLowerCase()}`
    const deadline = Date.now() + (this.opts.timeoutMs ?? 30_000)
    await this.blobs.put(imageKey(id), image)
    try {
      await this.store.transaction((tx) => this.queue.enqueue(tx, OCR_JOB, `ocr:${id}`, { id, deadline }))
      while (Date.now() < deadline) {
        const raw = await this.blobs.get(readingKey(id)).catch((err: unknown) => {
          if (err instanceof BlobNotFoundError) return null
          throw err
        })
        if (raw) return decode(raw)
        await sleep(this.opts.pollMs ?? 100)
      }
      // the name the card step answers with "the readers are busy; retry" (503)
      throw Object.assign(new Error('no ID-card reader answered in time'), { name: 'OcrBusyError' })
    } finally {
      // the photo and the reading are personal data: neither outlives the request
      await this.blobs.delete(imageKey(id)).catch(() => {})
      await this.blobs.delete(readingKey(id)).catch(() => {})
    }
  }
}

/**
 * The worker's side of OCR_JOB: reads the photo with its own reader and puts the reading (or the
 * reader's error) beside it. A photo already gone, or a deadline passed, means nobody waits.
 */
export async function runOcrJob(
  blobs: BlobStore,
  reader: CardReader | null,
  job: JobPayload<typeof OCR_JOB>,
): Promise<JobResult> {
  if (Date.now() > job.deadline) return 'success'
  let image: Buffer
  try {
    image = await blobs.get(imageKey(job.id))
  } catch (err) {
    if (err instanceof BlobNotFoundError) return 'success'
    throw err
  }
  let out: Buffer
  try {
    if (!reader)
      throw Object.assign(new Error('this worker reads no ID cards (SHIREN_OCR_WORKERS=0)'), { name: 'Error' })
    out = encode(await reader.read(image))
  } catch (err) {
    const e = err as Error
    out = Buffer.from(
      JSON.stringify({ error: { name: e?.name ?? 'Error', message: String(e?.message ?? err).slice(0, 200) } }),
    )
  }
  if (Date.now() > job.deadline) return 'success'
  await blobs.put(readingKey(job.id), out)
  return 'success'
}
