/**
 * ID-card OCR on real images: the specimens in ../shared/data/idcards (skipped with a printed
 * reason when absent) and a few synthetic cards rendered here (skipped when the Noto CJK font
 * is missing). The models are loaded once for the file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seededRng } from '../identity/index.js'
import { parseValidity, readByPlace, type Row } from './fields.js'
import { type IdCardReader, type IdCardReading, createIdCardReader, judgeIdCard } from './index.js'
import { SPECIMENS } from './specimens.fixture.js'
import {
  type SyntheticTruth,
  backSvg,
  cjkFontAvailable,
  frontSvg,
  randomPhotoDistortion,
  randomTruth,
  renderCard,
  renderCardPhoto,
} from './synthetic.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DATA = path.resolve(ROOT, '../shared/data')
const CARDS = path.join(DATA, 'idcards')
const hasReal = existsSync(path.join(CARDS, 'bzsome_result_color.png'))
const hasFont = cjkFontAvailable()
if (!hasReal) console.warn(`SKIP real ID-card specimens: ${CARDS} not found`)
if (!hasFont) console.warn('SKIP synthetic ID cards: font "Noto Sans CJK SC" missing (apt-get install fonts-noto-cjk)')

let reader: IdCardReader
beforeAll(async () => {
  if (hasReal || hasFont) reader = await createIdCardReader()
})
afterAll(async () => {
  await reader?.close()
})

const TODAY = new Date(2025, 5, 1)

describe('parseValidity', () => {
  it('reads ranges, 长期 and OCR noise', () => {
    expect(parseValidity('2010.01.01-2020.12.12')).toEqual({ validFrom: '2010.01.01', validTo: '2020.12.12' })
    expect(parseValidity('2010.01.01—长期')).toEqual({ validFrom: '2010.01.01', validTo: '长期' })
    expect(parseValidity('2010. 01.01 - 2020.12. 12')).toEqual({ validFrom: '2010.01.01', validTo: '2020.12.12' })
    expect(parseValidity('20100101一20201212')).toEqual({ validFrom: '2010.01.01', validTo: '2020.12.12' })
    expect(parseValidity('1')).toEqual({ validFrom: null, validTo: null })
    expect(parseValidity('2010.13.01-2020.12.12')).toEqual({ validFrom: null, validTo: '2020.12.12' })
  })
})

describe.skipIf(!hasReal)('real specimens', () => {
  const readings = new Map<string, IdCardReading>()
  const truth = (id: string) => SPECIMENS.find((c) => c.id === id)!
  const read = async (name: string) => {
    if (!readings.has(name)) readings.set(name, await reader.read(readFileSync(path.join(CARDS, name))))
    return readings.get(name)!
  }

  it('reads the 90°-rotated photo card', async () => {
    const r = await read('chineseocr_card.png')
    expect(r.side).toBe('front')
    expect(r.rotation).toBe(truth('chineseocr_card.png').rotation)
    expect(r.front).toEqual(truth('chineseocr_card.png').front)
    expect(r.checksumValid).toBe(true)
    expect(judgeIdCard(r, { idNumber: '370782198709170246' }, TODAY)).toBe('PASS')
    expect(judgeIdCard(r, {}, TODAY)).toBe('PASS')
    // another valid number declared → mismatch
    expect(judgeIdCard(r, { idNumber: '11010519491231002X' }, TODAY)).toBe('IDCARD_NUMBER_MISMATCH')
  })

  it('reads the upside-down specimen, whose printed number fails the checksum', async () => {
    const r = await read('chineseocr_idcard-demo.jpeg')
    expect(r.side).toBe('front')
    expect(r.rotation).toBe(truth('chineseocr_idcard-demo.jpeg').rotation)
    expect(r.front).toEqual(truth('chineseocr_idcard-demo.jpeg').front)
    expect(r.checksumValid).toBe(false)
    // nothing declared: a number that fails GB 11643 is not a reading to vouch for
    expect(judgeIdCard(r, {}, TODAY)).toBe('OCR_FAILED')
    // declared number one digit away (the valid 430512198908131369): a misread, not another card
    expect(judgeIdCard(r, { idNumber: '430512198908131369' }, TODAY)).toBe('OCR_FAILED')
    expect(judgeIdCard(r, { idNumber: '11010519491231002X' }, TODAY)).toBe('IDCARD_NUMBER_MISMATCH')
  })

  it('reads front and back on one image; the card expired on 2020.12.12', async () => {
    const r = await read('bzsome_result_color.png')
    expect(r.side).toBe('both')
    expect(r.rotation).toBe(truth('bzsome_result_color.png').rotation)
    expect(r.front).toEqual(truth('bzsome_result_color.png').front)
    expect(r.back).toEqual(truth('bzsome_result_color.png').back)
    expect(r.checksumValid).toBe(true)
    expect(judgeIdCard(r, { idNumber: '513701199507176346' }, TODAY)).toBe('IDCARD_EXPIRED')
    expect(judgeIdCard(r, { idNumber: '513701199507176346' }, new Date(2020, 11, 12))).toBe('PASS')
    expect(judgeIdCard(r, { idNumber: '513701199507176346' }, new Date(2020, 11, 13))).toBe('IDCARD_EXPIRED')
    // number checks come first
    expect(judgeIdCard(r, { idNumber: '11010519491231002X' }, TODAY)).toBe('IDCARD_NUMBER_MISMATCH')
  })

  it('offers the portrait crop as a JPEG of portrait shape', async () => {
    for (const name of ['bzsome_result_color.png', 'chineseocr_card.png', 'chineseocr_idcard-demo.jpeg']) {
      const r = await read(name)
      expect(r.portrait, name).not.toBeNull()
      const meta = await sharp(r.portrait!).metadata()
      expect(meta.format).toBe('jpeg')
      expect(meta.height! / meta.width!).toBeGreaterThan(1.1)
      expect(meta.height! / meta.width!).toBeLessThan(1.6)
    }
  })

  it('reads the placeholder photocopy as "1" and refuses it', async () => {
    const r = await read('airob0t_dist_bw.png')
    expect(r.side).toBe('both')
    expect(r.front).toEqual(truth('airob0t_dist_bw.png').front)
    expect(r.back?.authority).toBe('1')
    expect(r.back?.validTo).toBeNull()
    expect(r.checksumValid).toBe(false)
    expect(judgeIdCard(r, { idNumber: '11010519491231002X' }, TODAY)).toBe('OCR_FAILED')
  })

  it('finds no card in a face photo or in bytes that are not an image', async () => {
    const lfw = path.join(DATA, 'faces/lfw')
    const person = existsSync(lfw) ? readdirSync(lfw)[0] : undefined
    if (person) {
      const file = readdirSync(path.join(lfw, person))[0]!
      const r = await reader.read(readFileSync(path.join(lfw, person, file)))
      expect(r.side).toBe('none')
      expect(r.portrait).toBeNull()
      expect(judgeIdCard(r, { idNumber: '11010519491231002X' }, TODAY)).toBe('OCR_FAILED')
    } else {
      console.warn(`SKIP face-photo case: ${lfw} not found`)
    }
    const junk = await reader.read(Buffer.from('definitely not an image'))
    expect(junk.side).toBe('none')
    expect(judgeIdCard(junk, {}, TODAY)).toBe('OCR_FAILED')
  })
})

/** A row as buildRows makes it: characters at x positions (card pixels of the synthetic layout). */
function row(y: number, x: number, text: string, pitch = 28, h = 30): Row {
  const chars = [...text].map((ch, i) => ({ ch, x: x + i * pitch, conf: 0.99 }))
  return { y, h, x0: x, x1: x + text.length * pitch, chars, text }
}

