/**
 * `npm run bench:mesh` — the face pipeline's cost per picture, onnxruntime (src/vision/mediapipe-face.ts,
 * what the server runs) against Human on TensorFlow.js's WebAssembly backend (src/vision/human.ts, the
 * pipeline it re-expresses), in the same run, interleaved: CPU ms per video frame (tracked, every 2nd
 * frame at 15 fps as the scans sample) and per still photo (the detector on every call), medians of
 * several passes. CPU = this process's `cpuUsage` (all threads).
 */
import { existsSync, readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { decodeImage, decodeVideo, type RgbImage } from '../src/media/index.js'
import { loadHumanFaceDetector } from '../src/vision/human.js'
import { loadFaceDetector, sharedDir, type FaceDetector } from '../src/vision/index.js'

const data = join(sharedDir(), 'data')
const modelsDir = join(sharedDir(), 'models')
const CLIPS = ['videos/liveportrait/d13.mp4', 'videos/selfie/krzysiek_real.mp4', 'videos/grid/bbaf2n.mpg']
if (!CLIPS.every((c) => existsSync(join(data, c)))) {
  console.log(`SKIP bench:mesh: ${data} lacks the clips`)
  process.exit(0)
}
const PASSES = Number(process.env.PASSES ?? 5)
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const clips: Array<{ name: string; frames: RgbImage[] }> = []
for (const c of CLIPS) {
  const frames: RgbImage[] = []
  await decodeVideo(join(data, c), (f) => void frames.push(f), { fps: 15, maxSide: 640 })
  clips.push({ name: c, frames: frames.filter((_, i) => i % 2 === 0) })
}
const photos: RgbImage[] = []
const lfw = join(data, 'faces/lfw')
for (const p of readdirSync(lfw).slice(0, 20))
  photos.push(await decodeImage(join(lfw, p, readdirSync(join(lfw, p))[0]!)))

const detectors: Array<[string, FaceDetector]> = [
  ['onnxruntime', await loadFaceDetector(modelsDir)],
  ['Human (tfjs wasm)', await loadHumanFaceDetector(modelsDir)],
]
const perFrame = new Map<string, number[]>()
const perPhoto = new Map<string, number[]>()
const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v])
for (let pass = 0; pass <= PASSES; pass++) {
  for (const [name, d] of detectors) {
    let n = 0
    const c0 = cpu()
    for (const clip of clips) {
      await d.reset()
      for (const f of clip.frames) {
        await d.detect(f, { video: true })
        n++
      }
    }
    const video = (cpu() - c0) / n
    const c1 = cpu()
    for (const p of photos) await d.detect(p)
    const photo = (cpu() - c1) / photos.length
    if (pass === 0) continue // warm-up
    push(perFrame, name, video)
    push(perPhoto, name, photo)
  }
}
const frames = clips.reduce((a, c) => a + c.frames.length, 0)
console.log(
  `# bench:mesh — ${frames} video frames of ${clips.length} clips (≤ 640 px), ${photos.length} photos; ${PASSES} passes after a warm-up; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
)
console.log('| pipeline | CPU ms per tracked video frame | CPU ms per still photo |')
console.log('|---|---:|---:|')
for (const [name] of detectors)
  console.log(`| ${name} | ${median(perFrame.get(name)!).toFixed(1)} | ${median(perPhoto.get(name)!).toFixed(1)} |`)
const [a, b] = detectors.map(([n]) => n) as [string, string]
console.log(
  `\nonnxruntime / Human: ${(median(perFrame.get(a)!) / median(perFrame.get(b)!)).toFixed(2)} per video frame, ${(median(perPhoto.get(a)!) / median(perPhoto.get(b)!)).toFixed(2)} per photo`,
)
