import type { RgbImage } from '../media/index.js'
import type { Point } from './face.js'

/** ArcFace's 112×112 reference positions of eye A, eye B, nose tip, mouth left, mouth right. */
export const ARCFACE_REFERENCE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
]

/** 2×3 affine matrix [a, -b, tx; b, a, ty] of a similarity transform */
export type Similarity = { a: number; b: number; tx: number; ty: number }

/** Least-squares similarity transform mapping src onto dst (Umeyama, without reflection). */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = src.length
  let sx = 0,
    sy = 0,
    dx = 0,
    dy = 0
  for (let i = 0; i < n; i++) {
    sx += src[i]![0]
    sy += src[i]![1]
    dx += dst[i]![0]
    dy += dst[i]![1]
  }
  sx /= n
  sy /= n
  dx /= n
  dy /= n
  let num1 = 0,
    num2 = 0,
    den = 0
  for (let i = 0; i < n; i++) {
    const px = src[i]![0] - sx,
      py = src[i]![1] - sy
    const qx = dst[i]![0] - dx,
      qy = dst[i]![1] - dy
    num1 += px * qx + py * qy
    num2 += px * qy - py * qx
    den += px * px + py * py
  }
  const a = den > 0 ? num1 / den : 1
  const b = den > 0 ? num2 / den : 0
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) }
}

/**
 * Warp the picture into a size×size crop so that `five` lands on the reference points;
 * bilinear sampling, black outside the picture. Returns RGB bytes.
 */
export function warpFace(
  img: RgbImage,
  five: readonly Point[],
  size = 112,
  reference: readonly Point[] = ARCFACE_REFERENCE,
): Uint8Array {
  const scale = size / 112
  const ref = reference.map(([x, y]) => [x * scale, y * scale] as Point)
  const t = estimateSimilarity(five, ref)
  // invert: source = M^-1 (dest - t)
  const det = t.a * t.a + t.b * t.b
  const ia = t.a / det
  const ib = -t.b / det
  const out = new Uint8Array(size * size * 3)
  const { data, width, height } = img
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x - t.tx
      const v = y - t.ty
      const sx = ia * u - ib * v
      const sy = ib * u + ia * v
      const x0 = Math.floor(sx)
      const y0 = Math.floor(sy)
      const fx = sx - x0
      const fy = sy - y0
      const o = (y * size + x) * 3
      for (let c = 0; c < 3; c++) {
        let acc = 0
        for (let k = 0; k < 4; k++) {
          const xx = x0 + (k & 1)
          const yy = y0 + (k >> 1)
          const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy)
          if (xx >= 0 && yy >= 0 && xx < width && yy < height) acc += w * data[(yy * width + xx) * 3 + c]!
        }
        out[o + c] = Math.round(acc)
      }
    }
  }
  return out
}