describe('readByPlace (fields by their place on the card)', () => {
  // the synthetic layout: values at x 160, number at x 300 on y 474, rows 60 px apart
  const idRow = row(474, 300, '450103199208042103', 21.7, 34)
  const rows = [
    row(94, 170, '薛兰芳'),
    row(154, 170, '女'),
    row(154, 380, '苗'),
    row(214, 165, '1992年8月4日', 20),
    row(274, 170, '广西壮族自治区南宁市青'),
    row(314, 170, '秀区东风路720号'),
    idRow,
  ]
  // rows on the same line are one row in buildRows
  const merged: Row = { ...rows[1]!, chars: [...rows[1]!.chars, ...rows[2]!.chars], text: '女苗' }
  const card = [rows[0]!, merged, ...rows.slice(3)]

  it('reads name, gender, nation, birth and address with no label on the card', () => {
    const p = readByPlace(card, idRow, new Map())!
    expect(p).toMatchObject({
      name: '薛兰芳',
      gender: '女',
      nation: '苗',
      birth: '1992/8/4',
      address: '广西壮族自治区南宁市青秀区东风路720号',
    })
    expect(p.nameRow).toBe(card[0])
  })

  it('drops what is left of a faint label in the label column', () => {
    const withRemnant: Row = { ...card[0]!, chars: [{ ch: '名', x: 122, conf: 0.9 }, ...card[0]!.chars] }
    expect(readByPlace([withRemnant, ...card.slice(1)], idRow, new Map())!.name).toBe('薛兰芳')
  })

  it('gives nothing without an ID number to locate the card', () => {
    expect(readByPlace(card, row(474, 300, '4501031992'), new Map())).toBeNull()
  })
})

