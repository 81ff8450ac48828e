/**
 * bench:digits, CPU part (`npm run bench:digits -- --cpu`): the CPU time of one whole digits attempt
 * as an analysis worker runs it (`runDigitsAttempt` with the built-in verifier: the 25 fps video scan
 * for the lips, the sound, the verifier, the judge), for 5 s clips. CPU = this process (all its
 * threads, `process.cpuUsage`) plus its reaped children (ffmpeg: utime+stime of the children in
 * /proc/self/stat), not wall time: the machine is shared. Then the same clip's parts one by one
 * (scan alone, sound alone, verifier alone) to show where the time goes.
 *
 * Clips: (1) a made-to-fit 5.4 s recording as the page makes it (wenya_tw reading four digits from
 * 0.6 s on, on GRID lbax4n's time-warped lips, as the HTTP tests build it; 360×288); (2)
 * video_retalking face_1 cut to 5 s with its own sound (700×700, English speech throughout, so the
 * digits fail: the verifier still runs on it); (3) clip 1 as the capture page uploads it (640×480, 30 fps, VP8 and
 * Opus in WebM, 1.2 Mbit/s). Each attempt is also run analysing every frame (the
 * sampling before 2026-12-06) for the comparison. Then (4) six more readings of new random digits in the page's
 * format: the verifier stops at the first decoding that hears the digits exactly, so genuine attempts differ.
 */
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { FaceDetector } from '../src/vision/index.js'
import { scanVideo } from '../src/vision/index.js'
import { analyseAudioFile, SileroVad, type SherpaDigitVerifier } from '../src/audio/index.js'
import { DIGITS_SAMPLING, runDigitsAttempt } from '../src/liveness/digits-attempt.js'
import { DIGITS_THRESHOLDS, pickLiveDigits } from '../src/liveness/digits.js'
import { buildReading, mulberry32, speakerTakes } from '../test/support/digit-readings.js'
import { warpedReadingVideo } from '../test/support/warped-reading.js'

const CLK_TCK = 100

/** CPU seconds of this process (all threads) and of its reaped children. */
function cpuNow(): { self: number; children: number } {
  const u = process.cpuUsage()
  // /proc/self/stat: the command may contain spaces; fields after the closing parenthesis
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields 16 and 17 (cutime, cstime) are at 13 and 14 after the state field (field 3 → index 0)
  const children = (Number(f[13]) + Number(f[14])) / CLK_TCK
  return { self: (u.user + u.system) / 1e6, children }
}
async function cpuOf<T>(fn: () => Promise<T>): Promise<{ value: T; self: number; children: number; wall: number }> {
  const c0 = cpuNow()
  const t0 = performance.now()
  const value = await fn()
  const wall = (performance.now() - t0) / 1000
  const c1 = cpuNow()
  return { value, self: c1.self - c0.self, children: c1.children - c0.children, wall }
}

