import { describe, expect, it } from 'vitest'
import { FaceIndex } from './face-index.js'
import { farAtScore, FAR_ANCHORS } from '../vision/index.js'

const unit = (seed: number) => {
  const v = new Float32Array(512)
  let x = seed
  for (let i = 0; i < 512; i++) v[i] = ((x = (x * 48271) % 2147483647) / 2147483647) * 2 - 1
  const n = Math.hypot(...v)
  return v.map((e) => e / n)
}

describe('FaceIndex', () => {
  it('finds a face, replaces it, removes it', () => {
    const ix = new FaceIndex()
    for (let i = 1; i <= 200; i++) ix.upsert(`p${i}`, unit(i))
    expect(ix.search(unit(7), 1)[0]).toMatchObject({ personId: 'p7' })
    expect(ix.search(unit(7), 1)[0]!.cosine).toBeGreaterThan(0.99)
    ix.upsert('p7', unit(9999))
    expect(ix.size).toBe(200)
    expect(ix.search(unit(9999), 1)[0]!.personId).toBe('p7')
    expect(ix.search(unit(7), 3).map((h) => h.personId)).not.toContain('p7')
    expect(ix.remove('p7')).toBe(true)
    expect(ix.search(unit(9999), 5).map((h) => h.personId)).not.toContain('p7')
    expect(() => ix.upsert('bad', new Float32Array(3))).toThrow(/512/)
  })

  it('keeps k hits when the search is widened, best first, the same best as the plain search', () => {
    const ix = new FaceIndex()
    for (let i = 1; i <= 300; i++) ix.upsert(`p${i}`, unit(i))
    const wide = ix.search(unit(42), 3, 256)
    expect(wide).toHaveLength(3)
    expect(wide[0]!.personId).toBe('p42')
    expect(wide[0]!.cosine).toBeGreaterThanOrEqual(wide[1]!.cosine)
    expect(ix.search(unit(42), 3)[0]!.personId).toBe('p42')
    // more asked than held: every face once
    expect(new Set(ix.search(unit(1), 5, 1000).map((h) => h.personId)).size).toBe(5)
  })

  it('answers an empty index with no hits', () => {
    expect(new FaceIndex().search(unit(1), 5)).toEqual([])
  })
})

describe('farAtScore', () => {
  it('meets the anchors, falls as the score rises, and stops at the calibrated floor', () => {
    for (const [far, score] of FAR_ANCHORS) expect(farAtScore(score)).toBeCloseTo(far, 10)
    expect(farAtScore(65)).toBeLessThan(1e-2)
    expect(farAtScore(65)).toBeGreaterThan(1e-3)
    expect(farAtScore(95)).toBe(1e-4)
    expect(farAtScore(10)).toBe(1)
  })
})
