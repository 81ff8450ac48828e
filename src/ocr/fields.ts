/**
 * ID-card field extraction from recognised text lines, by labels and positions.
 *
 * Lines are first deskewed (median angle of the long lines) and grouped into rows; each row
 * is a sequence of characters with x positions. A field's value is what follows its label
 * on the same row (民族 shares the row of 性别; 住址 continues on the rows below that start
 * right of the label column). The ID number is found by its shape (17 digits + digit/X)
 * anywhere on the card, preferring the 公民身份号码 row.
 */
import { idNumberChecksumValid } from '../identity/index.js'
import { type OrientedBox, type Point, boxAlong, boxCenter } from './geometry.js'
import type { TextLine } from './engine.js'

export interface IdCardFront {
  name: string | null
  gender: string | null
  nation: string | null
  /** YYYY/M/D as the cloud API returns */
  birth: string | null
  address: string | null
  idNumber: string | null
}

export interface IdCardBack {
  authority: string | null
  validFrom: string | null
  /** 'YYYY.MM.DD' or '长期' */
  validTo: string | null
}

export interface RowChar {
  ch: string
  x: number
  conf: number
}

export interface Row {
  y: number
  h: number
  x0: number
  x1: number
  chars: RowChar[]
  text: string
}

/** Where the layout anchors are, in the deskewed frame (for the portrait crop). */
export interface FrontAnchors {
  /** rotation of the deskewed frame: unit vector of the text direction in image coordinates */
  u: Point
  /** left edge of the label column */
  labelX: number
  /** centre y of the 姓名 row and of the ID-number row */
  nameY: number
  idY: number
}

/** A region right of a label whose value was not read, in the deskewed frame. */
export interface Probe {
  label: string
  x0: number
  x1: number
  y: number
  h: number
}

export interface ParsedCard {
  front: IdCardFront | null
  back: IdCardBack | null
  /** labels found (for choosing between rotations) */
  labels: number
  anchors: FrontAnchors | null
  /** text direction of the deskewed frame */
  u: Point
  /** where to look again for values that are missing */
  probes: Probe[]
}

/** How far (in row heights) a value may reach right of its label. */
const PROBE_SPAN: Record<string, number> = {
  姓名: 8,
  性别: 3,
  民族: 4,
  出生: 16,
  住址: 14,
  公民身份号码: 16,
  签发机关: 12,
  有效期限: 14,
}

const FRONT_LABELS = ['姓名', '性别', '民族', '出生', '住址', '公民身份号码'] as const
type FrontLabel = (typeof FRONT_LABELS)[number]

/** Label spellings (including common misreads) → the label. */
const LABEL_PATTERNS: ReadonlyArray<[RegExp, FrontLabel | '签发机关' | '有效期限']> = [
  [/^(?:姓名|姓|.名)/, '姓名'],
  [/^(?:性别|性|.别)/, '性别'],
  [/^(?:出生|出|.生(?=\s*\d))/, '出生'],
  [/^(?:住址|住|.址)/, '住址'],
  [/^(?:公民身份(?:证)?号码?|公民身份|.民身份|身份号码|份号码|号码)/, '公民身份号码'],
  [/^(?:签发机关|签发机|.发机关|签发|机关)/, '签发机关'],
  [/^(?:有效期限|有效期|.效期限|有效|期限)/, '有效期限'],
]

const NATION_RE = /(?:民族|民旅|民.族|族)/

function median(xs: number[]): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

/** Project a point into the deskewed frame given the text direction u. */
function toFrame(p: Point, u: Point): Point {
  return { x: p.x * u.x + p.y * u.y, y: -p.x * u.y + p.y * u.x }
}

export function fromFrame(p: Point, u: Point): Point {
  return { x: p.x * u.x - p.y * u.y, y: p.x * u.y + p.y * u.x }
}

