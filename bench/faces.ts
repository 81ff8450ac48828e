/**
 * Accuracy benchmark of the vision engine on ../shared/data (npm run bench:faces).
 *   pairs      face verification on pairs.tsv + calibration over every cross-identity pair of faces/
 *   quality    how often each quality rule fires on the untouched face photos
 *   spoof      anti-spoof on spoof/vietmoney (APCER / BPCER) and BPCER on the face photos
 *   videos     action events found in each clip, and none where the clip does not show them
 *   still      still-image videos made from each face photo with ffmpeg (static and moved) must fail
 *   captures   section E (real capture conditions): silent liveness on every clip of videos/ and on the NUAA
 *              and vietmoney stills, APCER / BPCER per attack type with Wilson 95 % intervals, quality
 *              refusals on live stills, thresholds re-chosen with each presentation held out
 * Options: --only pairs,quality,spoof,videos,still,captures   --write-calibration   --json <file>
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
import {
  padScore,
  motionEvidence,
  motionVerdict,
  padProbability,
  PAD_CALIBRATION,
  SILENT_THRESHOLDS,
} from '../src/liveness/silent.js'
import { analyse } from '../src/analysis/index.js'
import { clipLabels, facePhotos, fitPlatt, leaveOneOut, stillVideo, wilson } from './lib-captures.js'
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

async function benchPairs(m: LoadedModels) {
  const photos = facePhotos(data)
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
  for (const p of facePhotos(data)) {
    const img = await decodeImage(join(data, p.file))
    const found = await findFaces(m.detector, img)
    if (found.primary) bona.push(padScore([await m.antispoof.score(img, found.primary.box)])!)
  }
  const thr = 0.5
  const fusedRejected = bona.filter((x) => x < SILENT_THRESHOLDS.minPadScore).length
  const attacks = rows.filter((r) => r.attack)
  const lives = rows.filter((r) => !r.attack)
  const apcer = attacks.filter((r) => (r.p128 ?? 0) >= thr).length / attacks.length
  const bpcer = lives.filter((r) => (r.p128 ?? 0) < thr).length / lives.length
  console.log(`\n## spoof (MiniFASNetV2-SE 128, decision P(live) ≥ ${thr})`)
  for (const r of rows)
    console.log(
      `${r.file}\t${r.attack ? 'attack' : 'live'}\tP(live) 128: ${r.p128?.toFixed(3)}\t80: ${r.p80?.toFixed(3)}`,
    )
  console.log(
    `APCER ${attacks.filter((r) => (r.p128 ?? 0) >= thr).length}/${attacks.length}, BPCER ${lives.filter((r) => (r.p128 ?? 0) < thr).length}/${lives.length} on spoof/vietmoney (n = 6: a smoke test, not an error rate)`,
  )
  console.log(
    `fused score of both models (the decision since issue 12) below ${SILENT_THRESHOLDS.minPadScore}: ${fusedRejected}/${bona.length} face photos rejected (${pct(fusedRejected / bona.length)})`,
  )
  report.spoof = { rows, apcer, bpcer, facePhotos: bona.length, fusedRejected }
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

/** 0 … n−1 in bit-reversal-like order: any prefix is spread over the whole range */
function spreadOrder(n: number): number[] {
  const out: number[] = []
  const seen = new Set<number>()
  for (let step = n; step >= 1; step = Math.floor(step / 2)) {
    for (let i = 0; i < n; i += step) if (!seen.has(i)) (seen.add(i), out.push(i))
    if (step === 1) break
  }
  return out
}

/** motion evidence of the moved still-image videos (for the held-out threshold check of `captures`) */
const movedEvidence: Array<{ id: string; planar: number; travel: number }> = []

