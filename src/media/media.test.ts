import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCode } from '../codes/index.js'
import type { Reason } from '../codes/index.js'
import {
  decodeImage,
  decodeVideoFrames,
  ffmpegPath,
  MEDIA_LIMITS,
  MediaRejectedError,
  parseFfmpegInfo,
  probeVideo,
} from './index.js'

const data = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'), 'data')
const hasData = existsSync(join(data, 'pairs.tsv'))
if (!hasData) console.log(`SKIP media tests on real data: ${data} is absent`)

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shiren-media-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function rejection(p: Promise<unknown>): Promise<MediaRejectedError> {
  try {
    await p
  } catch (err) {
    if (err instanceof MediaRejectedError) return err
    throw err
  }
  throw new Error('expected a MediaRejectedError')
}

/** the reason and its code in both families, so a catalog change shows up here */
function codes(reason: Reason) {
  return { reason, h5: toCode('h5', reason).code, sdk: toCode('sdk', reason).code }
}

/** rewrite the IHDR width/height of a PNG (and its CRC) */
function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png)
  out.writeUInt32BE(width, 16)
  out.writeUInt32BE(height, 20)
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29)
  return out
}

function crc32(buf: Buffer): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}

function ffmpeg(args: string[]) {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  if (r.status !== 0) throw new Error(r.stderr.toString())
}

describe('image intake', () => {
  it('decodes JPEG, PNG and WebP and applies EXIF orientation', async () => {
    const rgb = await sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    const jpeg = await rgb.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const png = await rgb.clone().png().toBuffer()
    const webp = await rgb.clone().webp().toBuffer()
    const j = await decodeImage(jpeg)
    // orientation 6 = rotate 90°: the stored 200×100 is shown 100×200
    expect([j.width, j.height, j.format]).toEqual([100, 200, 'jpeg'])
    expect((await decodeImage(png)).format).toBe('png')
    expect((await decodeImage(webp)).format).toBe('webp')
    expect(j.data.length).toBe(100 * 200 * 3)
  })

  it('scales large pictures down to the analysis size', async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: 'gray' } })
      .jpeg()
      .toBuffer()
    const img = await decodeImage(big)
    expect(Math.max(img.width, img.height)).toBe(1280)
    expect([img.sourceWidth, img.sourceHeight]).toEqual([3000, 2000])
  })

  it('refuses corrupt, truncated, foreign, tiny and bomb images with their codes', async () => {
    const jpeg = await sharp({ create: { width: 400, height: 400, channels: 3, background: 'white' } })
      .jpeg()
      .toBuffer()
    const noise = Buffer.alloc(5000, 7)
    expect(codes((await rejection(decodeImage(noise))).reason)).toEqual(codes('IMAGE_DECODE_FAILED'))
    // a truncated JPEG must not decode half grey
    const real = hasData ? readFileSync(join(data, 'spoof/vietmoney/true_001.jpg')) : jpeg
    expect((await rejection(decodeImage(real.subarray(0, Math.floor(real.length / 2))))).reason).toBe(
      'IMAGE_DECODE_FAILED',
    )
    const gif = await sharp({ create: { width: 300, height: 300, channels: 3, background: 'white' } })
      .gif()
      .toBuffer()
    expect(codes((await rejection(decodeImage(gif))).reason)).toEqual(codes('FILE_FORMAT_INVALID'))
    const tiny = await sharp({ create: { width: 50, height: 40, channels: 3, background: 'white' } })
      .png()
      .toBuffer()
    expect(codes((await rejection(decodeImage(tiny))).reason)).toEqual(codes('IMAGE_SIZE_INVALID'))
    expect(codes((await rejection(decodeImage(tiny, { role: 'reference' }))).reason)).toEqual(
      codes('REFERENCE_RESOLUTION_TOO_LOW'),
    )
    expect((await rejection(decodeImage(noise, { role: 'reference' }))).reason).toBe('REFERENCE_DECODE_FAILED')
    // decompression bomb: a small PNG whose header claims 20000×20000 (400 MP); refused from the header, never decoded
    expect(
      codes(
        (
          await rejection(
            decodeImage(
              pngClaiming(
                await sharp({ create: { width: 100, height: 100, channels: 3, background: 'white' } })
                  .png()
                  .toBuffer(),
                20000,
                20000,
              ),
            ),
          )
        ).reason,
      ),
    ).toEqual(codes('IMAGE_SIZE_INVALID'))
  }, 60_000)
})

