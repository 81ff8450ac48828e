/**
 * bench:light — light-reflection liveness on synthetic captures built from real clips (issue 17).
 *
 *   nice -n 10 npm run bench:light [-- --per-clip 40 --attacks 110 --seed 17]
 *
 * One part per process on a shared machine (`--only genuine|attacks|attempt`); ≥ 600 attacks a set as
 * several processes with their own seeds, counts added up (docs/benchmarks.md: three × `--attacks 200`).
 *
 * Genuine: real clips (../shared/data/videos, section E first) tinted physically by the issued colours
 * (test/support/light-synth.ts states the model); attacks from the same clips. Each sample: render the
 * frames at the light mode's sampling rate, measure them as the engine does (measureLightFrame on the
 * scan's face box), judge (judgeLight). Figures: acceptance per set, reasons, acceptance by reflection
 * strength, the lag found, and the CPU of measuring + judging one attempt.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadFaceDetector, defaultModelsDir, sharedDir } from '../src/vision/index.js'
import { judgeLight, LightFrameReader, LIGHT_SAMPLING, type LightThresholds } from '../src/liveness/index.js'
import {
  drawConditions,
  issue,
  loadSourceClip,
  renderCapture,
  reportOf,
  rng,
  strengthOf,
  uniform,
  type SourceClip,
  type SynthSpec,
} from '../test/support/light-synth.js'

const { values: args } = parseArgs({
  options: {
    'per-clip': { type: 'string', default: '45' },
    attacks: { type: 'string', default: '110' },
    seed: { type: 'string', default: '17' },
    /** genuine | attacks | attempt: one part (parallel processes on a busy machine); default all */
    only: { type: 'string', default: '' },
  },
})
const PER_CLIP = Number(args['per-clip'])
const PER_ATTACK = Number(args.attacks)
const SEED = Number(args.seed)
/** threshold overrides for experiments (JSON), e.g. LIGHT_THRESHOLDS='{"lumaWeight":1}'; none in recorded runs */
const OVERRIDES = JSON.parse(process.env.LIGHT_THRESHOLDS ?? '{}') as Partial<LightThresholds>

const CLIPS = [
  'selfie/tranvanluyt_real.mp4',
  'selfie/baosheng_480_1.mp4',
  'selfie/krzysiek_real.mp4',
  'selfie/lestari_real.mp4',
  'liveportrait/d13.mp4',
  'video_retalking/face_1.mp4',
  'video_retalking/face_3.mp4',
]

const data = join(sharedDir(), 'data', 'videos')
if (!existsSync(data)) {
  console.log(`bench:light skipped: ${data} is absent`)
  process.exit(0)
}

interface Row {
  set: string
  clip: string
  reason: string
  failure: string | null
  k: number
  lagMs: number | null
  trueLagMs: number
  corr: number | null
  flat: number | null
  cpuMs: number
}

const rows: Row[] = []
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

function runOne(set: string, spec: SynthSpec, issued: ReturnType<typeof issue>, r: () => number): void {
  const shown = reportOf(issued.schedule, r)
  // as the engine reads them: the face found on every meshEvery-th frame, its box interpolated between
  const reader = new LightFrameReader()
  let j = 0
  renderCapture(spec, (img, t, box) => {
    // the renderer reuses its buffer: the reader may hold a skipped frame until the next scanned one
    const frame = { data: Buffer.from(img.data), width: img.width, height: img.height, t }
    if (j++ % LIGHT_SAMPLING.meshEvery === 0) reader.scanned(frame, box)
    else reader.skipped(frame)
  })
  const frames = reader.finish()
  // measuring: wall ms of the reader (a CPU clock read per frame cost more than the measure itself)
  const measureMs = reader.ms
  const c0 = cpuMs()
  const v = judgeLight({ frames, issued: issued.steps, shown, video: { durationS: spec.durationS } }, OVERRIDES)
  const judgeCpu = cpuMs() - c0
  const s = v.signals
  if (process.env.LIGHT_DEBUG && set.startsWith('genuine') === (v.reason !== 'PASS'))
    console.log(set, spec.clip.name, v.reason, `k=${(spec.k ?? strengthOf(spec.cond)).toFixed(3)}`, JSON.stringify(s))
  rows.push({
    set,
    clip: spec.clip.name,
    reason: v.reason,
    failure: (s.lightFailure as string | undefined) ?? null,
    k: spec.k ?? strengthOf(spec.cond),
    lagMs: (s.lightLagMs as number | null) ?? null,
    trueLagMs: Math.round((spec.lagS ?? spec.cond.latencyS) * 1000),
    corr: (s.lightCorrelation as number | null) ?? null,
    flat: (s.lightFlatRatio as number | null) ?? null,
    cpuMs: measureMs + judgeCpu,
  })
}

