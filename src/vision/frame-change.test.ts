import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import wabtInit from 'wabt'
import { describe, expect, it } from 'vitest'
import { FRAME_CHANGE_WASM_BASE64 } from './frame-change-wasm.js'
import { frameChangeMeter } from './frame-change.js'

function exactSum(a: Uint8Array, b: Uint8Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2
  return s
}

describe('frame-change meter', () => {
  it('is built from frame-change.wat (npm run build:wasm)', async () => {
    const wabt = await wabtInit()
    const source = readFileSync(join(import.meta.dirname, 'frame-change.wat'), 'utf8')
    const m = wabt.parseWat('frame-change.wat', source, { simd: true })
    m.validate()
    const bytes = Buffer.from(m.toBinary({}).buffer)
    m.destroy()
    expect(bytes.equals(Buffer.from(FRAME_CHANGE_WASM_BASE64, 'base64'))).toBe(true)
  })

  it('gives the exact integer sum of squared differences against the previous frame', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 3 * 40 * 30 * 3, maxLength: 3 * 40 * 30 * 3 }),
        (w, h, values) => {
          const n = w * h * 3
          const frames = [0, 1, 2].map((k) => Uint8Array.from(values.slice(k * n, (k + 1) * n)))
          const meter = frameChangeMeter()
          expect(meter.next(frames[0]!, w, h)).toBeNull()
          expect(meter.next(frames[1]!, w, h)).toBe(exactSum(frames[1]!, frames[0]!))
          expect(meter.next(frames[2]!, w, h)).toBe(exactSum(frames[2]!, frames[1]!))
        },
      ),
      { numRuns: 50 },
    )
  })

  it('stays exact at the largest differences over a whole 640×640 frame, and starts afresh on a new size or a reset', () => {
    const w = 640
    const h = 640
    const black = new Uint8Array(w * h * 3)
    const white = new Uint8Array(w * h * 3).fill(255)
    const meter = frameChangeMeter()
    meter.next(black, w, h)
    expect(meter.next(white, w, h)).toBe(w * h * 3 * 255 * 255)
    expect(meter.next(white, w, h)).toBe(0)
    expect(meter.next(black.subarray(0, 320 * 240 * 3), 320, 240)).toBeNull()
    meter.reset()
    expect(meter.next(white.subarray(0, 320 * 240 * 3), 320, 240)).toBeNull()
    expect(meter.next(black.subarray(0, 320 * 240 * 3), 320, 240)).toBe(320 * 240 * 3 * 255 * 255)
  })
})
