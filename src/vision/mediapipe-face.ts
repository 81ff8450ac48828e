import * as ort from 'onnxruntime-node'
import type { RgbImage } from '../media/index.js'
import { resolveModel } from './models.js'
import { frameChangeMeter } from './frame-change.js'
import { convertTfjsGraphFile } from './tfjs-onnx.js'

/**
 * BlazeFace + FaceMesh (MediaPipe's models, as @vladmandic/human ships them) run by onnxruntime.
 *
 * This is Human 3.3's face pipeline (src/face/blazeface.ts, facemesh.ts, facemeshutil.ts, angles.ts and
 * image/image.ts's frame-change check) re-expressed without TensorFlow.js, step for step and with the
 * configuration shiren gave Human (no rotation correction, no iris, detector boxes enlarged 1.4×,
 * 6 faces, detector confidence 0.4, NMS IoU 0.3; in videos the detector runs again after 10 tracked
 * frames or when the picture changed a lot), so every threshold tuned on Human's output still holds:
 * a test compares both on real clips (src/vision/mediapipe-face.test.ts). Human on TensorFlow.js's
 * WebAssembly backend spends ≈ 17–20 ms of CPU a tracked video frame and 39–44 ms a photo; this ≈ 4.3 and
 * 11 ms (`npm run bench:mesh`, docs/benchmarks.md).
 */

/** One face as the face pipeline reports it, in the pixel coordinates of the analysed picture. */
export interface RawFace {
  /** tracked box [x, y, w, h], clamped to the picture */
  box: [number, number, number, number]
  /** the detector's confidence in the box the face was tracked from */
  boxScore: number
  /** mesh confidence 0–1 */
  faceScore: number
  /** 468 points [x, y, z] */
  mesh: Array<[number, number, number]>
  /** radians, Human's convention */
  angle: { yaw: number; pitch: number; roll: number }
}

export interface FaceDetector {
  /** `video`: consecutive frames of one clip; the mesh then tracks the face between detector runs */
  detect(img: RgbImage, opts?: { video?: boolean }): Promise<RawFace[]>
  /** forget what was tracked: the next call starts afresh (a new clip; a clip is judged the same whatever the worker saw before) */
  reset(): Promise<void>
  /** what runs the models (reported by the worker's health) */
  backend: string
}

const ORT_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
}

/** Human's configuration, as shiren set it (see loadHumanFaceDetector). */
const CONFIG = {
  maxDetected: 6,
  minConfidence: 0.4,
  iouThreshold: 0.3,
  /** detector box enlargement (Human's default `face.detector.scale`) */
  scale: 1.4,
  /**
   * skipTimeMs is Human's wall-clock limit on reusing boxes, set out of reach (100 s) so that frames and picture
   * changes decide when the detector runs again, never the machine's speed
   */
  video: { cacheSensitivity: 0.7, skipFrames: 10, skipTimeMs: 100_000 },
} as const

const DETECTOR_SIZE = 256
const MESH_SIZE = 192

type Point = [number, number]
interface Box {
  startPoint: Point
  endPoint: Point
  confidence: number
  size: [number, number]
}

/** BlazeFace's anchors for a 256 px input: a 16×16 grid of 2 and an 8×8 grid of 6 (Human's generateAnchors). */
function generateAnchors(inputSize: number): Point[] {
  const strides = [inputSize / 16, inputSize / 8]
  const perCell = [2, 6]
  const anchors: Point[] = []
  for (let i = 0; i < strides.length; i++) {
    const stride = strides[i]!
    const rows = Math.floor((inputSize + stride - 1) / stride)
    for (let gy = 0; gy < rows; gy++)
      for (let gx = 0; gx < rows; gx++)
        for (let n = 0; n < perCell[i]!; n++) anchors.push([stride * (gx + 0.5), stride * (gy + 0.5)])
  }
  return anchors
}
const ANCHORS = generateAnchors(DETECTOR_SIZE)

const boxSize = (b: { startPoint: Point; endPoint: Point }): [number, number] => [
  Math.abs(b.endPoint[0] - b.startPoint[0]),
  Math.abs(b.endPoint[1] - b.startPoint[1]),
]
const boxCenter = (b: { startPoint: Point; endPoint: Point }): Point => [
  b.startPoint[0] + (b.endPoint[0] - b.startPoint[0]) / 2,
  b.startPoint[1] + (b.endPoint[1] - b.startPoint[1]) / 2,
]

