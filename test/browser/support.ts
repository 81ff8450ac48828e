import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { tempDir } from '../support/env.js'

export const CHROMIUM = process.env.SHIREN_CHROMIUM ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** every screenshot the tests take; docs/screenshots holds the few the README shows */
export const SHOTS = join(ROOT, 'test-output', 'screenshots')

export const PHONE = { width: 390, height: 844 }
export const DESKTOP = { width: 1280, height: 800 }

export function ff(...args: string[]): void {
  execFileSync(ffmpeg.path, ['-loglevel', 'error', '-y', ...args])
}

/** A short, small raw clip for Chromium's fake camera (y4m is uncompressed: keep it ≤ 4 s, ≤ 480 px). */
export function cameraClip(
  input: string,
  out: string,
  opts: { still?: boolean; seconds?: number; start?: number; vf?: string } = {},
): string {
  const s = String(opts.seconds ?? 4)
  if (opts.still) ff('-loop', '1', '-t', s, '-i', input, '-vf', 'scale=480:-2,fps=25', '-pix_fmt', 'yuv420p', out)
  else
    ff(
      '-ss',
      String(opts.start ?? 0),
      '-i',
      input,
      '-t',
      s,
      '-an',
      '-vf',
      `scale=480:480,${opts.vf ? `${opts.vf},` : ''}fps=25`,
      '-pix_fmt',
      'yuv420p',
      out,
    )
  return out
}

export function microphoneClip(input: string, out: string, seconds = 4): string {
  ff('-i', input, '-t', String(seconds), '-vn', '-ac', '1', '-ar', '48000', out)
  return out
}

/**
 * The web build the server serves: built here when absent or older than its sources, under a lock
 * so that test files running side by side build it once.
 */
export async function ensureWebBuild(): Promise<void> {
  const out = join(ROOT, 'dist', 'web', 'capture.html')
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs),
      0,
    )
  const fresh = () => existsSync(out) && statSync(out).mtimeMs >= newest(join(ROOT, 'src', 'web'))
  if (fresh()) return
  const lock = join(ROOT, 'dist', '.web-build.lock')
  mkdirSync(join(ROOT, 'dist'), { recursive: true })
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (i > 240) rmSync(lock, { recursive: true, force: true })
      await new Promise((r) => setTimeout(r, 500))
      if (fresh()) return
    }
  }
  try {
    if (fresh()) return
    const { build } = await import('vite')
    await build({ configFile: join(ROOT, 'src', 'web', 'vite.config.ts'), logLevel: 'warn' })
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * One Chromium per test file, with a fake camera and microphone read from files. The camera file is
 * a fixed path that `useCamera` replaces between cases: Chromium reads it again at each getUserMedia.
 */
export async function launch(
  opts: { fakeMedia?: boolean } = {},
): Promise<{ browser: Browser; dir: string; useCamera(y4m: string): void; useMicrophone(wav: string): void }> {
  const { chromium } = await import('playwright-core')
  const dir = tempDir('shiren-browser-')
  const cam = join(dir, 'camera.y4m')
  const mic = join(dir, 'microphone.wav')
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--lang=en-US',
  ]
  if (opts.fakeMedia !== false)
    args.push(
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${cam}`,
      `--use-file-for-fake-audio-capture=${mic}`,
    )
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, headless: true })
  return {
    browser,
    dir,
    useCamera(y4m) {
      copyFileSync(y4m, cam + '.tmp')
      renameSync(cam + '.tmp', cam)
    },
    useMicrophone(wav) {
      copyFileSync(wav, mic + '.tmp')
      renameSync(mic + '.tmp', mic)
    },
  }
}

/** A page whose every request is recorded, to prove the page talks to shiren only. */
export async function openPage(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; locale?: string; init?: string } = {},
): Promise<{ context: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? PHONE,
    locale: opts.locale ?? 'en-US',
    deviceScaleFactor: 1,
  })
  if (opts.init) await context.addInitScript(opts.init)
  const page = await context.newPage()
  const requests: string[] = []
  const problems: string[] = []
  context.on('request', (r) => requests.push(r.url()))
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  return { context, page, requests, problems }
}

/** Hosts other than the server's that the page contacted (blob:/data: are in-page, not requests to a host). */
export function foreignRequests(requests: string[], serverUrl: string): string[] {
  const own = new URL(serverUrl).host
  return requests.filter((u) => {
    if (u.startsWith('blob:') || u.startsWith('data:')) return false
    try {
      return new URL(u).host !== own
    } catch {
      return true
    }
  })
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}
