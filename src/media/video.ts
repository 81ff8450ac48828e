import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { MediaRejectedError } from './errors.js'
import { ffmpegPath } from './ffmpeg.js'
import type { RgbImage } from './image.js'
import { ACCEPTED_VIDEO_CODECS, ACCEPTED_VIDEO_CONTAINERS, MEDIA_LIMITS } from './limits.js'

export interface VideoProbe {
  container: string
  codec: string
  /** coded picture size, before rotation */
  width: number
  height: number
  /** size as displayed (rotation metadata applied) */
  displayWidth: number
  displayHeight: number
  /** null when the container does not say (browser WebM) */
  durationS: number | null
  fps: number | null
  rotation: number
  hasAudio: boolean
  bytes: number
}

/**
 * Run ffmpeg, collecting stderr; stdout handled by the caller when given. The timeout is an idle
 * timeout: it restarts on every output chunk, so a slow consumer (the judges) never kills a healthy
 * decode, while a hung or endlessly slow one is stopped.
 */
function runFfmpeg(
  args: string[],
  timeoutMs: number,
  onStdout?: (chunk: Buffer) => void,
): { done: Promise<{ code: number | null; stderr: string; killed: boolean }>; kill: () => void } {
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] })
  let stderr = ''
  let killed = false
  child.stderr!.on('data', (d: Buffer) => {
    // keep the head (stream info) and a bounded tail (errors)
    if (stderr.length < 64_000) stderr += d.toString('utf8')
  })
  const onTimeout = () => {
    killed = true
    child.kill('SIGKILL')
  }
  let timer = setTimeout(onTimeout, timeoutMs)
  if (onStdout) {
    child.stdout!.on('data', (chunk: Buffer) => {
      clearTimeout(timer)
      timer = setTimeout(onTimeout, timeoutMs)
      onStdout(chunk)
    })
  }
  const done = new Promise<{ code: number | null; stderr: string; killed: boolean }>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, killed })
    })
  })
  return {
    done,
    kill: () => {
      killed = true
      child.kill('SIGKILL')
    },
  }
}

/** Parse `ffmpeg -i` output (there is no ffprobe in the static package). Exported for tests. */
export function parseFfmpegInfo(stderr: string, bytes: number): VideoProbe | null {
  const input = /Input #0, ([^ ]+), from/.exec(stderr)
  const video = /Stream #0:\d+[^:]*: Video: ([a-z0-9_]+)[^\n]*?, (\d{2,5})x(\d{2,5})/.exec(stderr)
  if (!input || !video) return null
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr)
  const durationS = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : null
  const fpsMatch = /Video: [^\n]*?, (\d+(?:\.\d+)?) fps/.exec(stderr)
  const rot = /rotate\s*:\s*(-?\d+)/.exec(stderr) ?? /rotation of (-?\d+(?:\.\d+)?) degrees/.exec(stderr)
  const rotation = rot ? ((Math.round(Number(rot[1])) % 360) + 360) % 360 : 0
  const width = Number(video[2])
  const height = Number(video[3])
  const swap = rotation === 90 || rotation === 270
  return {
    container: input[1]!.replace(/,$/, ''),
    codec: video[1]!,
    width,
    height,
    displayWidth: swap ? height : width,
    displayHeight: swap ? width : height,
    durationS,
    fps: fpsMatch ? Number(fpsMatch[1]) : null,
    rotation,
    hasAudio: /Stream #0:\d+[^:]*: Audio:/.test(stderr),
    bytes,
  }
}

