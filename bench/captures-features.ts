/**
 * Feature cache for tuning the silent judge (npm run bench:captures-features): runs the models once
 * over every clip of ../shared/data/videos (section E and the older clips) and over still-image videos
 * made from the face photos, and writes per-frame signals to bench/out/captures-features.json
 * (git-ignored). Tuning scripts and bench:faces --from-cache read that file instead of re-running
 * detection, mesh, anti-spoof and embedding models for every idea (2 shared cores).
 * Options: --still N (photos for the still-image videos, default all 238) --only-clips --only-still --out <file>
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { loadModels, closeModels, type LoadedModels } from '../src/analysis/index.js'
import { sharedDir, projectRoot } from '../src/vision/paths.js'
import { scanVideo } from '../src/vision/scan.js'
import { ffmpegPath } from '../src/media/ffmpeg.js'
import { clipLabels, facePhotos, stillVideo, type ClipFeatures, type FrameFeatures } from './lib-captures.js'

const args = process.argv.slice(2)
const arg = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined)
const data = join(sharedDir(), 'data')
const modelsDir = process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models')
if (!existsSync(join(data, 'videos'))) {
  console.log(`SKIP: ${data}/videos is absent`)
  process.exit(0)
}
const outFile = arg('--out') ?? join(projectRoot(), 'bench', 'out', 'captures-features.json')
mkdirSync(join(projectRoot(), 'bench', 'out'), { recursive: true })
const models = await loadModels(modelsDir)
const r1 = (x: number) => Math.round(x * 10) / 10
const r3 = (x: number) => Math.round(x * 1000) / 1000

async function extract(
  m: LoadedModels,
  file: string,
  label: string,
  opts: { allScores: boolean; embeddings: boolean },
): Promise<ClipFeatures> {
  const frames: FrameFeatures[] = []
  const embeds: Array<{ i: number; e: number[] }> = []
  let faceFrames = 0
  const scan = await scanVideo(m.detector, file, {
    ignoreDurationLimits: true,
    onFrame: async (frame, found, sample) => {
      const f = found.primary
      const ff: FrameFeatures = { sample, faces: [] }
      for (const o of found.faces)
        ff.faces.push({
          box: o.box.map(r1) as [number, number, number, number],
          score: r3(o.detectorScore),
          outside: r3(o.outsideFrac),
        })
      if (f && found.primaryMesh) {
        faceFrames++
        ff.measure = {
          brightness: r1(f.brightness),
          under: r3(f.underexposedFrac),
          over: r3(f.overexposedFrac),
          sharpness: r1(f.sharpness),
          occlusion: r3(f.occlusion),
          textureRatio: r3(f.textureRatio),
          colour: r3(f.lowerFaceColourDistance),
          widthFrac: r3(f.widthFrac),
          centerXFrac: r3(f.centerXFrac),
          earA: r3(f.earA),
          earB: r3(f.earB),
        }
        // every 2nd mesh point: enough for rigid / planar fits, a fifth of the size
        ff.mesh = found.primaryMesh.filter((_, i) => i % 2 === 0).map((p) => [r1(p[0]), r1(p[1]), r1(p[2])])
        if (m.antispoof && (opts.allScores || faceFrames % 4 === 1)) {
          const s = await m.antispoof.score(frame, f.box)
          ff.p128 = r3(s.p128)
          ff.p80 = r3(s.p80)
        }
        if (m.embedder && opts.embeddings && faceFrames % 3 === 1)
          embeds.push({ i: frames.length, e: Array.from(await m.embedder.embed(frame, f.five)).map(r3) })
      }
      // a small grey copy of the whole frame (long side 96 px): background motion and parallax offline
      if (opts.allScores) ff.grey = smallGrey(frame, 96)
      frames.push(ff)
    },
  })
  const best = scan.best
  let bestEmbed: number[] | null = null
  if (best && m.embedder && opts.embeddings)
    bestEmbed = Array.from(await m.embedder.embed(best.frame, best.face.five)).map(r3)
  return {
    file,
    label,
    info: {
      width: scan.info.width,
      height: scan.info.height,
      fps: scan.info.fps,
      durationS: scan.info.durationS,
      frames: scan.info.frames,
    },
    frames,
    embeds,
    bestIndex: best ? frames.findIndex((x) => x.sample.index === best.frame.index) : -1,
    bestEmbed,
    bestPassesQuality: scan.bestPassesQuality,
    qualityFailures: scan.qualityFailures,
  }
}

function smallGrey(img: { data: Buffer | Uint8Array; width: number; height: number }, side: number) {
  const s = side / Math.max(img.width, img.height)
  const w = Math.round(img.width * s)
  const h = Math.round(img.height * s)
  const out = new Uint8Array(w * h)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      // box average of the source cell
      const x0 = Math.floor(x / s)
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) / s))
      const y0 = Math.floor(y / s)
      const y1 = Math.max(y0 + 1, Math.floor((y + 1) / s))
      let acc = 0
      let n = 0
      for (let yy = y0; yy < y1; yy += 2)
        for (let xx = x0; xx < x1; xx += 2) {
          const o = (yy * img.width + xx) * 3
          acc += 0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!
          n++
        }
      out[y * w + x] = Math.round(acc / Math.max(1, n))
    }
  return { w, h, b64: Buffer.from(out).toString('base64') }
}

const clips: ClipFeatures[] = []
const t0 = performance.now()
for (const [rel, label] of args.includes('--only-still') ? [] : Object.entries(clipLabels(data))) {
  const c = await extract(models, join(data, 'videos', rel), label, { allScores: true, embeddings: true })
  c.file = `videos/${rel}`
  clips.push(c)
  console.log(`${rel} ${label} frames ${c.frames.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
}
if (!args.includes('--only-clips')) {
  const photos = facePhotos(data)
  const n = Number(arg('--still') ?? photos.length)
  const tmp = join(tmpdir(), `shiren-still-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  for (const p of photos.slice(0, n))
    for (const kind of ['static', 'moved'] as const) {
      const out = join(tmp, `${kind}.mp4`)
      const r = spawnSync(ffmpegPath(), stillVideo(join(data, p.file), kind, out))
      if (r.status !== 0) throw new Error(r.stderr.toString())
      const c = await extract(models, out, `still:${kind}`, { allScores: false, embeddings: false })
      c.file = `${kind}:${p.file}`
      clips.push(c)
    }
  console.log(
    `still-image videos: ${2 * Math.min(n, photos.length)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  )
}
writeFileSync(outFile, JSON.stringify({ made: new Date().toISOString(), clips }))
console.log(`wrote ${outFile}`)
await closeModels(models)
