import { describe, expect, it } from 'vitest'
import {
  SAMPLE_REGIONS,
  generateIdNumber,
  idNumberCheckChar,
  idNumberChecksumValid,
  seededRng,
  validateIdNumber,
  validateName,
} from './index.js'

const TODAY = new Date(2025, 5, 1)

describe('validateIdNumber', () => {
  it('accepts known-valid numbers', () => {
    expect(validateIdNumber('11010519491231002X', TODAY)).toEqual({
      ok: true,
      birth: '1949-12-31',
      gender: 'F',
      region: '110105',
    })
    expect(validateIdNumber('44030519900715002X', TODAY)).toEqual({
      ok: true,
      birth: '1990-07-15',
      gender: 'F',
      region: '440305',
    })
  })

  it('refuses the GB 11643 textbook example 440524188001010014: right check digit, born before 1900', () => {
    expect(idNumberChecksumValid('440524188001010014')).toBe(true)
    expect(validateIdNumber('440524188001010014', TODAY)).toEqual({ ok: false, problem: 'birth_date' })
  })

  it('rejects the wrong length', () => {
    expect(validateIdNumber('', TODAY)).toEqual({ ok: false, problem: 'length' })
    expect(validateIdNumber('11010519491231002', TODAY)).toEqual({ ok: false, problem: 'length' })
    expect(validateIdNumber('11010519491231002X0', TODAY)).toEqual({ ok: false, problem: 'length' })
    expect(validateIdNumber('110105491231002', TODAY)).toEqual({ ok: false, problem: 'length' }) // 15-digit old form
  })

  it('rejects bad characters, including lower-case x and X before the end', () => {
    expect(validateIdNumber('11010519491231002x', TODAY)).toEqual({ ok: false, problem: 'characters' })
    expect(validateIdNumber('1101051949123100X2', TODAY)).toEqual({ ok: false, problem: 'characters' })
    expect(validateIdNumber('11010519491231 02X', TODAY)).toEqual({ ok: false, problem: 'characters' })
    expect(validateIdNumber('１１０１０５１９４９１２３１００２X', TODAY)).toEqual({ ok: false, problem: 'characters' })
  })

  it('rejects an unknown province', () => {
    const first17 = '99010519491231002'
    expect(validateIdNumber(first17 + idNumberCheckChar(first17), TODAY)).toEqual({ ok: false, problem: 'region' })
    const zero = '00010519491231002'
    expect(validateIdNumber(zero + idNumberCheckChar(zero), TODAY)).toEqual({ ok: false, problem: 'region' })
    const p16 = '16010519491231002'
    expect(validateIdNumber(p16 + idNumberCheckChar(p16), TODAY)).toEqual({ ok: false, problem: 'region' })
  })

  it('rejects impossible or out-of-range birth dates even with a right check digit', () => {
    for (const birth of ['19490230', '19491301', '19490000', '18991231', '20250602', '21000101', '19000229']) {
      const first17 = `110105${birth}002`
      expect(validateIdNumber(first17 + idNumberCheckChar(first17), TODAY), birth).toEqual({
        ok: false,
        problem: 'birth_date',
      })
    }
    const leap = '11010520000229002'
    expect(validateIdNumber(leap + idNumberCheckChar(leap), TODAY).ok).toBe(true)
    const first = '11010519000101002'
    expect(validateIdNumber(first + idNumberCheckChar(first), TODAY).ok).toBe(true)
    const today = '11010520250601002'
    expect(validateIdNumber(today + idNumberCheckChar(today), TODAY).ok).toBe(true)
  })

  it('rejects a wrong check digit', () => {
    expect(validateIdNumber('110105194912310021', TODAY)).toEqual({ ok: false, problem: 'check_digit' })
    expect(validateIdNumber('440305199007150021', TODAY)).toEqual({ ok: false, problem: 'check_digit' })
    // one digit changed in the body
    expect(validateIdNumber('11010519491231003X', TODAY)).toEqual({ ok: false, problem: 'check_digit' })
  })
})

describe('idNumberChecksumValid', () => {
  it('checks the MOD 11-2 character only', () => {
    expect(idNumberChecksumValid('11010519491231002X')).toBe(true)
    expect(idNumberChecksumValid('440524188001010014')).toBe(true)
    expect(idNumberChecksumValid('11010519491231002x')).toBe(false)
    expect(idNumberChecksumValid('110105194912310020')).toBe(false)
    expect(idNumberChecksumValid('1101051949123100')).toBe(false)
    // region/birth are not its concern
    const first17 = '99010599991399002'
    expect(idNumberChecksumValid(first17 + idNumberCheckChar(first17))).toBe(true)
  })

  it('detects every single-digit substitution', () => {
    const good = '11010519491231002X'
    for (let i = 0; i < 17; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === good[i]) continue
        const bad = good.slice(0, i) + d + good.slice(i + 1)
        expect(idNumberChecksumValid(bad), bad).toBe(false)
      }
    }
  })
})