/** Still-image videos made from each face photo: static (ffmpeg -loop 1) and moved (zoom, pan, in-plane rotation). */
async function benchStill(m: LoadedModels) {
  const tmp = join(tmpdir(), `shiren-still-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  const photos = facePhotos(data)
  const limit = Number(process.env.STILL_LIMIT ?? photos.length)
  let rejected = 0
  let total = 0
  const passed: string[] = []
  const reasons: Record<string, number> = {}
  // STILL_ORDER=spread: every photo in an interleaved order (0, 119, 59, …), so a run cut short is a spread sample
  const order = process.env.STILL_ORDER === 'spread' ? spreadOrder(photos.length) : photos.map((_, i) => i)
  for (const p of order.slice(0, limit).map((i) => photos[i]!)) {
    for (const kind of ['moved', 'static'] as const) {
      const out = join(tmp, `${kind}.mp4`)
      const r = spawnSync(ffmpegPath(), stillVideo(join(data, p.file), kind, out))
      if (r.status !== 0) throw new Error(r.stderr.toString())
      const scan = await scanVideo(m.detector, out)
      const me = motionEvidence(scan.samples, scan.planarResidual)
      if (kind === 'moved') movedEvidence.push({ id: p.file, planar: me.planarResidual, travel: me.rigidTravel })
      // the motion judge alone (the anti-spoof models are not run: a photo of a real face may look live to them)
      const v = { reason: motionVerdict(me) ?? 'PASS' }
      total++
      // a still image must never pass: no face at all also counts as rejected
      const reason = scan.framesWithFace === 0 ? 'NO_FACE_IN_VIDEO' : v.reason
      reasons[reason] = (reasons[reason] ?? 0) + 1
      if (reason === 'PASS') {
        passed.push(`${kind}:${p.file}`)
        console.log(
          `still: PASSED ${kind}:${p.file} (planar ${me.planarResidual.toFixed(3)}, travel ${me.rigidTravel.toFixed(3)}, mouth ${me.mouthRelRange.toFixed(2)}, blink ${me.blinkDepth.toFixed(2)})`,
        )
      } else rejected++
      // progress, so that a run cut short still says how far it got
      if (total % 40 === 0) console.log(`still: ${rejected}/${total} rejected so far ${JSON.stringify(reasons)}`)
    }
  }
  console.log(
    `\n## still-image videos (${total} = ${Math.min(limit, photos.length)} photos × static/moved, 2.4 s each)`,
  )
  console.log(
    `rejected ${rejected}/${total}; reasons ${JSON.stringify(reasons)}${passed.length ? '; PASSED: ' + passed.join(', ') : ''}`,
  )
  report.still = { total, rejected, reasons, passed, movedEvidence }
}

