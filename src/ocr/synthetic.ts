/**
 * Synthetic resident ID cards for tests and benchmarks: random valid names, addresses and ID
 * numbers drawn in the layout of the real card (85.6 × 54 mm at 10 px/mm), rendered from SVG
 * by sharp/librsvg with the Debian font `fonts-noto-cjk` ("Noto Sans CJK SC"), then distorted
 * (rotation, JPEG quality, blur, half size).
 *
 * Not part of the public API (src/ocr/index.ts); used by scripts/make-idcards.ts, the OCR
 * benchmark and the OCR tests.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import sharp from 'sharp'
import { SAMPLE_REGIONS, generateIdNumber } from '../identity/index.js'
import type { IdCardBack, IdCardFront } from './fields.js'

export interface SyntheticTruth {
  front: IdCardFront
  back: IdCardBack
}

export interface Distortion {
  /** degrees, positive = clockwise */
  angle: number
  jpegQuality: number
  blur: number
  half: boolean
}

const W = 856
const H = 540
const FONT = 'Noto Sans CJK SC'

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
]
const COMPOUND_SURNAMES = ['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '令狐', '慕容']
const GIVEN = [
  ...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏辉建国志强春梅海燕雪梅晓东佳怡子涵浩然梓萱宇轩欣怡文博思远嘉欣俊杰雨桐天佑一诺家豪若曦晨阳紫琪',
]
const MINORITY_NAMES = [
  '买买提·艾力',
  '阿不都·热合曼',
  '古丽·努尔',
  '艾尔肯·吐尔逊',
  '热依拉·买买提',
  '扎西·次仁',
  '巴特尔·宝音',
  '阿依古丽·托合提',
]
const NATIONS = [
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '汉',
  '回',
  '满',
  '壮',
  '维吾尔',
  '蒙古',
  '藏',
  '苗',
  '彝',
  '土家',
  '朝鲜',
]
const STREETS = [
  '人民路',
  '解放路',
  '中山路',
  '建设大道',
  '和平街',
  '新华路',
  '文化路',
  '长江路',
  '黄河街',
  '东风路',
  '光明路',
  '胜利街',
  '幸福路',
  '朝阳大街',
  '青年路',
  '学府路',
]
const COMMUNITIES = ['阳光小区', '金色家园', '锦绣花园', '翠竹苑', '丽景湾', '碧水庭院', '和谐家园', '新城公寓']

export function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.min(xs.length - 1, Math.floor(rng() * xs.length))]!
}

function int(rng: () => number, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(rng() * (hi - lo + 1)))
}

export function randomName(rng: () => number): string {
  const r = rng()
  if (r < 0.06) return pick(rng, MINORITY_NAMES)
  const surname = r < 0.1 ? pick(rng, COMPOUND_SURNAMES) : pick(rng, SURNAMES)
  const n = rng() < 0.35 ? 1 : 2
  let given = ''
  for (let i = 0; i < n; i++) given += pick(rng, GIVEN)
  return surname + given
}

