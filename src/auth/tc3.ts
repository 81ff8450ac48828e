import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/**
 * TC3-HMAC-SHA256 as the Tencent Cloud API 3.0 SDKs compute it. The server recomputes the
 * signature from the raw body and the headers named in SignedHeaders and compares in constant time.
 */
export interface Tc3Request {
  method: string
  /** the request path as received (the Node SDK signs it; Go signs "/" whatever the path) */
  path: string
  query: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface ParsedAuthorization {
  secretId: string
  date: string
  service: string
  signedHeaders: string[]
  signature: string
}

export type Tc3Failure =
  | { error: 'AuthFailure.InvalidAuthorization'; message: string }
  | { error: 'AuthFailure.SignatureExpire'; message: string }
  | { error: 'AuthFailure.SignatureFailure'; message: string }
  | { error: 'MissingParameter'; message: string }

const AUTH_RE =
  /^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-fA-F]{64})\s*$/

export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header) return null
  const m = AUTH_RE.exec(header.trim())
  if (!m) return null
  return {
    secretId: m[1]!,
    date: m[2]!,
    service: m[3]!,
    signedHeaders: m[4]!.split(';'),
    signature: m[5]!.toLowerCase(),
  }
}

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, msg: string) => createHmac('sha256', key).update(msg, 'utf8').digest()

function header(h: Tc3Request['headers'], name: string): string | undefined {
  const v = h[name]
  return Array.isArray(v) ? v.join(',') : v
}

export function tc3Signature(
  secretKey: string,
  p: {
    method: string
    path: string
    query: string
    canonicalHeaders: string
    signedHeaders: string
    payloadHash: string
    timestamp: string
    date: string
    service: string
  },
): string {
  const canonicalRequest = [p.method, p.path, p.query, p.canonicalHeaders, p.signedHeaders, p.payloadHash].join('\n')
  const scope = `${p.date}/${p.service}/tc3_request`
  const stringToSign = ['TC3-HMAC-SHA256', p.timestamp, scope, sha256hex(canonicalRequest)].join('\n')
  return createHmac('sha256', signingKey(secretKey, p.date, p.service))
    .update(stringToSign, 'utf8')
    .digest('hex')
}

/**
 * The day's signing key of a secret (three chained HMACs), kept: it changes once a day per secret,
 * while every request and every host/path variant needs it. Bounded; cleared when full.
 */
const signingKeys = new Map<string, Buffer>()
function signingKey(secretKey: string, date: string, service: string): Buffer {
  const id = `${date}\0${service}\0${secretKey}`
  let key = signingKeys.get(id)
  if (!key) {
    key = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request')
    if (signingKeys.size >= 1024) signingKeys.clear()
    signingKeys.set(id, key)
  }
  return key
}

/**
 * Checks the timestamp window and the signature. `secretKey` is resolved by the caller from
 * `auth.secretId` (the AppID). Host variants and path variants are all tried because the official
 * SDKs disagree on them (Node signs the hostname without port, Go signs "/" and the port).
 */
export function verifyTc3(
  req: Tc3Request,
  auth: ParsedAuthorization,
  secretKey: string,
  nowS: number,
  skewS: number,
): Tc3Failure | null {
  const timestamp = header(req.headers, 'x-tc-timestamp')
  if (!timestamp || !/^\d{1,12}$/.test(timestamp))
    return { error: 'MissingParameter', message: 'X-TC-Timestamp is missing or not an integer' }
  const ts = Number(timestamp)
  if (Math.abs(nowS - ts) > skewS) {
    return {
      error: 'AuthFailure.SignatureExpire',
      message: `Signature expired: the request timestamp ${ts} is more than ${skewS} s from the server time ${nowS}.`,
    }
  }
  const date = new Date(ts * 1000).toISOString().slice(0, 10)
  if (date !== auth.date)
    return {
      error: 'AuthFailure.SignatureFailure',
      message: 'The credential scope date does not match X-TC-Timestamp.',
    }
  if (!auth.signedHeaders.includes('host') || !auth.signedHeaders.includes('content-type')) {
    return { error: 'AuthFailure.InvalidAuthorization', message: 'SignedHeaders must include content-type and host.' }
  }
  const payloadHash =
    header(req.headers, 'x-tc-content-sha256') === 'UNSIGNED-PAYLOAD'
      ? sha256hex('UNSIGNED-PAYLOAD')
      : sha256hex(req.body)

  // the signature given is 64 hex characters (AUTH_RE), as is every one computed: 32 bytes each side,
  // compared in constant time without hashing them first (constantTimeEqual's hashing is for inputs of
  // unknown length; here it was 4 of the check's 10 hashes)
  const given = Buffer.from(auth.signature, 'hex')
  if (given.length !== 32 || !/^[0-9a-f]{64}$/i.test(auth.signature))
    return {
      error: 'AuthFailure.SignatureFailure',
      message: 'The provided credentials could not be validated. Please check your signature is correct.',
    }
  const host = header(req.headers, 'host') ?? ''
  const hostVariants = [...new Set([host, host.replace(/:\d+$/, '')])]
  const pathVariants = [...new Set([req.path || '/', '/'])]
  let ok = false
  for (const h of hostVariants) {
    const canonicalHeaders = auth.signedHeaders
      .map((name) => {
        const raw = name === 'host' ? h : (header(req.headers, name) ?? '')
        // the vendor's demo signs the action lower-cased
        return `${name}:${name === 'x-tc-action' ? raw.trim().toLowerCase() : raw.trim()}\n`
      })
      .join('')
    for (const path of pathVariants) {
      const expected = tc3Signature(secretKey, {
        method: req.method.toUpperCase(),
        path,
        query: req.method.toUpperCase() === 'GET' ? req.query : '',
        canonicalHeaders,
        signedHeaders: auth.signedHeaders.join(';'),
        payloadHash,
        timestamp,
        date: auth.date,
        service: auth.service,
      })
      // every variant is computed and compared, so the time taken does not say which one matched
      if (timingSafeEqual(Buffer.from(expected, 'hex'), given)) ok = true
    }
  }
  return ok
    ? null
    : {
        error: 'AuthFailure.SignatureFailure',
        message: 'The provided credentials could not be validated. Please check your signature is correct.',
      }
}