describe.skipIf(!hasFont)('synthetic cards', () => {
  const rng = seededRng(20250601)
  const truths: SyntheticTruth[] = [randomTruth(rng), randomTruth(rng)]
  const expired: SyntheticTruth = {
    ...truths[0]!,
    back: { ...truths[0]!.back, validFrom: '2005.03.01', validTo: '2015.03.01' },
  }
  const longTerm: SyntheticTruth = {
    ...truths[1]!,
    back: { ...truths[1]!.back, validFrom: '2016.08.09', validTo: '长期' },
  }

  it('reads fronts rotated by 7°, 90° and 270°, blurred, at JPEG quality 55', async () => {
    for (const [i, t] of truths.entries()) {
      const img = await renderCard(frontSvg(t.front, rng), {
        angle: i === 0 ? 7 : -6,
        jpegQuality: 55,
        blur: 0.8,
        half: false,
      })
      const r = await reader.read(img)
      expect(r.front).toEqual(t.front)
      expect(r.checksumValid).toBe(true)
      expect(r.portrait).not.toBeNull()
      expect(judgeIdCard(r, { idNumber: t.front.idNumber }, TODAY)).toBe('PASS')
      const other = t.front.idNumber === truths[1]!.front.idNumber ? truths[0]! : truths[1]!
      expect(judgeIdCard(r, { idNumber: other.front.idNumber }, TODAY)).toBe('IDCARD_NUMBER_MISMATCH')
      const turned = await sharp(img)
        .rotate(i === 0 ? 90 : 270)
        .jpeg({ quality: 85 })
        .toBuffer()
      const rt = await reader.read(turned)
      expect(rt.rotation).toBe(i === 0 ? 270 : 90)
      expect(rt.front?.idNumber).toBe(t.front.idNumber)
      expect(rt.front?.name).toBe(t.front.name)
    }
  })

  it('reads a front whose labels are faint or missing, photographed at an angle on a texture, by place', async () => {
    const prng = seededRng(4242)
    for (const labels of ['missing', 'faint'] as const) {
      const t = randomTruth(prng)
      const img = await renderCardPhoto(frontSvg(t.front, prng, { labels }), randomPhotoDistortion(prng))
      const r = await reader.read(img)
      expect(r.front?.idNumber, labels).toBe(t.front.idNumber)
      expect(r.front?.name, labels).toBe(t.front.name)
      expect(r.front?.gender, labels).toBe(t.front.gender)
      expect(r.front?.birth, labels).toBe(t.front.birth)
      expect(r.front?.address, labels).toBe(t.front.address)
      expect(r.portrait, labels).not.toBeNull()
      expect(judgeIdCard(r, { idNumber: t.front.idNumber }, TODAY)).toBe('PASS')
    }
  })

  it('reads backs: an expired card and a 长期 one', async () => {
    const e = await reader.read(
      await renderCard(backSvg(expired.back, rng), { angle: -4, jpegQuality: 70, blur: 0, half: true }),
    )
    expect(e.side).toBe('back')
    expect(e.back).toEqual(expired.back)
    expect(judgeIdCard(e, {}, TODAY)).toBe('IDCARD_EXPIRED')
    expect(judgeIdCard(e, {}, new Date(2015, 2, 1))).toBe('PASS')

    const l = await reader.read(
      await renderCard(backSvg(longTerm.back, rng), { angle: 3, jpegQuality: 80, blur: 0, half: false }),
    )
    expect(l.side).toBe('back')
    expect(l.back).toEqual(longTerm.back)
    expect(judgeIdCard(l, {}, new Date(2099, 0, 1))).toBe('PASS')
  })
})
