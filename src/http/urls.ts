import type { FastifyRequest } from 'fastify'
import type { Config } from '../config/index.js'

/**
 * The base URL browsers reach shiren at: SHIREN_PUBLIC_URL when set (behind a proxy), otherwise
 * what the request itself says (Fastify's trustProxy honours X-Forwarded-Proto/Host).
 */
export function publicBase(config: Pick<Config, 'publicUrl'>, req: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl
  return `${req.protocol}://${req.host}`
}

export function publicHost(config: Pick<Config, 'publicUrl'>, req: FastifyRequest): string {
  return new URL(publicBase(config, req)).host
}

export function captureUrl(config: Pick<Config, 'publicUrl'>, req: FastifyRequest, token: string): string {
  return `${publicBase(config, req)}/capture?token=${encodeURIComponent(token)}`
}

/**
 * A caller's redirect target as an absolute http(s) URL, normalised; null for anything else
 * (javascript:, data:, relative paths, junk), which each family refuses in its own error shape.
 */
export function absoluteHttpUrl(url: string): string | null {
  try {
    const u = new URL(url)
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.toString()
  } catch {
    /* not a URL */
  }
  return null
}
