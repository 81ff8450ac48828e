/**
 * Render a set of synthetic resident ID cards with their ground truth.
 *
 *   tsx scripts/make-idcards.ts [--out bench/out/idcards] [--count 200] [--backs 50] [--seed 1]
 *   tsx scripts/make-idcards.ts --labels faint|missing [--out …] [--count 100] [--seed 2]
 *
 * Writes <out>/front-0001.jpg …, <out>/back-0001.jpg … and <out>/manifest.json. Needs the
 * Debian package fonts-noto-cjk (font "Noto Sans CJK SC"). Cards carry random valid names,
 * addresses and GB 11643 numbers; each image is rotated by up to ±10°, JPEG-encoded at
 * quality 50–95, sometimes blurred (40 %) and sometimes shrunk to half size (25 %).
 *
 * With --labels faint|missing it renders fronts only, photographed: the field labels faint or absent,
 * the card warped in perspective (tilted 15–35° in depth, turned ±12°) on a wood, cloth or speckled surface.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { seededRng } from '../src/identity/index.js'
import {
  type Distortion,
  type LabelStyle,
  type PhotoDistortion,
  type SyntheticTruth,
  backSvg,
  cjkFontAvailable,
  frontSvg,
  randomDistortion,
  randomPhotoDistortion,
  randomTruth,
  renderCard,
  renderCardPhoto,
} from '../src/ocr/synthetic.js'

export interface ManifestEntry {
  file: string
  side: 'front' | 'back'
  truth: SyntheticTruth
  distortion: Distortion
}

export interface PhotoManifestEntry {
  file: string
  labels: LabelStyle
  truth: SyntheticTruth
  photo: PhotoDistortion
}

/** Fronts with faint or missing labels, photographed at an angle on a textured surface. */
export async function makeIdCardPhotoSet(
  outDir: string,
  opts: { count?: number; seed?: number; labels: LabelStyle },
): Promise<PhotoManifestEntry[]> {
  if (!cjkFontAvailable()) throw new Error('font "Noto Sans CJK SC" not found: apt-get install fonts-noto-cjk')
  const count = opts.count ?? 100
  const rng = seededRng(opts.seed ?? 2)
  await mkdir(outDir, { recursive: true })
  const entries: PhotoManifestEntry[] = []
  for (let i = 0; i < count; i++) {
    const truth = randomTruth(rng)
    const photo = randomPhotoDistortion(rng)
    const svg = frontSvg(truth.front, rng, { labels: opts.labels })
    const file = `photo-${opts.labels}-${String(i + 1).padStart(4, '0')}.jpg`
    await writeFile(path.join(outDir, file), await renderCardPhoto(svg, photo))
    entries.push({ file, labels: opts.labels, truth, photo })
  }
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(entries, null, 1))
  return entries
}

export async function makeIdCardSet(
  outDir: string,
  opts: { count?: number; backs?: number; seed?: number } = {},
): Promise<ManifestEntry[]> {
  if (!cjkFontAvailable()) throw new Error('font "Noto Sans CJK SC" not found: apt-get install fonts-noto-cjk')
  const count = opts.count ?? 200
  const backs = opts.backs ?? 50
  const rng = seededRng(opts.seed ?? 1)
  await mkdir(outDir, { recursive: true })
  const entries: ManifestEntry[] = []
  for (let i = 0; i < count + backs; i++) {
    const side = i < count ? 'front' : 'back'
    const truth = randomTruth(rng)
    const distortion = randomDistortion(rng)
    const svg = side === 'front' ? frontSvg(truth.front, rng) : backSvg(truth.back, rng)
    const file = `${side}-${String(side === 'front' ? i + 1 : i - count + 1).padStart(4, '0')}.jpg`
    await writeFile(path.join(outDir, file), await renderCard(svg, distortion))
    entries.push({ file, side, truth, distortion })
  }
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(entries, null, 1))
  return entries
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
  }
  const t0 = Date.now()
  const labels = opt('labels', '')
  if (labels === 'faint' || labels === 'missing') {
    const out = opt('out', `bench/out/idcards-${labels}`)
    const entries = await makeIdCardPhotoSet(out, {
      labels,
      count: Number(opt('count', '100')),
      seed: Number(opt('seed', labels === 'faint' ? '2' : '3')),
    })
    console.log(`${entries.length} photographed cards in ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    return
  }
  const out = opt('out', 'bench/out/idcards')
  const entries = await makeIdCardSet(out, {
    count: Number(opt('count', '200')),
    backs: Number(opt('backs', '50')),
    seed: Number(opt('seed', '1')),
  })
  console.log(`${entries.length} cards in ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
