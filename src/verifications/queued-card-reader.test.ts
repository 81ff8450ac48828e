import { describe, expect, it } from 'vitest'
import { MemoryBlobStore, RecordingQueue, jpeg, memoryStore } from '../../test/support/fakes.js'
import { OCR_JOB, QueuedCardReader, runOcrJob } from './queued-card-reader.js'
import type { CardReader } from './idcard-step.js'

// The api side and the worker side of an ID-card reading handed over as a job, with the queue
// recorded and the job run by hand: the photo and the reading never outlive the request.
describe('QueuedCardReader and runOcrJob', () => {
  const reading = {
    side: 'front' as const,
    front: null,
    back: null,
    checksumValid: null,
    rotation: 0 as const,
    portrait: Buffer.from([0xff, 0xd8, 1, 2, 3]),
    ms: 12,
  }

  it('hands the photo over, returns the worker reading, and leaves nothing in the store', async () => {
    const { store } = await memoryStore()
    const blobs = new MemoryBlobStore()
    const queue = new RecordingQueue()
    const worker: CardReader = { read: async () => reading }
    const reader = new QueuedCardReader(store, queue, blobs, { pollMs: 10 })
    const pending = reader.read(jpeg())
    while (!queue.jobs.length) await new Promise((r) => setTimeout(r, 5))
    expect(queue.jobs[0]).toMatchObject({ kind: OCR_JOB.kind })
    expect(await runOcrJob(blobs, worker, queue.jobs[0]!.payload as never)).toBe('success')
    expect(await pending).toEqual(reading)
    expect([...blobs.data.keys()]).toEqual([])
  })

  it("the worker reader's failure reaches the api side by name; no worker in time is OcrBusyError", async () => {
    const { store } = await memoryStore()
    const blobs = new MemoryBlobStore()
    const queue = new RecordingQueue()
    const busy = new QueuedCardReader(store, queue, blobs, { pollMs: 10 })
    const failing = busy.read(jpeg())
    while (!queue.jobs.length) await new Promise((r) => setTimeout(r, 5))
    await runOcrJob(blobs, null, queue.jobs[0]!.payload as never)
    await expect(failing).rejects.toThrow(/reads no ID cards/)

    const late = new QueuedCardReader(store, queue, blobs, { timeoutMs: 100, pollMs: 10 })
    await expect(late.read(jpeg())).rejects.toMatchObject({ name: 'OcrBusyError' })
    // the worker that takes the job afterwards finds nobody waiting and writes nothing
    expect(await runOcrJob(blobs, { read: async () => reading }, queue.jobs[1]!.payload as never)).toBe('success')
    expect([...blobs.data.keys()]).toEqual([])
  })
})