/** Probe a video file and check it against the intake limits (container, codec, size, resolution, duration). */
export async function probeVideo(path: string): Promise<VideoProbe> {
  const limits = MEDIA_LIMITS.video
  let bytes: number
  try {
    bytes = (await stat(path)).size
  } catch (err) {
    throw new MediaRejectedError('VIDEO_FETCH_FAILED', `cannot read video: ${(err as Error).message}`)
  }
  if (bytes < limits.minBytes || bytes > limits.maxBytes) {
    throw new MediaRejectedError(
      'VIDEO_SIZE_INVALID',
      `video is ${bytes} bytes (allowed ${limits.minBytes}–${limits.maxBytes})`,
      { bytes },
    )
  }
  const { done } = runFfmpeg(['-hide_banner', '-nostdin', '-i', path], 10_000)
  const { stderr, killed } = await done
  if (killed) throw new MediaRejectedError('VIDEO_FORMAT_INVALID', 'probing the video timed out')
  const probe = parseFfmpegInfo(stderr, bytes)
  if (!probe) {
    throw new MediaRejectedError('VIDEO_FORMAT_INVALID', `not a readable video: ${lastLine(stderr)}`)
  }
  if (!(ACCEPTED_VIDEO_CONTAINERS as readonly string[]).includes(probe.container)) {
    throw new MediaRejectedError('VIDEO_FORMAT_INVALID', `container ${probe.container} is not accepted`, {
      container: probe.container,
    })
  }
  if (!(ACCEPTED_VIDEO_CODECS as readonly string[]).includes(probe.codec)) {
    throw new MediaRejectedError('VIDEO_FORMAT_INVALID', `codec ${probe.codec} is not accepted`, { codec: probe.codec })
  }
  if (probe.width * probe.height > limits.maxPixels) {
    throw new MediaRejectedError(
      'VIDEO_FORMAT_INVALID',
      `picture ${probe.width}×${probe.height} is larger than allowed`,
    )
  }
  if (Math.min(probe.width, probe.height) < limits.minShortSide) {
    throw new MediaRejectedError(
      'VIDEO_RESOLUTION_TOO_LOW',
      `picture ${probe.width}×${probe.height}: shorter side below ${limits.minShortSide}`,
      { width: probe.width, height: probe.height },
    )
  }
  if (probe.durationS !== null) checkDuration(probe.durationS)
  return probe
}

