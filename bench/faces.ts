/**
 * Accuracy benchmark of the vision engine on ../shared/data (npm run bench:faces).
 *   pairs      face verification on pairs.tsv + calibration over every cross-identity pair of faces/
 *   quality    how often each quality rule fires on the untouched face photos
 *   spoof      anti-spoof on spoof/vietmoney (APCER / BPCER) and BPCER on the face photos
 *   videos     action events found in each clip, and none where the clip does not show them
 *   still      still-image videos made from each face photo with ffmpeg (static and moved) must fail
 * Options: --only pairs,quality,spoof,videos,still   --write-calibration   --json <file>
 * Prints figures; writes docs/img/roc.png. Skips with a reason when ../shared/data is absent.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { loadModels, embedImage, closeModels, type LoadedModels } from '../src/analysis/index.js'
import { buildCalibration, cosineToScore, type CalibrationTable } from '../src/vision/calibration.js'
import { cosine } from '../src/vision/embed.js'
import { sharedDir, projectRoot } from '../src/vision/paths.js'
import { decodeImage } from '../src/media/image.js'
import { findFaces } from '../src/vision/faces.js'
import { judgeQuality } from '../src/vision/quality.js'
import { scanVideo } from '../src/vision/scan.js'
import { detectActions, judgeActions, type Action } from '../src/liveness/action.js'
import { motionEvidence, motionVerdict } from '../src/liveness/silent.js'
import { ffmpegPath } from '../src/media/ffmpeg.js'
import { verificationMetrics, rocPoints } from './lib-metrics.js'
import { rocPng } from './roc-png.js'

const args = process.argv.slice(2)
const only = (args[args.indexOf('--only') + 1] ?? '').split(',').filter((s) => args.includes('--only') && s)
const want = (part: string) => !only.length || only.includes(part)
const root = projectRoot()
const data = join(sharedDir(), 'data')
const modelsDir = process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models')
if (!existsSync(join(data, 'pairs.tsv'))) {
  console.log(`SKIP bench:faces: ${data} is absent (set SHIREN_SHARED_DIR to the folder holding data/ and models/)`)
  process.exit(0)
}
const pct = (x: number) => `${(100 * x).toFixed(1)} %`
const report: Record<string, unknown> = {}

const models = await loadModels(modelsDir)

/** every face photo with its identity (folder name); multi-face and edge-case photos excluded */
function facePhotos(): Array<{ file: string; id: string }> {
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

async function benchPairs(m: LoadedModels) {
  const photos = facePhotos()
  const emb = new Map<string, Float32Array | null>()
  const t0 = performance.now()
  for (const p of photos) emb.set(p.file, (await embedImage(m, join(data, p.file))).embedding)
  const perImageMs = (performance.now() - t0) / photos.length
  const noFace = photos.filter((p) => !emb.get(p.file)).map((p) => p.file)
  // pairs.tsv
  const rows = readFileSync(join(data, 'pairs.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
  const gen: number[] = []
  const imp: number[] = []
  let failed = 0
  for (const [a, b, same] of rows) {
    const ea = emb.get(a!) ?? (await embedImage(m, join(data, a!))).embedding
    const eb = emb.get(b!) ?? (await embedImage(m, join(data, b!))).embedding
    // a photo without a detected face cannot be accepted: score it as the lowest possible
    const c = ea && eb ? cosine(ea, eb) : -1
    if (!ea || !eb) failed++
    ;(same === '1' ? gen : imp).push(c)
  }
  const pairs = verificationMetrics(gen, imp, [0.01, 0.001])
  // every cross-identity pair of faces/ → calibration; every same-identity pair → genuine
  const allImp: number[] = []
  const allGen: number[] = []
  for (let i = 0; i < photos.length; i++) {
    for (let j = i + 1; j < photos.length; j++) {
      const ea = emb.get(photos[i]!.file)
      const eb = emb.get(photos[j]!.file)
      const c = ea && eb ? cosine(ea, eb) : -1
      ;(photos[i]!.id === photos[j]!.id ? allGen : allImp).push(c)
    }
  }
  const calibration = buildCalibration(
    allImp.filter((c) => c > -1),
    allGen.length,
    'arcface fr_feature.onnx',
  )
  const all = verificationMetrics(allGen, allImp, [0.01, 0.001, 0.0001])
  if (args.includes('--write-calibration')) {
    const file = join(root, 'src', 'vision', 'calibration-table.ts')
    writeFileSync(
      file,
      `import type { CalibrationTable } from './calibration-types.js'\n\n` +
        `// Generated by \`npm run bench:faces -- --only pairs --write-calibration\` from every cross-identity pair of\n` +
        `// ../shared/data/faces. Do not edit by hand.\n` +
        `export const CALIBRATION: CalibrationTable = ${JSON.stringify(calibration, null, 2)}\n`,
    )
    console.log(`wrote ${file}`)
  }
  // the calibrated scale: FAR of the impostor pairs at each threshold (with the table now in use)
  const table: CalibrationTable = calibration
  const farAt = (thr: number) => allImp.filter((c) => cosineToScore(c, table) >= thr).length / allImp.length
  const tarAt = (thr: number) => allGen.filter((c) => cosineToScore(c, table) >= thr).length / allGen.length
  const scale = [50, 60, 70, 80, 90].map((t) => ({ threshold: t, far: farAt(t), tar: tarAt(t) }))
  const png = await rocPng(
    [
      {
        label: `pairs.tsv (${gen.length} genuine / ${imp.length} impostor)`,
        colour: '#d62728',
        points: rocPoints(gen, imp),
      },
      {
        label: `all pairs of faces/ (${allGen.length} / ${allImp.length})`,
        colour: '#1f77b4',
        points: rocPoints(allGen, allImp),
      },
    ],
    [
      { far: 1e-2, label: '60' },
      { far: 1e-3, label: '70' },
      { far: 1e-4, label: '80' },
    ],
    'Face verification ROC — ArcFace (fr_feature.onnx), shiren vision engine',
  )
  mkdirSync(join(root, 'docs', 'img'), { recursive: true })
  writeFileSync(join(root, 'docs', 'img', 'roc.png'), png)
  console.log(
    `\n## pairs (${photos.length} photos, ${perImageMs.toFixed(0)} ms per photo: decode + detect + mesh + embed)`,
  )
  console.log(
    `photos without a detected face: ${noFace.length ? noFace.join(', ') : 'none'}; pairs scored as failures: ${failed}`,
  )
  console.log(
    `pairs.tsv: AUC ${pairs.auc.toFixed(4)}, best accuracy ${pct(pairs.bestAccuracy)}, TAR ${pct(pairs.tarAtFar['0.01']!.tar)} at FAR 1 %, ${pct(pairs.tarAtFar['0.001']!.tar)} at FAR 0.1 % (${imp.length} impostors: = 0 false accepts), ${pct(pairs.tarAtZeroFar)} at zero false accepts`,
  )
  console.log(
    `all pairs: AUC ${all.auc.toFixed(4)}, TAR ${pct(all.tarAtFar['0.01']!.tar)} @1e-2, ${pct(all.tarAtFar['0.001']!.tar)} @1e-3, ${pct(all.tarAtFar['0.0001']!.tar)} @1e-4, ${pct(all.tarAtZeroFar)} at zero FA`,
  )
  console.log(
    `calibration cosines: ${Object.entries(calibration.farCosines)
      .map(([f, c]) => `FAR ${f} → ${c.toFixed(4)}`)
      .join(', ')}`,
  )
  console.log('threshold | FAR (all impostor pairs) | TAR (all genuine pairs)')
  for (const s of scale) console.log(`${s.threshold} | ${s.far.toExponential(2)} | ${pct(s.tar)}`)
  report.pairs = {
    photos: photos.length,
    perImageMs,
    noFace,
    failed,
    pairsTsv: pairs,
    allPairs: all,
    calibration,
    scale,
  }
  return { emb, photos }
}

/** Anti-spoof: P(live) of the 128-px model (the decision) and the 80-px model, on the tight mesh box. */
async function benchSpoof(m: LoadedModels) {
  if (!m.antispoof) {
    console.log(`\n## spoof: SKIP (${m.antispoofError?.message})`)
    return
  }
  const dir = join(data, 'spoof', 'vietmoney')
  const rows: Array<{ file: string; attack: boolean; p128: number | null; p80: number | null }> = []
  for (const f of readdirSync(dir).sort()) {
    const img = await decodeImage(join(dir, f))
    const found = await findFaces(m.detector, img)
    const s = found.primary ? await m.antispoof.score(img, found.primary.box) : null
    rows.push({ file: f, attack: f.startsWith('fake'), p128: s?.p128 ?? null, p80: s?.p80 ?? null })
  }
  // bona fide photos: every face photo of faces/ (camera photos of real people, not recaptures)
  const bona: number[] = []
  for (const p of facePhotos()) {
    const img = await decodeImage(join(data, p.file))
    const found = await findFaces(m.detector, img)
    if (found.primary) bona.push((await m.antispoof.score(img, found.primary.box)).p128)
  }
  const thr = 0.5
  const attacks = rows.filter((r) => r.attack)
  const lives = rows.filter((r) => !r.attack)
  const apcer = attacks.filter((r) => (r.p128 ?? 0) >= thr).length / attacks.length
  const bpcer = lives.filter((r) => (r.p128 ?? 0) < thr).length / lives.length
  const bpcerFaces = bona.filter((p) => p < thr).length / bona.length
  console.log(`\n## spoof (MiniFASNetV2-SE 128, decision P(live) ≥ ${thr})`)
  for (const r of rows)
    console.log(
      `${r.file}\t${r.attack ? 'attack' : 'live'}\tP(live) 128: ${r.p128?.toFixed(3)}\t80: ${r.p80?.toFixed(3)}`,
    )
  console.log(
    `APCER ${attacks.filter((r) => (r.p128 ?? 0) >= thr).length}/${attacks.length}, BPCER ${lives.filter((r) => (r.p128 ?? 0) < thr).length}/${lives.length} on spoof/vietmoney (n = 6: a smoke test, not an error rate)`,
  )
  console.log(
    `BPCER on the ${bona.length} face photos of faces/: ${pct(bpcerFaces)} (${bona.filter((p) => p < thr).length} rejected)`,
  )
  report.spoof = { rows, apcer, bpcer, bpcerFacePhotos: bpcerFaces, facePhotos: bona.length }
}

/** What each clip shows, from ../shared/data/README.md. true = must be found, false = must not, absent = not judged. */
const VIDEO_TRUTH: Record<string, Partial<Record<'blink' | 'mouth' | 'turn', boolean>>> = {
  'liveportrait/d0.mp4': { mouth: false, turn: false },
  'liveportrait/d1.mp4': { blink: true, mouth: false, turn: false },
  'liveportrait/d3.mp4': { mouth: true, turn: true },
  'liveportrait/d5.mp4': { mouth: true, turn: false },
  'liveportrait/d6.mp4': { mouth: true },
  'liveportrait/d10.mp4': { mouth: true, turn: false },
  'liveportrait/d13.mp4': { mouth: false, turn: false },
  'liveportrait/d18.mp4': { mouth: true, turn: false },
  'grid/bbaf2n.mpg': { mouth: false, turn: false },
  'grid/brbk7n.mpg': { mouth: false, turn: false },
  'grid/lbax4n.mpg': { mouth: false, turn: false },
  'grid/lbbc2a.mpg': { mouth: false, turn: false },
  'grid/lrwp9a.mpg': { mouth: false, turn: false },
  'grid/lwbsza.mpg': { mouth: false, turn: false },
  'video_retalking/face_1.mp4': { mouth: false, turn: false },
  'video_retalking/face_2.mp4': { mouth: false, turn: false },
  'video_retalking/face_3.mp4': { mouth: false, turn: false },
}

async function benchVideos(m: LoadedModels) {
  console.log('\n## videos: actions found (time of first occurrence) and silent-liveness evidence')
  console.log('clip | blink | mouth | left | right | expected | ok | independent motion | P(live) median')
  let wrong = 0
  let judged = 0
  const rows: unknown[] = []
  for (const [clip, truth] of Object.entries(VIDEO_TRUTH)) {
    const scan = await scanVideo(m.detector, join(data, 'videos', clip), { ignoreDurationLimits: true })
    const ev = detectActions(scan.samples)
    const at = (a: Action) => ev.find((e) => e.action === a)
    const found = { blink: !!at('blink'), mouth: !!at('mouth'), turn: !!at('left') || !!at('right') }
    const mistakes = (Object.keys(truth) as Array<keyof typeof truth>).filter((k) => truth[k] !== found[k])
    judged += Object.keys(truth).length
    wrong += mistakes.length
    const motion = motionEvidence(scan.samples)
    const scores = m.antispoof ? await Promise.all(scan.spread.map((k) => m.antispoof!.score(k.frame, k.face.box))) : []
    const pl = scores.map((s) => s.p128).sort((a, b) => a - b)
    const fmt = (a: Action) => (at(a) ? `${at(a)!.t.toFixed(1)} s` : '–')
    console.log(
      `${clip} | ${fmt('blink')} | ${fmt('mouth')} | ${fmt('left')} | ${fmt('right')} | ${JSON.stringify(truth)} | ${mistakes.length ? 'WRONG: ' + mistakes.join(',') : 'ok'} | ${motion.independentMotion} | ${pl.length ? pl[pl.length >> 1]!.toFixed(3) : '–'}`,
    )
    rows.push({ clip, events: ev, truth, mistakes, motion, pLive: pl })
  }
  console.log(`action checks: ${judged - wrong}/${judged} as expected`)
  report.videos = { rows, judged, wrong }
}

/** Still-image videos made from each face photo: static (ffmpeg -loop 1) and moved (zoom, pan, in-plane rotation). */
async function benchStill(m: LoadedModels) {
  const tmp = join(tmpdir(), `shiren-still-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  const photos = facePhotos()
  const limit = Number(process.env.STILL_LIMIT ?? photos.length)
  let rejected = 0
  let total = 0
  const passed: string[] = []
  const reasons: Record<string, number> = {}
  for (const p of photos.slice(0, limit)) {
    for (const kind of ['static', 'moved'] as const) {
      const out = join(tmp, `${kind}.mp4`)
      const vf =
        kind === 'static'
          ? 'scale=480:480:force_original_aspect_ratio=decrease,pad=480:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p'
          : "scale=960:960:force_original_aspect_ratio=decrease,pad=960:960:(ow-iw)/2:(oh-ih)/2,zoompan=z='1.25+0.1*sin(on/12)':x='iw/2-(iw/zoom/2)+30*sin(on/9)':y='ih/2-(ih/zoom/2)+20*cos(on/7)':d=1:s=480x480:fps=25,rotate=0.06*sin(t*3),format=yuv420p"
      const r = spawnSync(ffmpegPath(), [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-loop',
        '1',
        '-i',
        join(data, p.file),
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
      ])
      if (r.status !== 0) throw new Error(r.stderr.toString())
      const scan = await scanVideo(m.detector, out)
      // the motion judge alone (the anti-spoof models are not run: a photo of a real face may look live to them)
      const v = { reason: motionVerdict(motionEvidence(scan.samples, scan.planarResidual)) ?? 'PASS' }
      total++
      // a still image must never pass: no face at all also counts as rejected
      const reason = scan.framesWithFace === 0 ? 'NO_FACE_IN_VIDEO' : v.reason
      reasons[reason] = (reasons[reason] ?? 0) + 1
      if (reason === 'PASS') passed.push(`${kind}:${p.file}`)
      else rejected++
    }
  }
  console.log(
    `\n## still-image videos (${total} = ${Math.min(limit, photos.length)} photos × static/moved, 2.4 s each)`,
  )
  console.log(
    `rejected ${rejected}/${total}; reasons ${JSON.stringify(reasons)}${passed.length ? '; PASSED: ' + passed.join(', ') : ''}`,
  )
  report.still = { total, rejected, reasons, passed }
}

/** How often each quality rule fires on the untouched face photos (false rejections of the rules). */
async function benchQuality(m: LoadedModels) {
  const counts: Record<string, string[]> = {}
  const range: Record<string, [number, number]> = {}
  const photos = facePhotos()
  for (const p of photos) {
    const img = await decodeImage(join(data, p.file))
    const found = await findFaces(m.detector, img)
    const f = found.primary
    if (!f) {
      ;(counts.NO_FACE ??= []).push(p.file)
      continue
    }
    if (found.count > 1) (counts[found.count > 2 ? 'TOO_MANY_FACES' : 'MULTIPLE_FACES'] ??= []).push(p.file)
    const v = judgeQuality(f, img, { eyesMustBeOpen: true })
    for (const r of v.failures) (counts[r] ??= []).push(p.file)
    for (const [k, x] of Object.entries({
      brightness: f.brightness,
      sharpness: f.sharpness,
      occlusion: f.occlusion,
      centerX: f.centerXFrac,
      eyeAspect: f.ear,
      widthFrac: f.widthFrac,
    })) {
      const r = (range[k] ??= [Infinity, -Infinity])
      r[0] = Math.min(r[0], x)
      r[1] = Math.max(r[1], x)
    }
  }
  console.log(`\n## quality rules on the ${photos.length} untouched face photos (eyes rule on)`)
  for (const [r, files] of Object.entries(counts))
    console.log(`${r}: ${files.length}${files.length <= 12 ? ' — ' + files.join(', ') : ''}`)
  console.log(
    `ranges: ${Object.entries(range)
      .map(([k, [a, b]]) => `${k} ${a.toFixed(3)}–${b.toFixed(3)}`)
      .join('; ')}`,
  )
  report.quality = { counts, range }
}

if (want('pairs')) await benchPairs(models)
if (want('quality')) await benchQuality(models)
if (want('spoof')) await benchSpoof(models)
if (want('videos')) await benchVideos(models)
if (want('still')) await benchStill(models)

if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1]!, JSON.stringify(report, null, 2))
await closeModels(models)
