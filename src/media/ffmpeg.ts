import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'

const require = createRequire(import.meta.url)

/**
 * The ffmpeg binary: `SHIREN_FFMPEG` when set, else the static build inside @ffmpeg-installer
 * (no system package needed), else `ffmpeg` on PATH.
 */
export function ffmpegPath(): string {
  const fromEnv = process.env.SHIREN_FFMPEG
  if (fromEnv) return fromEnv
  try {
    const p = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path
    if (existsSync(p)) return p
  } catch {
    // fall through to PATH
  }
  return 'ffmpeg'
}
