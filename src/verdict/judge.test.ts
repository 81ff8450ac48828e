import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { duplicatesIn, evidenceOf, judgeAttempt, judgeSimilarity } from './judge.js'

const rule = { threshold: 70, duplicateAction: 'flag' as const }

describe('judgeAttempt', () => {
  it('a failed check is the verdict whatever the threshold', () => {
    expect(judgeAttempt({ checks: 'NO_HEAD_TURN', similarity: null, duplicates: 0 }, rule)).toBe('NO_HEAD_TURN')
    expect(judgeAttempt({ checks: 'SPOOF_DETECTED', similarity: 99, duplicates: 0 }, { ...rule, threshold: 0 })).toBe(
      'SPOOF_DETECTED',
    )
  })
  it('the similarity meets the threshold at equality; below it fails', () => {
    expect(judgeAttempt({ checks: 'PASS', similarity: 70, duplicates: 0 }, rule)).toBe('PASS')
    expect(judgeAttempt({ checks: 'PASS', similarity: 69.99, duplicates: 0 }, rule)).toBe('SIMILARITY_BELOW_THRESHOLD')
    expect(judgeSimilarity(80, 80)).toBe('PASS')
  })
  it('no comparison (compare source none): the threshold does not apply', () => {
    expect(judgeAttempt({ checks: 'PASS', similarity: null, duplicates: 0 }, { ...rule, threshold: 100 })).toBe('PASS')
  })
  it("a duplicate fails a pass only under 'fail', and never turns a similarity failure into another code", () => {
    expect(judgeAttempt({ checks: 'PASS', similarity: 90, duplicates: 1 }, rule)).toBe('PASS')
    expect(judgeAttempt({ checks: 'PASS', similarity: 90, duplicates: 1 }, { ...rule, duplicateAction: 'fail' })).toBe(
      'DUPLICATE_IDENTITY',
    )
    expect(judgeAttempt({ checks: 'PASS', similarity: 60, duplicates: 2 }, { ...rule, duplicateAction: 'fail' })).toBe(
      'SIMILARITY_BELOW_THRESHOLD',
    )
  })
  it('re-judging a stored verdict under its own settings gives it back (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10000 }).map((x) => x / 100),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('flag' as const, 'fail' as const),
        (sim, threshold, duplicates, duplicateAction) => {
          const s = { threshold, duplicateAction }
          const live = judgeAttempt({ checks: 'PASS', similarity: sim, duplicates }, s)
          expect(judgeAttempt(evidenceOf(live, sim, duplicates), s)).toBe(live)
        },
      ),
    )
  })
  it('evidenceOf keeps a failed check and reads duplicates from signals', () => {
    expect(evidenceOf('STILL_IMAGE_VIDEO', null, 0).checks).toBe('STILL_IMAGE_VIDEO')
    expect(evidenceOf('DUPLICATE_IDENTITY', 88, 1).checks).toBe('PASS')
    expect(duplicatesIn({ duplicateOf: [{ personId: 'p', score: 90, far: 1e-5 }] })).toBe(1)
    expect(duplicatesIn(null)).toBe(0)
  })
})