function enlargeBox(b: Omit<Box, 'size'>, factor: number): Box {
  const c = boxCenter(b)
  const size = boxSize(b)
  const half: Point = [(factor * size[0]) / 2, (factor * size[1]) / 2]
  return {
    startPoint: [c[0] - half[0], c[1] - half[1]],
    endPoint: [c[0] + half[0], c[1] + half[1]],
    confidence: b.confidence,
    size,
  }
}

function squarifyBox(b: Box): Box {
  const c = boxCenter(b)
  const size = boxSize(b)
  const half = Math.max(...size) / 2
  return {
    startPoint: [Math.round(c[0] - half), Math.round(c[1] - half)],
    endPoint: [Math.round(c[0] + half), Math.round(c[1] + half)],
    confidence: b.confidence,
    size: [Math.round(size[0]), Math.round(size[1])],
  }
}

/** Human's clampBox: [x, y, w, h] inside the picture, truncated to integers */
const clampBox = (b: Box, w: number, h: number): [number, number, number, number] => [
  Math.trunc(Math.max(0, b.startPoint[0])),
  Math.trunc(Math.max(0, b.startPoint[1])),
  Math.trunc(Math.min(w, b.endPoint[0]) - Math.max(0, b.startPoint[0])),
  Math.trunc(Math.min(h, b.endPoint[1]) - Math.max(0, b.startPoint[1])),
]

/** TensorFlow's resizeBilinear (align_corners and half_pixel_centers off) to size², scaled to [-1, 1], NCHW. */
function detectorInput(img: RgbImage, out: Float32Array): Float32Array {
  const { width: W, height: H, data } = img
  const S = DETECTOR_SIZE
  const ry = H / S
  const rx = W / S
  const x0 = new Int32Array(S)
  const x1 = new Int32Array(S)
  const fx = new Float32Array(S)
  for (let c = 0; c < S; c++) {
    const sx = rx * c
    const f = Math.max(0, Math.floor(sx))
    x0[c] = f * 3
    x1[c] = Math.min(W - 1, Math.ceil(sx)) * 3
    fx[c] = sx - f
  }
  for (let r = 0; r < S; r++) {
    const sy = ry * r
    const y0 = Math.max(0, Math.floor(sy))
    const y1 = Math.min(H - 1, Math.ceil(sy))
    const fy = sy - y0
    const top = y0 * W * 3
    const bot = y1 * W * 3
    for (let c = 0; c < S; c++) {
      const a = fx[c]!
      for (let ch = 0; ch < 3; ch++) {
        const tl = data[top + x0[c]! + ch]!
        const tr = data[top + x1[c]! + ch]!
        const bl = data[bot + x0[c]! + ch]!
        const br = data[bot + x1[c]! + ch]!
        const t = tl + (tr - tl) * a
        const b = bl + (br - bl) * a
        out[(ch * S + r) * S + c] = (t + (b - t) * fy) / 127.5 - 1
      }
    }
  }
  return out
}

/** TensorFlow's cropAndResize (bilinear, 0 outside the picture) of the box to size², divided by 255, NCHW. */
function meshInput(img: RgbImage, box: Box, out: Float32Array): Float32Array {
  const { width: W, height: H } = img
  const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length)
  const S = MESH_SIZE
  const plane = S * S
  const plane2 = 2 * plane
  const y1 = box.startPoint[1] / H
  const x1 = box.startPoint[0] / W
  const y2 = box.endPoint[1] / H
  const x2 = box.endPoint[0] / W
  const hs = ((y2 - y1) * (H - 1)) / (S - 1)
  const ws = ((x2 - x1) * (W - 1)) / (S - 1)
  // per output column: left and right source offsets and the weight of the right one (-1: outside)
  const xl = new Int32Array(S).fill(-1)
  const xr = new Int32Array(S)
  const xf = new Float32Array(S)
  for (let x = 0; x < S; x++) {
    const xi = x1 * (W - 1) + x * ws
    if (xi < 0 || xi > W - 1) continue
    const l = Math.floor(xi)
    xl[x] = l * 3
    xr[x] = Math.ceil(xi) * 3
    xf[x] = xi - l
  }
  const k = 1 / 255
  // the three channels written out one after the other (not a loop over them): a fifth less time, same values
  for (let y = 0; y < S; y++) {
    const yi = y1 * (H - 1) + y * hs
    const row = y * S
    if (yi < 0 || yi > H - 1) {
      // rows outside are 0
      out.fill(0, row, row + S)
      out.fill(0, plane + row, plane + row + S)
      out.fill(0, plane2 + row, plane2 + row + S)
      continue
    }
    const t = Math.floor(yi)
    const top = t * W * 3
    const bot = Math.ceil(yi) * W * 3
    const fy = yi - t
    for (let x = 0; x < S; x++) {
      const o = row + x
      const l = xl[x]!
      if (l < 0) {
        out[o] = 0
        out[plane + o] = 0
        out[plane2 + o] = 0
        continue
      }
      const r = xr[x]!
      const a = xf[x]!
      const tl = top + l
      const tr = top + r
      const bl = bot + l
      const br = bot + r
      let tp = data[tl]! + (data[tr]! - data[tl]!) * a
      let bt = data[bl]! + (data[br]! - data[bl]!) * a
      out[o] = (tp + (bt - tp) * fy) * k
      tp = data[tl + 1]! + (data[tr + 1]! - data[tl + 1]!) * a
      bt = data[bl + 1]! + (data[br + 1]! - data[bl + 1]!) * a
      out[plane + o] = (tp + (bt - tp) * fy) * k
      tp = data[tl + 2]! + (data[tr + 2]! - data[tl + 2]!) * a
      bt = data[bl + 2]! + (data[br + 2]! - data[bl + 2]!) * a
      out[plane2 + o] = (tp + (bt - tp) * fy) * k
    }
  }
  return out
}

