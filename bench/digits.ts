/**
 * Read-the-digits liveness benchmark (npm run bench:digits).
 *
 * Genuine: the talking clips with their own sound — GRID (6 × 3 s, English sentences) and
 * video_retalking (3 × 5–6 s, English speech). Attacks, all made with ffmpeg from the same clips into
 * a temporary folder (video stream copied, never re-encoded, so the lips are the genuine lips):
 *   shifted+0.5 / shifted-0.5   the clip's own sound delayed / advanced by 0.5 s
 *   swapped                     the sound of another talking clip (every ordered pair of the same set)
 *   silent                      the sound replaced by digital silence
 *   tts                         the sound replaced by espeak-ng reading the same sentence (GRID) or 6 Mandarin digits
 *   playback                    a person who does not speak (liveportrait d0: gaze and smile) with a talking clip's sound
 *
 * The digits issued: the clips are English sentences, not Chinese digits, so the judge is given
 * `expectedSyllables` = the syllable count of the GRID transcript (bin-blue-at-ef-two-now = 6). The
 * retalking clips have no transcript: their syllable check is not applied (expectedSyllables = the
 * count the counter itself finds, which makes that check pass by construction) — reported as such.
 * Options: --json <file>   --keep (keep the temporary folder)   --speech-only | --video-only   --per-speaker N (default 40)
 *          --tune-only (speech: the tuning speaker only)   --rescue-score S (speech: the second pass, not used by the engine)
 *          --max-unheard N (speech: the tolerance judged)   --min-votes K (speech: the votes judged; 1 = the rule before)
 *          --seed S (speech: the main sets' generator, default MAIN_SET_SEED; a new seed draws fresh readings, and
 *          fresh attacks from them, for the rule as it stands)   --as-issued (speech: every digit string drawn as the
 *          service issues digits, never the same digit twice in a row; default: uniform strings, as recorded)
 *          --cpu (only the CPU of one whole attempt on 5 s clips, bench/digits-cpu.ts)
 *          --page-only [--page-seed S] (only the page-fit genuine set, bench/digits-speech.ts runPageFitSet; a new
 *          seed draws fresh readings for the rule as it stands; --per-speaker N, default 30 here)
 *
 * First the speech part (bench/digits-speech.ts): the built-in digit verifier on Mandarin readings
 * and their attacks, audio only. Then every clip above is judged twice: by the sound and lip rules
 * alone (`lips`), and as the engine judges it, with the verifier and random issued digits of the
 * clip's syllable count (`engine`: the dubbed clips are also attacks on the digits). `tts-issued`
 * puts espeak-ng reading the issued digits in Mandarin over a face that does not say them.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadFaceDetector } from '../src/vision/index.js'
import { sharedDir } from '../src/vision/paths.js'
import { ffmpegPath } from '../src/media/ffmpeg.js'
import { SileroVad } from '../src/audio/vad.js'
import { runDigitsAttempt, digitsJudgeInput } from '../src/liveness/digits-attempt.js'
import { judgeDigits } from '../src/liveness/digits.js'
import { analyseAudioFile } from '../src/audio/analyse.js'
import { SherpaDigitVerifier, SPEECH_ZH_DIR } from '../src/audio/index.js'
import { runCpuBench } from './digits-cpu.js'
import {
  runSpeechBench,
  runPageFitSet,
  PAGE_FIT_SEED,
  TUNE_SPEAKERS,
  HELD_OUT_SPEAKERS,
  espeakDigits,
  pct,
} from './digits-speech.js'
import { mulberry32, randomDigits, wavBytes } from '../test/support/digit-readings.js'

const args = process.argv.slice(2)
const data = join(sharedDir(), 'data')
const modelsDir = process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models')
if (!existsSync(join(data, 'videos', 'grid'))) {
  console.log(`SKIP bench:digits: ${data}/videos is absent (set SHIREN_SHARED_DIR)`)
  process.exit(0)
}
if (args.includes('--cpu')) {
  const v = loadVerifier()
  if (!v) throw new Error('--cpu needs the speech models')
  const d = mkdtempSync(join(tmpdir(), 'shiren-digits-cpu-'))
  const vadCpu = await SileroVad.load()
  await runCpuBench({
    data,
    detector: await loadFaceDetector(modelsDir),
    vad: vadCpu,
    verifier: v,
    ffmpeg: ffmpegPath(),
    dir: d,
    baseline: await (await import('../src/vision/human.js')).loadHumanFaceDetector(modelsDir),
  })
  rmSync(d, { recursive: true, force: true })
  await vadCpu.close()
  process.exit(0)
}
const perAt = args.indexOf('--per-speaker')
if (args.includes('--page-only')) {
  // only the page-fit genuine set, e.g. a fresh draw (`--page-seed S`) with the rule unchanged
  const v = loadVerifier()
  if (!v) throw new Error('--page-only needs the speech models')
  const seedAt = args.indexOf('--page-seed')
  await runPageFitSet(v, {
    data,
    perSpeaker: perAt >= 0 ? Number(args[perAt + 1]) : 30,
    seed: seedAt >= 0 ? Number(args[seedAt + 1]) : PAGE_FIT_SEED,
    speakers: [...TUNE_SPEAKERS, ...HELD_OUT_SPEAKERS],
  })
  process.exit(0)
}
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0
const speech = args.includes('--video-only')
  ? null
  : await runSpeechBench({
      data,
      modelsDir,
      ffmpeg: ffmpegPath(),
      perSpeaker: perAt >= 0 ? Number(args[perAt + 1]) : 40,
      tuneOnly: args.includes('--tune-only'),
      ...(args.includes('--rescue-score') && { rescueHotwordScore: Number(args[args.indexOf('--rescue-score') + 1]) }),
      ...(args.includes('--max-unheard') && { maxUnheard: Number(args[args.indexOf('--max-unheard') + 1]) }),
      ...(args.includes('--min-votes') && { minVotes: Number(args[args.indexOf('--min-votes') + 1]) }),
      ...(args.includes('--seed') && { seed: Number(args[args.indexOf('--seed') + 1]) }),
      asIssued: args.includes('--as-issued'),
    })
if (args.includes('--speech-only')) process.exit(0)
const verifier = speech?.verifier ?? (args.includes('--video-only') ? loadVerifier() : null)
const rndIssued = mulberry32(7)
function loadVerifier(): SherpaDigitVerifier | null {
  const dirZh = join(modelsDir, SPEECH_ZH_DIR)
  return existsSync(dirZh) ? SherpaDigitVerifier.load(dirZh) : null
}

/** GRID transcripts and their syllable counts (letters as spoken: f = "ef", x = "ex", s = "es"). */
const GRID: Record<string, { text: string; syllables: number }> = {
  bbaf2n: { text: 'bin blue at f two now', syllables: 6 },
  brbk7n: { text: 'bin red by k seven now', syllables: 7 },
  lbax4n: { text: 'lay blue at x four now', syllables: 6 },
  lbbc2a: { text: 'lay blue by c two again', syllables: 7 },
  lrwp9a: { text: 'lay red with p nine again', syllables: 7 },
  lwbsza: { text: 'lay white by s zero again', syllables: 8 },
}
const RETALKING = ['face_1', 'face_2', 'face_3']

