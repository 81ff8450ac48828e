import type { RgbImage } from '../media/index.js'
import type { RawFace } from './mediapipe-face.js'

/** MediaPipe face-mesh indices used by the measurements below. "A" is the eye on the image's left. */
export const MESH = {
  eyeA: { outer: 33, inner: 133, upper: [160, 158], lower: [144, 153] },
  eyeB: { outer: 263, inner: 362, upper: [387, 385], lower: [373, 380] },
  mouth: { left: 61, right: 291, upperInner: 13, lowerInner: 14 },
  noseTip: 1,
  cheekA: 234,
  cheekB: 454,
  foreheadTop: 10,
  chin: 152,
} as const

export type Point = [number, number]

/** Everything measured about one face in one picture. Lengths in pixels of the analysed picture. */
export interface FaceMeasure {
  /** tight box of the 468 mesh points [x, y, w, h] (not clamped) */
  box: [number, number, number, number]
  detectorScore: number
  meshScore: number
  yawDeg: number
  pitchDeg: number
  rollDeg: number
  /** eye aspect ratio of each eye and their mean (open ≈ 0.25–0.35, closed < 0.15) */
  earA: number
  earB: number
  ear: number
  /** inner-lip gap over mouth width (closed ≈ 0–0.05, wide open > 0.3) */
  mouthOpen: number
  /** share of mesh points outside the picture */
  outsideFrac: number
  /** face box width over picture width, centre x over picture width */
  widthFrac: number
  heightFrac: number
  centerXFrac: number
  centerYFrac: number
  /** mean luma 0–255 of the inner face, share of its pixels ≥ 250 / ≤ 15 */
  brightness: number
  overexposedFrac: number
  underexposedFrac: number
  /** variance of the Laplacian of the face resampled to 112×112 grey */
  sharpness: number
  /** 0–1: how much the lower face differs in colour from the forehead and lacks the texture of lips and nostrils */
  occlusion: number
  occludedRegion: string
  /** mouth-strip over eye-strip Laplacian energy (uncovered faces ≈ 0.3–2, a flat cover ≈ 0) */
  textureRatio: number
  /** colour distance of the nose/mouth/chin patches from the forehead skin, 0–1 */
  lowerFaceColourDistance: number
  /** 5 points for alignment: eye A centre, eye B centre, nose tip, mouth left, mouth right */
  five: [Point, Point, Point, Point, Point]
}

function pt(mesh: RawFace['mesh'], i: number): Point {
  const p = mesh[i]
  return p ? [p[0], p[1]] : [0, 0]
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1])
}

function mid(a: Point, b: Point): Point {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]
}

function eyeAspect(
  mesh: RawFace['mesh'],
  eye: { outer: number; inner: number; upper: readonly number[]; lower: readonly number[] },
): number {
  const w = dist(pt(mesh, eye.outer), pt(mesh, eye.inner))
  if (w <= 0) return 0
  let h = 0
  for (let i = 0; i < eye.upper.length; i++) h += dist(pt(mesh, eye.upper[i]!), pt(mesh, eye.lower[i]!))
  return h / eye.upper.length / w
}

const RAD = 180 / Math.PI

/** Grey (luma) resample of a box of the picture to n×n, averaging the source pixels of each cell. */
export function greyCrop(img: RgbImage, box: [number, number, number, number], n: number): Float32Array {
  const out = new Float32Array(n * n)
  const [bx, by, bw, bh] = box
  const step = Math.max(bw, bh) / n
  // sample up to 3×3 source points per cell: enough to average away aliasing, cheap enough per frame
  const sub = Math.min(3, Math.max(1, Math.floor(step)))
  const { data, width, height } = img
  // the source columns and rows of every sample, computed once instead of per cell (this runs on every
  // scanned frame; the per-sample floor/divide was the scan's largest JavaScript cost); -1 = outside
  const cols = new Int32Array(n * sub)
  const rows = new Int32Array(n * sub)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < sub; k++) {
      const px = Math.floor(bx + (i + (k + 0.5) / sub) * (bw / n))
      cols[i * sub + k] = px < 0 || px >= width ? -1 : px * 3
      const py = Math.floor(by + (i + (k + 0.5) / sub) * (bh / n))
      rows[i * sub + k] = py < 0 || py >= height ? -1 : py * width * 3
    }
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let s = 0
      let c = 0
      for (let sy = 0; sy < sub; sy++) {
        const row = rows[y * sub + sy]!
        if (row < 0) continue
        for (let sx = 0; sx < sub; sx++) {
          const col = cols[x * sub + sx]!
          if (col < 0) continue
          const o = row + col
          s += 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!
          c++
        }
      }
      out[y * n + x] = c ? s / c : 0
    }
  }
  return out
}