export function randomTruth(rng: () => number): SyntheticTruth {
  const region = pick(rng, SAMPLE_REGIONS)
  const idNumber = generateIdNumber(rng, { region: region.code })
  const gender = Number(idNumber[16]) % 2 === 1 ? '男' : '女'
  const birth = `${Number(idNumber.slice(6, 10))}/${Number(idNumber.slice(10, 12))}/${Number(idNumber.slice(12, 14))}`
  let address = `${region.name}${pick(rng, STREETS)}${int(rng, 1, 999)}号`
  if (rng() < 0.6)
    address += `${pick(rng, COMMUNITIES)}${int(rng, 1, 30)}栋${int(rng, 1, 6)}单元${int(rng, 101, 2804)}室`
  const city = /^(?:.*?(?:省|自治区))?(.+?市|.+?(?:自治州|地区|盟))/.exec(region.name)?.[1] ?? region.name
  const district = region.name.slice(region.name.lastIndexOf(city) + city.length) || '城区'
  const authority = rng() < 0.5 ? `${city}公安局${district.replace(/[区县市]$/, '')}分局` : `${city}公安局`
  const fromY = int(rng, 2008, 2024)
  const fromM = int(rng, 1, 12)
  const fromD = int(rng, 1, 28)
  const p = (n: number) => String(n).padStart(2, '0')
  const validFrom = `${fromY}.${p(fromM)}.${p(fromD)}`
  const years = pick(rng, [5, 10, 10, 20, 20, 0])
  const validTo = years === 0 ? '长期' : `${fromY + years}.${p(fromM)}.${p(fromD)}`
  return {
    front: { name: randomName(rng), gender, nation: pick(rng, NATIONS), birth, address, idNumber },
    back: { authority, validFrom, validTo },
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function guilloche(rng: () => number, colour: string): string {
  let out = ''
  for (let k = 0; k < 14; k++) {
    const y0 = int(rng, 0, H)
    const amp = int(rng, 8, 30)
    const per = int(rng, 60, 160)
    let d = `M0 ${y0}`
    for (let x = 0; x <= W; x += 12) d += ` L${x} ${(y0 + amp * Math.sin((x / per) * 2 * Math.PI + k)).toFixed(1)}`
    out += `<path d="${d}" stroke="${colour}" stroke-width="0.8" fill="none" opacity="0.5"/>`
  }
  return out
}

function cardFrame(rng: () => number, tint: string, lines: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f4f7fb"/><stop offset="0.5" stop-color="${tint}"/><stop offset="1" stop-color="#eef3f8"/></linearGradient></defs>
<rect x="0" y="0" width="${W}" height="${H}" rx="32" fill="url(#g)" stroke="#c9d3dd" stroke-width="2"/>
${guilloche(rng, '#b9cde0')}
${lines}
</svg>`
}

function wrap(s: string, n: number): string[] {
  const chars = [...s]
  const out: string[] = []
  for (let i = 0; i < chars.length; i += n) out.push(chars.slice(i, i + n).join(''))
  return out
}

/** Where the photo sits on the front, in card pixels (the real card's 26 × 32 mm photo area). */
export const PORTRAIT_BOX = { x: 560, y: 60, width: 230, height: 290 } as const

/** How the printed field labels (姓名, 性别, 民族, 出生, 住址, 公民身份号码) come out on the card. */
export type LabelStyle = 'normal' | 'faint' | 'missing'

export interface FrontOptions {
  /**
   * A photo (JPEG or PNG bytes) to print as the portrait, scaled to cover {@link PORTRAIT_BOX} and
   * centred; without one a cartoon face is drawn.
   */
  portrait?: Buffer
  /**
   * 'faint': the six field labels printed at 8–22 % opacity (worn ink, a washed-out photo), so the
   * detector mostly misses them; 'missing': not printed at all. The 年 月 日 of the birth row stay.
   * Default 'normal'. Only 'faint' draws from rng (its opacity), so default cards are unchanged.
   */
  labels?: LabelStyle
}

const FIELD_LABELS = new Set(['姓  名', '性  别', '民  族', '出  生', '住  址', '公民身份号码'])

function portraitImage(photo: Buffer): string {
  const type =
    photo[0] === 0x89 && photo[1] === 0x50 ? 'image/png' : photo[0] === 0xff && photo[1] === 0xd8 ? 'image/jpeg' : null
  if (!type) throw new Error('the portrait must be a JPEG or PNG image')
  const { x, y, width, height } = PORTRAIT_BOX
  return `<image x="${x}" y="${y}" width="${width}" height="${height}" preserveAspectRatio="xMidYMid slice" href="data:${type};base64,${photo.toString('base64')}"/>`
}

/** Front side SVG. */
export function frontSvg(t: IdCardFront, rng: () => number, opts: FrontOptions = {}): string {
  const style = opts.labels ?? 'normal'
  const faint = style === 'faint' ? (0.08 + rng() * 0.14).toFixed(2) : '1'
  const label = (x: number, y: number, s: string, spacing = 0) =>
    FIELD_LABELS.has(s) && style === 'missing'
      ? ''
      : `<text x="${x}" y="${y}" font-family="${FONT}" font-size="24" fill="#2f6fb0" letter-spacing="${spacing}"${FIELD_LABELS.has(s) ? ` opacity="${faint}"` : ''}>${esc(s)}</text>`
  const value = (x: number, y: number, s: string, size = 28, extra = '') =>
    `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}" fill="#111" ${extra}>${esc(s)}</text>`
  const [y, m, d] = t.birth!.split('/')
  const addr = wrap(t.address!, 11)
  const face = opts.portrait
    ? portraitImage(opts.portrait)
    : `
<g opacity="0.92">
<ellipse cx="675" cy="190" rx="78" ry="98" fill="#d9b38c"/>
<rect x="575" y="290" width="200" height="90" rx="40" fill="#46505a"/>
<ellipse cx="648" cy="175" rx="10" ry="6" fill="#333"/><ellipse cx="702" cy="175" rx="10" ry="6" fill="#333"/>
<path d="M645 235 Q675 255 705 235" stroke="#833" stroke-width="4" fill="none"/>
<path d="M597 150 Q675 60 753 150 Q740 95 675 88 Q610 95 597 150" fill="#222"/>
</g>`
  const lines = [
    label(60, 92, '姓  名', 2),
    value(160, 94, t.name!, 30),
    label(60, 152, '性  别', 2),
    value(160, 154, t.gender!),
    label(280, 152, '民  族', 2),
    value(370, 154, t.nation!),
    label(60, 212, '出  生', 2),
    value(160, 214, y!),
    label(240, 212, '年'),
    value(282, 214, m!),
    label(330, 212, '月'),
    value(372, 214, d!),
    label(420, 212, '日'),
    label(60, 272, '住  址', 2),
    ...addr.map((a, i) => value(160, 274 + i * 40, a)),
    label(60, 470, '公民身份号码', 3),
    value(300, 474, t.idNumber!, 34, 'letter-spacing="3"'),
    face,
  ].join('\n')
  return cardFrame(rng, '#f8eef2', lines)
}

/** Back side SVG. */
export function backSvg(t: IdCardBack, rng: () => number): string {
  const emblem = `<circle cx="140" cy="120" r="70" fill="#d8363a" opacity="0.85"/><circle cx="140" cy="120" r="38" fill="#f2c14e" opacity="0.8"/>`
  const lines = [
    emblem,
    `<text x="270" y="120" font-family="${FONT}" font-size="52" font-weight="bold" fill="#111" letter-spacing="6">中华人民共和国</text>`,
    `<text x="250" y="220" font-family="${FONT}" font-size="70" font-weight="bold" fill="#111" letter-spacing="24">居民身份证</text>`,
    `<text x="200" y="412" font-family="${FONT}" font-size="26" fill="#111" letter-spacing="2">签发机关</text>`,
    `<text x="340" y="414" font-family="${FONT}" font-size="28" fill="#111">${esc(t.authority!)}</text>`,
    `<text x="200" y="472" font-family="${FONT}" font-size="26" fill="#111" letter-spacing="2">有效期限</text>`,
    `<text x="340" y="474" font-family="${FONT}" font-size="28" fill="#111">${esc(`${t.validFrom}-${t.validTo}`)}</text>`,
  ].join('\n')
  return cardFrame(rng, '#eef4ee', lines)
}

export function randomDistortion(rng: () => number): Distortion {
  return {
    angle: Math.round((rng() * 20 - 10) * 10) / 10,
    jpegQuality: int(rng, 50, 95),
    blur: rng() < 0.4 ? Math.round((0.3 + rng() * 0.9) * 100) / 100 : 0,
    half: rng() < 0.25,
  }
}

/**
 * Render one side onto a grey "desk" with a margin, rotate, blur, shrink and JPEG-encode.
 */
export async function renderCard(svg: string, dist: Distortion): Promise<Buffer> {
  const margin = 60
  const card = await sharp(Buffer.from(svg)).png().toBuffer()
  let img = sharp({
    create: { width: W + 2 * margin, height: H + 2 * margin, channels: 3, background: { r: 120, g: 116, b: 110 } },
  })
    .composite([{ input: card, left: margin, top: margin }])
    .png()
  let buf = await img.toBuffer()
  img = sharp(buf)
  if (dist.angle !== 0) img = img.rotate(dist.angle, { background: { r: 120, g: 116, b: 110 } })
  if (dist.blur > 0.3) img = img.blur(dist.blur)
  buf = await img.png().toBuffer()
  img = sharp(buf)
  if (dist.half) {
    const meta = await img.metadata()
    img = img.resize(Math.round(meta.width! / 2), Math.round(meta.height! / 2))
  }
  return img.jpeg({ quality: dist.jpegQuality }).toBuffer()
}

/**
 * True when the Noto CJK font the renderer needs is installed: asked of fontconfig (`fc-list`,
 * Debian package fontconfig) or, without it, looked up where fonts-noto-cjk puts it.
 */
export function cjkFontAvailable(): boolean {
  try {
    const out = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return out.includes('Noto Sans CJK SC')
  } catch {
    return existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc')
  }
}

/** A hand-held photo of a card: the card tilted in depth (a perspective warp) lying on a textured surface. */
export interface PhotoDistortion {
  /** the card's corners in the output image, clockwise from top-left, in pixels */
  corners: Array<[number, number]>
  width: number
  height: number
  /** the surface: 'wood' (grain), 'cloth' (weave) or 'speckle' (granite-like noise) */
  texture: 'wood' | 'cloth' | 'speckle'
  textureSeed: number
  jpegQuality: number
  blur: number
}

/**
 * A random tilt: the card fills 55–80 % of a 1280×960 frame, turned by up to ±12° and tilted in depth so
 * that one side is up to 25 % shorter than the opposite one (a phone held 15–35° off the card's normal).
 */
export function randomPhotoDistortion(rng: () => number): PhotoDistortion {
  const width = 1280
  const height = 960
  const scale = (0.55 + rng() * 0.25) * (width / W)
  const cw = W * scale
  const ch = H * scale
  const cx = width / 2 + (rng() - 0.5) * (width - cw) * 0.5
  const cy = height / 2 + (rng() - 0.5) * (height - ch) * 0.5
  const a = ((rng() * 24 - 12) * Math.PI) / 180
  // depth tilt: shrink one edge (top, bottom, left or right) towards its middle
  const shrink = 0.08 + rng() * 0.17
  const edge = Math.floor(rng() * 4)
  const base: Array<[number, number]> = [
    [-cw / 2, -ch / 2],
    [cw / 2, -ch / 2],
    [cw / 2, ch / 2],
    [-cw / 2, ch / 2],
  ]
  const pairs = [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 0],
  ][edge]!
  for (const i of pairs) {
    const j = pairs[0] === i ? pairs[1]! : pairs[0]!
    const p = base[i]!
    const q = base[j]!
    base[i] = [p[0] + ((q[0] - p[0]) * shrink) / 2, p[1] + ((q[1] - p[1]) * shrink) / 2]
  }
  const corners = base.map(
    ([x, y]) => [cx + x * Math.cos(a) - y * Math.sin(a), cy + x * Math.sin(a) + y * Math.cos(a)] as [number, number],
  )
  return {
    corners,
    width,
    height,
    texture: pick(rng, ['wood', 'cloth', 'speckle'] as const),
    textureSeed: Math.floor(rng() * 2 ** 31),
    jpegQuality: int(rng, 60, 92),
    blur: rng() < 0.4 ? Math.round((0.3 + rng() * 0.7) * 100) / 100 : 0,
  }
}

