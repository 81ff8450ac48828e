/**
 * Tune and check the silent judge on the feature cache (no model runs):
 *   npx tsx bench/tune-silent.ts bench/out/clips.json bench/out/still.json bench/out/captures-images.json
 * Rebuilds what the scan would hand the judge (samples, planar residual, the sampled near-frontal
 * anti-spoof frames) from the cached per-frame signals, prints every clip's evidence and verdict, and
 * chooses each threshold with each presentation held out (leave-one-out).
 */
import { readFileSync } from 'node:fs'
import {
  judgeSilent,
  logit,
  motionEvidence,
  padScore,
  SILENT_SPREAD_FRAMES,
  SILENT_THRESHOLDS,
  type PadFrame,
} from '../src/liveness/silent.js'
import { FRONTAL, planarResidual } from '../src/vision/scan.js'
import type { Pt } from '../src/vision/planar.js'
import type { FrameSample } from '../src/vision/types.js'
import { chooseThreshold, fitPlatt, type ClipFeatures } from './lib-captures.js'

export interface Rebuilt {
  file: string
  label: string
  samples: FrameSample[]
  planar: number
  pad: PadFrame[]
}

/** What scanVideo + the analyser would give the judge, from the cache (spread of `wanted` frames, near-frontal first). */
export function rebuild(c: ClipFeatures, wanted = SILENT_SPREAD_FRAMES): Rebuilt {
  const samples: FrameSample[] = c.frames.map((f) => {
    const s = f.sample
    if (!s.face || !f.faces[0]) return s
    const b = f.faces[0].box
    return { ...s, face: { ...s.face, centerX: b[0] + b[2] / 2, centerY: b[1] + b[3] / 2 } }
  })
  const meshes = c.frames
    .filter((f) => f.mesh && f.sample.face)
    .map((f) => ({
      yaw: f.sample.face!.yawDeg,
      pts: f.mesh!.filter((_, i) => i % 2 === 0).map((p) => [p[0]!, p[1]!] as Pt),
    }))
  const stride = Math.max(1, Math.floor(120 / wanted / 2))
  const faceFrames = c.frames.filter((f) => f.sample.face && f.p128 !== undefined)
  // the cache scored every frame of the real clips, every 4th of the still-image videos
  const cand =
    faceFrames.length > c.frames.filter((f) => f.sample.face).length / 2
      ? faceFrames.filter((_, i) => i % stride === 0)
      : faceFrames
  const frontal = cand.filter(
    (f) => Math.abs(f.sample.face!.yawDeg) <= FRONTAL.yawDeg && Math.abs(f.sample.face!.pitchDeg) <= FRONTAL.pitchDeg,
  )
  const pool = frontal.length >= Math.min(3, cand.length) ? frontal : cand
  const spread =
    pool.length <= wanted
      ? pool
      : Array.from({ length: wanted }, (_, i) => pool[Math.round((i * (pool.length - 1)) / (wanted - 1))]!)
  return {
    file: c.file.replace(/^.*?videos\//, ''),
    label: c.label,
    samples,
    planar: planarResidual(meshes),
    pad: spread.map((f) => ({ p128: f.p128!, p80: f.p80! })),
  }
}

const files = process.argv.slice(2)
const clips: ClipFeatures[] = files
  .filter((f) => !f.includes('images'))
  .flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { clips: ClipFeatures[] }).clips)
const images: Array<{ file: string; label: string; p128: number | null; p80: number | null }> = files
  .filter((f) => f.includes('images'))
  .flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { rows: [] }).rows)
const rb = clips.map((c) => rebuild(c))
const f2 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2))
console.log('clip | label | own | 3d(planar) | travel | pad | l80q25 | verdict')
const verdicts: Record<string, Record<string, number>> = {}
for (const r of rb) {
  const v = judgeSilent(r.samples, r.pad, r.planar)
  const m = v.motion!
  ;(verdicts[r.label] ??= {})[v.reason] ??= 0
  verdicts[r.label]![v.reason]!++
  if (!r.label.startsWith('still') || v.reason === 'PASS')
    console.log(
      `${r.file} | ${r.label} | ${m.ownMotion} (mouth ${f2(m.mouthRelRange)}, blink ${f2(m.blinkDepth)}) | ${m.headMotion3d} (${f2(m.planarResidual)}) | ${f2(m.rigidTravel)} | ${f2(v.liveScore)} | ${f2(v.logit80Q25)} | ${v.reason}`,
    )
}
console.log(JSON.stringify(verdicts))