describe('generateIdNumber', () => {
  it('generates valid numbers with the requested fields', () => {
    const rng = seededRng(42)
    for (let i = 0; i < 500; i++) {
      const n = generateIdNumber(rng)
      const v = validateIdNumber(n, TODAY)
      expect(v.ok, n).toBe(true)
    }
    const n = generateIdNumber(rng, { region: '440305', birth: '1990-07-15', gender: 'F' })
    expect(validateIdNumber(n, TODAY)).toEqual({ ok: true, birth: '1990-07-15', gender: 'F', region: '440305' })
    expect(SAMPLE_REGIONS.every((r) => /^\d{6}$/.test(r.code))).toBe(true)
  })

  it('is deterministic for a seed', () => {
    expect(generateIdNumber(seededRng(7))).toBe(generateIdNumber(seededRng(7)))
  })
})

describe('validateName', () => {
  it('accepts Chinese names, with dots normalised', () => {
    expect(validateName('张三')).toEqual({ ok: true, normalized: '张三' })
    expect(validateName('  欧阳娜娜 ')).toEqual({ ok: true, normalized: '欧阳娜娜' })
    expect(validateName('买买提·艾力')).toEqual({ ok: true, normalized: '买买提·艾力' })
    expect(validateName('买买提\u2022艾力')).toEqual({ ok: true, normalized: '买买提·艾力' })
    expect(validateName('买买提\u30FB艾力')).toEqual({ ok: true, normalized: '买买提·艾力' })
    expect(validateName('阿卜杜拉·买买提·艾力')).toMatchObject({ ok: true })
  })

  it('accepts Latin names of foreigners', () => {
    expect(validateName('John Smith')).toMatchObject({ ok: true })
    expect(validateName("Sinéad O'Connor")).toMatchObject({ ok: true })
    expect(validateName('Anne-Marie  Dubois')).toEqual({ ok: true, normalized: 'Anne-Marie Dubois' })
    expect(validateName('Jean·Paul')).toMatchObject({ ok: true })
  })

  it('rejects wrong lengths', () => {
    expect(validateName('')).toEqual({ ok: false, problem: 'empty' })
    expect(validateName('   ')).toEqual({ ok: false, problem: 'empty' })
    expect(validateName('张')).toEqual({ ok: false, problem: 'length' })
    expect(validateName('张'.repeat(33))).toEqual({ ok: false, problem: 'length' })
    expect(validateName('张'.repeat(32)).ok).toBe(true)
  })

  it('rejects misplaced or doubled dots', () => {
    expect(validateName('·张三')).toEqual({ ok: false, problem: 'dot_position' })
    expect(validateName('张三·')).toEqual({ ok: false, problem: 'dot_position' })
    expect(validateName('张··三')).toEqual({ ok: false, problem: 'dot_position' })
    expect(validateName('张\u2022·三')).toEqual({ ok: false, problem: 'dot_position' })
  })

  it('rejects digits, control characters, emoji, SQL metacharacters and mixed scripts', () => {
    expect(validateName('张三1')).toEqual({ ok: false, problem: 'digits' })
    expect(validateName('John 2nd')).toEqual({ ok: false, problem: 'digits' })
    expect(validateName('张\u0000三')).toEqual({ ok: false, problem: 'control_characters' })
    expect(validateName('张\n三')).toEqual({ ok: false, problem: 'control_characters' })
    expect(validateName('张\u200b三')).toEqual({ ok: false, problem: 'control_characters' })
    expect(validateName('张三😀')).toEqual({ ok: false, problem: 'emoji' })
    expect(validateName("张三'; DROP TABLE x;--")).toMatchObject({ ok: false })
    expect(validateName("Bob'--")).toMatchObject({ ok: false })
    expect(validateName('Bob;Alice')).toEqual({ ok: false, problem: 'characters' })
    expect(validateName('"Bob"')).toEqual({ ok: false, problem: 'characters' })
    expect(validateName('张三John')).toEqual({ ok: false, problem: 'mixed_script' })
    expect(validateName('张三，李四')).toEqual({ ok: false, problem: 'characters' })
    expect(validateName("John 'Smith")).toEqual({ ok: false, problem: 'separator_position' })
    expect(validateName('John- Smith')).toEqual({ ok: false, problem: 'separator_position' })
    expect(validateName('Привет Мир')).toEqual({ ok: false, problem: 'characters' })
  })
})
