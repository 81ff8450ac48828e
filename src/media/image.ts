import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import type { Reason } from '../codes/index.js'
import { MediaRejectedError } from './errors.js'
import { ACCEPTED_IMAGE_FORMATS, MEDIA_LIMITS } from './limits.js'

/** A decoded picture: tightly packed RGB, 3 bytes per pixel, row-major. */
export interface RgbImage {
  data: Buffer
  width: number
  height: number
}

export interface DecodedImage extends RgbImage {
  format: string
  /** size of the stored picture after EXIF orientation, before any downscale */
  sourceWidth: number
  sourceHeight: number
  bytes: number
}

/** live capture or reference photo: the same failure has a different reason on each side */
export type ImageRole = 'live' | 'reference'

const REASONS: Record<ImageRole, { decode: Reason; size: Reason; resolution: Reason; format: Reason }> = {
  live: {
    decode: 'IMAGE_DECODE_FAILED',
    size: 'IMAGE_SIZE_INVALID',
    resolution: 'IMAGE_SIZE_INVALID',
    format: 'FILE_FORMAT_INVALID',
  },
  reference: {
    decode: 'REFERENCE_DECODE_FAILED',
    size: 'REFERENCE_SIZE_INVALID',
    resolution: 'REFERENCE_RESOLUTION_TOO_LOW',
    format: 'REFERENCE_SIZE_INVALID',
  },
}

/**
 * Decode a JPEG / PNG / WebP once: EXIF orientation applied, alpha dropped, scaled down to
 * `maxSide`. Every refusal is a MediaRejectedError with the reason of the image's role.
 */
export async function decodeImage(
  input: string | Buffer,
  opts: { role?: ImageRole; maxSide?: number } = {},
): Promise<DecodedImage> {
  const role = opts.role ?? 'live'
  const reasons = REASONS[role]
  const limits = MEDIA_LIMITS.image
  let bytes: Buffer
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input
  } catch (err) {
    throw new MediaRejectedError(reasons.decode, `cannot read image: ${(err as Error).message}`)
  }
  if (bytes.length < limits.minBytes || bytes.length > limits.maxBytes) {
    throw new MediaRejectedError(
      reasons.size,
      `image is ${bytes.length} bytes (allowed ${limits.minBytes}–${limits.maxBytes})`,
      {
        bytes: bytes.length,
      },
    )
  }
  let meta: sharp.Metadata
  try {
    // header only; the pixel limit is checked below so that a bomb gets the size reason, not "corrupt"
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    throw new MediaRejectedError(reasons.decode, `not a decodable image: ${(err as Error).message}`)
  }
  const format = meta.format ?? 'unknown'
  if (!(ACCEPTED_IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new MediaRejectedError(reasons.format, `image format ${format} is not accepted (JPEG, PNG, WebP)`, { format })
  }
  const w = meta.width ?? 0
  const h = meta.height ?? 0
  if (w * h > limits.maxPixels) {
    throw new MediaRejectedError(reasons.size, `image has ${w}×${h} pixels (max ${limits.maxPixels})`, {
      width: w,
      height: h,
    })
  }
  // orientation 5–8 swaps the sides
  const swapped = (meta.orientation ?? 1) >= 5
  const sourceWidth = swapped ? h : w
  const sourceHeight = swapped ? w : h
  if (Math.min(sourceWidth, sourceHeight) < limits.minShortSide) {
    throw new MediaRejectedError(
      reasons.resolution,
      `image is ${sourceWidth}×${sourceHeight}, shorter side below ${limits.minShortSide}`,
      {
        width: sourceWidth,
        height: sourceHeight,
      },
    )
  }
  const maxSide = opts.maxSide ?? limits.analysisMaxSide
  try {
    // failOn 'error': a truncated JPEG is refused rather than analysed half grey
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`)
    return { data, width: info.width, height: info.height, format, sourceWidth, sourceHeight, bytes: bytes.length }
  } catch (err) {
    throw new MediaRejectedError(reasons.decode, `image decode failed: ${(err as Error).message}`)
  }
}

/** JPEG of an RGB picture (the BestFrame) */
export async function encodeJpeg(img: RgbImage, quality = 90): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer()
}
