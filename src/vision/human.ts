import { createRequire } from 'node:module'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { RgbImage } from '../media/index.js'
import { packageDir } from './paths.js'
import { resolveModel } from './models.js'
import type { FaceDetector } from './mediapipe-face.js'

const require = createRequire(import.meta.url)

/**
 * Node's fetch has no `file://`: Human loads its model JSON and weights, and tfjs-backend-wasm its
 * .wasm, through fetch. Installed once per worker.
 */
function installFileFetch(): void {
  const g = globalThis as { __shirenFileFetch?: boolean }
  if (g.__shirenFileFetch) return
  g.__shirenFileFetch = true
  const realFetch = globalThis.fetch
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url.startsWith('file://')) {
      const buf = await readFile(fileURLToPath(url))
      const type = url.endsWith('.wasm')
        ? 'application/wasm'
        : url.endsWith('.json')
          ? 'application/json'
          : 'application/octet-stream'
      return new Response(buf, { status: 200, headers: { 'content-type': type } })
    }
    return realFetch(input, init)
  }) as typeof fetch
}

// Human's typings are broad; the worker only uses this narrow surface.
interface HumanTensor {
  dispose(): void
}
interface HumanLike {
  load(): Promise<void>
  warmup(): Promise<unknown>
  detect(input: HumanTensor, config?: Record<string, unknown>): Promise<{ face: HumanFaceResult[] }>
  tf: {
    tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): HumanTensor
    getBackend(): string
    engine(): { startScope(): void; endScope(): void }
    memory(): { numTensors: number; numBytes: number }
  }
}
interface HumanFaceResult {
  box: [number, number, number, number]
  boxScore: number
  faceScore: number
  mesh: Array<[number, number, number]>
  rotation?: { angle: { yaw: number; pitch: number; roll: number } } | null
  tensor?: HumanTensor
}

/**
 * Human's own face pipeline on TensorFlow.js's WebAssembly backend: the reference the server's
 * onnxruntime pipeline (mediapipe-face.ts) re-expresses, kept for the test that compares both (the
 * capture page runs Human in the browser for its guide). Not used by the server.
 *
 * Load Human (wasm backend, one thread) with only the face detector and mesh. Loaded from its
 * `dist/human.node-wasm.js` by path: the package's `exports` map does not expose that build.
 */
export async function loadHumanFaceDetector(
  modelsDir: string,
  opts: { maxFaces?: number } = {},
): Promise<FaceDetector> {
  installFileFetch()
  const blazeface = resolveModel('blazeface', modelsDir)
  resolveModel('blazeface-weights', modelsDir)
  const facemesh = resolveModel('facemesh', modelsDir)
  resolveModel('facemesh-weights', modelsDir)
  const humanDir = packageDir('@vladmandic/human')
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/')
  const mod = require(join(humanDir, 'dist', 'human.node-wasm.js')) as {
    Human: new (cfg: Record<string, unknown>) => HumanLike
  }
  const human = new mod.Human({
    backend: 'wasm',
    wasmPath: pathToFileURL(wasmDir).href + '/',
    wasmPlatformFetch: false,
    modelBasePath: pathToFileURL(join(humanDir, 'models')).href + '/',
    debug: false,
    async: true,
    warmup: 'none',
    // 0: no reuse of earlier results between calls (images, separate attempts); videos override it
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: pathToFileURL(blazeface).href,
        rotation: false,
        maxDetected: opts.maxFaces ?? 6,
        minConfidence: 0.4,
        iouThreshold: 0.3,
        return: false,
      },
      mesh: { enabled: true, modelPath: pathToFileURL(facemesh).href },
      attention: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  })
  await human.load()
  const backend = human.tf.getBackend()
  // video: consecutive frames may reuse the detector's box (the mesh tracks the face between detector
  // runs); Human decides by comparing each frame with the previous one (its default sensitivity)
  const videoConfig = { cacheSensitivity: 0.7, face: { detector: { skipFrames: 10, skipTime: 100_000 } } }
  const imageConfig = { cacheSensitivity: 0 }
  let lastSize: { width: number; height: number } | null = null
  return {
    backend,
    // Human keeps its tracked boxes and last input per instance: a blank frame empties them
    async reset() {
      if (!lastSize) return
      const { width, height } = lastSize
      const t = human.tf.tensor3d(new Uint8Array(width * height * 3), [height, width, 3], 'int32')
      try {
        await human.detect(t, videoConfig)
      } finally {
        t.dispose()
      }
    },
    async detect(img, o) {
      lastSize = { width: img.width, height: img.height }
      const tensor = human.tf.tensor3d(
        new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length),
        [img.height, img.width, 3],
        'int32',
      )
      try {
        const res = await human.detect(tensor, o?.video ? videoConfig : imageConfig)
        return res.face.map((f) => ({
          box: f.box,
          boxScore: f.boxScore,
          faceScore: f.faceScore,
          mesh: f.mesh,
          angle: f.rotation?.angle ?? { yaw: 0, pitch: 0, roll: 0 },
        }))
      } finally {
        tensor.dispose()
      }
    },
  }
}
