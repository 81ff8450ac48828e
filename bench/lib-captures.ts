/** Shared by bench:faces and the capture feature cache: clip labels, face photos, still-image videos. */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FrameSample } from '../src/vision/types.js'

export interface FrameFeatures {
  sample: FrameSample
  faces: Array<{ box: [number, number, number, number]; score: number; outside: number }>
  measure?: Record<string, number>
  /** every 2nd point of the primary face's mesh */
  mesh?: number[][]
  p128?: number
  p80?: number
  grey?: { w: number; h: number; b64: string }
}

export interface ClipFeatures {
  file: string
  label: string
  info: { width: number; height: number; fps: number; durationS: number; frames: number }
  frames: FrameFeatures[]
  embeds: Array<{ i: number; e: number[] }>
  bestIndex: number
  bestEmbed: number[] | null
  bestPassesQuality: boolean
  qualityFailures: Record<string, number>
}

/**
 * Label of each clip of ../shared/data/videos: live (camera capture of a present person), live-edited
 * (broadcast footage of real people), spoof:screen, spoof:mask (section E of the data README).
 */
export function clipLabels(data: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const dir of ['selfie', 'attacks', 'grid', 'liveportrait', 'video_retalking']) {
    const d = join(data, 'videos', dir)
    if (!existsSync(d)) continue
    for (const f of readdirSync(d).sort()) {
      let label = 'live'
      if (dir === 'selfie' && f.startsWith('ashish')) label = 'live-edited'
      if (dir === 'attacks') label = /mask/i.test(f) ? 'spoof:mask' : 'spoof:screen'
      if (dir === 'grid' || dir === 'liveportrait' || dir === 'video_retalking') label = 'live-studio'
      out[`${dir}/${f}`] = label
    }
  }
  return out
}

/** every face photo with its identity (folder name); multi-face and edge-case photos excluded */
export function facePhotos(data: string): Array<{ file: string; id: string }> {
  const out: Array<{ file: string; id: string }> = []
  for (const src of ['lfw', 'deepface']) {
    const dir = join(data, 'faces', src)
    for (const person of readdirSync(dir).sort()) {
      if (person.startsWith('_')) continue
      for (const f of readdirSync(join(dir, person)).sort())
        out.push({ file: `faces/${src}/${person}/${f}`, id: `${src}/${person}` })
    }
  }
  return out
}

/** ffmpeg arguments for a 2.4 s still-image video of a photo: static, or moved (zoom, pan, in-plane rotation). */
export function stillVideo(photo: string, kind: 'static' | 'moved', out: string): string[] {
  const vf =
    kind === 'static'
      ? 'scale=480:480:force_original_aspect_ratio=decrease,pad=480:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p'
      : "scale=960:960:force_original_aspect_ratio=decrease,pad=960:960:(ow-iw)/2:(oh-ih)/2,zoompan=z='1.25+0.1*sin(on/12)':x='iw/2-(iw/zoom/2)+30*sin(on/9)':y='ih/2-(ih/zoom/2)+20*cos(on/7)':d=1:s=480x480:fps=25,rotate=0.06*sin(t*3),format=yuv420p"
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-i',
    photo,
    '-t',
    '2.4',
    '-r',
    '25',
    '-vf',
    vf,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    out,
  ]
}

/**
 * Threshold t with pos ≥ t and neg < t: midway between the classes when they separate, else the
 * midpoint of the split with the fewest errors (ties: the one nearest the middle of the overlap).
 */
export function chooseThreshold(pos: number[], neg: number[]): number {
  if (!pos.length || !neg.length) return pos.length ? Math.min(...pos) : Math.max(...neg)
  const lo = Math.min(...pos)
  const hi = Math.max(...neg)
  if (lo > hi) return (lo + hi) / 2
  const cuts = [...new Set([...pos, ...neg])].sort((a, b) => a - b)
  let best = { t: (lo + hi) / 2, err: Infinity }
  for (let i = 0; i + 1 < cuts.length; i++) {
    const t = (cuts[i]! + cuts[i + 1]!) / 2
    const err = pos.filter((p) => p < t).length + neg.filter((n) => n >= t).length
    if (err < best.err) best = { t, err }
  }
  return best.t
}

/** Platt scaling: P = σ(a·x + b) by Newton steps with a small ridge on a (the sets separate, so an unpenalised fit diverges). */
export function fitPlatt(pos: number[], neg: number[], ridge = 1): { a: number; b: number } {
  const xs = [...pos, ...neg]
  const ys = [...pos.map(() => 1), ...neg.map(() => 0)]
  let a = 1
  let b = 0
  for (let it = 0; it < 100; it++) {
    let ga = ridge * a
    let gb = 0
    let haa = ridge
    let hab = 0
    let hbb = 1e-6
    for (let i = 0; i < xs.length; i++) {
      const p = 1 / (1 + Math.exp(-(a * xs[i]! + b)))
      const w = p * (1 - p)
      ga += (p - ys[i]!) * xs[i]!
      gb += p - ys[i]!
      haa += w * xs[i]! * xs[i]!
      hab += w * xs[i]!
      hbb += w
    }
    const det = haa * hbb - hab * hab
    const da = (hbb * ga - hab * gb) / det
    const db = (haa * gb - hab * ga) / det
    a -= da
    b -= db
    if (Math.abs(da) + Math.abs(db) < 1e-9) break
  }
  return { a, b }
}

/** 95 % Wilson score interval of k successes in n. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (!n) return [0, 1]
  const p = k / n
  const d = 1 + (z * z) / n
  const c = (p + (z * z) / (2 * n)) / d
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d
  return [Math.max(0, c - h), Math.min(1, c + h)]
}

/**
 * A threshold chosen on all presentations, and the same choice repeated with each one held out and
 * applied to it: pos must be ≥ the threshold, neg below. Returns the in-sample errors at `inUse` and
 * the leave-one-out errors, with the presentations that were wrong.
 */
export function leaveOneOut(
  pos: Array<{ id: string; x: number }>,
  neg: Array<{ id: string; x: number }>,
  inUse: number,
): { chosen: number; n: number; inSample: string[]; heldOut: string[] } {
  const chosen = chooseThreshold(
    pos.map((p) => p.x),
    neg.map((n) => n.x),
  )
  const heldOut: string[] = []
  for (const p of pos) {
    const t = chooseThreshold(
      pos.filter((q) => q !== p).map((q) => q.x),
      neg.map((n) => n.x),
    )
    if (p.x < t) heldOut.push(`${p.id} (${p.x.toFixed(2)} < ${t.toFixed(2)})`)
  }
  for (const n of neg) {
    const t = chooseThreshold(
      pos.map((q) => q.x),
      neg.filter((q) => q !== n).map((q) => q.x),
    )
    if (n.x >= t) heldOut.push(`${n.id} (${n.x.toFixed(2)} ≥ ${t.toFixed(2)})`)
  }
  const inSample = [
    ...pos.filter((p) => p.x < inUse).map((p) => p.id),
    ...neg.filter((n) => n.x >= inUse).map((n) => n.id),
  ]
  return { chosen, n: pos.length + neg.length, inSample, heldOut }
}
