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
  kind: 'nul' | 'repeated' | 'not-finite' | 'out-of-range' | 'too-deep' | 'encoding'
  /** where it was: `query.appId`, `body.Extra`, `params.id` — never the value itself */
  field: string
  message: string
}

const MAX_DEPTH = 32

/**
 * Text that ajv's coercion (`s == +s`) would turn into a number no field of shiren holds: ±Infinity
 * ("Infinity", "1e309") or, written with an exponent or a decimal point, one beyond 2^53 ("1.6e264"),
 * which SQLite and PostgreSQL refuse as a datatype mismatch or out of range.
 */
function numeralProblem(s: string): 'not-finite' | 'out-of-range' | null {
  if (s.trim() === '' || s.length > 400) return null
  const n = Number(s)
  if (Number.isNaN(n)) return null
  if (!Number.isFinite(n)) return 'not-finite'
  // a plain run of digits may be an identifier (an order number, an ID number): the schemas bound the
  // numeric fields; exponent and decimal forms beyond 2^53 are no identifier of shiren's
  if (/^-?\d+$/.test(s.trim())) return null
  return Math.abs(n) > Number.MAX_SAFE_INTEGER ? 'out-of-range' : null
}

function problem(kind: InputProblem['kind'], field: string): InputProblem {
  const what = {
    nul: 'contains a NUL character',
    repeated: 'is given more than once',
    'not-finite': 'is not a finite number',
    'out-of-range': 'is a number out of range',
    'too-deep': 'is nested too deeply',
    encoding: 'is not valid UTF-8',
  }[kind]
  return { kind, field, message: `The parameter \`${field}\` ${what}.` }
}

/**
 * The first value under `value` that no field may hold. `arrays: false` refuses arrays (a query
 * string, path parameters); bodies keep their arrays, which their schemas check.
 */
export function findUnsafe(
  value: unknown,
  field: string,
  opts: { arrays: boolean; numerals?: boolean },
  depth = 0,
): InputProblem | null {
  if (depth > MAX_DEPTH) return problem('too-deep', field)
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return problem('nul', field)
    const n = opts.numerals || !opts.arrays ? numeralProblem(value) : null
    return n ? problem(n, field) : null
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return problem('not-finite', field)
    return Math.abs(value) > Number.MAX_SAFE_INTEGER ? problem('out-of-range', field) : null
  }
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

/**
 * Query string and path parameters hold one scalar each; a parsed body holds no NUL and no Infinity.
 * `coercedBody`: the family's schemas coerce body strings to numbers (fastify's ajv), so a body string
 * is held to the query's numeral rule too.
 */
export function inspectRequest(req: FastifyRequest, coercedBody = false): InputProblem | null {
  return (
    findUnsafe(req.query, 'query', { arrays: false }) ??
    findUnsafe(req.params, 'params', { arrays: false }) ??
    findUnsafe(req.body, 'body', { arrays: true, numerals: coercedBody })
  )
}

/**
 * Registers the family's edge check in its encapsulated context: after body parsing, before
 * schema validation and the handler. `refuse` sends the family's own error.
 */
export function guardInput(
  app: FastifyInstance,
  refuse: (req: FastifyRequest, reply: FastifyReply, p: InputProblem) => FastifyReply | Promise<FastifyReply>,
  opts: { coercedBody?: boolean } = {},
): void {
  app.addHook('preValidation', async (req, reply) => {
    const p = inspectRequest(req, opts.coercedBody)
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
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
    if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer')
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    done(null, payload)
  })
}