export function buildRows(lines: TextLine[]): { rows: Row[]; u: Point } {
  // text direction: median angle of the lines longer than 3× their height
  const long = lines.filter((l) => l.box.w > 3 * l.box.h)
  const angles = (long.length ? long : lines).map((l) => Math.atan2(l.box.u.y, l.box.u.x))
  const a = median(angles)
  const u = { x: Math.cos(a), y: Math.sin(a) }
  type Item = { line: TextLine; cy: number; h: number; x0: number; x1: number }
  const items: Item[] = lines.map((line) => {
    const c = toFrame(boxCenter(line.box), u)
    const p0 = toFrame(boxAlong(line.box, 0), u)
    const p1 = toFrame(boxAlong(line.box, 1), u)
    return { line, cy: c.y, h: line.box.h, x0: Math.min(p0.x, p1.x), x1: Math.max(p0.x, p1.x) }
  })
  items.sort((p, q) => p.cy - q.cy)
  const groups: Item[][] = []
  for (const it of items) {
    let best: Item[] | null = null
    let bestD = Infinity
    for (const g of groups) {
      const gy = g.reduce((s, i) => s + i.cy, 0) / g.length
      const gh = Math.min(...g.map((i) => i.h))
      const d = Math.abs(gy - it.cy)
      const tol = 1.2 * Math.min(gh, it.h)
      const overlapsX = g.some((i) => it.x0 < i.x1 - tol && i.x0 < it.x1 - tol)
      if (d < 0.45 * Math.min(gh, it.h) && !overlapsX && d < bestD) {
        best = g
        bestD = d
      }
    }
    if (best) best.push(it)
    else groups.push([it])
  }
  const rows: Row[] = groups.map((g) => {
    g.sort((p, q) => p.x0 - q.x0)
    const all: Array<RowChar & { src: number }> = []
    g.forEach((it, src) => {
      for (const c of it.line.chars) {
        const p = toFrame(boxAlong(it.line.box, c.t), u)
        all.push({ ch: c.ch, x: p.x, conf: c.conf, src })
      }
    })
    all.sort((p, q) => p.x - q.x)
    // overlapping boxes read the same glyph twice (or a stroke of it): keep the surer one
    const rowH = Math.min(...g.map((i) => i.h))
    const chars: RowChar[] = []
    let lastSrc = -1
    for (const c of all) {
      const prev = chars[chars.length - 1]
      if (prev && c.src !== lastSrc && c.x - prev.x < 0.3 * rowH) {
        if (c.conf > prev.conf) {
          chars[chars.length - 1] = { ch: c.ch, x: c.x, conf: c.conf }
          lastSrc = c.src
        }
        continue
      }
      chars.push({ ch: c.ch, x: c.x, conf: c.conf })
      lastSrc = c.src
    }
    const text = chars.map((c) => c.ch).join('')
    return {
      y: g.reduce((s, i) => s + i.cy, 0) / g.length,
      h: Math.max(...g.map((i) => i.h)),
      x0: Math.min(...g.map((i) => i.x0)),
      x1: Math.max(...g.map((i) => i.x1)),
      chars,
      text,
    }
  })
  rows.sort((p, q) => p.y - q.y)
  return { rows, u }
}

