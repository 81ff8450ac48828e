import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createRequire } from 'node:module'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { toCode, type Family, type Reason } from '../codes/index.js'
import { QUALITY_THRESHOLDS } from '../vision/index.js'
import type { Config } from '../config/index.js'
import type { VerificationService } from '../verifications/index.js'
import { guardInput } from './edge.js'

/** What the page routes use. */
export interface CapturePageDeps {
  config: Pick<Config, 'retentionS'>
  verifications: Pick<VerificationService, 'byToken' | 'retentionForApp'>
}

/**
 * Serves the browser side: the capture page at /capture, the console's HTML at /console, the Vite
 * build under /web/, and the face models and tfjs .wasm files the page's live guidance runs on —
 * all from shiren itself, so the page never contacts another host.
 */

// src/http and dist/http are both two levels below the repository root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const WEB_DIST = join(REPO_ROOT, 'dist', 'web')

const require = createRequire(import.meta.url)
const HUMAN_MODELS = join(dirname(require.resolve('@vladmandic/human')), '..', 'models')
const TFJS_WASM = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))

/** the guidance needs only the face detector and the mesh (landmarks for eyes, mouth, occlusion) */
const MODEL_FILES = new Set(['blazeface.json', 'blazeface.bin', 'facemesh.json', 'facemesh.bin'])
const WASM_FILES = new Set([
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
])

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
}

/**
 * No inline script or style, no other origin. `wasm-unsafe-eval` lets the tfjs WebAssembly backend
 * compile its module; blob: media is the local preview of the recording.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ')

export function securityHeaders(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      // camera and microphone for this origin only; nothing else the page does not use
      .header('permissions-policy', 'camera=(self), microphone=(self), geolocation=(), payment=()')
  )
}

/** text, JSON and WebAssembly shrink to a third or less; model weights (.bin) barely compress */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.wasm', '.svg'])
const gzipCache = new Map<string, { mtimeMs: number; data: Buffer }>()

function sendFile(reply: FastifyReply, file: string, cache: string, acceptEncoding = '') {
  const ext = extname(file)
  const type = MIME[ext] ?? 'application/octet-stream'
  const r = securityHeaders(reply).header('cache-control', cache).header('vary', 'accept-encoding').type(type)
  if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(acceptEncoding)) {
    const mtimeMs = statSync(file).mtimeMs
    let hit = gzipCache.get(file)
    if (!hit || hit.mtimeMs !== mtimeMs) {
      hit = { mtimeMs, data: gzipSync(readFileSync(file), { level: 9 }) }
      gzipCache.set(file, hit)
    }
    return r.header('content-encoding', 'gzip').send(hit.data)
  }
  return r.send(readFileSync(file))
}

/** An HTML page of the build; a clear message when the web build has not run. */
export function sendPage(reply: FastifyReply, name: 'capture' | 'console', acceptEncoding = '') {
  const file = join(WEB_DIST, `${name}.html`)
  if (!existsSync(file)) {
    return securityHeaders(reply)
      .code(503)
      .type('text/plain; charset=utf-8')
      .send('The web pages are not built: run `npm run build` (it runs the Vite build into dist/web).')
  }
  return sendFile(reply, file, 'no-store', acceptEncoding)
}

/** Reasons the page itself shows, with the code the caller's family will read for them. */
const PAGE_REASONS: Reason[] = [
  'ALREADY_COMPLETED',
  'TOKEN_EXPIRED',
  'ATTEMPTS_EXHAUSTED',
  'LIVE_CODE_EXPIRED',
  'NO_FACE',
  'MULTIPLE_FACES',
  'FACE_TOO_CLOSE',
  'FACE_TOO_FAR',
  'FACE_TOO_LEFT',
  'FACE_TOO_RIGHT',
  'TOO_DARK',
  'TOO_BRIGHT',
  'FACE_OCCLUDED',
  'FACE_INCOMPLETE',
  'FACE_NOT_FRONTAL',
  'VIDEO_FETCH_FAILED',
]