function iou(a: Float32Array, i: number, j: number): number {
  const ax0 = Math.min(a[4 * i]!, a[4 * i + 2]!)
  const ay0 = Math.min(a[4 * i + 1]!, a[4 * i + 3]!)
  const ax1 = Math.max(a[4 * i]!, a[4 * i + 2]!)
  const ay1 = Math.max(a[4 * i + 1]!, a[4 * i + 3]!)
  const bx0 = Math.min(a[4 * j]!, a[4 * j + 2]!)
  const by0 = Math.min(a[4 * j + 1]!, a[4 * j + 3]!)
  const bx1 = Math.max(a[4 * j]!, a[4 * j + 2]!)
  const by1 = Math.max(a[4 * j + 1]!, a[4 * j + 3]!)
  const areaA = (ax1 - ax0) * (ay1 - ay0)
  const areaB = (bx1 - bx0) * (by1 - by0)
  if (areaA <= 0 || areaB <= 0) return 0
  const iw = Math.max(Math.min(ax1, bx1) - Math.max(ax0, bx0), 0)
  const ih = Math.max(Math.min(ay1, by1) - Math.max(ay0, by0), 0)
  const inter = iw * ih
  return inter / (areaA + areaB - inter)
}

/** TensorFlow's greedy non-max suppression (scores > threshold, IoU ≥ threshold suppresses). */
function nonMaxSuppression(
  boxes: Float32Array,
  scores: Float32Array,
  max: number,
  iouThr: number,
  scoreThr: number,
): number[] {
  const order: number[] = []
  for (let i = 0; i < scores.length; i++) if (scores[i]! > scoreThr) order.push(i)
  order.sort((a, b) => scores[b]! - scores[a]! || a - b)
  const kept: number[] = []
  for (const i of order) {
    if (kept.length >= max) break
    if (kept.every((k) => iou(boxes, i, k) < iouThr)) kept.push(i)
  }
  return kept
}

/** Human's calculateFaceAngle: yaw, pitch, roll (radians) from four mesh points in the picture's proportions. */
function faceAngle(
  mesh: Array<[number, number, number]>,
  boxRaw: [number, number, number, number],
  W: number,
  H: number,
): { yaw: number; pitch: number; roll: number } {
  type V = [number, number, number]
  const normalize = (v: V): V => {
    const l = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return [v[0] / l, v[1] / l, v[2] / l]
  }
  const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
  const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
  const size = Math.max(boxRaw[2] * W, boxRaw[3] * H) / 1.5
  // top, bottom, left and right of the face; Human's meshRaw (mesh / [W, H, 192]) · [W, H] / size
  const pts = [10, 152, 234, 454].map((i) => {
    const p = mesh[i]!
    return [p[0] / size, p[1] / size, p[2] / MESH_SIZE] as V
  })
  const yAxis = normalize(sub(pts[1]!, pts[0]!))
  let xAxis = normalize(sub(pts[3]!, pts[2]!))
  const zAxis = normalize(cross(xAxis, yAxis))
  xAxis = cross(yAxis, zAxis)
  const [r00, , , r10, r11, r12, r20] = [...xAxis, ...yAxis, ...zAxis]
  let thetaX: number
  let thetaY: number
  let thetaZ: number
  if (r10! < 1) {
    if (r10! > -1) {
      thetaZ = Math.atan2(r10!, Math.sqrt(r00! * r00! + r20! * r20!))
      thetaY = Math.atan2(-r20!, r00!)
      thetaX = Math.atan2(-r12!, r11!)
    } else {
      thetaZ = -Math.PI / 2
      thetaY = -Math.atan2(zAxis[1], zAxis[2])
      thetaX = 0
    }
  } else {
    thetaZ = Math.PI / 2
    thetaY = Math.atan2(zAxis[1], zAxis[2])
    thetaX = 0
  }
  if (Number.isNaN(thetaX)) thetaX = 0
  if (Number.isNaN(thetaY)) thetaY = 0
  if (Number.isNaN(thetaZ)) thetaZ = 0
  return { pitch: -thetaX, yaw: -thetaY, roll: -thetaZ }
}

