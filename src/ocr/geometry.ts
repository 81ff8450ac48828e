/**
 * Small geometry helpers for text detection: connected components of a probability map,
 * minimum-area rectangles, and oriented crops sampled straight into model tensors.
 */

/** An RGB image, 3 bytes per pixel, row-major. */
export interface RgbImage {
  data: Uint8Array
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

/**
 * An oriented rectangle: `origin` is the top-left corner in reading direction, `u` the unit
 * vector along the text (reading direction), `v` the unit vector "down" (perpendicular),
 * `w` and `h` the extents along u and v.
 */
export interface OrientedBox {
  origin: Point
  u: Point
  v: Point
  w: number
  h: number
  /** mean detection probability inside the component */
  score: number
}

export function boxCorners(b: OrientedBox): [Point, Point, Point, Point] {
  const { origin: o, u, v, w, h } = b
  return [
    { x: o.x, y: o.y },
    { x: o.x + u.x * w, y: o.y + u.y * w },
    { x: o.x + u.x * w + v.x * h, y: o.y + u.y * w + v.y * h },
    { x: o.x + v.x * h, y: o.y + v.y * h },
  ]
}

export function boxCenter(b: OrientedBox): Point {
  return { x: b.origin.x + (b.u.x * b.w + b.v.x * b.h) / 2, y: b.origin.y + (b.u.y * b.w + b.v.y * b.h) / 2 }
}

/** Point at fraction t (0..1) along the text centre line. */
export function boxAlong(b: OrientedBox, t: number): Point {
  return {
    x: b.origin.x + b.u.x * b.w * t + (b.v.x * b.h) / 2,
    y: b.origin.y + b.u.y * b.w * t + (b.v.y * b.h) / 2,
  }
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

/** Convex hull (Andrew's monotone chain), counter-clockwise, no duplicates. */
export function convexHull(points: Point[]): Point[] {
  const pts = [...points].sort((a, b) => a.x - b.x || a.y - b.y)
  if (pts.length <= 2) return pts
  const lower: Point[] = []
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop()
    lower.push(p)
  }
  const upper: Point[] = []
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop()
    upper.push(p)
  }
  upper.pop()
  lower.pop()
  return lower.concat(upper)
}

/**
 * Minimum-area rectangle of a convex polygon (rotating calipers over the hull edges).
 * Returned as an axis pair with the axis closest to horizontal as `u` pointing right.
 */
export function minAreaRect(hull: Point[]): { center: Point; u: Point; v: Point; w: number; h: number } {
  let best = { area: Infinity, ux: 1, uy: 0, minU: 0, maxU: 0, minV: 0, maxV: 0 }
  const n = hull.length
  const edges = n >= 2 ? n : 1
  for (let i = 0; i < edges; i++) {
    let ux = 1
    let uy = 0
    if (n >= 2) {
      const a = hull[i]!
      const b = hull[(i + 1) % n]!
      const len = Math.hypot(b.x - a.x, b.y - a.y)
      if (len < 1e-9) continue
      ux = (b.x - a.x) / len
      uy = (b.y - a.y) / len
    }
    let minU = Infinity
    let maxU = -Infinity
    let minV = Infinity
    let maxV = -Infinity
    for (const p of hull) {
      const pu = p.x * ux + p.y * uy
      const pv = -p.x * uy + p.y * ux
      if (pu < minU) minU = pu
      if (pu > maxU) maxU = pu
      if (pv < minV) minV = pv
      if (pv > maxV) maxV = pv
    }
    const area = (maxU - minU) * (maxV - minV)
    if (area < best.area) best = { area, ux, uy, minU, maxU, minV, maxV }
  }
  const { ux, uy, minU, maxU, minV, maxV } = best
  const cu = (minU + maxU) / 2
  const cv = (minV + maxV) / 2
  const center = { x: cu * ux - cv * uy, y: cu * uy + cv * ux }
  let u = { x: ux, y: uy }
  let v = { x: -uy, y: ux }
  let w = maxU - minU
  let h = maxV - minV
  // make u the axis closest to horizontal, pointing right; v pointing down
  if (Math.abs(u.x) < Math.abs(v.x)) {
    ;[u, v] = [v, u]
    ;[w, h] = [h, w]
  }
  if (u.x < 0) u = { x: -u.x, y: -u.y }
  v = { x: -u.y, y: u.x }
  if (v.y < 0) v = { x: -v.x, y: -v.y }
  return { center, u, v, w, h }
}

export interface Component {
  /** hull of the component's pixel squares */
  hull: Point[]
  pixels: number
  score: number
}

/**
 * 4-connected components of `prob > threshold` in a w×h map. Returns each component's convex
 * hull (of pixel corners) and mean probability. Components smaller than minPixels are skipped.
 */