describe('video intake', () => {
  it('parses ffmpeg stream info, including WebM without duration and rotation', () => {
    const webm = `Input #0, matroska,webm, from 'a.webm':\n  Duration: N/A, start: 0.000000, bitrate: N/A\n    Stream #0:0(eng): Video: vp8, yuv420p(progressive), 640x480, SAR 1:1 DAR 4:3, 30 fps, 30 tbr, 1k tbn, 1k tbc (default)\n    Stream #0:1(eng): Audio: opus, 48000 Hz, mono, fltp (default)`
    const p = parseFfmpegInfo(webm, 10)!
    expect([p.container, p.codec, p.width, p.height, p.durationS, p.fps, p.hasAudio]).toEqual([
      'matroska,webm',
      'vp8',
      640,
      480,
      null,
      30,
      true,
    ])
    const rotated = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'b.mp4':\n  Duration: 00:00:04.50, start: 0.0, bitrate: 1 kb/s\n    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720, 30 fps\n    Metadata:\n      rotate          : 90`
    const r = parseFfmpegInfo(rotated, 10)!
    expect([r.displayWidth, r.displayHeight, r.durationS, r.rotation]).toEqual([720, 1280, 4.5, 90])
  })

  it.skipIf(!hasData)(
    'decodes MP4/H.264, MPEG-1 and WebM/VP8 at the sampling rate',
    async () => {
      const fps = MEDIA_LIMITS.video.sampleFps
      const mp4 = await decodeVideoFrames(join(data, 'videos/liveportrait/d18.mp4'))
      // 7.22 s at the sampling rate
      expect(Math.abs(mp4.info.frames - 7.22 * fps)).toBeLessThanOrEqual(2)
      expect(mp4.frames[0]!.data.length).toBe(mp4.info.width * mp4.info.height * 3)
      const mpg = await decodeVideoFrames(join(data, 'videos/grid/bbaf2n.mpg'))
      expect([mpg.info.probe.codec, mpg.info.frames]).toEqual(['mpeg1video', 3 * fps])
      const webm = join(dir, 'grid.webm')
      ffmpeg(['-i', join(data, 'videos/grid/bbaf2n.mpg'), '-c:v', 'libvpx', '-b:v', '500k', '-an', webm])
      const w = await decodeVideoFrames(webm)
      expect(w.info.probe.codec).toBe('vp8')
      expect(w.info.frames).toBe(3 * fps)
    },
    60_000,
  )

  it.skipIf(!hasData)(
    'refuses short, long, low-resolution, empty, foreign and truncated videos with their codes',
    async () => {
      const src = join(data, 'videos/liveportrait/d18.mp4')
      expect(codes((await rejection(probeVideo(join(data, 'videos/liveportrait/d1.mp4')))).reason)).toEqual(
        codes('VIDEO_TOO_SHORT'),
      )
      expect(codes((await rejection(probeVideo(join(data, 'videos/liveportrait/d6.mp4')))).reason)).toEqual(
        codes('VIDEO_TOO_LONG'),
      )
      const low = join(dir, 'low.mp4')
      ffmpeg(['-i', src, '-t', '3', '-vf', 'scale=160:160', '-an', low])
      expect(codes((await rejection(probeVideo(low))).reason)).toEqual(codes('VIDEO_RESOLUTION_TOO_LOW'))
      const empty = join(dir, 'empty.mp4')
      writeFileSync(empty, '')
      expect(codes((await rejection(probeVideo(empty))).reason)).toEqual(codes('VIDEO_SIZE_INVALID'))
      const jpegAsVideo = join(dir, 'photo.mp4')
      writeFileSync(jpegAsVideo, readFileSync(join(data, 'spoof/vietmoney/true_001.jpg')))
      expect(codes((await rejection(probeVideo(jpegAsVideo))).reason)).toEqual(codes('VIDEO_FORMAT_INVALID'))
      const junk = join(dir, 'junk.webm')
      writeFileSync(junk, Buffer.alloc(50_000, 3))
      expect((await rejection(probeVideo(junk))).reason).toBe('VIDEO_FORMAT_INVALID')
      // moov atom first, then cut: the header promises 7 s, only the head decodes
      const faststart = join(dir, 'faststart.mp4')
      ffmpeg(['-i', src, '-c', 'copy', '-movflags', '+faststart', faststart])
      const whole = readFileSync(faststart)
      const cut = join(dir, 'cut.mp4')
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.3)))
      expect(codes((await rejection(decodeVideoFrames(cut))).reason)).toEqual(codes('VIDEO_DECODE_FAILED'))
      // moov atom last, then cut: the container cannot be opened at all
      const moovLast = join(dir, 'moovlast.mp4')
      ffmpeg(['-i', src, '-c', 'copy', moovLast])
      const tailless = join(dir, 'tailless.mp4')
      const ml = readFileSync(moovLast)
      writeFileSync(tailless, ml.subarray(0, Math.floor(ml.length * 0.5)))
      const r = (await rejection(decodeVideoFrames(tailless))).reason
      expect(['VIDEO_FORMAT_INVALID', 'VIDEO_DECODE_FAILED']).toContain(r)
    },
    60_000,
  )
})
