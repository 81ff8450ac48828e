import { spawn } from 'node:child_process'
import { ffmpegPath } from '../media/index.js'

/** Sampling rate of every PCM buffer in this module (what Silero VAD and speech recognisers expect). */
export const SAMPLE_RATE = 16_000

export interface DecodedAudio {
  /** false when the file has no audio stream at all */
  hasTrack: boolean
  /** mono, 16 kHz, float −1…1; empty when there is no track */
  pcm: Float32Array
  sampleRate: typeof SAMPLE_RATE
  durationS: number
  /** the audio stream as ffmpeg describes it (codec, rate, layout), '' when none */
  streamInfo: string
}

export interface DecodeAudioOptions {
  /** stop after this many seconds of audio (default 60) */
  maxS?: number
  /** ffmpeg is killed after this long without output (default 30 s) */
  idleTimeoutMs?: number
}

/**
 * Decode the first audio stream of a media file (video or audio) to 16 kHz mono float PCM with
 * ffmpeg (down-mix of all channels, ffmpeg's default resampler). A file without an audio stream is
 * not an error: `hasTrack` is false and `pcm` empty. A file ffmpeg cannot read at all rejects.
 */
export async function decodeAudio(path: string, opts: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  const maxS = opts.maxS ?? 60
  const args = [
    '-hide_banner',
    '-nostdin',
    '-threads',
    '1',
    '-i',
    path,
    '-map',
    '0:a:0?',
    '-vn',
    '-sn',
    '-dn',
    '-ac',
    '1',
    '-ar',
    String(SAMPLE_RATE),
    '-t',
    String(maxS),
    '-f',
    'f32le',
    'pipe:1',
  ]
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const chunks: Buffer[] = []
  let stderr = ''
  let killed = false
  const idle = opts.idleTimeoutMs ?? 30_000
  let timer = setTimeout(() => {
    killed = true
    child.kill('SIGKILL')
  }, idle)
  const rearm = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, idle)
  }
  child.stdout.on('data', (c: Buffer) => {
    rearm()
    chunks.push(c)
  })
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 64_000) stderr += d.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  if (killed) throw new Error('decoding the audio timed out')
  const audioLine = /Stream #0:\d+[^:\n]*: Audio: ([^\n]*)/.exec(stderr)
  if (!/Input #0/.test(stderr)) throw new Error(`not a readable media file: ${lastLine(stderr)}`)
  if (!audioLine)
    return { hasTrack: false, pcm: new Float32Array(0), sampleRate: SAMPLE_RATE, durationS: 0, streamInfo: '' }
  const all = Buffer.concat(chunks)
  if (code !== 0 && all.length === 0) throw new Error(`ffmpeg could not decode the audio: ${lastLine(stderr)}`)
  const n = all.length >> 2
  const pcm = new Float32Array(n)
  for (let i = 0; i < n; i++) pcm[i] = all.readFloatLE(i * 4)
  return {
    hasTrack: true,
    pcm,
    sampleRate: SAMPLE_RATE,
    durationS: n / SAMPLE_RATE,
    streamInfo: audioLine[1]!.trim().slice(0, 200),
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n')
  return (lines[lines.length - 1] ?? '').slice(0, 300)
}
