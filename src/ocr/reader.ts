/**
 * ID-card reader: decode, shrink to ≤ 1280 px, detect text, find which way is up, recognise,
 * extract fields, crop the portrait.
 */
import sharp from 'sharp'
import { idNumberChecksumValid } from '../identity/index.js'
import { TextEngine, type EngineOptions } from './engine.js'
import { type OrientedBox, type RgbImage, boxCenter, cropBox } from './geometry.js'
import { type IdCardBack, type IdCardFront, fromFrame, parseCard, portraitBox, type ParsedCard } from './fields.js'
import type { TextLine } from './engine.js'

export type Rotation = 0 | 90 | 180 | 270

export interface IdCardReading {
  side: 'front' | 'back' | 'both' | 'none'
  front: IdCardFront | null
  back: IdCardBack | null
  /** whether the ID number read passes GB 11643 MOD 11-2; null when no number was read */
  checksumValid: boolean | null
  /** clockwise rotation (degrees) applied to the image to read it upright */
  rotation: Rotation
  /** JPEG crop of the portrait, front only */
  portrait: Buffer | null
  /** wall time of read() in milliseconds */
  ms: number
}

export interface IdCardReader {
  read(image: Buffer): Promise<IdCardReading>
  close(): Promise<void>
}

export interface IdCardReaderOptions extends EngineOptions {
  /** longest side the image is shrunk to before anything else (default 1280) */
  maxSide?: number
  /** called with the recognised lines of each rotation tried (diagnostics) */
  onDebug?: (info: { rotation: Rotation; stage: 'lines' | 'probes'; lines: TextLine[]; parsed: ParsedCard }) => void
}

const MAX_SIDE = 1280

async function decode(image: Buffer, maxSide: number): Promise<RgbImage> {
  const { data, info } = await sharp(image, { failOn: 'error' })
    .rotate() // EXIF orientation
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  let rgb = new Uint8Array(data.buffer, data.byteOffset, data.length)
  if (info.channels !== 3) {
    const n = info.width * info.height
    const out = new Uint8Array(n * 3)
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = rgb[i * info.channels + Math.min(c, info.channels - 1)]!
    }
    rgb = out
  }
  return { data: rgb, width: info.width, height: info.height }
}

async function rotate90(img: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .rotate(90)
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }
}

function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    const j = (n - 1 - i) * 3
    out[i * 3] = img.data[j]!
    out[i * 3 + 1] = img.data[j + 1]!
    out[i * 3 + 2] = img.data[j + 2]!
  }
  return { data: out, width: img.width, height: img.height }
}

function flipBox(b: OrientedBox, W: number, H: number): OrientedBox {
  const p2x = b.origin.x + b.u.x * b.w + b.v.x * b.h
  const p2y = b.origin.y + b.u.y * b.w + b.v.y * b.h
  return { ...b, origin: { x: W - p2x, y: H - p2y } }
}

/**
 * Boxes that read horizontally in this frame (narrow single characters such as "1" included),
 * without the lines in much larger type than the rest (the 中华人民共和国 / 居民身份证 titles of
 * the back: no field is in them, and they cost a quarter of a back's recognition time).
 */
function horizontalBoxes(boxes: OrientedBox[]): OrientedBox[] {
  const shorts = boxes.map((b) => Math.min(b.w, b.h)).sort((a, b) => a - b)
  const typical = shorts[shorts.length >> 1] ?? 0
  const lineHs = boxes
    .filter((b) => b.w > 1.5 * b.h)
    .map((b) => b.h)
    .sort((a, b) => a - b)
  // the median line: a quartile was pulled down by faint labels (thin boxes), which then dropped the
  // ID number's larger type as if it were a title
  const lineH = lineHs[lineHs.length >> 1] ?? Infinity
  return boxes.filter((b) => !(b.h > 1.6 * b.w && b.h > 2 * typical) && !(b.w > b.h && b.h > 1.5 * lineH))
}

function verticalVote(boxes: OrientedBox[]): number {
  let v = 0
  for (const b of boxes) {
    const long = Math.max(b.w, b.h)
    const short = Math.min(b.w, b.h)
    if (long < 2.5 * short) continue
    v += b.h > b.w ? long : -long
  }
  return v
}

/** The part of a probe box from its first to its last plausible character, with margins. */
function tighten(l: TextLine): OrientedBox | null {
  const good = l.chars.filter((c) => c.conf >= 0.25)
  if (good.length === 0) return null
  const h = l.box.h
  const t0 = Math.max(0, good[0]!.t * l.box.w - 1.2 * h)
  const t1 = Math.min(l.box.w, good[good.length - 1]!.t * l.box.w + 1.2 * h)
  if (t1 - t0 > 0.8 * l.box.w) return null
  const { origin, u } = l.box
  return { ...l.box, origin: { x: origin.x + u.x * t0, y: origin.y + u.y * t0 }, w: t1 - t0 }
}

/** Keep only the confident characters of a probe line. */
function keepConfident(l: TextLine): TextLine | null {
  const chars = l.chars.filter((c) => c.conf >= 0.75)
  if (chars.length === 0) return null
  return {
    ...l,
    chars,
    text: chars.map((c) => c.ch).join(''),
    conf: chars.reduce((a, c) => a + c.conf, 0) / chars.length,
  }
}