/** Solve the 8×8 system of a homography mapping four points a[i] → b[i]; returns h (h33 = 1). */
function homography(a: Array<[number, number]>, b: Array<[number, number]>): number[] {
  const m: number[][] = []
  for (let i = 0; i < 4; i++) {
    const [x, y] = a[i]!
    const [u, v] = b[i]!
    m.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
    m.push([0, 0, 0, x, y, 1, -v * x, -v * y, v])
  }
  for (let c = 0; c < 8; c++) {
    let p = c
    for (let r = c + 1; r < 8; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r
    ;[m[c], m[p]] = [m[p]!, m[c]!]
    for (let r = 0; r < 8; r++) {
      if (r === c) continue
      const f = m[r]![c]! / m[c]![c]!
      for (let k = c; k < 9; k++) m[r]![k]! -= f * m[c]![k]!
    }
  }
  return [...m.map((row, i) => row[8]! / row[i]!), 1]
}

function texturePixels(kind: PhotoDistortion['texture'], seed: number, w: number, h: number): Buffer {
  let st = seed >>> 0 || 1
  const rnd = () => {
    st ^= st << 13
    st ^= st >>> 17
    st ^= st << 5
    return (st >>> 0) / 2 ** 32
  }
  const base = kind === 'wood' ? [150, 105, 65] : kind === 'cloth' ? [70, 80, 105] : [128, 124, 118]
  const f1 = 0.02 + rnd() * 0.04
  const f2 = 0.002 + rnd() * 0.004
  const ph = rnd() * 10
  const out = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let t: number
      if (kind === 'wood') t = 28 * Math.sin(f1 * (y + 18 * Math.sin(f2 * x * 3 + ph)) + ph) + 14 * Math.sin(f2 * 7 * y)
      else if (kind === 'cloth')
        t = 22 * Math.sign(Math.sin(0.9 * x)) * Math.sign(Math.sin(0.9 * y)) + 8 * Math.sin(f1 * x)
      else t = 0
      const n = (rnd() - 0.5) * (kind === 'speckle' ? 90 : 30)
      const o = (y * w + x) * 3
      for (let k = 0; k < 3; k++) out[o + k] = Math.max(0, Math.min(255, base[k]! + t + n))
    }
  }
  return out
}