const dir = mkdtempSync(join(tmpdir(), 'shiren-digits-'))
function ff(a: string[]): void {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...a])
  if (r.status !== 0) throw new Error(`ffmpeg ${a.join(' ')}: ${r.stderr.toString()}`)
}
/** video stream of `video` (copied) with the sound of `audioArgs` (an ffmpeg input), as Matroska */
function mux(name: string, video: string, audioArgs: string[], durationS: number, delayMs = 0): string {
  const out = join(dir, `${name}.mkv`)
  // a delay is put into the samples (adelay): -itsoffset only moves the stream's start time, which a
  // decoder to PCM drops, so the "delayed" sound was the genuine sound (runs before 2026-12-03)
  const delay = delayMs > 0 ? ['-af', `adelay=${delayMs}|${delayMs}`] : []
  ff([
    '-i',
    video,
    ...audioArgs,
    '-map',
    '0:v:0',
    '-map',
    '1:a:0',
    ...delay,
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-t',
    durationS.toFixed(2),
    out,
  ])
  return out
}
function durationOf(path: string): number {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-i', path])
  const m = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(r.stderr.toString())!
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])
}

interface Clip {
  id: string
  path: string
  syllables: number | null
  set: 'grid' | 'retalking'
  text: string | null
}
const clips: Clip[] = [
  ...Object.entries(GRID).map(([id, g]) => ({
    id,
    path: join(data, 'videos', 'grid', `${id}.mpg`),
    syllables: g.syllables,
    set: 'grid' as const,
    text: g.text,
  })),
  ...RETALKING.map((id) => ({
    id,
    path: join(data, 'videos', 'video_retalking', `${id}.mp4`),
    syllables: null,
    set: 'retalking' as const,
    text: null,
  })),
]