function describe(family: Family, reason: Reason) {
  try {
    const c = toCode(family, reason)
    return {
      reason,
      code: c.code,
      message: { zh: c.messageZh, en: c.messageEn },
      remedy: c.remedy,
    }
  } catch {
    return null
  }
}

function safeJoin(base: string, rel: string): string | null {
  const p = resolve(base, rel)
  return p.startsWith(base + sep) ? p : null
}

export async function capturePage(app: FastifyInstance, opts: { deps: CapturePageDeps }) {
  guardInput(app, (_req, reply, p) =>
    securityHeaders(reply)
      .code(400)
      .send({ error: { ...describe('h5', 'INVALID_PARAMETER'), detail: p.message } }),
  )
  const s = opts.deps

  app.get('/capture', async (req, reply) => sendPage(reply, 'capture', req.headers['accept-encoding'] ?? ''))

  /**
   * What the page needs besides the session: the codes of its own screens in the verification's
   * family, and the server's framing thresholds, so that the live guidance judges by the same numbers
   * the analysis will.
   */
  app.get('/capture/api/page', async (req: FastifyRequest, reply) => {
    const token = String((req.query as Record<string, unknown>).token ?? '')
    const v = token ? await s.verifications.byToken(token) : null
    const family: Family = v?.family ?? 'h5'
    const codes: Record<string, unknown> = {}
    for (const r of PAGE_REASONS) {
      const d = describe(family, r)
      if (d) codes[r] = d
    }
    const T = QUALITY_THRESHOLDS
    return reply.header('cache-control', 'no-store').send({
      family,
      known: v !== null,
      codes,
      // the app's own retention ("at most N days": a retention of 0 still keeps a result up to its token's lifetime)
      retentionDays: Math.max(
        1,
        Math.ceil((v ? await s.verifications.retentionForApp(v.appId) : s.config.retentionS) / 86400),
      ),
      thresholds: {
        maxWidthFrac: T.maxWidthFrac,
        maxHeightFrac: T.maxHeightFrac,
        minWidthFracOfShortSide: T.minWidthFracOfShortSide,
        minFacePixels: T.minFacePixels,
        minCenterX: T.minCenterX,
        maxCenterX: T.maxCenterX,
        minBrightness: T.minBrightness,
        maxBrightness: T.maxBrightness,
        secondFaceMinRelWidth: T.secondFaceMinRelWidth,
        secondFaceMinDetectorScore: T.secondFaceMinDetectorScore,
        maxOutsideFrac: T.maxOutsideFrac,
        frontalYawDeg: T.frontalYawDeg,
      },
    })
  })

  app.get('/web/*', async (req: FastifyRequest, reply) => {
    // fastify has decoded the path once; a second decoding may meet a lone `%` (URIError): not found
    let rel = ''
    try {
      rel = decodeURIComponent((req.params as Record<string, string>)['*'] ?? '')
    } catch {
      rel = ''
    }
    let file: string | null = null
    let cache = 'public, max-age=31536000, immutable'
    if (rel.startsWith('models/')) {
      const name = rel.slice(7)
      if (MODEL_FILES.has(name)) file = join(HUMAN_MODELS, name)
      cache = 'public, max-age=86400'
    } else if (rel.startsWith('wasm/')) {
      const name = rel.slice(5)
      if (WASM_FILES.has(name)) file = join(TFJS_WASM, name)
      cache = 'public, max-age=86400'
    } else if (!rel.endsWith('.html')) {
      file = safeJoin(WEB_DIST, rel)
      if (!rel.startsWith('assets/')) cache = 'public, max-age=3600'
    }
    if (!file || !existsSync(file) || !statSync(file).isFile())
      return securityHeaders(reply).code(404).type('text/plain; charset=utf-8').send('not found')
    return sendFile(reply, file, cache, req.headers['accept-encoding'] ?? '')
  })
}
