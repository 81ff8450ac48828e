import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { scanVideo, type FaceDetector } from '../../src/vision/index.js'
import { wavBytes, type Reading } from './digit-readings.js'

/**
 * A MADE-TO-FIT video of a Mandarin digit reading (docs/digits.md, "No real genuine clip"): no
 * recording of a person reading digits on camera exists in the data, so a real talking clip's
 * frames are time-warped so that its syllables' mouth openings fall on the reading's syllable
 * nuclei, and the reading (real isolated digits of one speaker) becomes its sound. Per digit, one
 * mouth opening of the clip (most closed frame → widest → most closed, found with the judge's own
 * face mesh) plays at its own speed centred on the digit's loudest moment; between digits the
 * closed frame is held. The lip rules judge it unchanged.
 */
export async function warpedReadingVideo(
  detector: FaceDetector,
  talkingClip: string,
  reading: Reading,
  dir: string,
  name: string,
): Promise<string> {
  const ff = (...args: string[]) => execFileSync(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  const fps = 25
  // the clip's mouth opening per frame (the same face mesh the judge uses)
  const scan = await scanVideo(detector, talkingClip, { fps, maxFrames: 400 })
  const m = scan.samples.map((x) => (x.face ? x.face.mouthOpen : 0))
  const sorted = [...m].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  // mouth-opening peaks (local maxima over ±3 frames above the median), the widest first
  const peaks = m
    .map((v, f) => ({ v, f }))
    .filter(({ v, f }) => v > median && m.slice(Math.max(0, f - 3), f + 4).every((w) => w <= v))
    .sort((a, b) => b.v - a.v)
    .map((p) => p.f)
  if (!peaks.length) throw new Error(`${talkingClip}: no mouth opening found`)
  const n = reading.digits.length
  // the reading's nuclei: the loudest 10 ms frame of each digit's take
  const r = reading.spans.map((s) => {
    let best = s.startS,
      bestE = -1
    for (let t = s.startS; t + 0.01 <= s.endS; t += 0.01) {
      let e = 0
      const a = Math.round(t * 16000)
      for (let i = a; i < a + 160; i++) e += reading.pcm[i]! * reading.pcm[i]!
      if (e > bestE) {
        bestE = e
        best = t
      }
    }
    return best + 0.005
  })
  // per digit: one opening of the clip, from the most closed frame before its peak to the most closed after
  const windows = r.map((_, k) => {
    const p = peaks[k % peaks.length]!
    let a = p,
      b = p
    for (let f = Math.max(0, p - 8); f < p; f++) if (m[f]! < m[a]!) a = f
    for (let f = p + 1; f <= Math.min(m.length - 1, p + 8); f++) if (m[f]! < m[b]!) b = f
    return { p, a, b }
  })
  const framesDir = join(dir, `${name}-frames`)
  rmSync(framesDir, { recursive: true, force: true })
  mkdirSync(framesDir, { recursive: true })
  ff('-i', talkingClip, '-vf', `fps=${fps}`, join(framesDir, 'src_%04d.png'))
  const srcFrames = readdirSync(framesDir).filter((f) => f.startsWith('src_')).length
  const durS = reading.pcm.length / 16000
  const outFrames = Math.ceil(durS * fps)
  for (let f = 0; f < outFrames; f++) {
    const t = f / fps
    let k = 0
    while (k + 1 < n && t > (r[k]! + r[k + 1]!) / 2) k++
    const w = windows[k]!
    // the opening plays at its own speed centred on the nucleus; outside it the closed frame is held
    const src = Math.min(w.b, Math.max(w.a, w.p + Math.round((t - r[k]!) * fps)))
    const idx = Math.min(srcFrames, Math.max(1, src + 1))
    symlinkSync(
      join(framesDir, `src_${String(idx).padStart(4, '0')}.png`),
      join(framesDir, `out_${String(f + 1).padStart(4, '0')}.png`),
    )
  }
  const wav = join(dir, `${name}.wav`)
  writeFileSync(wav, wavBytes(reading.pcm))
  const out = join(dir, `${name}.mkv`)
  ff(
    '-framerate',
    String(fps),
    '-i',
    join(framesDir, 'out_%04d.png'),
    '-i',
    wav,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    out,
  )
  rmSync(framesDir, { recursive: true, force: true })
  return out
}

export const readBytes = (p: string) => readFileSync(p)