async function main() {
  const started = performance.now()
  const detector = await loadFaceDetector(defaultModelsDir())
  if (args.only === 'attempt') return endToEnd(detector)
  const clips: SourceClip[] = []
  for (const c of CLIPS) {
    const p = join(data, c)
    if (!existsSync(p)) continue
    clips.push(await loadSourceClip(detector, p, c, { maxFrames: 150 }))
  }
  console.log(
    `clips: ${clips.map((c) => `${c.name} (${c.frames.length} frames, ${c.width}x${c.height}, face in ${c.frames.filter((f) => f.box).length})`).join('; ')}`,
  )
  const r = rng(SEED)
  const tail = () => uniform(r, 0.4, 0.9)
  const faceFrames = (c: SourceClip) => c.frames.map((f, i) => (f.box ? i : -1)).filter((i) => i >= 0)

  const doGenuine = !args.only || args.only === 'genuine'
  const doAttacks = !args.only || args.only === 'attacks'
  if (!args.only) await endToEnd(detector)
  // genuine, in the stated range, and with brighter rooms (outside the range)
  if (doGenuine)
    for (const clip of clips)
      for (let i = 0; i < PER_CLIP; i++) {
        const iss = issue(r)
        const cond = drawConditions(r)
        const spec: SynthSpec = {
          clip,
          schedule: iss.schedule,
          geometry: 'face',
          cond,
          durationS: iss.schedule.endS + tail(),
          seed: Math.floor(r() * 1e9),
        }
        runOne('genuine', spec, iss, r)
      }
  if (doGenuine)
    for (const clip of clips)
      for (let i = 0; i < Math.ceil(PER_CLIP / 3); i++) {
        const iss = issue(r)
        const cond = drawConditions(r, [300, 1500])
        const spec: SynthSpec = {
          clip,
          schedule: iss.schedule,
          geometry: 'face',
          cond,
          durationS: iss.schedule.endS + tail(),
          seed: Math.floor(r() * 1e9),
        }
        runOne('genuine, bright room (outside range)', spec, iss, r)
      }
  // attacks, spread over the clips
  const attack = (set: string, make: (clip: SourceClip, iss: ReturnType<typeof issue>) => SynthSpec) => {
    for (let i = 0; i < (doAttacks ? PER_ATTACK : 0); i++) {
      const clip = clips[i % clips.length]!
      const iss = issue(r)
      runOne(set, make(clip, iss), iss, r)
    }
  }
  const seed = () => Math.floor(r() * 1e9)
  attack('untinted (injected video)', (clip, iss) => ({
    clip,
    schedule: null,
    geometry: 'none',
    cond: drawConditions(r),
    durationS: iss.schedule.endS + tail(),
    seed: seed(),
  }))
  attack('another sequence', (clip, iss) => {
    const other = issue(r)
    return {
      clip,
      schedule: other.schedule,
      geometry: 'face',
      cond: drawConditions(r),
      durationS: Math.max(iss.schedule.endS, other.schedule.endS) + tail(),
      seed: seed(),
    }
  })
  attack('mistimed (early or late beyond tolerance)', (clip, iss) => ({
    clip,
    schedule: iss.schedule,
    geometry: 'face',
    cond: drawConditions(r),
    lagS: r() < 0.5 ? uniform(r, 0.35, 0.9) : uniform(r, -0.9, -0.2),
    durationS: iss.schedule.endS + 1 + tail(),
    seed: seed(),
  }))
  attack('uniform whole-frame tint', (clip, iss) => ({
    clip,
    schedule: iss.schedule,
    geometry: 'uniform',
    cond: drawConditions(r),
    durationS: iss.schedule.endS + tail(),
    seed: seed(),
  }))
  attack('still photo tinted in sync', (clip, iss) => {
    const ff = faceFrames(clip)
    return {
      clip,
      schedule: iss.schedule,
      geometry: 'photo',
      cond: drawConditions(r),
      stillIndex: ff[Math.floor(r() * ff.length)]!,
      durationS: iss.schedule.endS + tail(),
      seed: seed(),
    }
  })
  attack('virtual camera, real-time tint one frame late', (clip, iss) => {
    const cond = drawConditions(r)
    // the attacker's tool sees each colour when the page paints it, tints the next 30 fps frame it
    // sends (33 ms + 5–30 ms processing) and the browser records it 0–40 ms later
    return {
      clip,
      schedule: iss.schedule,
      geometry: 'face',
      cond,
      lagS: 0.033 + uniform(r, 0.005, 0.03) + uniform(r, 0, 0.04),
      durationS: iss.schedule.endS + tail(),
      seed: seed(),
    }
  })

  // ── report
  const sets = [...new Set(rows.map((x) => x.set))]
  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '–')
  console.log(`\nbench:light ${new Date().toISOString()} seed ${SEED}, ${LIGHT_SAMPLING.fps} fps sampling\n`)
  console.log('| set | samples | accepted | refused | refused % | reasons (refusals) |')
  console.log('|---|---:|---:|---:|---:|---|')
  for (const s of sets) {
    const xs = rows.filter((x) => x.set === s)
    const acc = xs.filter((x) => x.reason === 'PASS').length
    const why = new Map<string, number>()
    for (const x of xs)
      if (x.reason !== 'PASS') {
        const key = x.failure ? `${x.reason}/${x.failure}` : x.reason
        why.set(key, (why.get(key) ?? 0) + 1)
      }
    const w = [...why]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')
    console.log(
      `| ${s} | ${xs.length} | ${acc} (${pct(acc, xs.length)} %) | ${xs.length - acc} | ${pct(xs.length - acc, xs.length)} | ${w} |`,
    )
  }
  const attacks = rows.filter((x) => !x.set.startsWith('genuine'))
  console.log(`\nattack samples: ${attacks.length}`)
  console.log('\ngenuine (all rooms) by reflection strength k (screen illuminance over ambient):\n')
  console.log('| k | samples | accepted % |')
  console.log('|---|---:|---:|')
  const gen = rows.filter((x) => x.set.startsWith('genuine'))
  for (const [lo, hi] of [
    [0, 0.05],
    [0.05, 0.1],
    [0.1, 0.2],
    [0.2, 0.4],
    [0.4, 0.8],
    [0.8, 10],
  ] as const) {
    const xs = gen.filter((x) => x.k >= lo && x.k < hi)
    console.log(`| ${lo}–${hi} | ${xs.length} | ${pct(xs.filter((x) => x.reason === 'PASS').length, xs.length)} |`)
  }
  console.log('\ngenuine (in range) by clip:\n')
  for (const c of clips) {
    const xs = rows.filter((x) => x.set === 'genuine' && x.clip === c.name)
    console.log(`- ${c.name}: ${xs.filter((x) => x.reason === 'PASS').length}/${xs.length}`)
  }
  const q = (v: number[], p: number) => {
    const s = [...v].sort((a, b) => a - b)
    return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : NaN
  }
  const lagErr = (set: string) => rows.filter((x) => x.set === set && x.lagMs !== null).map((x) => x.lagMs!)
  for (const s of ['genuine', 'virtual camera, real-time tint one frame late'].filter((x) =>
    rows.some((r) => r.set === x),
  )) {
    const l = lagErr(s)
    const t = rows.filter((x) => x.set === s).map((x) => x.trueLagMs)
    console.log(
      `\nlag found (${s}): p5 ${q(l, 0.05)} ms, median ${q(l, 0.5)} ms, p95 ${q(l, 0.95)} ms (modelled latency p5 ${q(t, 0.05)}, median ${q(t, 0.5)}, p95 ${q(t, 0.95)} ms)`,
    )
  }
  const flats = (set: string) => rows.filter((x) => x.set === set && x.flat !== null).map((x) => x.flat!)
  for (const s of ['genuine', 'still photo tinted in sync']) {
    const f = flats(s)
    console.log(
      `flat ratio (${s}): p1 ${q(f, 0.01)}, p5 ${q(f, 0.05)}, median ${q(f, 0.5)}, p95 ${q(f, 0.95)}, p99 ${q(f, 0.99)} (n ${f.length})`,
    )
  }
  console.log('\ncorrelation at the best in-window lag, per set (p5 / median / p95 / max):')
  for (const s of sets) {
    const c = rows.filter((x) => x.set === s && x.corr !== null).map((x) => x.corr!)
    console.log(`- ${s}: ${q(c, 0.05)} / ${q(c, 0.5)} / ${q(c, 0.95)} / ${Math.max(...c)}`)
  }
  const cpu = rows.map((x) => x.cpuMs)
  const durs = rows.length
  console.log(
    `\nmeasuring (wall) + judging (CPU) one attempt (${durs} attempts, frames ≤ ${Math.max(...clips.map((c) => Math.max(c.width, c.height)))} px side at ${LIGHT_SAMPLING.fps} fps): median ${q(cpu, 0.5).toFixed(1)} ms, p95 ${q(cpu, 0.95).toFixed(1)} ms, max ${Math.max(...cpu).toFixed(1)} ms`,
  )
  console.log(`wall ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

/**
 * The whole attempt as the worker runs it, on a 5 s capture encoded as H.264 (d13 tinted with a short
 * sequence): decode at 15 fps, face scan (every 2nd frame), light measures, judge; against the same
 * attempt with Human's face pipeline on TensorFlow.js (the one onnxruntime's re-expresses) and the same
 * file analysed with no liveness judge (8 fps, the scan every video pays), in the same run. CPU is this process's (ffmpeg's
 * decoding runs in its own process and is reported as decodeMs).
 */
async function endToEnd(detector: Awaited<ReturnType<typeof loadFaceDetector>>) {
  // `npm start` and the shiren command run node with --single-threaded-gc (docs/vision.md, Workers)
  const gc = process.execArgv.includes('--single-threaded-gc') ? 'single-threaded GC' : "V8's parallel GC"
  const { analyse, loadModels, closeModels } = await import('../src/analysis/index.js')
  const { TEST_CONDITIONS, encodeCapture, scheduleOf } = await import('../test/support/light-synth.js')
  const { pickLightSequence } = await import('../src/liveness/index.js')
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const ffmpeg = (await import('@ffmpeg-installer/ffmpeg')).default
  const clip = await loadSourceClip(detector, join(data, 'liveportrait/d13.mp4'), 'd13', {
    maxSide: 640,
    maxFrames: 80,
    halve: false,
  })
  const r = rng(5)
  let steps = pickLightSequence((n) => Math.floor(r() * n))
  while (steps.reduce((a, s) => a + s.ms, 0) > 3500) steps = pickLightSequence((n) => Math.floor(r() * n))
  const schedule = scheduleOf(steps, 1.0)
  const file = join(mkdtempSync(join(tmpdir(), 'bench-light-')), 'attempt.mp4')
  await encodeCapture(
    { clip, schedule, geometry: 'face', cond: TEST_CONDITIONS, durationS: 5, seed: 3 },
    ffmpeg.path,
    file,
  )
  const shown = reportOf(schedule, r, 0.005)
  const models = await loadModels(defaultModelsDir())
  // the baseline: the same attempt with Human's face pipeline on TensorFlow.js (before 2026-12-06, fourth session)
  const { loadHumanFaceDetector } = await import('../src/vision/human.js')
  const humanModels = { ...models, detector: await loadHumanFaceDetector(defaultModelsDir()) }
  /** CPU of the waited-for children (ffmpeg's decoding), ms: /proc/self/stat cutime + cstime, 100 ticks a second */
  const childCpuMs = () => {
    const f = readFileSync('/proc/self/stat', 'utf8')
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
    return (Number(rest[13]) + Number(rest[14])) * 10
  }
  const run = async (mode: 'light' | 'light, Human' | 'none') => {
    const c0 = process.cpuUsage()
    const k0 = childCpuMs()
    const w0 = performance.now()
    const light = mode !== 'none'
    const res = await analyse(mode === 'light, Human' ? humanModels : models, {
      media: { path: file, kind: 'video' },
      liveness: light ? 'light' : 'none',
      ...(light && { light: { steps, shown } }),
      reference: null,
      threshold: 70,
    })
    const c = process.cpuUsage(c0)
    const cpuMs = (c.user + c.system) / 1000
    const ffmpegMs = childCpuMs() - k0
    return { res, cpuMs, ffmpegMs, totalMs: cpuMs + ffmpegMs, wallMs: performance.now() - w0 }
  }
  // warm-up, as a worker that has judged a few attempts: the first attempts compile the code (the first
  // light attempt of a process costs ≈ 0.3 s more than the third)
  await run('none')
  await run('light, Human')
  await run('light')
  await run('light')
  const rows: string[] = []
  const afterTotals: number[] = []
  const cell = (x: Awaited<ReturnType<typeof run>>) =>
    `${x.res.reason} | ${x.totalMs.toFixed(0)} (${x.cpuMs.toFixed(0)} + ${x.ffmpegMs.toFixed(0)}) | ${x.wallMs.toFixed(0)} | ${String(x.res.signals.framesWithFace)}`
  for (let i = 0; i < 5; i++) {
    const before = await run('light, Human')
    const after = await run('light')
    const none = await run('none')
    afterTotals.push(after.totalMs)
    rows.push(
      `| ${i + 1} | ${cell(before)} | ${cell(after)} | ${String(after.res.signals.lightMs)} | ${String(before.res.signals.detectMs)} → ${String(after.res.signals.detectMs)} | ${String(after.res.signals.identityMs)} | ${none.totalMs.toFixed(0)} | ${(after.totalMs / before.totalMs).toFixed(2)} |`,
    )
  }
  await closeModels(models)
  console.log(
    `\nwhole light attempt on a 5 s H.264 capture (${clip.width}x${clip.height}, ${steps.length} colours), CPU ms = this process + ffmpeg's decoding, ${gc} (load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}):\n`,
  )
  console.log(
    '| run | before (Human on TensorFlow.js): verdict | CPU ms (node + ffmpeg) | wall ms | face frames | after (onnxruntime): verdict | CPU ms (node + ffmpeg) | wall ms | face frames | light measures + judge ms | face scan ms (wall) before → after | identity embeddings ms (wall) | no liveness judge (8 fps): CPU ms | after / before |',
  )
  console.log('|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const row of rows) console.log(row)
  const sorted = [...afterTotals].sort((a, b) => a - b)
  console.log(
    `\nafter: median ${sorted[sorted.length >> 1]!.toFixed(0)} ms CPU per attempt (min ${sorted[0]!.toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}, ${sorted.length} runs)`,
  )
}

await main()