const detector = await loadFaceDetector(modelsDir)
const vad = await SileroVad.load()
// retalking: no transcript → the count the counter finds (the syllable check is then void for these clips)
for (const c of clips) if (c.syllables === null) c.syllables = (await analyseAudioFile(vad, c.path)).syllables

interface Row {
  kind: string
  clip: string
  reason: string
  signals: Record<string, unknown>
  ms: number
  /** with the verifier and random issued digits (null without the speech models) */
  engineReason: string | null
  heard: string | null
}
const rows: Row[] = []
async function judge(kind: string, clip: Clip, path: string, label = clip.id, issued?: string): Promise<void> {
  const t0 = performance.now()
  // one scan per clip: as the engine judges it (lips + verifier, on digits the clip could not know),
  // and the lip rules alone re-judged on the same measurements
  const digits = issued ?? randomDigits(Math.max(1, clip.syllables!), rndIssued)
  const e = await runDigitsAttempt(detector, path, digits, {
    vad,
    expectedSyllables: clip.syllables!,
    ...(verifier && { recognizer: verifier }),
  })
  const lips = e.scan && e.audio ? judgeDigits(digitsJudgeInput(e.scan, e.audio, digits, clip.syllables!)) : e
  const r = { reason: lips.reason, signals: { ...e.signals, ...lips.signals } }
  const ms = Math.round(performance.now() - t0)
  const s = r.signals
  const engineReason: string | null = verifier ? e.reason : null
  const heard: string | null = verifier ? ((e.signals.digitsRecognized as string | null) ?? null) : null
  rows.push({ kind, clip: label, reason: r.reason, signals: s, ms, engineReason, heard })
  console.log(
    `${kind.padEnd(12)} ${label.padEnd(18)} ${r.reason.padEnd(30)} av=${s.avCorrelation ?? '-'} lag=${s.avLagS ?? '-'} sync=${s.syncPeak ?? '-'}@${s.syncLagS ?? '-'} z=${s.syncZ ?? '-'} mouth=${s.mouthRange ?? '-'} syl=${s.syllables ?? '-'}/${s.expectedSyllables ?? '-'} speech=${s.speechS ?? '-'}s ${s.speechDbfs ?? '-'}dBFS face=${s.faceCompleteShare ?? '-'} ${ms}ms engine=${engineReason ?? '-'} heard=${heard ?? '-'}`,
  )
}

