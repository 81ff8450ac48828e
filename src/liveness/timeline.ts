/**
 * What the liveness judges see of a video: one sample per analysed frame, primary face only.
 * Built by the vision engine, judged here without any model (pure functions, easy to test).
 */
export interface FrameSample {
  index: number
  t: number
  faceCount: number
  /** null when no face was found in this frame */
  face: {
    ear: number
    mouthOpen: number
    yawDeg: number
    pitchDeg: number
    rollDeg: number
    /** face box width in pixels (scale for motion) */
    width: number
    quality: number
    /** share of mesh points outside the picture */
    outsideFrac: number
    /** 0–1 cover of the lower face (see FaceMeasure.occlusion) */
    occlusion: number
  } | null
  /** non-rigid motion since the previous face frame: 95th-percentile mesh residual after the best similarity fit, over inter-ocular distance */
  nonRigid: number | null
  /** mean absolute grey difference (0–255) of the face region since the previous face frame */
  pixelMotion: number | null
}

export function median(v: number[]): number {
  if (!v.length) return NaN
  const s = [...v].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function quantile(v: number[], q: number): number {
  if (!v.length) return NaN
  const s = [...v].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}
