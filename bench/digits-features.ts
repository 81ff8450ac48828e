/**
 * Feature cache for tuning the digits judge (not a benchmark): scans each talking clip (and
 * liveportrait d0) once with the face mesh at 25 fps, and analyses the sound of every attack variant
 * of bench/digits.ts, writing mouth series + envelopes to a JSON file so that AV-sync features can be
 * studied without re-running the mesh. Usage: tsx bench/digits-features.ts <out.json>
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadFaceDetector } from '../src/vision/index.js'
import { sharedDir } from '../src/vision/paths.js'
import { ffmpegPath } from '../src/media/ffmpeg.js'
import { SileroVad } from '../src/audio/vad.js'
import { runDigitsAttempt } from '../src/liveness/digits-attempt.js'
import { analyseAudioFile } from '../src/audio/analyse.js'

const data = join(sharedDir(), 'data')
const modelsDir = process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models')
const GRID = ['bbaf2n', 'brbk7n', 'lbax4n', 'lbbc2a', 'lrwp9a', 'lwbsza']
const TEXT: Record<string, string> = {
  bbaf2n: 'bin blue at f two now',
  brbk7n: 'bin red by k seven now',
  lbax4n: 'lay blue at x four now',
  lbbc2a: 'lay blue by c two again',
  lrwp9a: 'lay red with p nine again',
  lwbsza: 'lay white by s zero again',
}
const clips = [
  ...GRID.map((id) => ({ id, set: 'grid', path: join(data, 'videos', 'grid', `${id}.mpg`) })),
  ...['face_1', 'face_2', 'face_3'].map((id) => ({
    id,
    set: 'retalking',
    path: join(data, 'videos', 'video_retalking', `${id}.mp4`),
  })),
]
const dir = mkdtempSync(join(tmpdir(), 'shiren-digfeat-'))
const ff = (a: string[]) => {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...a])
  if (r.status !== 0) throw new Error(r.stderr.toString())
}
const audioOf = (name: string, args: string[], d: number) => {
  const out = join(dir, `${name}.wav`)
  ff([
    ...args,
    ...(args.includes('-map') ? [] : ['-map', '0:a:0']),
    '-ac',
    '1',
    '-ar',
    '16000',
    '-t',
    d.toFixed(2),
    out,
  ])
  return out
}
const durationOf = (p: string) => {
  const m = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(
    spawnSync(ffmpegPath(), ['-hide_banner', '-i', p]).stderr.toString(),
  )!
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])
}
const detector = await loadFaceDetector(modelsDir)
const vad = await SileroVad.load()
const out: Record<string, unknown> = { videos: {}, audios: {} }
const videos = out.videos as Record<string, unknown>
const audios = out.audios as Record<string, unknown>
const keep = (a: Awaited<ReturnType<typeof analyseAudioFile>>) => ({
  speech: a.speech,
  syllables: a.syllables,
  db: Array.from(a.envelope.db),
  rateHz: a.envelope.rateHz,
  speechDbfs: a.speechDbfs,
})
for (const c of [...clips, { id: 'd0', set: 'still', path: join(data, 'videos', 'liveportrait', 'd0.mp4') }]) {
  const r = await runDigitsAttempt(detector, c.path, '000000', { vad })
  videos[c.id] = {
    times: r.scan!.samples.map((s) => s.t),
    mouth: r.scan!.samples.map((s) => (s.face ? s.face.mouthOpen : null)),
    complete: r.scan!.samples.map((s) => s.face !== null && s.faceCount === 1),
    durationS: durationOf(c.path),
  }
  console.log('video', c.id)
}
for (const c of clips) {
  const d = durationOf(c.path)
  audios[`genuine|${c.id}|${c.id}`] = keep(await analyseAudioFile(vad, c.path))
  audios[`shifted+0.5|${c.id}|${c.id}`] = keep(
    await analyseAudioFile(
      vad,
      audioOf(
        `${c.id}-d`,
        [
          '-f',
          'lavfi',
          '-t',
          '0.5',
          '-i',
          'anullsrc=r=16000:cl=mono',
          '-i',
          c.path,
          '-filter_complex',
          '[0:a][1:a]concat=n=2:v=0:a=1[a]',
          '-map',
          '[a]',
          '-ac',
          '1',
        ],
        d,
      ).replace(/$/, ''),
    ),
  )
  audios[`shifted-0.5|${c.id}|${c.id}`] = keep(
    await analyseAudioFile(vad, audioOf(`${c.id}-a`, ['-ss', '0.5', '-i', c.path], d)),
  )
  for (const p of clips.filter((p) => p.set === c.set && p.id !== c.id))
    audios[`swapped|${c.id}|${p.id}`] = keep(await analyseAudioFile(vad, audioOf(`${c.id}-${p.id}`, ['-i', p.path], d)))
  if (spawnSync('espeak-ng', ['--version']).status === 0) {
    const wav = join(dir, `${c.id}-tts.wav`)
    spawnSync('espeak-ng', [
      '-v',
      TEXT[c.id] ? 'en-us' : 'cmn',
      '-s',
      '150',
      '-w',
      wav,
      TEXT[c.id] ?? '六 三 九 一 四 八',
    ])
    audios[`tts|${c.id}|tts`] = keep(
      await analyseAudioFile(
        vad,
        audioOf(
          `${c.id}-t`,
          [
            '-f',
            'lavfi',
            '-t',
            '0.5',
            '-i',
            'anullsrc=r=22050:cl=mono',
            '-i',
            wav,
            '-filter_complex',
            '[0:a][1:a]concat=n=2:v=0:a=1[a]',
            '-map',
            '[a]',
            '-ac',
            '1',
          ],
          d,
        ),
      ),
    )
  }
  audios[`playback|d0|${c.id}`] = audios[`genuine|${c.id}|${c.id}`]
  console.log('audio', c.id)
}
writeFileSync(process.argv[2]!, JSON.stringify(out))
await vad.close()
process.exit(0)
