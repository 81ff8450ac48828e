/**
 * Image half of the feature cache (npx tsx bench/captures-images.ts): NUAA webcam stills, spoof/vietmoney
 * and the 238 face photos — face count, quality verdict and both anti-spoof scores per image, written to
 * bench/out/captures-images.json (git-ignored) for tuning without re-running the models.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadModels, closeModels } from '../src/analysis/index.js'
import { sharedDir, projectRoot } from '../src/vision/paths.js'
import { decodeImage } from '../src/media/image.js'
import { findFaces } from '../src/vision/faces.js'
import { judgeQuality } from '../src/vision/quality.js'
import { facePhotos } from './lib-captures.js'

const data = join(sharedDir(), 'data')
if (!existsSync(join(data, 'spoof'))) {
  console.log(`SKIP: ${data}/spoof is absent`)
  process.exit(0)
}
const m = await loadModels(process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models'))
const files: Array<{ file: string; label: string }> = []
for (const sub of ['0013', '0016'])
  for (const f of readdirSync(join(data, 'spoof', 'nuaa', sub)).sort())
    files.push({ file: `spoof/nuaa/${sub}/${f}`, label: f.startsWith('live') ? 'live' : 'spoof:print' })
for (const f of readdirSync(join(data, 'spoof', 'vietmoney')).sort())
  files.push({
    file: `spoof/vietmoney/${f}`,
    label: f.startsWith('true') ? 'live' : f === 'fake_002.jpg' ? 'spoof:print' : 'spoof:screen',
  })
if (!process.argv.includes('--no-faces')) for (const p of facePhotos(data)) files.push({ file: p.file, label: 'photo' })
const r3 = (x: number) => Math.round(x * 1000) / 1000
const rows = []
for (const { file, label } of files) {
  const img = await decodeImage(join(data, file))
  const found = await findFaces(m.detector, img)
  const f = found.primary
  const q = f ? judgeQuality(f, img, { eyesMustBeOpen: true }) : null
  const s = f && m.antispoof ? await m.antispoof.score(img, f.box) : null
  rows.push({
    file,
    label,
    width: img.width,
    height: img.height,
    count: found.count,
    faces: found.faces.map((o) => ({ box: o.box.map(r3), score: r3(o.detectorScore), outside: r3(o.outsideFrac) })),
    failures: q?.failures ?? ['NO_FACE'],
    measure: f
      ? {
          brightness: r3(f.brightness),
          under: r3(f.underexposedFrac),
          over: r3(f.overexposedFrac),
          sharpness: r3(f.sharpness),
          occlusion: r3(f.occlusion),
          ear: r3(f.ear),
          yaw: r3(f.yawDeg),
          pitch: r3(f.pitchDeg),
          widthFrac: r3(f.widthFrac),
          centerXFrac: r3(f.centerXFrac),
        }
      : null,
    p128: s ? r3(s.p128) : null,
    p80: s ? r3(s.p80) : null,
  })
}
mkdirSync(join(projectRoot(), 'bench', 'out'), { recursive: true })
writeFileSync(join(projectRoot(), 'bench', 'out', 'captures-images.json'), JSON.stringify({ rows }))
console.log(`wrote ${rows.length} images`)
await closeModels(m)