/** Mean RGB of a square patch around a point (clamped to the picture). */
function patchMean(img: RgbImage, c: Point, r: number): [number, number, number] | null {
  const { data, width, height } = img
  const x0 = Math.max(0, Math.floor(c[0] - r))
  const x1 = Math.min(width - 1, Math.ceil(c[0] + r))
  const y0 = Math.max(0, Math.floor(c[1] - r))
  const y1 = Math.min(height - 1, Math.ceil(c[1] + r))
  if (x1 < x0 || y1 < y0) return null
  const stride = Math.max(1, Math.floor((x1 - x0) / 8))
  let sr = 0
  let sg = 0
  let sb = 0
  let n = 0
  for (let y = y0; y <= y1; y += stride) {
    for (let x = x0; x <= x1; x += stride) {
      const o = (y * width + x) * 3
      sr += data[o]!
      sg += data[o + 1]!
      sb += data[o + 2]!
      n++
    }
  }
  return n ? [sr / n, sg / n, sb / n] : null
}

function patchDistance(img: RgbImage, c: Point, r: number, ref: [number, number, number]): number {
  const mean = patchMean(img, c, r)
  return mean ? colourDistance(mean, ref) : 0
}

/** Difference of two colours in chromaticity plus a damped luminance term: 0 same, ~1 very different. */
function colourDistance(a: [number, number, number], b: [number, number, number]): number {
  const sa = a[0] + a[1] + a[2] + 1
  const sb = b[0] + b[1] + b[2] + 1
  const dr = a[0] / sa - b[0] / sb
  const dg = a[1] / sa - b[1] / sb
  const chroma = Math.hypot(dr, dg) / 0.15
  // shadows and beards change luminance; only a large change counts, and half as much
  const la = sa / 3
  const lb = sb / 3
  const lum = Math.max(0, Math.abs(Math.log((la + 10) / (lb + 10))) - 0.5)
  return Math.min(1, chroma + lum * 0.5)
}

