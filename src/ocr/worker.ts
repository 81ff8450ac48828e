/**
 * Piscina worker of the OCR pool: one reader (three onnxruntime sessions) per thread, created on
 * the first task and kept, so reading a card never runs on the HTTP thread.
 */
import { createIdCardReader, type IdCardReader } from './reader.js'

export type OcrTask = { op: 'ping' } | { op: 'read'; image: Uint8Array }

let reader: Promise<IdCardReader> | null = null

export default async function run(task: OcrTask): Promise<unknown> {
  reader ??= createIdCardReader()
  const r = await reader
  if (task.op === 'ping') return { ok: true }
  return r.read(Buffer.from(task.image.buffer, task.image.byteOffset, task.image.byteLength))
}
