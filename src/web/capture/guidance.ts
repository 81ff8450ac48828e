import { Human, type Config, type FaceResult } from '@vladmandic/human'

/**
 * Live framing hints on the preview, computed in the page with the vision engine's detector family
 * (Human's BlazeFace + face mesh on tfjs, WebAssembly backend). It judges the reasons the server
 * judges, with the server's thresholds (sent by /capture/api/page) tightened by a margin, so that a
 * face the page calls good is one the server will accept.
 */
export interface Thresholds {
  maxWidthFrac: number
  maxHeightFrac: number
  minWidthFracOfShortSide: number
  minFacePixels: number
  minCenterX: number
  maxCenterX: number
  minBrightness: number
  maxBrightness: number
  secondFaceMinRelWidth: number
  secondFaceMinDetectorScore: number
  maxOutsideFrac: number
  frontalYawDeg: number
}

export interface GuideState {
  reason: string | null
  faces: number
  /** face box centre and width as shares of the picture, for tests and the overlay */
  centerX: number | null
  widthFrac: number | null
  brightness: number | null
  ms: number
}

export interface Guide {
  backend: string
  check(video: HTMLVideoElement): Promise<GuideState>
  /** frames judged per second over the last second */
  fps(): number
}

/** the page asks for a little more than the server needs, so borderline framing is fixed before recording */
const MARGIN = { size: 1.25, center: 0.08, light: 15 }

export async function createGuide(T: Thresholds): Promise<Guide> {
  const base = new URL('/web/', location.href).href
  const config: Partial<Config> = {
    backend: 'wasm',
    wasmPath: `${base}wasm/`,
    modelBasePath: `${base}models/`,
    debug: false,
    async: true,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: {
        modelPath: 'blazeface.json',
        rotation: false,
        maxDetected: 3,
        minConfidence: 0.4,
        iouThreshold: 0.1,
        return: false,
        skipFrames: 0,
        skipTime: 0,
      },
      mesh: { enabled: true, modelPath: 'facemesh.json' },
      attention: { enabled: false },
      iris: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      gear: { enabled: false },
    } as Config['face'],
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  } as Partial<Config>
  const human = new Human(config)
  await human.load()
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!
  const stamps: number[] = []

  /** mean luma of the inner face (middle of the box), read from a small copy of the frame */
  const brightness = (video: HTMLVideoElement, box: [number, number, number, number]): number => {
    const [x, y, w, hh] = box
    const ix = x + w * 0.25
    const iy = y + hh * 0.3
    const iw = Math.max(1, w * 0.5)
    const ih = Math.max(1, hh * 0.45)
    canvas.width = 32
    canvas.height = 32
    ctx.drawImage(video, ix, iy, iw, ih, 0, 0, 32, 32)
    const d = ctx.getImageData(0, 0, 32, 32).data
    let sum = 0
    for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!
    return sum / (d.length / 4)
  }

  return {
    backend: human.tf.getBackend(),
    fps() {
      const now = performance.now()
      while (stamps.length && stamps[0]! < now - 1000) stamps.shift()
      return stamps.length
    },
    async check(video) {
      const t0 = performance.now()
      const W = video.videoWidth
      const H = video.videoHeight
      const res = await human.detect(video)
      const faces = (res.face as FaceResult[]).filter((f) => f.boxScore >= 0.4).sort((a, b) => b.box[2] - a.box[2])
      const main = faces[0]
      const state: GuideState = {
        reason: null,
        faces: faces.length,
        centerX: null,
        widthFrac: null,
        brightness: null,
        ms: 0,
      }
      const done = () => {
        state.ms = performance.now() - t0
        stamps.push(performance.now())
        return state
      }
      if (!main || !W || !H) {
        state.reason = 'NO_FACE'
        return done()
      }
      const [x, y, w, hh] = main.box
      state.centerX = (x + w / 2) / W
      state.widthFrac = w / W
      const second = faces[1]
      if (second && second.box[2] >= T.secondFaceMinRelWidth * w && second.boxScore >= T.secondFaceMinDetectorScore)
        state.reason = 'MULTIPLE_FACES'
      else if (x < -w * 0.05 || y < -hh * 0.05 || x + w > W * 1.05 || y + hh > H * 1.05)
        state.reason = 'FACE_INCOMPLETE'
      else if (w / W > T.maxWidthFrac / MARGIN.size || hh / H > T.maxHeightFrac / (MARGIN.size * 0.9))
        state.reason = 'FACE_TOO_CLOSE'
      else if (w < T.minWidthFracOfShortSide * Math.min(W, H) * MARGIN.size * 1.6 || w < T.minFacePixels * MARGIN.size)
        state.reason = 'FACE_TOO_FAR'
      // image coordinates: the person sees a mirror, so "too left" in the picture is to their right
      else if (state.centerX < T.minCenterX + MARGIN.center) state.reason = 'FACE_TOO_LEFT'
      else if (state.centerX > T.maxCenterX - MARGIN.center) state.reason = 'FACE_TOO_RIGHT'
      if (!state.reason) {
        state.brightness = brightness(video, main.box)
        if (state.brightness < T.minBrightness + MARGIN.light) state.reason = 'TOO_DARK'
        else if (state.brightness > T.maxBrightness - MARGIN.light) state.reason = 'TOO_BRIGHT'
      }
      if (!state.reason) {
        const yaw = Math.abs(((main.rotation?.angle.yaw ?? 0) * 180) / Math.PI)
        // a mesh that fits poorly on a found face means part of it is hidden (mask, hand)
        if ((main.faceScore ?? 1) < 0.5) state.reason = 'FACE_OCCLUDED'
        else if (yaw > T.frontalYawDeg) state.reason = 'FACE_NOT_FRONTAL'
      }
      return done()
    },
  }
}