export function components(
  prob: Float32Array,
  w: number,
  h: number,
  threshold: number,
  minPixels: number,
): Component[] {
  const label = new Int32Array(w * h) // 0 = unvisited
  const stack = new Int32Array(w * h)
  const out: Component[] = []
  const rowMin = new Int32Array(h)
  const rowMax = new Int32Array(h)
  const rowStamp = new Int32Array(h)
  let next = 1
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== 0 || prob[start]! <= threshold) continue
    const id = next++
    let sp = 0
    stack[sp++] = start
    label[start] = id
    let count = 0
    let sum = 0
    let yMin = h
    let yMax = -1
    while (sp > 0) {
      const p = stack[--sp]!
      const y = (p / w) | 0
      const x = p - y * w
      count++
      sum += prob[p]!
      if (rowStamp[y] !== id) {
        rowStamp[y] = id
        rowMin[y] = x
        rowMax[y] = x
      }
      if (y < yMin) yMin = y
      if (y > yMax) yMax = y
      if (x < rowMin[y]!) rowMin[y] = x
      if (x > rowMax[y]!) rowMax[y] = x
      if (x > 0 && label[p - 1] === 0 && prob[p - 1]! > threshold) {
        label[p - 1] = id
        stack[sp++] = p - 1
      }
      if (x < w - 1 && label[p + 1] === 0 && prob[p + 1]! > threshold) {
        label[p + 1] = id
        stack[sp++] = p + 1
      }
      if (y > 0 && label[p - w] === 0 && prob[p - w]! > threshold) {
        label[p - w] = id
        stack[sp++] = p - w
      }
      if (y < h - 1 && label[p + w] === 0 && prob[p + w]! > threshold) {
        label[p + w] = id
        stack[sp++] = p + w
      }
    }
    if (count < minPixels) continue
    const pts: Point[] = []
    for (let y = yMin; y <= yMax; y++) {
      if (rowStamp[y] !== id) continue
      pts.push(
        { x: rowMin[y]!, y },
        { x: rowMin[y]!, y: y + 1 },
        { x: rowMax[y]! + 1, y },
        { x: rowMax[y]! + 1, y: y + 1 },
      )
    }
    out.push({ hull: convexHull(pts), pixels: count, score: sum / count })
  }
  return out
}

/**
 * Sample the oriented box of `img` into `dst` (CHW float tensor of height outH and row stride
 * dstW, BGR channel order, values (x/255 - 0.5) / 0.5) at columns [0, outW).
 */
export function sampleBoxInto(
  img: RgbImage,
  box: OrientedBox,
  dst: Float32Array,
  dstOffset: number,
  outW: number,
  outH: number,
  dstW: number,
): void {
  const { data, width, height } = img
  const plane = outH * dstW
  const sx = box.w / outW
  const sy = box.h / outH
  for (let i = 0; i < outH; i++) {
    const fy = (i + 0.5) * sy
    for (let j = 0; j < outW; j++) {
      const fx = (j + 0.5) * sx
      let x = box.origin.x + box.u.x * fx + box.v.x * fy - 0.5
      let y = box.origin.y + box.u.y * fx + box.v.y * fy - 0.5
      if (x < 0) x = 0
      else if (x > width - 1) x = width - 1
      if (y < 0) y = 0
      else if (y > height - 1) y = height - 1
      const x0 = x | 0
      const y0 = y | 0
      const x1 = x0 + 1 < width ? x0 + 1 : x0
      const y1 = y0 + 1 < height ? y0 + 1 : y0
      const ax = x - x0
      const ay = y - y0
      const p00 = (y0 * width + x0) * 3
      const p01 = (y0 * width + x1) * 3
      const p10 = (y1 * width + x0) * 3
      const p11 = (y1 * width + x1) * 3
      const o = dstOffset + i * dstW + j
      for (let c = 0; c < 3; c++) {
        const top = data[p00 + c]! + (data[p01 + c]! - data[p00 + c]!) * ax
        const bot = data[p10 + c]! + (data[p11 + c]! - data[p10 + c]!) * ax
        const val = top + (bot - top) * ay
        // BGR planes: R -> plane 2, G -> 1, B -> 0
        dst[o + (2 - c) * plane] = val / 127.5 - 1
      }
    }
  }
}

/** Sample an oriented box into an RGB image of outW×outH. */
export function cropBox(img: RgbImage, box: OrientedBox, outW: number, outH: number): RgbImage {
  const { data, width, height } = img
  const out = new Uint8Array(outW * outH * 3)
  const sx = box.w / outW
  const sy = box.h / outH
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const fx = (j + 0.5) * sx
      const fy = (i + 0.5) * sy
      const x = Math.min(width - 1, Math.max(0, box.origin.x + box.u.x * fx + box.v.x * fy - 0.5))
      const y = Math.min(height - 1, Math.max(0, box.origin.y + box.u.y * fx + box.v.y * fy - 0.5))
      const x0 = x | 0
      const y0 = y | 0
      const x1 = Math.min(width - 1, x0 + 1)
      const y1 = Math.min(height - 1, y0 + 1)
      const ax = x - x0
      const ay = y - y0
      for (let c = 0; c < 3; c++) {
        const p00 = data[(y0 * width + x0) * 3 + c]!
        const p01 = data[(y0 * width + x1) * 3 + c]!
        const p10 = data[(y1 * width + x0) * 3 + c]!
        const p11 = data[(y1 * width + x1) * 3 + c]!
        const top = p00 + (p01 - p00) * ax
        const bot = p10 + (p11 - p10) * ax
        out[(i * outW + j) * 3 + c] = Math.round(top + (bot - top) * ay)
      }
    }
  }
  return { data: out, width: outW, height: outH }
}