function checkDuration(durationS: number): void {
  const limits = MEDIA_LIMITS.video
  if (durationS < limits.minDurationS) {
    throw new MediaRejectedError(
      'VIDEO_TOO_SHORT',
      `video lasts ${durationS.toFixed(2)} s (minimum ${limits.minDurationS} s)`,
      { durationS },
    )
  }
  if (durationS > limits.maxDurationS) {
    throw new MediaRejectedError(
      'VIDEO_TOO_LONG',
      `video lasts ${durationS.toFixed(2)} s (maximum ${limits.maxDurationS} s)`,
      { durationS },
    )
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n')
  return (lines[lines.length - 1] ?? '').slice(0, 300)
}

export interface VideoFrame extends RgbImage {
  index: number
  /** seconds from the start */
  t: number
}

export interface DecodeVideoOptions {
  fps?: number
  maxSide?: number
  maxFrames?: number
  /** skip the duration limits (benchmarks of short clips); format and size are still checked */
  ignoreDurationLimits?: boolean
}

export interface DecodedVideoInfo {
  probe: VideoProbe
  frames: number
  fps: number
  width: number
  height: number
  durationS: number
  decodeMs: number
}

/**
 * Decode a video once into RGB frames at `fps`, scaled to `maxSide`, and hand each frame to
 * `onFrame` as soon as it is complete, so the judges run while ffmpeg still decodes. Calls are
 * serialised; frames that arrive while `onFrame` is busy wait in memory (bounded by `maxFrames`).
 */
export async function decodeVideo(
  path: string,
  onFrame: (frame: VideoFrame) => void | Promise<void>,
  opts: DecodeVideoOptions = {},
): Promise<DecodedVideoInfo> {
  const limits = MEDIA_LIMITS.video
  const started = performance.now()
  const probe = await probeVideoForDecode(path, opts.ignoreDurationLimits === true)
  const maxFrames = opts.maxFrames ?? limits.maxFrames
  let fps = opts.fps ?? limits.sampleFps
  if (probe.durationS !== null && probe.durationS * fps > maxFrames) fps = maxFrames / probe.durationS
  if (probe.fps !== null && probe.fps > 0) fps = Math.min(fps, probe.fps)
  const maxSide = opts.maxSide ?? limits.analysisMaxSide
  const scale = Math.min(1, maxSide / Math.max(probe.displayWidth, probe.displayHeight))
  // even sizes: some pixel converters want them
  const width = Math.max(2, Math.round((probe.displayWidth * scale) / 2) * 2)
  const height = Math.max(2, Math.round((probe.displayHeight * scale) / 2) * 2)
  const frameBytes = width * height * 3
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-threads',
    '1',
    '-i',
    path,
    '-an',
    '-sn',
    '-vf',
    `fps=${fps.toFixed(4)},scale=${width}:${height}:flags=bilinear`,
    '-frames:v',
    String(maxFrames),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]
  const pending: Buffer[] = []
  let pendingBytes = 0
  let index = 0
  let chain: Promise<void> = Promise.resolve()
  let callbackError: unknown = null
  const proc = runFfmpeg(args, limits.decodeTimeoutMs, (chunk) => {
    pending.push(chunk)
    pendingBytes += chunk.length
    while (pendingBytes >= frameBytes) {
      // one copy per frame: the pipe's chunks are copied into the frame's own buffer and the tail of the
      // last one stays a view (the chunks are not reused by the stream)
      const data = Buffer.allocUnsafeSlow(frameBytes)
      let filled = 0
      while (filled < frameBytes) {
        const chunk = pending[0]!
        const take = Math.min(chunk.length, frameBytes - filled)
        chunk.copy(data, filled, 0, take)
        filled += take
        if (take === chunk.length) pending.shift()
        else pending[0] = chunk.subarray(take)
      }
      pendingBytes -= frameBytes
      const frame: VideoFrame = { data, width, height, index, t: index / fps }
      index++
      chain = chain.then(async () => {
        if (callbackError) return
        try {
          // let the pipe drain between frames: model code resolves on microtasks only, and without a
          // macrotask turn ffmpeg would stall on a full pipe and run into the decode timeout
          await new Promise<void>((r) => setImmediate(r))
          await onFrame(frame)
        } catch (err) {
          callbackError = err
          proc.kill()
        }
      })
    }
  })
  const { code, stderr, killed } = await proc.done
  await chain
  if (callbackError) throw callbackError
  if (killed) throw new MediaRejectedError('VIDEO_DECODE_FAILED', 'decoding the video timed out')
  if (code !== 0 && index === 0) {
    throw new MediaRejectedError('VIDEO_DECODE_FAILED', `ffmpeg failed: ${lastLine(stderr)}`)
  }
  if (index === 0) throw new MediaRejectedError('VIDEO_DECODE_FAILED', 'the video holds no decodable frame')
  const decodedS = index / fps
  // a truncated file decodes only its head: the judges must not pass what they did not see
  if (probe.durationS !== null && decodedS < probe.durationS * 0.6 - 1 / fps && index < maxFrames) {
    throw new MediaRejectedError(
      'VIDEO_DECODE_FAILED',
      `only ${decodedS.toFixed(2)} s of ${probe.durationS.toFixed(2)} s could be decoded (truncated or corrupt)`,
      { decodedS, durationS: probe.durationS },
    )
  }
  const durationS = probe.durationS ?? decodedS
  if (probe.durationS === null && !opts.ignoreDurationLimits) checkDuration(durationS)
  return { probe, frames: index, fps, width, height, durationS, decodeMs: performance.now() - started }
}

async function probeVideoForDecode(path: string, ignoreDuration: boolean): Promise<VideoProbe> {
  if (!ignoreDuration) return probeVideo(path)
  try {
    return await probeVideo(path)
  } catch (err) {
    if (err instanceof MediaRejectedError && (err.reason === 'VIDEO_TOO_SHORT' || err.reason === 'VIDEO_TOO_LONG')) {
      const { done } = runFfmpeg(['-hide_banner', '-nostdin', '-i', path], 10_000)
      const { stderr } = await done
      return parseFfmpegInfo(stderr, 0)!
    }
    throw err
  }
}

/** Decode every sampled frame into memory (small clips, tests and benchmarks). */
export async function decodeVideoFrames(
  path: string,
  opts: DecodeVideoOptions = {},
): Promise<{ info: DecodedVideoInfo; frames: VideoFrame[] }> {
  const frames: VideoFrame[] = []
  const info = await decodeVideo(path, (f) => void frames.push(f), opts)
  return { info, frames }
}
