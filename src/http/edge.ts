import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * Input at the edge: the checks every API family makes before a value reaches a service or the
 * database, each family answering in its own error shape (it passes `refuse`). Hand-written because
 * they are ours: schemas say what a field is, these say what no field of shiren may ever be — a NUL
 * byte (PostgreSQL refuses it in text with a 500-worthy error), a repeated query parameter (fastify
 * turns it into an array where every handler expects one string), a number that is not finite
 * (`1e309` parses as Infinity in JSON and coerces to Infinity from a query string).
 */

export interface InputProblem {
  kind: 'nul' | 'repeated' | 'not-finite' | 'too-deep' | 'encoding'
  /** where it was: `query.appId`, `body.Extra`, `params.id` — never the value itself */
  field: string
  message: string
}

const MAX_DEPTH = 32

/** the text form that JSON.parse and ajv's coercion turn into ±Infinity */
function nonFiniteNumeral(s: string): boolean {
  if (s === '' || s.length > 400) return false
  // ajv coerces a string to a number when `s == +s`; "Infinity" and "1e309" pass that test
  const n = Number(s)
  return !Number.isFinite(n) && !Number.isNaN(n) && s.trim() !== ''
}

function problem(kind: InputProblem['kind'], field: string): InputProblem {
  const what = {
    nul: 'contains a NUL character',
    repeated: 'is given more than once',
    'not-finite': 'is not a finite number',
    'too-deep': 'is nested too deeply',
    encoding: 'is not valid UTF-8',
  }[kind]
  return { kind, field, message: `The parameter \`${field}\` ${what}.` }
}

/**
 * The first value under `value` that no field may hold. `arrays: false` refuses arrays (a query
 * string, path parameters); bodies keep their arrays, which their schemas check.
 */
export function findUnsafe(value: unknown, field: string, opts: { arrays: boolean }, depth = 0): InputProblem | null {
  if (depth > MAX_DEPTH) return problem('too-deep', field)
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return problem('nul', field)
    if (!opts.arrays && nonFiniteNumeral(value)) return problem('not-finite', field)
    return null
  }
  if (typeof value === 'number') return Number.isFinite(value) ? null : problem('not-finite', field)
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null
  if (Array.isArray(value)) {
    if (!opts.arrays) return problem('repeated', field)
    for (let i = 0; i < value.length; i++) {
      const p = findUnsafe(value[i], `${field}[${i}]`, opts, depth + 1)
      if (p) return p
    }
    return null
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.includes('\u0000')) return problem('nul', field)
    const p = findUnsafe(v, field ? `${field}.${k}` : k, opts, depth + 1)
    if (p) return p
  }
  return null
}

/** Query string and path parameters hold one scalar each; a parsed body holds no NUL and no Infinity. */
export function inspectRequest(req: FastifyRequest): InputProblem | null {
  return (
    findUnsafe(req.query, 'query', { arrays: false }) ??
    findUnsafe(req.params, 'params', { arrays: false }) ??
    findUnsafe(req.body, 'body', { arrays: true })
  )
}

/**
 * Registers the family's edge check in its encapsulated context: after body parsing, before
 * schema validation and the handler. `refuse` sends the family's own error.
 */
export function guardInput(
  app: FastifyInstance,
  refuse: (req: FastifyRequest, reply: FastifyReply, p: InputProblem) => FastifyReply | Promise<FastifyReply>,
): void {
  app.addHook('preValidation', async (req, reply) => {
    const p = inspectRequest(req)
    if (p) return refuse(req, reply, p)
  })
}

/** Strict UTF-8: a text body with invalid bytes is refused rather than read with U+FFFD in it. */
const utf8 = new TextDecoder('utf-8', { fatal: true })
export function decodeUtf8(buf: Buffer): string | null {
  try {
    return utf8.decode(buf)
  } catch {
    return null
  }
}

/**
 * Headers on every answer, page or API: the pages set their own CSP (capture-page.ts); everything
 * else may not be framed or sniffed. HSTS only when the request came over HTTPS (directly or through
 * a trusted proxy), since a plain-HTTP deployment would otherwise lock browsers out.
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer')
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    return payload
  })
}
