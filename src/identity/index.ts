/**
 * Identity inputs: Chinese resident ID numbers (GB 11643-1999) and person names.
 * Pure functions, no I/O; safe in worker threads.
 */

export type IdNumberProblem = 'length' | 'characters' | 'region' | 'birth_date' | 'check_digit'

export type IdNumberCheck =
  | { ok: true; birth: string /* YYYY-MM-DD */; gender: 'M' | 'F'; region: string }
  | { ok: false; problem: IdNumberProblem }

/** Weights of positions 1..17 for the ISO 7064 MOD 11-2 check digit. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const CHECK_CHARS = '10X98765432'

/** Province-level codes (first two digits) that GB/T 2260 assigns. */
const PROVINCES = new Set<number>([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
  64, 65, 71, 81, 82, 83, 91,
])

/** The check character for the first 17 digits (which must be digits). */
export function idNumberCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('idNumberCheckChar needs 17 digits')
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17.charCodeAt(i) - 48) * WEIGHTS[i]!
  return CHECK_CHARS[sum % 11]!
}

/** True when s is 17 digits plus the right MOD 11-2 check character (X upper-case only). */
export function idNumberChecksumValid(s: string): boolean {
  if (typeof s !== 'string' || !/^\d{17}[\dX]$/.test(s)) return false
  return idNumberCheckChar(s.slice(0, 17)) === s[17]
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function isoDate(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
}

/**
 * Validate an 18-character resident ID number. Checks run in order: length, characters,
 * region (province code), birth date (a real date in [1900-01-01, today]), check digit.
 * `today` defaults to now (local calendar date).
 */
export function validateIdNumber(s: string, today: Date = new Date()): IdNumberCheck {
  if (typeof s !== 'string' || s.length !== 18) return { ok: false, problem: 'length' }
  if (!/^\d{17}[\dX]$/.test(s)) return { ok: false, problem: 'characters' }
  const province = Number(s.slice(0, 2))
  if (!PROVINCES.has(province)) return { ok: false, problem: 'region' }
  const y = Number(s.slice(6, 10))
  const m = Number(s.slice(10, 12))
  const d = Number(s.slice(12, 14))
  const birth = `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`
  const date = new Date(Date.UTC(y, m - 1, d))
  if (
    m < 1 ||
    m > 12 ||
    d < 1 ||
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== m - 1 ||
    date.getUTCDate() !== d ||
    birth < '1900-01-01' ||
    birth > isoDate(today)
  ) {
    return { ok: false, problem: 'birth_date' }
  }
  if (idNumberCheckChar(s.slice(0, 17)) !== s[17]) return { ok: false, problem: 'check_digit' }
  const gender = Number(s[16]) % 2 === 1 ? 'M' : 'F'
  return { ok: true, birth, gender, region: s.slice(0, 6) }
}

// ---------------------------------------------------------------------------------------------
// Names

export type NameCheck = { ok: true; normalized: string } | { ok: false; problem: string }

const DOT = '\u00B7'
/** Dot look-alikes normalised to U+00B7 MIDDLE DOT. */
const DOT_VARIANTS = /[\u2022\u30FB\u2027\u22C5]/g
const HAN = /^[\p{Script=Han}]$/u
const LATIN_LETTER = /^\p{Script=Latin}$/u

/**
 * Validate a resident's name: 2..32 characters after trim, either
 *  - Han ideographs, optionally in parts joined by a single middle dot (张三, 买买提·艾力), or
 *  - Latin letters with single spaces, middle dots, hyphens or apostrophes between letters
 *    (foreigners: "John O'Brien-Smith").
 * Digits, control characters, emoji, punctuation such as ; " -- and mixed scripts are refused.
 * On success `normalized` holds the name trimmed, with dot variants as U+00B7 and runs of
 * spaces collapsed.
 */
export function validateName(input: string): NameCheck {
  if (typeof input !== 'string') return { ok: false, problem: 'not_a_string' }
  const s = input.normalize('NFC').replace(DOT_VARIANTS, DOT).trim().replace(/ {2,}/g, ' ')
  if (s.length === 0) return { ok: false, problem: 'empty' }
  const chars = [...s]
  if (chars.length < 2 || chars.length > 32) return { ok: false, problem: 'length' }
  if (/\p{Cc}|\p{Cf}|\p{Zl}|\p{Zp}/u.test(s) || /[\t\n\r]/.test(s)) return { ok: false, problem: 'control_characters' }
  if (/\p{Extended_Pictographic}/u.test(s)) return { ok: false, problem: 'emoji' }
  // any digit; other numerals only outside Han (〇 is a Han ideograph of category Nl)
  if (/\p{Nd}/u.test(s) || /\p{N}/u.test(s.replace(/\p{Script=Han}/gu, ''))) return { ok: false, problem: 'digits' }
  if (/[;"`\\<>=%*/()[\]{}|&$#@!?,:+_~^]/.test(s) || s.includes('--')) {
    return { ok: false, problem: 'characters' }
  }

  const hasHan = chars.some((c) => HAN.test(c))
  const hasLatin = chars.some((c) => LATIN_LETTER.test(c))
  if (hasHan && hasLatin) return { ok: false, problem: 'mixed_script' }

  if (hasHan) {
    for (const c of chars) {
      if (!HAN.test(c) && c !== DOT) return { ok: false, problem: 'characters' }
    }
    if (s.startsWith(DOT) || s.endsWith(DOT)) return { ok: false, problem: 'dot_position' }
    if (s.includes(DOT + DOT)) return { ok: false, problem: 'dot_position' }
    return { ok: true, normalized: s }
  }

  if (hasLatin) {
    const separators = new Set([' ', DOT, '-', "'", '\u2019'])
    for (const c of chars) {
      if (!LATIN_LETTER.test(c) && !separators.has(c)) return { ok: false, problem: 'characters' }
    }
    // separators only between letters, never two in a row (except a space next to a dot)
    const compact = s.replace(/ ?\u00B7 ?/g, DOT)
    const cc = [...compact]
    for (let i = 0; i < cc.length; i++) {
      const c = cc[i]!
      if (!separators.has(c)) continue
      const prev = cc[i - 1]
      const next = cc[i + 1]
      if (prev === undefined || next === undefined || separators.has(prev) || separators.has(next)) {
        return { ok: false, problem: c === DOT ? 'dot_position' : 'separator_position' }
      }
    }
    return { ok: true, normalized: s }
  }

  return { ok: false, problem: 'characters' }
}

// ---------------------------------------------------------------------------------------------
// Synthetic numbers (tests, benchmarks)

/** A few real county-level region codes (GB/T 2260) with their names, for synthetic data. */
export const SAMPLE_REGIONS: ReadonlyArray<{ code: string; name: string }> = [
  { code: '110101', name: '北京市东城区' },
  { code: '110105', name: '北京市朝阳区' },
  { code: '110108', name: '北京市海淀区' },
  { code: '120101', name: '天津市和平区' },
  { code: '130102', name: '河北省石家庄市长安区' },
  { code: '140105', name: '山西省太原市小店区' },
  { code: '150102', name: '内蒙古自治区呼和浩特市新城区' },
  { code: '210102', name: '辽宁省沈阳市和平区' },
  { code: '220102', name: '吉林省长春市南关区' },
  { code: '230102', name: '黑龙江省哈尔滨市道里区' },
  { code: '310101', name: '上海市黄浦区' },
  { code: '310104', name: '上海市徐汇区' },
  { code: '320102', name: '江苏省南京市玄武区' },
  { code: '320505', name: '江苏省苏州市虎丘区' },
  { code: '330106', name: '浙江省杭州市西湖区' },
  { code: '340104', name: '安徽省合肥市蜀山区' },
  { code: '350102', name: '福建省福州市鼓楼区' },
  { code: '360102', name: '江西省南昌市东湖区' },
  { code: '370102', name: '山东省济南市历下区' },
  { code: '410105', name: '河南省郑州市金水区' },
  { code: '420106', name: '湖北省武汉市武昌区' },
  { code: '430102', name: '湖南省长沙市芙蓉区' },
  { code: '440106', name: '广东省广州市天河区' },
  { code: '440305', name: '广东省深圳市南山区' },
  { code: '440524', name: '广东省汕头市潮阳县' },
  { code: '450103', name: '广西壮族自治区南宁市青秀区' },
  { code: '460106', name: '海南省海口市龙华区' },
  { code: '500103', name: '重庆市渝中区' },
  { code: '510107', name: '四川省成都市武侯区' },
  { code: '520102', name: '贵州省贵阳市南明区' },
  { code: '530102', name: '云南省昆明市五华区' },
  { code: '540102', name: '西藏自治区拉萨市城关区' },
  { code: '610113', name: '陕西省西安市雁塔区' },
  { code: '620102', name: '甘肃省兰州市城关区' },
  { code: '630102', name: '青海省西宁市城东区' },
  { code: '640104', name: '宁夏回族自治区银川市兴庆区' },
  { code: '650102', name: '新疆维吾尔自治区乌鲁木齐市天山区' },
]

export interface GenerateIdOptions {
  region?: string
  /** YYYY-MM-DD; random in 1930..2010 when absent */
  birth?: string
  gender?: 'M' | 'F'
}

/** A random valid 18-character ID number. `rng` returns floats in [0, 1). */
export function generateIdNumber(rng: () => number, opts: GenerateIdOptions = {}): string {
  const pick = (n: number) => Math.min(n - 1, Math.floor(rng() * n))
  const region = opts.region ?? SAMPLE_REGIONS[pick(SAMPLE_REGIONS.length)]!.code
  if (!/^\d{6}$/.test(region)) throw new Error('region must be 6 digits')
  let birth = opts.birth
  if (!birth) {
    const start = Date.UTC(1930, 0, 1)
    const end = Date.UTC(2010, 11, 31)
    const d = new Date(start + pick(Math.floor((end - start) / 86_400_000) + 1) * 86_400_000)
    birth = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birth)) throw new Error('birth must be YYYY-MM-DD')
  const seq2 = String(pick(100)).padStart(2, '0')
  const gender = opts.gender ?? (rng() < 0.5 ? 'M' : 'F')
  let g = pick(5) * 2 // even: F
  if (gender === 'M') g += 1
  const first17 = `${region}${birth.replace(/-/g, '')}${seq2}${g}`
  return first17 + idNumberCheckChar(first17)
}

/** A small deterministic PRNG (mulberry32) for reproducible synthetic data. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export { maskName, maskIdNumber } from './mask.js'
