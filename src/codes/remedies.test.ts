import { describe, expect, it } from 'vitest'
import {
  CATALOG,
  PERSON_FACING_REASONS,
  REASON_NAMES,
  REMEDIES,
  hasCode,
  isPersonFacing,
  listCodes,
  remedyFor,
  toCode,
  type Reason,
} from './index.js'

const HAN = /[\u4e00-\u9fff]/

describe('remedies of person-facing reasons', () => {
  it('gives every person-facing reason a Chinese and an English text', () => {
    expect(PERSON_FACING_REASONS.length).toBeGreaterThan(30)
    expect(new Set(PERSON_FACING_REASONS).size).toBe(PERSON_FACING_REASONS.length)
    for (const r of PERSON_FACING_REASONS) {
      const m = REMEDIES[r]
      expect(REASON_NAMES, r).toContain(r)
      expect(m.zh.trim(), r).not.toBe('')
      expect(m.en.trim(), r).not.toBe('')
      expect(m.zh, r).toMatch(HAN)
      expect(m.en, r).not.toMatch(HAN)
      // short enough to read on a phone under the code
      expect(m.zh.length, r).toBeLessThanOrEqual(40)
      expect(m.en.length, r).toBeLessThanOrEqual(110)
    }
    // nothing beyond the list has a text
    expect(Object.keys(REMEDIES).sort()).toEqual([...PERSON_FACING_REASONS].sort())
  })

  it('gives no remedy where the person can do nothing (caller, deployment or engine causes)', () => {
    const nobody: Reason[] = [
      'PASS',
      'SIGNATURE_INVALID',
      'SYSTEM_ERROR',
      'DB_INSERT_FAILED',
      'LIVENESS_ENGINE_ERROR',
      'COMPARE_ENGINE_ERROR',
      'ANALYSIS_TIMEOUT',
      'REGISTRY_NO_PHOTO',
      'REFERENCE_NO_FACE',
      'NAME_ID_MISMATCH',
      'RISK_CONTROL',
    ]
    for (const r of nobody) {
      expect(isPersonFacing(r), r).toBe(false)
      expect(remedyFor(r), r).toBeNull()
    }
  })

  it('names the vendor hints the texts start from: light, framing and nothing covering the face', () => {
    expect(remedyFor('NO_FACE')!.zh).toContain('光线充足')
    expect(remedyFor('NO_FACE')!.zh).toContain('正对框内')
    expect(remedyFor('NO_FACE')!.zh).toContain('无遮挡')
    expect(remedyFor('TOO_DARK')!.en).toMatch(/window or a lamp/)
    expect(remedyFor('MULTIPLE_FACES')!.en).toMatch(/only you/i)
    expect(remedyFor('FACE_NOT_FRONTAL')!.en).toMatch(/eye level/)
  })

  it('gives toCode the remedy of the reason, in both families, without changing the code', () => {
    for (const r of PERSON_FACING_REASONS) {
      for (const family of ['h5', 'sdk'] as const) {
        if (!hasCode(family, r)) continue
        const c = toCode(family, r)
        expect(c.remedy, `${family}:${r}`).toEqual(REMEDIES[r])
        expect(CATALOG.find((row) => row.family === family && row.code === c.code)!.reasons).toContain(r)
      }
    }
    expect(toCode('h5', 'SYSTEM_ERROR').remedy).toBeNull()
  })

  it('gives each code of `shiren codes --json` the remedies of its person-facing reasons, null for none', () => {
    for (const row of listCodes()) {
      const id = `${row.family}:${row.code}`
      const facing = row.reasons.filter(isPersonFacing)
      if (facing.length === 0) {
        expect(row.remedy, id).toBeNull()
        continue
      }
      expect(row.remedy, id).not.toBeNull()
      for (const r of facing) {
        expect(row.remedy!.zh, id).toContain(REMEDIES[r].zh)
        expect(row.remedy!.en, id).toContain(REMEDIES[r].en)
      }
    }
    const dark = listCodes().find((r) => r.family === 'h5' && r.code === 1201)!
    expect(dark.remedy).toEqual(REMEDIES.TOO_DARK)
    const sys = listCodes().find((r) => r.family === 'h5' && r.code === 4)!
    expect(sys.remedy).toBeNull()
  })
})