/**
 * Render one side as a photo of the card lying on a textured surface, seen at an angle: the card is warped
 * by the homography taking its rectangle onto `dist.corners` (sharp has affine transforms only, so the
 * perspective warp is done here with inverse mapping and bilinear sampling), blurred and JPEG-encoded.
 */
export async function renderCardPhoto(svg: string, dist: PhotoDistortion): Promise<Buffer> {
  const card = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const cw = card.info.width
  const chh = card.info.height
  const src = card.data
  const { width: w, height: h } = dist
  const out = texturePixels(dist.texture, dist.textureSeed, w, h)
  const rect: Array<[number, number]> = [
    [0, 0],
    [cw, 0],
    [cw, chh],
    [0, chh],
  ]
  const m = homography(dist.corners, rect) // output pixel → card pixel
  const xs = dist.corners.map((c) => c[0])
  const ys = dist.corners.map((c) => c[1])
  const x0 = Math.max(0, Math.floor(Math.min(...xs)))
  const x1 = Math.min(w - 1, Math.ceil(Math.max(...xs)))
  const y0 = Math.max(0, Math.floor(Math.min(...ys)))
  const y1 = Math.min(h - 1, Math.ceil(Math.max(...ys)))
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = m[6]! * x + m[7]! * y + 1
      const u = (m[0]! * x + m[1]! * y + m[2]!) / d - 0.5
      const v = (m[3]! * x + m[4]! * y + m[5]!) / d - 0.5
      if (u < 0 || v < 0 || u >= cw - 1 || v >= chh - 1) continue
      const ui = Math.floor(u)
      const vi = Math.floor(v)
      const fu = u - ui
      const fv = v - vi
      const o = (y * w + x) * 3
      const at = (xx: number, yy: number, k: number) => src[(yy * cw + xx) * 4 + k]!
      const bil = (k: number) =>
        (at(ui, vi, k) * (1 - fu) + at(ui + 1, vi, k) * fu) * (1 - fv) +
        (at(ui, vi + 1, k) * (1 - fu) + at(ui + 1, vi + 1, k) * fu) * fv
      const alpha = bil(3) / 255
      for (let k = 0; k < 3; k++) out[o + k] = Math.round(bil(k) * alpha + out[o + k]! * (1 - alpha))
    }
  }
  let img = sharp(out, { raw: { width: w, height: h, channels: 3 } })
  if (dist.blur > 0.3) img = img.blur(dist.blur)
  return img.jpeg({ quality: dist.jpegQuality }).toBuffer()
}