/** Measure one face: geometry from the mesh, photometry from the picture. */
export function measureFace(img: RgbImage, face: RawFace): FaceMeasure {
  const m = face.mesh
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  let outside = 0
  for (const p of m) {
    if (p[0] < minX) minX = p[0]
    if (p[0] > maxX) maxX = p[0]
    if (p[1] < minY) minY = p[1]
    if (p[1] > maxY) maxY = p[1]
    if (p[0] < 0 || p[1] < 0 || p[0] >= img.width || p[1] >= img.height) outside++
  }
  const box: [number, number, number, number] = [minX, minY, maxX - minX, maxY - minY]
  const earA = eyeAspect(m, MESH.eyeA)
  const earB = eyeAspect(m, MESH.eyeB)
  const mouthW = dist(pt(m, MESH.mouth.left), pt(m, MESH.mouth.right))
  const mouthOpen = mouthW > 0 ? dist(pt(m, MESH.mouth.upperInner), pt(m, MESH.mouth.lowerInner)) / mouthW : 0

  // photometry on the inner face (central 70 % of the mesh box: less hair and background)
  const inner: [number, number, number, number] = [
    minX + box[2] * 0.15,
    minY + box[3] * 0.15,
    box[2] * 0.7,
    box[3] * 0.7,
  ]
  const grey = greyCrop(img, inner, 64)
  let sum = 0
  let over = 0
  let under = 0
  for (const v of grey) {
    sum += v
    if (v >= 250) over++
    if (v <= 15) under++
  }
  const brightness = sum / grey.length
  const sharpGrey = greyCrop(img, box, 112)
  const sharpness = laplacianVariance(sharpGrey, 112)

  // occlusion of the lower face (masks, hands): the nose-mouth-chin area loses the colour of the
  // forehead skin and the fine texture (nostrils, lips) that an uncovered face has there.
  const eyeA = mid(pt(m, MESH.eyeA.outer), pt(m, MESH.eyeA.inner))
  const eyeB = mid(pt(m, MESH.eyeB.outer), pt(m, MESH.eyeB.inner))
  const nose = pt(m, MESH.noseTip)
  const mouthL = pt(m, MESH.mouth.left)
  const mouthR = pt(m, MESH.mouth.right)
  const eyeDist = dist(eyeA, eyeB)
  const r = Math.max(2, eyeDist * 0.12)
  const forehead = patchMean(img, mid(pt(m, 151), pt(m, 9)), r)
  let colour = 0
  if (forehead) {
    const dNose = patchDistance(img, pt(m, 4), r, forehead)
    const dMouth = patchDistance(img, mid(pt(m, MESH.mouth.upperInner), pt(m, MESH.mouth.lowerInner)), r, forehead)
    const dChin = patchDistance(img, pt(m, 199), r, forehead)
    colour = Math.min(dNose, Math.max(dMouth, dChin))
  }
  // texture: Laplacian energy of the mouth strip against that of the eye strip of the same face
  const mouthC = mid(mouthL, mouthR)
  const eyeC = mid(eyeA, eyeB)
  const stripW = eyeDist * 1.2
  const stripH = eyeDist * 0.5
  const mouthTex = laplacianVariance(
    greyCrop(img, [mouthC[0] - stripW / 2, mouthC[1] - stripH / 2, stripW, stripH], 32),
    32,
  )
  const eyeTex = laplacianVariance(greyCrop(img, [eyeC[0] - stripW / 2, eyeC[1] - stripH / 2, stripW, stripH], 32), 32)
  const textureRatio = eyeTex > 1 ? mouthTex / eyeTex : 1
  const textureLoss = Math.max(0, Math.min(1, 1 - textureRatio / 0.25))
  const occlusion = Math.min(1, 0.6 * colour + 0.6 * textureLoss)
  const occludedRegion = occlusion > 0 ? 'nose+mouth' : ''

  const cx = minX + box[2] / 2
  const cy = minY + box[3] / 2
  return {
    box,
    detectorScore: face.boxScore,
    meshScore: face.faceScore,
    yawDeg: face.angle.yaw * RAD,
    pitchDeg: face.angle.pitch * RAD,
    rollDeg: face.angle.roll * RAD,
    earA,
    earB,
    ear: (earA + earB) / 2,
    mouthOpen,
    outsideFrac: m.length ? outside / m.length : 1,
    widthFrac: box[2] / img.width,
    heightFrac: box[3] / img.height,
    centerXFrac: cx / img.width,
    centerYFrac: cy / img.height,
    brightness,
    overexposedFrac: over / grey.length,
    underexposedFrac: under / grey.length,
    sharpness,
    occlusion,
    occludedRegion,
    textureRatio,
    lowerFaceColourDistance: colour,
    five: [eyeA, eyeB, nose, mouthL, mouthR],
  }
}

export function laplacianVariance(g: Float32Array, n: number): number {
  let s = 0
  let s2 = 0
  let c = 0
  for (let y = 1; y < n - 1; y++) {
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x
      const v = 4 * g[i]! - g[i - 1]! - g[i + 1]! - g[i - n]! - g[i + n]!
      s += v
      s2 += v * v
      c++
    }
  }
  const mean = s / c
  return s2 / c - mean * mean
}