function score(p: ParsedCard): number {
  let s = p.labels * 10
  const n = p.front?.idNumber ?? null
  if (n && n.length === 18) s += 30
  if (n && idNumberChecksumValid(n)) s += 100
  if (p.back?.validTo) s += 20
  return s
}

/** Good enough to stop trying rotations: a valid number, or a layout plainly read upright. */
function complete(p: ParsedCard): boolean {
  const n = p.front?.idNumber ?? null
  if (n && idNumberChecksumValid(n)) return true
  if (p.labels >= 4) return true
  return p.front === null && p.back !== null && p.back.validTo !== null && p.back.authority !== null
}

export async function createIdCardReader(opts: IdCardReaderOptions = {}): Promise<IdCardReader> {
  const engine = await TextEngine.create(opts)
  const maxSide = opts.maxSide ?? MAX_SIDE

  async function read(image: Buffer): Promise<IdCardReading> {
    const t0 = performance.now()
    const none = (): IdCardReading => ({
      side: 'none',
      front: null,
      back: null,
      checksumValid: null,
      rotation: 0,
      portrait: null,
      ms: performance.now() - t0,
    })
    let img0: RgbImage
    try {
      img0 = await decode(image, maxSide)
    } catch {
      return none()
    }
    const boxes0 = await engine.detectAdaptive(img0)
    if (boxes0.length === 0) return none()
    const bases: Array<0 | 90> = verticalVote(boxes0) > 0 ? [90, 0] : [0, 90]

    let best: { parsed: ParsedCard; lines: TextLine[]; rotation: Rotation; img: RgbImage; score: number } | null = null
    outer: for (const base of bases) {
      const imgBase = base === 0 ? img0 : await rotate90(img0)
      const boxesBase = base === 0 ? boxes0 : await engine.detectAdaptive(imgBase)
      if (boxesBase.length === 0) continue
      const flips = (await engine.upsideDown(imgBase, boxesBase)) > 0.5 ? [true, false] : [false, true]
      for (const flip of flips) {
        const rotation = ((base + (flip ? 180 : 0)) % 360) as Rotation
        const img = flip ? rotate180(imgBase) : imgBase
        const boxes = flip ? boxesBase.map((b) => flipBox(b, img.width, img.height)) : boxesBase
        const lines = await engine.recognize(img, horizontalBoxes(boxes))
        const parsed = parseCard(lines)
        opts.onDebug?.({ rotation, stage: 'lines', lines, parsed })
        const s = score(parsed)
        if (!best || s > best.score) best = { parsed, lines, rotation, img, score: s }
        if (complete(parsed)) break outer
      }
    }
    if (!best || (best.parsed.front === null && best.parsed.back === null)) return none()

    let { parsed } = best
    const { rotation, img } = best
    if (parsed.probes.length > 0) {
      // values the detector missed (thin digits such as "1"): read the region right of the label
      const u = parsed.u
      const v = { x: -u.y, y: u.x }
      const probeBoxes: OrientedBox[] = parsed.probes.map((p) => ({
        origin: fromFrame({ x: p.x0, y: p.y - p.h / 2 }, u),
        u,
        v,
        w: p.x1 - p.x0,
        h: p.h,
        score: 1,
      }))
      let probeLines = await engine.recognize(img, probeBoxes)
      // a long, mostly empty strip of guilloche lowers the confidence: read again tightly
      // around what was found
      const tight = probeLines.map((l) => tighten(l))
      const again = await engine.recognize(
        img,
        tight.filter((b): b is OrientedBox => b !== null),
      )
      let k = 0
      probeLines = probeLines.map((l, i) => (tight[i] ? again[k++]! : l))
      opts.onDebug?.({ rotation, stage: 'probes', lines: probeLines, parsed })
      const extra = probeLines.map(keepConfident).filter((l): l is TextLine => l !== null)
      if (extra.length > 0) {
        // a probe re-reads its whole region: drop the lines whose centre lies inside it
        const inside = (l: TextLine) =>
          extra.some((e) => {
            const c = boxCenter(l.box)
            const dx = (c.x - e.box.origin.x) * u.x + (c.y - e.box.origin.y) * u.y
            const dy = (c.x - e.box.origin.x) * v.x + (c.y - e.box.origin.y) * v.y
            return dx >= 0 && dx <= e.box.w && dy >= 0 && dy <= e.box.h
          })
        parsed = parseCard([...best.lines.filter((l) => !inside(l)), ...extra])
      }
    }
    let portrait: Buffer | null = null
    if (parsed.front && parsed.anchors) {
      const box = portraitBox(parsed.anchors)
      const w = Math.round(box.w)
      const h = Math.round(box.h)
      if (w >= 16 && h >= 16) {
        const crop = cropBox(img, box, w, h)
        portrait = await sharp(crop.data, { raw: { width: crop.width, height: crop.height, channels: 3 } })
          .jpeg({ quality: 90 })
          .toBuffer()
      }
    }
    const n = parsed.front?.idNumber ?? null
    return {
      side: parsed.front && parsed.back ? 'both' : parsed.front ? 'front' : 'back',
      front: parsed.front,
      back: parsed.back,
      checksumValid: n === null ? null : idNumberChecksumValid(n),
      rotation,
      portrait,
      ms: performance.now() - t0,
    }
  }

  return {
    read,
    close: () => engine.close(),
  }
}
