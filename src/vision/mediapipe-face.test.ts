/**
 * The server's face pipeline (BlazeFace + FaceMesh converted to ONNX, run by onnxruntime) against the
 * one it re-expresses (Human 3.3 on TensorFlow.js's WebAssembly backend), on real clips and photos:
 * every threshold in src/vision, src/liveness and src/analysis was tuned on Human's output, so both
 * must find the same faces, the same boxes and (to a pixel of rounding) the same meshes and angles.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decodeImage, decodeVideo, type RgbImage } from '../media/index.js'
import { loadHumanFaceDetector } from './human.js'
import { loadFaceDetector, type FaceDetector, type RawFace } from './mediapipe-face.js'
import { tfjsGraphToOnnx } from './tfjs-onnx.js'

const shared = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'))
const data = join(shared, 'data')
const modelsDir = join(shared, 'models')
const CLIPS = ['videos/selfie/krzysiek_real.mp4', 'videos/attacks/ashish_fake3.mp4', 'videos/grid/bbaf2n.mpg']
const hasData = CLIPS.every((c) => existsSync(join(data, c))) && existsSync(join(data, 'faces/lfw'))
if (!hasData) console.log(`SKIP face pipeline equivalence: ${data} lacks the clips or faces/lfw`)

/** largest difference of two faces: box (pixels), mesh (share of the box width), yaw/pitch/roll (degrees) */
function difference(a: RawFace, b: RawFace) {
  const box = Math.max(...a.box.map((v, i) => Math.abs(v - b.box[i]!)))
  let mesh = 0
  for (let i = 0; i < a.mesh.length; i++)
    mesh = Math.max(mesh, Math.abs(a.mesh[i]![0] - b.mesh[i]![0]), Math.abs(a.mesh[i]![1] - b.mesh[i]![1]))
  const deg = (x: number) => (x * 180) / Math.PI
  const angle = Math.max(
    Math.abs(deg(a.angle.yaw - b.angle.yaw)),
    Math.abs(deg(a.angle.pitch - b.angle.pitch)),
    Math.abs(deg(a.angle.roll - b.angle.roll)),
  )
  return { box, mesh: mesh / a.box[2], angle, score: Math.abs(a.faceScore - b.faceScore) }
}

describe.skipIf(!hasData)('face pipeline: onnxruntime against Human (TensorFlow.js)', () => {
  let human: FaceDetector
  let ort: FaceDetector
  beforeAll(async () => {
    human = await loadHumanFaceDetector(modelsDir)
    ort = await loadFaceDetector(modelsDir)
  }, 60_000)

  it.each(CLIPS)(
    'tracks the same faces through %s (every 2nd frame at 15 fps, as the scans sample)',
    async (clip) => {
      const frames: RgbImage[] = []
      await decodeVideo(join(data, clip), (f) => void frames.push(f), { fps: 15, maxSide: 640 })
      await human.reset()
      await ort.reset()
      let faces = 0
      let worstMesh = 0
      for (let i = 0; i < frames.length; i += 2) {
        const a = await human.detect(frames[i]!, { video: true })
        const b = await ort.detect(frames[i]!, { video: true })
        expect(b.length, `frame ${i}`).toBe(a.length)
        for (let k = 0; k < a.length; k++) {
          const d = difference(a[k]!, b[k]!)
          expect(d.box, `frame ${i} box`).toBeLessThanOrEqual(1)
          expect(d.angle, `frame ${i} angle`).toBeLessThan(0.5)
          expect(d.score, `frame ${i} mesh score`).toBeLessThanOrEqual(0.01)
          worstMesh = Math.max(worstMesh, d.mesh)
          faces++
        }
      }
      expect(faces).toBeGreaterThan(10)
      // the meshes differ by the truncation of float results a 1e-4 apart: a pixel now and then
      expect(worstMesh).toBeLessThan(0.025)
      console.log(`[measure] ${clip}: ${faces} faces, mesh within ${(worstMesh * 100).toFixed(2)} % of the box width`)
    },
    60_000,
  )

  it('finds the same faces on still photos (the detector on every call)', async () => {
    const root = join(data, 'faces/lfw')
    const people = readdirSync(root).slice(0, 12)
    let faces = 0
    for (const p of people) {
      const file = readdirSync(join(root, p))[0]!
      const img = await decodeImage(join(root, p, file))
      const a = await human.detect(img)
      const b = await ort.detect(img)
      expect(b.length, file).toBe(a.length)
      for (let k = 0; k < a.length; k++) {
        const d = difference(a[k]!, b[k]!)
        expect(d.box, file).toBeLessThanOrEqual(1)
        expect(d.mesh, file).toBeLessThan(0.025)
        faces++
      }
    }
    expect(faces).toBeGreaterThanOrEqual(12)
  }, 60_000)
})

describe('TensorFlow.js graph → ONNX', () => {
  type Model = Parameters<typeof tfjsGraphToOnnx>[0]
  const weightless = (node: Model['modelTopology']['node']): Model => ({
    modelTopology: { node },
    weightsManifest: [{ paths: [], weights: [] }],
  })
  it('refuses an operator it does not know, rather than converting it wrongly', () => {
    const model = weightless([
      {
        name: 'x',
        op: 'Placeholder',
        attr: { shape: { list: {} } },
      },
      { name: 'y', op: 'Softmax', input: ['x'] },
    ])
    expect(() => tfjsGraphToOnnx(model, Buffer.alloc(0))).toThrow(/Softmax.*not supported/)
  })
  it('refuses a weights file that does not match its manifest', () => {
    const model = weightless([])
    expect(() => tfjsGraphToOnnx(model, Buffer.alloc(4))).toThrow(/weights file has 4 bytes/)
  })
})