/** Load BlazeFace and FaceMesh from the models directory (Human's package files), converted to ONNX. */
export async function loadFaceDetector(modelsDir: string, opts: { maxFaces?: number } = {}): Promise<FaceDetector> {
  const blazefacePath = resolveModel('blazeface', modelsDir)
  resolveModel('blazeface-weights', modelsDir)
  const facemeshPath = resolveModel('facemesh', modelsDir)
  resolveModel('facemesh-weights', modelsDir)
  const [bf, fm] = await Promise.all([convertTfjsGraphFile(blazefacePath), convertTfjsGraphFile(facemeshPath)])
  const detectorSession = await ort.InferenceSession.create(bf.onnx, ORT_OPTIONS)
  const meshSession = await ort.InferenceSession.create(fm.onnx, ORT_OPTIONS)
  const change = frameChangeMeter()
  const maxDetected = opts.maxFaces ?? CONFIG.maxDetected
  // the models' input buffers, reused: each run is awaited before the next fills them
  const detectorBuf = new Float32Array(3 * DETECTOR_SIZE * DETECTOR_SIZE)
  const meshBuf = new Float32Array(3 * MESH_SIZE * MESH_SIZE)

  async function detectBoxes(img: RgbImage): Promise<Box[]> {
    const res = await detectorSession.run({
      [bf.input]: new ort.Tensor('float32', detectorInput(img, detectorBuf), [1, 3, DETECTOR_SIZE, DETECTOR_SIZE]),
    })
    // four heads: scores and regressors for the 512 anchors of the 16×16 grid and the 384 of the 8×8 grid
    const outs = bf.outputs.map((o) => res[o]!.data as Float32Array).sort((a, b) => a.length - b.length)
    const [cls384, cls512, reg384, reg512] = outs as [Float32Array, Float32Array, Float32Array, Float32Array]
    const n = cls512.length + cls384.length
    const scores = new Float32Array(n)
    const reg = (i: number) =>
      i < 512 ? reg512.subarray(16 * i, 16 * i + 16) : reg384.subarray(16 * (i - 512), 16 * (i - 512) + 16)
    const boxes = new Float32Array(4 * n)
    for (let i = 0; i < n; i++) {
      const logit = i < 512 ? cls512[i]! : cls384[i - 512]!
      scores[i] = 1 / (1 + Math.exp(-logit))
      const r = reg(i)
      const a = ANCHORS[i]!
      const cx = r[0]! + a[0]
      const cy = r[1]! + a[1]
      boxes[4 * i] = cx - r[2]! / 2
      boxes[4 * i + 1] = cy - r[3]! / 2
      boxes[4 * i + 2] = cx + r[2]! / 2
      boxes[4 * i + 3] = cy + r[3]! / 2
    }
    const kept = nonMaxSuppression(boxes, scores, maxDetected, CONFIG.iouThreshold, CONFIG.minConfidence)
    const fx = img.width / DETECTOR_SIZE
    const fy = img.height / DETECTOR_SIZE
    const out: Box[] = []
    for (const i of kept) {
      const confidence = scores[i]!
      if (!(confidence > CONFIG.minConfidence)) continue
      const scaled = {
        startPoint: [boxes[4 * i]! * fx, boxes[4 * i + 1]! * fy] as Point,
        endPoint: [boxes[4 * i + 2]! * fx, boxes[4 * i + 3]! * fy] as Point,
        confidence,
      }
      const squared = squarifyBox(enlargeBox(scaled, CONFIG.scale))
      if (squared.size[0] > 0 && squared.size[1] > 0) out.push(squared)
    }
    return out
  }

  // Human's state between calls: the boxes tracked from the last frame's meshes, the detector's last
  // run, and the last video frame (kept by the frame-change meter)
  let cacheBoxes: Box[] = []
  let skipped = Number.MAX_SAFE_INTEGER
  let detectedAt = 0

  /**
   * Human's image.skip: a video frame may reuse the tracked boxes when its mean squared change from the
   * previous frame (per value, over 255) is at most `cacheSensitivity`. Over every value, as Human: on
   * handheld clips the mean sits near the threshold often, and an estimate from a subset of rows decided
   * otherwise on some frames (then the detector runs on other frames than Human's and the boxes differ).
   * The sum is exact (frame-change.ts, WebAssembly SIMD: ≈ 0.1 ms at 640×480).
   */
  function frameMayReuseBoxes(img: RgbImage): boolean {
    const d = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length)
    const sum = change.next(d, img.width, img.height)
    if (sum === null) return false
    return sum / img.height / img.width / 255 / 3 <= CONFIG.video.cacheSensitivity
  }

  return {
    backend: 'onnxruntime',
    reset() {
      cacheBoxes = []
      skipped = Number.MAX_SAFE_INTEGER
      change.reset()
      return Promise.resolve()
    },
    async detect(img, o) {
      const video = o?.video === true
      const mayReuse = video ? frameMayReuseBoxes(img) : false
      const now = performance.now()
      const withinTime = CONFIG.video.skipTimeMs > now - detectedAt
      const withinFrames = skipped < CONFIG.video.skipFrames
      if (!mayReuse || !withinTime || !withinFrames || cacheBoxes.length === 0) {
        cacheBoxes = await detectBoxes(img)
        detectedAt = performance.now()
        skipped = 0
      } else skipped++
      const faces: RawFace[] = []
      const tracked: Box[] = []
      for (const box of cacheBoxes) {
        const boxScore = Math.round(100 * box.confidence) / 100
        const res = await meshSession.run({
          [fm.input]: new ort.Tensor('float32', meshInput(img, box, meshBuf), [1, 3, MESH_SIZE, MESH_SIZE]),
        })
        let flag: Float32Array | null = null
        let raw: Float32Array | null = null
        for (const name of fm.outputs) {
          const t = res[name]!.data as Float32Array
          if (t.length === 1) flag = t
          else if (t.length === 1404) raw = t
        }
        if (!flag || !raw) throw new Error('facemesh: unexpected outputs')
        const faceScore = Math.round(100 * flag[0]!) / 100
        if (faceScore < CONFIG.minConfidence) {
          box.confidence = faceScore // as Human: a lost face leaves no tracked box
          continue
        }
        const [bw, bh] = boxSize(box)
        const c = boxCenter(box)
        const mesh: Array<[number, number, number]> = new Array(468)
        let minX = Infinity
        let minY = Infinity
        let maxX = -Infinity
        let maxY = -Infinity
        for (let k = 0; k < 468; k++) {
          const x = Math.trunc((bw / MESH_SIZE) * (raw[3 * k]! - MESH_SIZE / 2) + c[0])
          const y = Math.trunc((bh / MESH_SIZE) * (raw[3 * k + 1]! - MESH_SIZE / 2) + c[1])
          const z = Math.trunc(raw[3 * k + 2]!)
          mesh[k] = [x, y, z]
          if (x < minX) minX = x
          if (x > maxX) maxX = x
          if (y < minY) minY = y
          if (y > maxY) maxY = y
        }
        // the next frame's box: the same size, centred on this mesh
        const mc: Point = [minX + (maxX - minX) / 2, minY + (maxY - minY) / 2]
        const next: Box = {
          startPoint: [mc[0] - bw / 2, mc[1] - bh / 2],
          endPoint: [mc[0] + bw / 2, mc[1] + bh / 2],
          confidence: box.confidence,
          size: box.size,
        }
        tracked.push(next)
        if (!(faceScore > CONFIG.minConfidence)) continue
        const boxRaw: [number, number, number, number] = [
          next.startPoint[0] / img.width,
          next.startPoint[1] / img.height,
          (next.endPoint[0] - next.startPoint[0]) / img.width,
          (next.endPoint[1] - next.startPoint[1]) / img.height,
        ]
        faces.push({
          box: clampBox(next, img.width, img.height),
          boxScore,
          faceScore,
          mesh,
          angle: faceAngle(mesh, boxRaw, img.width, img.height),
        })
      }
      cacheBoxes = tracked
      return faces
    },
  }
}