/** How often each quality rule fires on the untouched face photos (false rejections of the rules). */
async function benchQuality(m: LoadedModels) {
  const counts: Record<string, string[]> = {}
  const range: Record<string, [number, number]> = {}
  const photos = facePhotos(data)
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

/** Section E: verdicts of silent liveness on real captures and attacks, and the figures the issue asks for. */
async function benchCaptures(m: LoadedModels) {
  if (!m.antispoof) {
    console.log(`\n## captures: SKIP (${m.antispoofError?.message})`)
    return
  }
  type Row = { id: string; label: string; reason: string; s: Record<string, unknown> }
  const rows: Row[] = []
  const T = SILENT_THRESHOLDS
  for (const [rel, label] of Object.entries(clipLabels(data))) {
    const r = await analyse(m, {
      media: { path: join(data, 'videos', rel), kind: 'video' },
      liveness: 'silent',
      threshold: 70,
    })
    rows.push({ id: `videos/${rel}`, label, reason: r.reason, s: r.signals })
  }
  const stills: Array<{ file: string; label: string }> = []
  for (const sub of ['0013', '0016'])
    for (const f of readdirSync(join(data, 'spoof', 'nuaa', sub)).sort())
      stills.push({ file: `spoof/nuaa/${sub}/${f}`, label: f.startsWith('live') ? 'live' : 'spoof:print' })
  for (const f of readdirSync(join(data, 'spoof', 'vietmoney')).sort())
    stills.push({
      file: `spoof/vietmoney/${f}`,
      label: f.startsWith('true') ? 'live' : f === 'fake_002.jpg' ? 'spoof:print' : 'spoof:screen',
    })
  for (const st of stills) {
    const r = await analyse(m, {
      media: { path: join(data, st.file), kind: 'image' },
      liveness: 'silent',
      threshold: 70,
    })
    rows.push({ id: st.file, label: st.label, reason: r.reason, s: r.signals })
  }
  const f2 = (x: unknown) => (typeof x === 'number' ? x.toFixed(2) : x === null || x === undefined ? '–' : String(x))
  console.log('\n## captures: silent liveness on real captures (section E) and the older clips')
  console.log(
    'presentation | label | verdict | pad score (P live) | own motion (mouth, blink) | 3-D head (planar) | travel | 80-px q25 | second face s | jump',
  )
  for (const r of rows)
    console.log(
      `${r.id} | ${r.label} | ${r.reason} | ${f2(r.s.padScore)} (${f2(r.s.liveProbability)}) | ${f2(r.s.ownMotion)} (${f2(r.s.mouthRelRange)}, ${f2(r.s.blinkDepth)}) | ${f2(r.s.headMotion3d)} (${f2(r.s.planarResidual)}) | ${f2(r.s.rigidTravel)} | ${f2(r.s.padLogit80Q25)} | ${f2(r.s.secondFaceS)} | ${f2(r.s.maxFaceJump)}`,
    )
  const ci = (k: number, n: number) => {
    const [lo, hi] = wilson(k, n)
    return `${k}/${n} = ${pct(n ? k / n : 0)} [95 % CI ${pct(lo)}–${pct(hi)}]`
  }
  const is = (pre: string) => (r: Row) => r.label === pre || r.id.startsWith(pre)
  const selfies = rows.filter((r) => r.id.startsWith('videos/selfie/') && r.label === 'live')
  const studio = rows.filter((r) => r.label === 'live-studio')
  const attacks = rows.filter((r) => r.id.startsWith('videos/attacks/'))
  const screens = attacks.filter(is('spoof:screen'))
  const SPOOF_CODES = ['SCREEN_REPLAY_DETECTED', 'SPOOF_DETECTED', 'SUSPECTED_RECORDING']
  const nuaaLive = rows.filter((r) => r.id.startsWith('spoof/nuaa/0013'))
  const nuaaPrint = rows.filter((r) => r.id.startsWith('spoof/nuaa/0016'))
  console.log(
    `live phone/webcam selfies passing: ${ci(selfies.filter((r) => r.reason === 'PASS').length, selfies.length)}`,
  )
  console.log(
    `older studio clips passing: ${ci(studio.filter((r) => r.reason === 'PASS').length, studio.length)} (d1 is 0.5 s: below the 2 s minimum)`,
  )
  for (const r of rows.filter((r) => r.label === 'live-edited'))
    console.log(
      `broadcast clip ${r.id}: ${r.reason} (own motion ${f2(r.s.ownMotion)}, 3-D head ${f2(r.s.headMotion3d)}, travel ${f2(r.s.rigidTravel)}, pad ${f2(r.s.padScore)})`,
    )
  console.log(
    `attack videos failing: ${ci(attacks.filter((r) => r.reason !== 'PASS').length, attacks.length)}; screen replays failing as a screen or spoof code: ${screens.filter((r) => SPOOF_CODES.includes(r.reason)).length}/${screens.length} (${screens.map((r) => r.reason).join(', ')})`,
  )
  console.log(
    `NUAA live passing: ${ci(nuaaLive.filter((r) => r.reason === 'PASS').length, nuaaLive.length)}; NUAA prints failing: ${ci(nuaaPrint.filter((r) => r.reason !== 'PASS').length, nuaaPrint.length)}`,
  )
  // presentation-attack decision alone (the fused score against its operating point), per attack type
  const pad = (r: Row) => (typeof r.s.padScore === 'number' ? r.s.padScore : null)
  const scored = rows.filter((r) => pad(r) !== null)
  console.log(
    `\nPAD operating point: fused score ≥ ${T.minPadScore} (calibrated P(live) ≥ ${padProbability(T.minPadScore).toFixed(2)}); the sets are small: read the intervals, not the points`,
  )
  for (const type of ['spoof:screen', 'spoof:print', 'spoof:mask']) {
    const a = scored.filter((r) => r.label === type)
    const all = rows.filter((r) => r.label === type)
    console.log(
      `APCER ${type}: PAD ${ci(a.filter((r) => pad(r)! >= T.minPadScore).length, a.length)}; whole verdict ${ci(all.filter((r) => r.reason === 'PASS').length, all.length)}`,
    )
  }
  const bona = scored.filter((r) => r.label === 'live' || r.label === 'live-studio')
  console.log(
    `BPCER bona fide captures (selfies, studio clips, NUAA live, vietmoney true): PAD ${ci(bona.filter((r) => pad(r)! < T.minPadScore).length, bona.length)}`,
  )
  // thresholds chosen again with each presentation held out
  const loo = (
    name: string,
    pos: Array<{ id: string; x: number }>,
    neg: Array<{ id: string; x: number }>,
    inUse: number,
  ) => {
    const r = leaveOneOut(pos, neg, inUse)
    console.log(
      `${name}: in use ${inUse} (chosen on all: ${r.chosen.toFixed(2)}); in-sample errors ${r.inSample.length}/${r.n}${r.inSample.length ? ' ' + r.inSample.join(', ') : ''}; leave-one-out errors ${r.heldOut.length}/${r.n}${r.heldOut.length ? ': ' + r.heldOut.join(', ') : ''}`,
    )
    return r
  }
  console.log('\nthresholds, re-chosen with each presentation held out (midway between the classes):')
  const num = (x: unknown) => (typeof x === 'number' ? x : NaN)
  const padPos = bona.map((r) => ({ id: r.id, x: pad(r)! }))
  const padNeg = scored
    .filter((r) => r.label === 'spoof:screen' || r.label === 'spoof:print')
    .map((r) => ({ id: r.id, x: pad(r)! }))
  const looPad = loo('minPadScore (bona fide vs screen and print)', padPos, padNeg, T.minPadScore)
  const platt = fitPlatt(
    padPos.map((p) => p.x),
    padNeg.map((n) => n.x),
  )
  console.log(
    `Platt calibration of the score: a ${platt.a.toFixed(3)}, b ${platt.b.toFixed(3)} (in use ${PAD_CALIBRATION.a}, ${PAD_CALIBRATION.b})`,
  )
  const noOwn = rows.filter((r) => r.s.ownMotion === false && pad(r) !== null && pad(r)! >= T.minPadScore)
  const looL80 = loo(
    'minStillFaceLogit80 (live clips without eye/mouth motion vs the worn mask)',
    noOwn.filter((r) => r.label === 'live').map((r) => ({ id: r.id, x: num(r.s.padLogit80Q25) })),
    noOwn.filter((r) => r.label === 'spoof:mask').map((r) => ({ id: r.id, x: num(r.s.padLogit80Q25) })),
    T.minStillFaceLogit80,
  )
  let looPlanar = null
  let looTravel = null
  if (movedEvidence.length) {
    looPlanar = loo(
      'minPlanarResidual (live clips turning the head vs photos moved in front of the camera)',
      rows
        .filter((r) => r.label === 'live' && num(r.s.yawRange) >= 10)
        .map((r) => ({ id: r.id, x: num(r.s.planarResidual) })),
      movedEvidence.map((e) => ({ id: e.id, x: e.planar })),
      T.minPlanarResidual,
    )
    looTravel = loo(
      'maxRigidTravel (moved photos must travel at least; live clips without independent motion below)',
      movedEvidence.map((e) => ({ id: e.id, x: e.travel })),
      rows
        .filter((r) => (r.label === 'live' || r.label === 'live-studio') && r.s.independentMotion === false)
        .map((r) => ({ id: r.id, x: num(r.s.rigidTravel) })),
      T.maxRigidTravel,
    )
  } else console.log('minPlanarResidual, maxRigidTravel: run with `still` to check them against the moved photos')
  // quality refusals on live stills: NUAA live, vietmoney true_*, one frame (at 1 s) of each live selfie video
  const tmp = join(tmpdir(), `shiren-frames-${process.pid}`)
  mkdirSync(tmp, { recursive: true })
  const liveStills = stills.filter((s) => s.label === 'live').map((s) => ({ id: s.file, path: join(data, s.file) }))
  for (const r of rows.filter((r) => r.id.startsWith('videos/selfie/'))) {
    const out = join(tmp, `${r.id.replace(/\W+/g, '_')}.png`)
    const x = spawnSync(ffmpegPath(), [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-ss',
      '1',
      '-i',
      join(data, r.id),
      '-frames:v',
      '1',
      out,
    ])
    if (x.status === 0) liveStills.push({ id: `${r.id}@1s`, path: out })
  }
  const refusals: string[] = []
  for (const st of liveStills) {
    const q = await analyse(m, { media: { path: st.path, kind: 'image' }, liveness: 'none', threshold: 70 })
    if (q.reason !== 'PASS') refusals.push(`${st.id}: ${q.reason}`)
  }
  console.log(
    `\nquality refusals on ${liveStills.length} live stills (NUAA live, vietmoney true_*, a frame of each section-E selfie video): ${refusals.length}${refusals.length ? ' — ' + refusals.join(', ') : ''}`,
  )
  report.captures = { rows, looPad, looL80, looPlanar, looTravel, platt, refusals, liveStills: liveStills.length }
}

if (want('pairs')) await benchPairs(models)
if (want('quality')) await benchQuality(models)
if (want('spoof')) await benchSpoof(models)
if (want('videos')) await benchVideos(models)
if (want('still')) await benchStill(models)
if (want('captures')) await benchCaptures(models)

if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1]!, JSON.stringify(report, null, 2))
await closeModels(models)
