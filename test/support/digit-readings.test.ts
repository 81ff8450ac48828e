import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { issuable, mulberry32, randomIssuedDigits } from './digit-readings.js'
import { pickLiveDigits } from '../../src/liveness/digits.js'

describe('randomIssuedDigits (bench:digits --as-issued)', () => {
  it('never draws a digit twice in a row, and only from the alphabet', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        fc.subarray([...'0123456789'], { minLength: 2 }),
        (n, seed, alphabet) => {
          const s = randomIssuedDigits(n, mulberry32(seed), alphabet.join(''))
          expect(s).toHaveLength(n)
          expect(issuable(s)).toBe(true)
          for (const d of s) expect(alphabet).toContain(d)
        },
      ),
    )
  })

  it('draws what the service can issue: every pickLiveDigits string is issuable, and over 0–9 every two-digit one occurs', () => {
    const rnd = mulberry32(1)
    for (let k = 0; k < 200; k++) expect(issuable(pickLiveDigits(4, (n) => Math.floor(rnd() * n)))).toBe(true)
    const seen = new Set<string>()
    const r2 = mulberry32(2)
    for (let k = 0; k < 60_000; k++) seen.add(randomIssuedDigits(2, r2))
    // 10 × 9 two-digit strings without a repeat, each drawn
    expect(seen.size).toBe(90)
    expect(issuable('3581')).toBe(true)
    expect(issuable('2444')).toBe(false)
  })
})
