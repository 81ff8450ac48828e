/**
 * The OCR pool reads a real specimen in a worker thread with the same result as in-process,
 * and answers OcrBusyError (not a verdict) when its queue is full.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOcrPool, OcrBusyError, type OcrPool } from './index.js'
import { SPECIMENS } from './specimens.fixture.js'

const CARDS = path.resolve(import.meta.dirname, '../../../shared/data/idcards')
const hasReal = existsSync(path.join(CARDS, 'chineseocr_card.png'))
if (!hasReal) console.warn(`SKIP OCR pool test: ${CARDS} not found`)

describe.skipIf(!hasReal)('OCR worker pool', () => {
  let pool: OcrPool
  beforeAll(async () => {
    pool = await createOcrPool({ workers: 1, maxQueue: 1 })
  }, 60_000)
  afterAll(async () => pool?.close())

  it('reads the rotated specimen in a worker: fields, rotation and a JPEG portrait', async () => {
    const truth = SPECIMENS.find((s) => s.id === 'chineseocr_card.png')!
    const r = await pool.read(readFileSync(path.join(CARDS, truth.id)))
    expect(r.front).toEqual(truth.front)
    expect(r.rotation).toBe(truth.rotation)
    expect(r.checksumValid).toBe(true)
    expect(Buffer.isBuffer(r.portrait)).toBe(true)
    expect(r.portrait!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
  }, 60_000)

  it('junk bytes are a reading with no card, not an error', async () => {
    const r = await pool.read(Buffer.from('not an image at all'))
    expect(r.side).toBe('none')
  }, 60_000)

  it('a full queue is OcrBusyError', async () => {
    const img = readFileSync(path.join(CARDS, 'chineseocr_card.png'))
    const runs = [pool.read(img), pool.read(img), pool.read(img)]
    const settled = await Promise.allSettled(runs)
    expect(
      settled.filter((s) => s.status === 'rejected' && s.reason instanceof OcrBusyError).length,
    ).toBeGreaterThanOrEqual(1)
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThanOrEqual(1)
  }, 120_000)
})
