import * as ort from 'onnxruntime-node'
import type { RgbImage } from '../media/index.js'
import { ORT_OPTIONS } from './embed.js'
import { resolveModel } from './models.js'
import { loadOnnxForCpu } from './onnx-graph.js'

/**
 * Presentation-attack detection with the two MiniFASNet models staged in the models directory
 * (see ../shared/models/MODELS.md for their sources and exact preprocessing). Both take the TIGHT
 * face box (the mesh box): with a loose box their scores change.
 */
export interface AntiSpoof {
  /** P(live) of each model and their mean, for one face */
  score(img: RgbImage, box: [number, number, number, number]): Promise<{ p128: number; p80: number; pLive: number }>
  close(): Promise<void>
}

export async function loadAntiSpoof(modelsDir: string): Promise<AntiSpoof> {
  const path128 = resolveModel('antispoof-128', modelsDir)
  const path80 = resolveModel('antispoof-80', modelsDir)
  const s128 = await ort.InferenceSession.create(await loadOnnxForCpu(path128), ORT_OPTIONS)
  const s80 = await ort.InferenceSession.create(await loadOnnxForCpu(path80), ORT_OPTIONS)
  return {
    async score(img, box) {
      const in128 = crop128(img, box)
      const in80 = crop80(img, box)
      const [o128, o80] = [
        await s128.run({ [s128.inputNames[0]!]: new ort.Tensor('float32', in128, [1, 3, 128, 128]) }),
        await s80.run({ [s80.inputNames[0]!]: new ort.Tensor('float32', in80, [1, 3, 80, 80]) }),
      ]
      const l128 = o128[s128.outputNames[0]!]!.data as Float32Array
      const l80 = o80[s80.outputNames[0]!]!.data as Float32Array
      const p128 = softmax(Array.from(l128))[0]! // [real, spoof]
      const p80 = softmax(Array.from(l80))[1]! // class 1 = live
      return { p128, p80, pLive: (p128 + p80) / 2 }
    },
    async close() {
      await s128.release()
      await s80.release()
    },
  }
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v)
  const e = v.map((x) => Math.exp(x - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / s)
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0
  while (i < 0 || i >= n) {
    if (i < 0) i = -i
    if (i >= n) i = 2 * n - 2 - i
  }
  return i
}

/**
 * MiniFASNetV2-SE 128: square crop of side int(1.5·max(w,h)) centred on the box, reflect-101
 * outside the picture, area-averaged to 128×128 (bilinear when enlarging); RGB / 255, NCHW.
 */
export function crop128(img: RgbImage, box: [number, number, number, number]): Float32Array {
  const [x, y, w, h] = box
  const m = Math.max(w, h)
  const side = Math.max(1, Math.floor(m * 1.5))
  const cx = x + w / 2
  const cy = y + h / 2
  const x0 = Math.floor(cx - side / 2)
  const y0 = Math.floor(cy - side / 2)
  const n = 128
  const out = new Float32Array(3 * n * n)
  const plane = n * n
  const { data, width, height } = img
  const cell = side / n
  if (cell >= 1) {
    for (let oy = 0; oy < n; oy++) {
      const sy0 = Math.floor(oy * cell)
      const sy1 = Math.max(sy0 + 1, Math.floor((oy + 1) * cell))
      for (let ox = 0; ox < n; ox++) {
        const sx0 = Math.floor(ox * cell)
        const sx1 = Math.max(sx0 + 1, Math.floor((ox + 1) * cell))
        let r = 0,
          g = 0,
          b = 0,
          c = 0
        for (let sy = sy0; sy < sy1; sy++) {
          const py = reflect101(y0 + sy, height)
          for (let sx = sx0; sx < sx1; sx++) {
            const px = reflect101(x0 + sx, width)
            const o = (py * width + px) * 3
            r += data[o]!
            g += data[o + 1]!
            b += data[o + 2]!
            c++
          }
        }
        const i = oy * n + ox
        out[i] = r / c / 255
        out[plane + i] = g / c / 255
        out[2 * plane + i] = b / c / 255
      }
    }
  } else {
    for (let oy = 0; oy < n; oy++) {
      for (let ox = 0; ox < n; ox++) {
        const rgb = bilinear(img, x0 + (ox + 0.5) * cell - 0.5, y0 + (oy + 0.5) * cell - 0.5, reflect101)
        const i = oy * n + ox
        out[i] = rgb[0] / 255
        out[plane + i] = rgb[1] / 255
        out[2 * plane + i] = rgb[2] / 255
      }
    }
  }
  return out
}

/**
 * MiniFASNetV2 80 (minivision CropImage): scale s = min((H−1)/h, (W−1)/w, 2.7), crop w·s × h·s centred
 * on the box and shifted back inside the picture, bilinear (half-pixel) to 80×80; BGR 0–255, NCHW.
 */
export function crop80(img: RgbImage, box: [number, number, number, number]): Float32Array {
  const { width: W, height: H } = img
  const [bx, by, bw0, bh0] = box.map((v) => Math.trunc(v)) as [number, number, number, number]
  const bw = Math.max(1, bw0)
  const bh = Math.max(1, bh0)
  const s = Math.min((H - 1) / bh, (W - 1) / bw, 2.7)
  const nw = bw * s
  const nh = bh * s
  const cx = bx + bw / 2
  const cy = by + bh / 2
  let x1 = cx - nw / 2
  let y1 = cy - nh / 2
  let x2 = cx + nw / 2
  let y2 = cy + nh / 2
  if (x1 < 0) {
    x2 -= x1
    x1 = 0
  }
  if (y1 < 0) {
    y2 -= y1
    y1 = 0
  }
  if (x2 > W - 1) {
    x1 -= x2 - W + 1
    x2 = W - 1
  }
  if (y2 > H - 1) {
    y1 -= y2 - H + 1
    y2 = H - 1
  }
  const ix1 = Math.trunc(x1),
    iy1 = Math.trunc(y1),
    ix2 = Math.trunc(x2),
    iy2 = Math.trunc(y2)
  const cw = ix2 - ix1 + 1
  const ch = iy2 - iy1 + 1
  const n = 80
  const plane = n * n
  const out = new Float32Array(3 * plane)
  const clamp = (i: number, len: number) => Math.min(len - 1, Math.max(0, i))
  for (let oy = 0; oy < n; oy++) {
    for (let ox = 0; ox < n; ox++) {
      const sx = ix1 + Math.min(cw - 1, Math.max(0, (ox + 0.5) * (cw / n) - 0.5))
      const sy = iy1 + Math.min(ch - 1, Math.max(0, (oy + 0.5) * (ch / n) - 0.5))
      const rgb = bilinear(img, sx, sy, clamp)
      const i = oy * n + ox
      out[i] = rgb[2] // B
      out[plane + i] = rgb[1] // G
      out[2 * plane + i] = rgb[0] // R
    }
  }
  return out
}

function bilinear(
  img: RgbImage,
  sx: number,
  sy: number,
  wrap: (i: number, n: number) => number,
): [number, number, number] {
  const { data, width, height } = img
  const x0 = Math.floor(sx)
  const y0 = Math.floor(sy)
  const fx = sx - x0
  const fy = sy - y0
  const res: [number, number, number] = [0, 0, 0]
  for (let k = 0; k < 4; k++) {
    const xx = wrap(x0 + (k & 1), width)
    const yy = wrap(y0 + (k >> 1), height)
    const wgt = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy)
    const o = (yy * width + xx) * 3
    res[0] += wgt * data[o]!
    res[1] += wgt * data[o + 1]!
    res[2] += wgt * data[o + 2]!
  }
  return res
}