for (const c of clips) {
  const d = durationOf(c.path)
  await judge('genuine', c, c.path)
  await judge('shifted+0.5', c, mux(`${c.id}-delay`, c.path, ['-i', c.path], d, 500))
  await judge('shifted-0.5', c, mux(`${c.id}-advance`, c.path, ['-ss', '0.5', '-i', c.path], d))
  const peers = clips.filter((p) => p.set === c.set && p.id !== c.id)
  for (const p of peers)
    await judge('swapped', c, mux(`${c.id}-from-${p.id}`, c.path, ['-i', p.path], d), `${c.id}<${p.id}`)
  await judge(
    'silent',
    c,
    mux(`${c.id}-silent`, c.path, ['-f', 'lavfi', '-t', d.toFixed(2), '-i', 'anullsrc=r=44100:cl=mono'], d),
  )
  if (hasEspeak) {
    const wav = join(dir, `${c.id}-tts.wav`)
    const text = c.text ?? '六 三 九 一 四 八'
    const voice = c.text ? 'en-us' : 'cmn'
    const r = spawnSync('espeak-ng', ['-v', voice, '-s', '150', '-w', wav, text])
    if (r.status !== 0) throw new Error(r.stderr.toString())
    // start the synthetic speech where the genuine speech starts (0.5 s in), as a careful attacker would
    await judge('tts', c, mux(`${c.id}-tts`, c.path, ['-i', wav], d, 500))
  }
}
// synthetic speech of the issued digits over a face that does not say them (a talking face saying
// something else, and d0, a face that does not speak): only the lip and voice checks can stop it
if (hasEspeak && verifier) {
  const faces = [
    ...clips,
    ...(existsSync(join(data, 'videos', 'liveportrait', 'd0.mp4'))
      ? [
          {
            id: 'd0',
            path: join(data, 'videos', 'liveportrait', 'd0.mp4'),
            syllables: 4,
            set: 'grid' as const,
            text: null,
          },
        ]
      : []),
  ]
  for (const c of faces) {
    for (let k = 0; k < 3; k++) {
      const issued = randomDigits(4 + k, rndIssued)
      const pcm = espeakDigits(issued, dir, ffmpegPath(), 150)!
      const wav = join(dir, `${c.id}-tts-issued-${k}.wav`)
      writeFileSync(wav, wavBytes(pcm))
      const d = durationOf(c.path)
      await judge(
        'tts-issued',
        { ...c, syllables: issued.length },
        mux(`${c.id}-tts-issued-${k}`, c.path, ['-i', wav], d, 500),
        `${c.id}#${issued}`,
        issued,
      )
    }
  }
}
// a person who does not speak, with a talking clip's sound played in the room
const still = join(data, 'videos', 'liveportrait', 'd0.mp4')
if (existsSync(still)) {
  for (const c of clips) {
    const base = { ...c, id: `d0<${c.id}` }
    await judge(
      'playback',
      base,
      mux(`d0-${c.id}`, still, ['-i', c.path], Math.min(durationOf(still), durationOf(c.path))),
      `d0<${c.id}`,
    )
  }
}

const kinds = [...new Set(rows.map((r) => r.kind))]
console.log('\nkind          clips  passed  rejected   reasons')
const summary: Record<string, unknown> = {}
for (const k of kinds) {
  const rs = rows.filter((r) => r.kind === k)
  const pass = rs.filter((r) => r.reason === 'PASS').length
  const reasons: Record<string, number> = {}
  for (const r of rs) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1
  const rate =
    k === 'genuine'
      ? `pass ${((100 * pass) / rs.length).toFixed(1)} %`
      : `rejected ${((100 * (rs.length - pass)) / rs.length).toFixed(1)} %`
  console.log(
    `${k.padEnd(13)} ${String(rs.length).padStart(5)}  ${String(pass).padStart(6)}  ${String(rs.length - pass).padStart(8)}   ${rate}  ${JSON.stringify(reasons)}`,
  )
  summary[k] = { clips: rs.length, passed: pass, reasons }
}
if (verifier) {
  console.log('\nengine (lips + verifier, random issued digits): rejected, Wilson 95 % CI')
  for (const k of kinds) {
    const rs = rows.filter((r) => r.kind === k)
    const rej = rs.filter((r) => r.engineReason !== 'PASS').length
    console.log(
      `${k.padEnd(13)} ${pct(rej, rs.length)}${k === 'genuine' ? '  (English sentences: not digits, rejection expected)' : ''}`,
    )
  }
  const dubbed = rows.filter((r) => !['genuine', 'tts-issued'].includes(r.kind))
  console.log(
    `dubbed clips of the lip bench (all attacks but tts-issued): rejected ${pct(dubbed.filter((r) => r.engineReason !== 'PASS').length, dubbed.length)}`,
  )
}
const attacks = rows.filter((r) => r.kind !== 'genuine')
console.log(
  `all attacks: ${attacks.filter((r) => r.reason !== 'PASS').length}/${attacks.length} rejected; mean ${Math.round(rows.reduce((a, r) => a + r.ms, 0) / rows.length)} ms per attempt (in-process, one thread)`,
)
if (!hasEspeak) console.log('tts attacks skipped: espeak-ng is not installed (apt-get install espeak-ng)')
const jsonAt = args.indexOf('--json')
if (jsonAt >= 0) writeFileSync(args[jsonAt + 1]!, JSON.stringify({ summary, rows }, null, 1))
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true })
else console.log(`variants kept in ${dir}`)
await vad.close()
process.exit(0)