/** Remove spaces and the separators OCR puts between label and value. */
function clean(s: string): string {
  return s.replace(/[\s:：;；,，、|_'"`]/g, '')
}

function normalizeIdChars(s: string): string {
  return s
    .replace(/[xX×╳乂]/g, 'X')
    .replace(/[oOD]/g, '0')
    .replace(/[lI|]/g, '1')
}

/** Candidate ID numbers in a text: runs of 17 digits followed by a digit or X. */
function idCandidates(text: string): string[] {
  const t = normalizeIdChars(text.replace(/\s/g, ''))
  const out: string[] = []
  const re = /\d{17}[\dX]/g
  let m: RegExpExecArray | null
  while ((m = re.exec(t))) {
    out.push(m[0])
    re.lastIndex = m.index + 1
  }
  return out
}

function parseBirth(s: string): string | null {
  const t = fixDigits(clean(s))
  // 1995年7月17日 → the first three numbers
  const parts = t
    .replace(/\D+/g, ' ')
    .trim()
    .split(' ')
    .filter((x) => x.length > 0)
  if (parts.length >= 3) return `${Number(parts[0])}/${Number(parts[1])}/${Number(parts[2])}`
  // digits run together: 19950717
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(t.replace(/\D/g, ''))
  if (d) return `${Number(d[1])}/${Number(d[2])}/${Number(d[3])}`
  return null
}

/** Parse '2010.01.01-2020.12.12' / '2010.01.01-长期' (with OCR noise). */
export function parseValidity(s: string): { validFrom: string | null; validTo: string | null } {
  const t = s.replace(/\s/g, '').replace(/[,，。·:]/g, '.')
  const digits = t.replace(/长期.*/, '')
  const nums = digits.replace(/\D+/g, ' ').trim()
  const ds = nums ? nums.split(' ') : []
  const joined = ds.join('')
  const fmt = (x: string) => `${x.slice(0, 4)}.${x.slice(4, 6)}.${x.slice(6, 8)}`
  const longTerm = /长期|长|期/.test(t.replace(/^.*\d/, ''))
  let from: string | null = null
  let to: string | null = null
  if (joined.length >= 8) from = fmt(joined.slice(0, 8))
  if (joined.length >= 16) to = fmt(joined.slice(8, 16))
  else if (longTerm && from) to = '长期'
  const valid = (x: string | null) =>
    x === '长期' || (x !== null && /^(19|20)\d\d\.(0[1-9]|1[0-2])\.(0[1-9]|[12]\d|3[01])$/.test(x))
  return { validFrom: valid(from) ? from : null, validTo: valid(to) ? to : null }
}

/** Letters read for digits next to digits (239O室 → 2390室). */
function fixDigits(s: string): string {
  let out = s
  for (let k = 0; k < 2; k++) {
    out = out.replace(/(?<=\d)[OoD]|[OoD](?=\d)/g, '0').replace(/(?<=\d)[lI|]|[lI|](?=\d)/g, '1')
  }
  return out
}

/** Drop what is left of a label that was matched only in part (姓 → 名 remains). */
function stripLabelRest(label: string, v: string): string {
  let out = v
  const rest = new Set([...label.slice(1)])
  while (out.length > 0 && rest.has(out[0]!)) out = out.slice(1)
  return out
}

function textAfter(row: Row, labelEnd: number, until?: number): string {
  return row.chars
    .slice(labelEnd, until)
    .map((c) => c.ch)
    .join('')
}

/** Extract front/back fields from text lines already in the upright frame. */
export function parseCard(allLines: TextLine[]): ParsedCard {
  const lines = allLines.filter((l) => l.text.trim().length > 0 && l.conf >= 0.5)
  if (lines.length === 0) return { front: null, back: null, labels: 0, anchors: null, u: { x: 1, y: 0 }, probes: [] }
  const { rows, u } = buildRows(lines)

  type Hit = { row: Row; index: number; end: number; label: string; full: boolean }
  const hits = new Map<string, Hit>()
  const TITLE = /居民身份证|中华人民共和国|民身份证$/
  const matchRow = (row: Row, i: number, allowSingle: boolean): void => {
    if (TITLE.test(row.text)) return
    for (const [re, label] of LABEL_PATTERNS) {
      const m = re.exec(row.text)
      if (!m) continue
      if (m[0].length === 1 && !allowSingle) return
      if (!hits.has(label))
        hits.set(label, { row, index: i, end: m[0].length, label, full: m[0].length >= label.length })
      return
    }
  }
  // pass 1: labels of two or more characters; pass 2: one-character guesses (姓, 性, 出, 住 …)
  // only on rows that start in the label column found by pass 1
  rows.forEach((row, i) => matchRow(row, i, false))
  const labelCol = median([...hits.values()].map((h) => h.row.x0))
  const matched = new Set([...hits.values()].map((h) => h.row))
  rows.forEach((row, i) => {
    if (matched.has(row)) return
    if (hits.size > 0 && Math.abs(row.x0 - labelCol) < 1.5 * row.h) matchRow(row, i, true)
  })

  // ID number: prefer the 公民身份号码 row, then any row; prefer checksum-valid
  const idHit = hits.get('公民身份号码')
  let idNumber: string | null = null
  let idRow: Row | null = null
  const cands: Array<{ n: string; row: Row }> = []
  for (const row of rows) for (const n of idCandidates(row.text)) cands.push({ n, row })
  const pick =
    cands.find((c) => c.row === idHit?.row && idNumberChecksumValid(c.n)) ??
    cands.find((c) => idNumberChecksumValid(c.n)) ??
    cands.find((c) => c.row === idHit?.row) ??
    cands[0]
  if (pick) {
    idNumber = pick.n
    idRow = pick.row
  } else if (idHit) {
    const v = normalizeIdChars(clean(textAfter(idHit.row, idHit.end))).replace(/[^\dX]/g, '')
    idNumber = v.length > 0 ? v : null
    idRow = idHit.row
  }

  const value = (label: string): string | null => {
    const h = hits.get(label)
    if (!h) return null
    const v = stripLabelRest(label, clean(textAfter(h.row, h.end)))
    return v.length ? v : null
  }

  // 性别 row holds 民族
  let gender: string | null = null
  let nation: string | null = null
  const gh = hits.get('性别')
  // without a 性别 label, a row is the gender/nation row only when 族 is near its start and a nation's length
  // (≤ 4 characters) follows: an address such as 宁夏回族自治区… holds 族 too
  const rowWithNation =
    gh?.row ??
    rows.find((r) => {
      const m = NATION_RE.exec(r.text.slice(1))
      return m !== null && m.index <= 3 && r.text.length - (1 + m.index + m[0].length) <= 4
    })
  if (rowWithNation) {
    const start = gh && gh.row === rowWithNation ? gh.end : 0
    const rest = rowWithNation.text.slice(start)
    const m = NATION_RE.exec(rest)
    if (m) {
      const gv = stripLabelRest('性别', clean(rest.slice(0, m.index)))
      gender = gv.length ? gv : null
      const nv = clean(rest.slice(m.index + m[0].length))
      nation = nv.length ? nv : null
      hits.set('民族', {
        row: rowWithNation,
        index: rows.indexOf(rowWithNation),
        end: start + m.index + m[0].length,
        label: '民族',
        full: true,
      })
    } else if (gh) {
      gender = value('性别')
    }
  }
  if (gender) {
    // one character: 男 or 女 when either is there
    const g = /[男女]/.exec(gender)
    gender = g ? g[0] : [...gender][0]!
  }

  // address: the 住址 row plus continuation rows starting right of the label column
  let address: string | null = null
  const ah = hits.get('住址')
  if (ah) {
    const parts = [textAfter(ah.row, ah.end)]
    const valueX = ah.row.chars[ah.end]?.x ?? ah.row.x0 + ah.row.h * 2
    const labelX = ah.row.x0
    let prevY = ah.row.y
    const stopRows = new Set([...hits.values()].map((h) => h.row))
    if (idRow) stopRows.add(idRow)
    for (let i = ah.index + 1; i < rows.length; i++) {
      const r = rows[i]!
      if (stopRows.has(r)) break
      if (r.y - prevY > 2.2 * ah.row.h) break
      if (r.x0 < labelX + 0.5 * (valueX - labelX)) break
      if (r.x0 > valueX + 6 * ah.row.h) continue
      parts.push(r.text)
      prevY = r.y
    }
    const v = fixDigits(stripLabelRest('住址', clean(parts.join(''))))
    address = v.length ? v : null
  }

  // the card's layout located from the ID number (see readByPlace)
  const placed: PlacedFront | null = idRow ? readByPlace(rows, idRow, hits) : null
  let name = value('姓名')
  const nameHit = hits.get('姓名')
  if (name && placed && nameHit) {
    // a faint label is sometimes read with a stray character after it: the name starts at the value column
    const cs = dropStray(nameHit.row.chars.slice(nameHit.end), placed.valueX, placed.span)
    const v = stripLabelRest('姓名', clean(cs.map((c) => c.ch).join('')))
    if (v.length) name = v
  }
  let birth: string | null = null
  const bv = value('出生')
  if (bv) birth = parseBirth(bv)

  // a label too faint to read, or not printed: read the field by its place on the card instead
  if (idRow && (!name || !gender || !nation || !birth || !address)) {
    if (placed) {
      name ??= placed.name
      gender ??= placed.gender
      nation ??= placed.nation
      birth ??= placed.birth
      address ??= placed.address
    }
  }
  if (name) {
    name = name.replace(/[•・∙⋅．.]/g, '·')
    // 一 at the end or inside a Han name is often read as a dash
    if (/\p{Script=Han}/u.test(name)) name = name.replace(/[—–－\-_]/g, '一')
  }

  const frontLabels = FRONT_LABELS.filter((l) => hits.has(l)).length
  const hasFront = frontLabels >= 2 || (idNumber !== null && idNumber.length === 18)
  const front: IdCardFront | null = hasFront ? { name, gender, nation, birth, address, idNumber } : null

  const authority = value('签发机关')
  const vh = hits.get('有效期限')
  const validity = vh ? parseValidity(textAfter(vh.row, vh.end)) : { validFrom: null, validTo: null }
  const title = rows.some((r) => TITLE.test(r.text))
  const backLabels = (hits.has('签发机关') ? 1 : 0) + (vh ? 1 : 0)
  const back: IdCardBack | null = backLabels > 0 || (title && !hasFront) ? { authority, ...validity } : null

  let anchors: FrontAnchors | null = null
  const nh = hits.get('姓名')
  if (front && idRow && labelRowsOf(hits).length === 0 && placed?.nameRow) {
    // no label at all: the label column sits a fixed distance left of the value column
    const labelX = placed.valueX - LABEL_TO_VALUE * placed.span
    if (idRow.y - placed.nameRow.y > 2 * idRow.h) anchors = { u, labelX, nameY: placed.nameRow.y, idY: idRow.y }
  } else if (front && idRow) {
    const labelRows = [...hits.entries()]
      .filter(([l]) => (FRONT_LABELS as readonly string[]).includes(l) && l !== '民族')
      .map(([, h]) => h.row)
    const labelX = median(labelRows.map((r) => r.x0))
    let nameY: number | null = nh ? nh.row.y : (placed?.nameRow?.y ?? null)
    if (nameY === null) {
      // rows are evenly spaced: name, gender, birth, address at 0, 0.176, 0.352, 0.528 of D
      const k: Array<[string, number]> = [
        ['性别', 1],
        ['出生', 2],
        ['住址', 3],
      ]
      for (const [l, idx] of k) {
        const h = hits.get(l)
        if (h) {
          const D = (idRow.y - h.row.y) / (1 - 0.176 * idx)
          nameY = idRow.y - D
          break
        }
      }
    }
    if (nameY !== null && labelRows.length > 0 && idRow.y - nameY > 2 * idRow.h) {
      anchors = { u, labelX, nameY, idY: idRow.y }
    }
  }

  const probes: Probe[] = []
  const missing: Record<string, boolean> = {
    姓名: !name,
    性别: !gender,
    民族: !nation,
    出生: !birth,
    住址: !address,
    公民身份号码: !idNumber,
    签发机关: !authority,
    有效期限: !validity.validTo,
  }
  for (const [label, h] of hits) {
    if (!missing[label] || h.end < 1) continue
    const last = h.row.chars[h.end - 1]!
    const x0 = last.x + 0.45 * h.row.h
    // stop before whatever else is on the row (e.g. the 民族 label after 性别)
    const next = h.row.chars.slice(h.end).find((c) => c.x > x0 && !label.includes(c.ch))
    let x1 = x0 + PROBE_SPAN[label]! * h.row.h
    if (label === '性别' && hits.get('民族')?.row === h.row) {
      const nh = hits.get('民族')!
      const nx = h.row.chars[nh.end - 2]?.x
      if (nx !== undefined && nx > x0) x1 = Math.min(x1, nx - 0.45 * h.row.h)
    } else if (next && label !== '民族') {
      x1 = Math.min(x1, next.x - 0.45 * h.row.h)
    }
    if (x1 - x0 > 0.5 * h.row.h) probes.push({ label, x0, x1, y: h.row.y, h: h.row.h })
  }

  return { front, back, labels: hits.size, anchors, u, probes }
}

function labelRowsOf(hits: Map<string, { row: Row }>): Row[] {
  return [...hits.entries()]
    .filter(([l]) => (FRONT_LABELS as readonly string[]).includes(l) && l !== '民族')
    .map(([, h]) => h.row)
}

/**
 * The front's layout in units of S, the span of the ID number's 18 characters (first to last centre),
 * measured on the four real specimens and the synthetic cards: the text block (name, gender and
 * nation, birth, address) lies left of the photo, from about 0.75 S left of the number's first
 * character to 0.6 S right of it, between 0.15 S and 1.35 S above the number row; rows are about
 * 0.15–0.17 S apart (0.12–0.21 S on a card photographed at an angle); the label column is 0.23–0.27 S
 * left of the value column.
 */
const BLOCK_LEFT = 0.8
const BLOCK_RIGHT = 0.6
const BLOCK_TOP = 1.4
const BLOCK_BOTTOM = 0.12
const PITCH_MIN = 0.07
const PITCH_MAX = 0.27
const LABEL_TO_VALUE = 0.25
/** a name's first character is centred half a character right of the value column; a digit a quarter */
/** the usual pitch of a name's characters, in S (real specimens 0.09–0.10, synthetic 0.09) */
const NAME_PITCH = 0.09

/**
 * Drop the characters a faint label leaves before a name: those well inside the label column (over
 * 0.1 S left of the value column), and a character left of the value column that crowds the next
 * one (closer than 0.7 of the name's pitch: a label glyph read twice, not a character of the name).
 */
function dropStray(chars: RowChar[], valueX: number, S: number): RowChar[] {
  let cs = chars.filter((c) => c.x >= valueX - 0.1 * S)
  while (cs.length >= 2 && cs[0]!.x < valueX) {
    const rest = cs.slice(1)
    const gaps = rest.slice(1).map((c, i) => c.x - rest[i]!.x)
    const pitch = gaps.length ? median(gaps) : NAME_PITCH * S
    if (rest[0]!.x - cs[0]!.x >= 0.7 * pitch) break
    cs = rest
  }
  return cs
}

export interface PlacedFront {
  name: string | null
  gender: string | null
  nation: string | null
  birth: string | null
  address: string | null
  nameRow: Row | null
  /** x of the value column in the deskewed frame */
  valueX: number
  /** S: the ID number's span */
  span: number
}

const YEAR_RE = /(?:19|20)\d\d/
const HAN_RE = /\p{Script=Han}/u

/**
 * Read the front's fields by their place on the card, for labels that are faint or not printed. The
 * card's layout is fixed, so the ID number (found by its shape, without its label) locates the card:
 * its row, first character and span S give the text block; inside it the birth row is the top row
 * with a year, the gender/nation row is the one above it, the name row the one above that, and the
 * address the rows between the birth row and the number. Values start at the value column (where
 * the year and the address start); anything left of it is a label's remnant and is dropped.
 */
export function readByPlace(rows: Row[], idRow: Row, hits: Map<string, { row: Row; end: number }>): PlacedFront | null {
  const digits = idRow.chars.filter((c) => /[\dXx×]/.test(c.ch))
  if (digits.length < 17) return null
  const nx0 = digits[0]!.x
  const S = digits[digits.length - 1]!.x - nx0
  if (S <= 0) return null
  const inBlock = (c: RowChar) => c.x > nx0 - BLOCK_LEFT * S && c.x < nx0 + BLOCK_RIGHT * S
  type BlockRow = { row: Row; chars: RowChar[]; text: string }
  const block: BlockRow[] = []
  for (const row of rows) {
    if (row === idRow) continue
    const dy = idRow.y - row.y
    if (dy < BLOCK_BOTTOM * S || dy > BLOCK_TOP * S) continue
    const chars = row.chars.filter(inBlock)
    if (chars.length === 0) continue
    block.push({ row, chars, text: chars.map((c) => c.ch).join('') })
  }
  if (block.length === 0) return null
  block.sort((a, b) => a.row.y - b.row.y)
  const labelled = (l: string) => {
    const h = hits.get(l)
    return h ? block.find((b) => b.row === h.row) : undefined
  }
  const above = (b: BlockRow | undefined, steps = 1): BlockRow | undefined => {
    if (!b) return undefined
    const cands = block.filter((x) => {
      const d = b.row.y - x.row.y
      return d > PITCH_MIN * S * steps && d < PITCH_MAX * S * steps
    })
    return cands[cands.length - 1]
  }
  const birthRow = labelled('出生') ?? block.find((b) => YEAR_RE.test(fixDigits(b.text.replace(/\s/g, ''))))
  const genderRow = labelled('性别') ?? above(birthRow) ?? (birthRow ? undefined : block[1])
  const nameRow = labelled('姓名') ?? above(genderRow) ?? (genderRow ? undefined : above(birthRow, 2)) ?? block[0]
  if (nameRow && birthRow && nameRow.row.y >= birthRow.row.y) return null

  // the value column: where the year and the address lines start (values, never labels)
  const starts: number[] = []
  if (birthRow) {
    const d = birthRow.chars.find((c) => /\d/.test(c.ch))
    if (d) starts.push(d.x)
  }
  const addressRows = birthRow ? block.filter((b) => b.row.y > birthRow.row.y) : []
  for (const b of addressRows.slice(0, 2)) starts.push(b.chars[0]!.x)
  // the year's first digit when there is one: the closest to the name row and centred nearest the column
  const valueX = starts.length ? starts[0]! : nx0 - 0.3 * S
  const slack = 0.08 * S
  const valueChars = (b: BlockRow | undefined) =>
    b ? b.chars.filter((c) => c.x >= valueX - slack && c.conf >= 0.5) : []
  const join = (cs: RowChar[]) => clean(cs.map((c) => c.ch).join(''))

  let name: string | null = null
  if (nameRow) {
    const v = join(dropStray(valueChars(nameRow), valueX, S))
    if (v.length >= 1 && HAN_RE.test(v) && !/\d/.test(v)) name = v
  }
  let gender: string | null = null
  let nation: string | null = null
  if (genderRow) {
    const cs = valueChars(genderRow)
    const g = cs.find((c) => c.ch === '男' || c.ch === '女')
    if (g) gender = g.ch
    // the nation stands right of the gender, after its own (perhaps faint) 民族 label
    const after = cs.filter((c) => c.x > (g?.x ?? valueX) + 0.15 * S)
    const v = join(after).replace(/^[民族]+/, '')
    if (v.length && [...v].every((ch) => HAN_RE.test(ch))) nation = v
  }
  let birth: string | null = null
  if (birthRow) {
    // separate the year, month and day where the 年 月 日 are faint: a gap wider than a character
    const cs = valueChars(birthRow)
    let t = ''
    cs.forEach((c, i) => {
      if (i > 0 && c.x - cs[i - 1]!.x > 0.9 * birthRow.row.h) t += ' '
      t += c.ch
    })
    birth = parseBirth(t)
  }
  let address: string | null = null
  if (addressRows.length) {
    const v = fixDigits(stripLabelRest('住址', join(addressRows.flatMap((b) => valueChars(b)))))
    if (v.length) address = v
  }
  return { name, gender, nation, birth, address, nameRow: nameRow?.row ?? null, valueX, span: S }
}

/** The portrait box (in image coordinates) implied by the front layout anchors. */
export function portraitBox(a: FrontAnchors): OrientedBox {
  const D = a.idY - a.nameY
  const x0 = a.labelX + 1.28 * D
  const x1 = a.labelX + 2.1 * D
  const y0 = a.nameY - 0.27 * D
  const y1 = a.nameY + 0.8 * D
  const origin = fromFrame({ x: x0, y: y0 }, a.u)
  return { origin, u: a.u, v: { x: -a.u.y, y: a.u.x }, w: x1 - x0, h: y1 - y0, score: 1 }
}