export async function runCpuBench(opts: {
  data: string
  detector: FaceDetector
  vad: SileroVad
  verifier: SherpaDigitVerifier
  ffmpeg: string
  dir: string
  repeats?: number
  /** the same attempts with this detector too (Human's pipeline on TensorFlow.js), same run */
  baseline?: FaceDetector
  /** how many more page-format readings to measure (default 6) */
  pageReadings?: number
}): Promise<Array<{ clip: string; cpuS: number; selfS: number; ffmpegS: number; wallS: number }>> {
  const { detector, vad, verifier, dir } = opts
  const rnd = mulberry32(5)
  const takes = speakerTakes(join(opts.data, 'speech', 'zh'), 'wenya_tw')
  /** as the page records it: 5.4 s, the digits read from about 1 s on (the HTTP tests' construction), then silence */
  const madeToFit = async (digits: string, r: () => number, name: string) => {
    let reading = buildReading(takes, digits, r, { phone: false, gapS: [0.05, 0.6], maxTakeS: 0.7 })
    const pcm = new Float32Array(Math.round(5.4 * 16000))
    const lead = Math.round(0.6 * 16000)
    // the room noise goes on before and after (−50 dBFS)
    for (let i = 0; i < pcm.length; i++) pcm[i] = (r() * 2 - 1) * 0.0055
    pcm.set(reading.pcm.subarray(0, Math.min(reading.pcm.length, pcm.length - lead)), lead)
    reading = { ...reading, pcm, spans: reading.spans.map((x) => ({ startS: x.startS + 0.6, endS: x.endS + 0.6 })) }
    return warpedReadingVideo(detector, join(opts.data, 'videos', 'grid', 'lbax4n.mpg'), reading, dir, name)
  }
  /**
   * A clip as the capture page uploads it: 640×480 (its camera request), 30 fps, VP8 at 1.2 Mbit/s and Opus in WebM
   * (the recorder's first choice in Chromium; src/web/capture/main.ts)
   */
  const asThePageRecords = (from: string, name: string) => {
    const out = join(dir, `${name}.webm`)
    // prettier-ignore
    const r2 = spawnSync(opts.ffmpeg, [
      '-hide_banner', '-loglevel', 'error', '-y', '-i', from,
      '-vf', 'scale=640:480,fps=30', '-c:v', 'libvpx', '-b:v', '1200k', '-deadline', 'realtime', '-cpu-used', '8',
      '-c:a', 'libopus', '-b:a', '64k', out,
    ])
    if (r2.status !== 0) throw new Error(r2.stderr.toString())
    return out
  }
  const made = await madeToFit('3581', rnd, 'cpu-reading')
  const face1 = join(dir, 'face_1-5s.mp4')
  const r = spawnSync(opts.ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    join(opts.data, 'videos', 'video_retalking', 'face_1.mp4'),
    '-t',
    '5',
    '-c',
    'copy',
    face1,
  ])
  if (r.status !== 0) throw new Error(r.stderr.toString())
  const pageLike = asThePageRecords(made, 'cpu-reading-page')
  const clips = [
    { clip: 'made-to-fit reading 5.4 s 360×288', path: made, digits: '3581' },
    { clip: 'the same as the page records it: 640×480 VP8 WebM', path: pageLike, digits: '3581' },
    { clip: 'retalking face_1 5 s 700×700', path: face1, digits: '3805' },
  ]
  const out: Array<{ clip: string; cpuS: number; selfS: number; ffmpegS: number; wallS: number }> = []
  const repeats = opts.repeats ?? 3
  console.log(`\ndigits: CPU per whole attempt (process + ffmpeg children), ${repeats} runs per clip after one warm-up`)
  for (const c of clips) {
    await runDigitsAttempt(detector, c.path, c.digits, { vad, recognizer: verifier })
    const runs: Array<{ self: number; children: number; wall: number; reason: string; frames: number }> = []
    for (let k = 0; k < repeats; k++) {
      const m = await cpuOf(() => runDigitsAttempt(detector, c.path, c.digits, { vad, recognizer: verifier }))
      runs.push({
        self: m.self,
        children: m.children,
        wall: m.wall,
        reason: m.value.reason,
        frames: m.value.scan?.samples.length ?? 0,
      })
      if (k === 0)
        console.log(
          `  ${c.clip}: ${m.value.reason}, heard ${m.value.signals.digitsRecognized ?? '-'} of ${c.digits}, sync ${m.value.signals.syncPeak ?? '-'} z ${m.value.signals.syncZ ?? '-'}, syllables ${m.value.signals.syllables ?? '-'}`,
        )
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
    const self = med(runs.map((x) => x.self)),
      ch = med(runs.map((x) => x.children)),
      wall = med(runs.map((x) => x.wall))
    // the same attempt analysing every frame (the sampling before 2026-12-06), same run
    const every: number[] = []
    for (let k = 0; k < repeats; k++) {
      const m = await cpuOf(() =>
        runDigitsAttempt(detector, c.path, c.digits, { vad, recognizer: verifier, everyFrame: true }),
      )
      every.push(m.self + m.children)
    }
    // the same attempt with the baseline face pipeline, same run
    const base: number[] = []
    if (opts.baseline) {
      await runDigitsAttempt(opts.baseline, c.path, c.digits, { vad, recognizer: verifier })
      for (let k = 0; k < repeats; k++) {
        const m = await cpuOf(() => runDigitsAttempt(opts.baseline!, c.path, c.digits, { vad, recognizer: verifier }))
        base.push(m.self + m.children)
      }
    }
    // the parts alone, once each (the scan: every frame at 25 fps)
    const scan = await cpuOf(() =>
      scanVideo(detector, c.path, { fps: DIGITS_SAMPLING.fps, maxFrames: DIGITS_SAMPLING.maxFrames }),
    )
    const audio = await cpuOf(() => analyseAudioFile(vad, c.path, { maxS: DIGITS_THRESHOLDS.maxVideoS + 10 }))
    const ver = await cpuOf(() => verifier.verify(audio.value.pcm, c.digits))
    const f = (x: number) => x.toFixed(2)
    console.log(
      `  ${c.clip.padEnd(28)} ${runs[0]!.reason.padEnd(16)} CPU ${f(self + ch)} s (process ${f(self)} + ffmpeg ${f(ch)}), wall ${f(wall)} s, median of ${repeats}, ${runs[0]!.frames} frames analysed; every frame: CPU ${f(med(every))} s; ` +
        (base.length
          ? `Human's pipeline (TensorFlow.js): CPU ${f(med(base))} s, after / before ${(((self + ch) / med(base)) as number).toFixed(2)}; `
          : '') +
        `parts alone: full-rate scan ${f(scan.self + scan.children)} s (ffmpeg ${f(scan.children)}, ${scan.value.samples.length} frames), ` +
        `sound ${f(audio.self + audio.children)} s (ffmpeg ${f(audio.children)}), verifier ${f(ver.self)} s (${ver.value.hypotheses?.length ?? '-'} decodings)`,
    )
    out.push({ clip: c.clip, cpuS: self + ch, selfS: self, ffmpegS: ch, wallS: wall })
  }
  // Genuine readings differ in what they cost: the verifier stops at the first decoding that hears the issued digits
  // exactly (1–4 decodings; the reading of 3581 above is never heard exactly, so it makes all 4). More readings in
  // the page's format, new random digits each, each attempt measured twice (median) after the warm-ups above.
  const pageRnd = mulberry32(1207)
  const pageRuns: Array<{ digits: string; cpu: number; decodings: number; reason: string; heard: unknown }> = []
  for (let k = 0; k < (opts.pageReadings ?? 6); k++) {
    const digits = pickLiveDigits(4, (n) => Math.floor(pageRnd() * n))
    const clip = asThePageRecords(await madeToFit(digits, pageRnd, `cpu-page-${k}`), `cpu-page-${k}`)
    const cpu: number[] = []
    let last: Awaited<ReturnType<typeof runDigitsAttempt>> | null = null
    for (let j = 0; j < 2; j++) {
      const m = await cpuOf(() => runDigitsAttempt(detector, clip, digits, { vad, recognizer: verifier }))
      cpu.push(m.self + m.children)
      last = m.value
    }
    const decodings = String(last!.signals.digitHypotheses ?? '').split('|').length
    pageRuns.push({
      digits,
      cpu: Math.min(...cpu),
      decodings,
      reason: last!.reason,
      heard: last!.signals.digitsRecognized,
    })
  }
  const sorted = [...pageRuns].sort((a, b) => a.cpu - b.cpu)
  console.log(
    `\ndigits: ${pageRuns.length} more made-to-fit readings as the page uploads them (640×480 VP8 WebM), CPU of the faster of two runs each:\n` +
      pageRuns
        .map(
          (x) =>
            `  ${x.digits}: ${x.reason}, heard ${x.heard ?? '-'}, ${x.decodings} decodings, CPU ${x.cpu.toFixed(2)} s`,
        )
        .join('\n') +
      `\n  median ${((sorted[(sorted.length - 1) >> 1]!.cpu + sorted[sorted.length >> 1]!.cpu) / 2).toFixed(2)} s, min ${sorted[0]!.cpu.toFixed(2)}, max ${sorted[sorted.length - 1]!.cpu.toFixed(2)}`,
  )
  return out
}