// ---- thresholds with each presentation held out ----
const stillMoved = rb.filter((r) => r.label === 'still:moved')
const ev = new Map(rb.map((r) => [r, motionEvidence(r.samples, r.planar)]))
function loo(
  name: string,
  pos: Array<{ id: string; x: number }>,
  neg: Array<{ id: string; x: number }>,
  current: number,
) {
  const all = chooseThreshold(
    pos.map((p) => p.x),
    neg.map((n) => n.x),
  )
  const wrong: string[] = []
  for (const p of pos) {
    const t = chooseThreshold(
      pos.filter((q) => q !== p).map((q) => q.x),
      neg.map((n) => n.x),
    )
    if (p.x < t) wrong.push(`${p.id} (${f2(p.x)} < ${f2(t)})`)
  }
  for (const n of neg) {
    const t = chooseThreshold(
      pos.map((q) => q.x),
      neg.filter((q) => q !== n).map((q) => q.x),
    )
    if (n.x >= t) wrong.push(`${n.id} (${f2(n.x)} ≥ ${f2(t)})`)
  }
  const inSample = pos.filter((p) => p.x < current).length + neg.filter((n) => n.x >= current).length
  console.log(
    `${name}: chosen on all ${f2(all)} (in use ${current}); in-sample errors ${inSample}/${pos.length + neg.length}; leave-one-out errors ${wrong.length}/${pos.length + neg.length}${wrong.length ? ': ' + wrong.join(', ') : ''}`,
  )
}
// PAD: bona fide presentations against attacks (masks excluded: PAD does not see them; the face photos are reported apart)
const padPos = [
  ...rb
    .filter((r) => r.label === 'live' || r.label === 'live-studio')
    .map((r) => ({ id: r.file, x: padScore(r.pad) ?? -9 })),
  ...images
    .filter((i) => i.label === 'live' && i.p128 !== null)
    .map((i) => ({ id: i.file, x: (logit(i.p128!) + logit(i.p80!)) / 2 })),
]
const padNeg = [
  ...rb.filter((r) => r.label === 'spoof:screen').map((r) => ({ id: r.file, x: padScore(r.pad) ?? -9 })),
  ...images
    .filter((i) => i.label.startsWith('spoof') && i.p128 !== null)
    .map((i) => ({ id: i.file, x: (logit(i.p128!) + logit(i.p80!)) / 2 })),
]
loo('minPadScore', padPos, padNeg, SILENT_THRESHOLDS.minPadScore)
const platt = fitPlatt(
  padPos.map((p) => p.x),
  padNeg.map((n) => n.x),
)
console.log(`Platt fit of P(live) = σ(a·score + b): a ${platt.a.toFixed(3)}, b ${platt.b.toFixed(3)}`)
// 80-px model when the eyes and mouth do not move: live clips without own motion against the mask
const noOwn = rb.filter((r) => !ev.get(r)!.ownMotion && (padScore(r.pad) ?? -9) >= SILENT_THRESHOLDS.minPadScore)
const l80 = (r: Rebuilt) => judgeSilent(r.samples, r.pad, r.planar).logit80Q25 ?? -9
loo(
  'minStillFaceLogit80',
  noOwn.filter((r) => r.label === 'live').map((r) => ({ id: r.file, x: l80(r) })),
  noOwn.filter((r) => r.label === 'spoof:mask').map((r) => ({ id: r.file, x: l80(r) })),
  SILENT_THRESHOLDS.minStillFaceLogit80,
)
// 3-D head motion: live camera clips that turn the head against the photos moved in front of the camera
loo(
  'minPlanarResidual',
  rb.filter((r) => r.label === 'live' && ev.get(r)!.yawRange >= 10).map((r) => ({ id: r.file, x: r.planar })),
  stillMoved.map((r) => ({ id: r.file, x: r.planar })),
  SILENT_THRESHOLDS.minPlanarResidual,
)
// travel: still-sitting live users without own motion against the moved photos
loo(
  'maxRigidTravel (flat pictures must travel at least)',
  stillMoved.map((r) => ({ id: r.file, x: ev.get(r)!.rigidTravel })),
  rb
    .filter((r) => (r.label === 'live' || r.label === 'live-studio') && !ev.get(r)!.independentMotion)
    .map((r) => ({ id: r.file, x: ev.get(r)!.rigidTravel })),
  SILENT_THRESHOLDS.maxRigidTravel,
)
