/**
 * The load generator of `npm run bench:load`, in its own process (bench/load.ts forks it once per
 * measurement): it signs every request BEFORE the clock starts (TC3 for the h5 family, the SHA-1
 * SIGN-ticket signature for the sdk family), then drives autocannon against one URL and sends the
 * figures back over IPC. Every answer's body is checked (`verifyBody`): an error envelope counts as a
 * mismatch, so a fast error path can never pass for throughput.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { tc3Signature } from '../src/auth/tc3.js'
import { ticketSign } from '../src/auth/sha1-sign.js'
import { createHash } from 'node:crypto'

export type LoadKind = 'hello' | 'hello-static' | 'healthz' | 'detectauth' | 'info' | 'getfaceid' | 'upload'

export interface LoadSpec {
  url: string
  kind: LoadKind
  connections: number
  /** seconds; ignored when `amount` is set */
  duration: number
  amount?: number
  appId?: string
  secret?: string
  ruleId?: string
  /** info: BizTokens to read; upload: capture tokens whose challenge was issued */
  tokens?: string[]
  signTicket?: string
  /** upload: the recording sent (each copy gets 8 random bytes so no two are the same file) */
  videoFile?: string
}

export interface LoadResult {
  kind: LoadKind
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  /** non-2xx answers, socket errors, timeouts and bodies that were not the action's success answer */
  failures: number
  firstFailure?: string
}

interface Prepared {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer | string
}

const sha256hex = (d: string | Buffer) => createHash('sha256').update(d).digest('hex')

/** A TC3-HMAC-SHA256 request exactly as the Node SDK signs it (host without port, path "/"). */
function tc3Request(host: string, secretId: string, secretKey: string, action: string, body: string): Prepared {
  const ts = Math.floor(Date.now() / 1000)
  const date = new Date(ts * 1000).toISOString().slice(0, 10)
  const ct = 'application/json; charset=utf-8'
  const signature = tc3Signature(secretKey, {
    method: 'POST',
    path: '/',
    query: '',
    canonicalHeaders: `content-type:${ct}\nhost:${host}\n`,
    signedHeaders: 'content-type;host',
    payloadHash: sha256hex(body),
    timestamp: String(ts),
    date,
    service: 'faceid',
  })
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': ct,
      'x-tc-action': action,
      'x-tc-version': '2018-03-01',
      'x-tc-timestamp': String(ts),
      authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${date}/faceid/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
    },
    body,
  }
}

/** Upper bound of requests a run can make: nothing is signed twice, so a repeat is never measured. */
const MAX_RPS = 8000

function prepare(spec: LoadSpec): { requests: Prepared[]; verify: (body: string) => boolean } {
  const host = new URL(spec.url).hostname
  const n = spec.amount ?? Math.ceil(spec.duration * MAX_RPS)
  const run = randomBytes(4).toString('hex')
  switch (spec.kind) {
    case 'hello':
    case 'hello-static':
      return { requests: [{ method: 'GET', path: '/', headers: {} }], verify: (b) => b.includes('"hello"') }
    case 'healthz':
      // shiren's cheapest route (no database): what its HTTP stack costs on its own
      return { requests: [{ method: 'GET', path: '/healthz', headers: {} }], verify: (b) => b.includes('"ok"') }
    case 'detectauth':
      return {
        requests: Array.from({ length: n }, (_, i) =>
          tc3Request(
            host,
            spec.appId!,
            spec.secret!,
            'DetectAuth',
            JSON.stringify({ RuleId: spec.ruleId, Extra: `load-${run}-${i}` }),
          ),
        ),
        verify: (b) => b.includes('"BizToken"') && !b.includes('"Error"'),
      }
    case 'info':
      return {
        requests: spec.tokens!.map((t) =>
          tc3Request(
            host,
            spec.appId!,
            spec.secret!,
            'GetDetectInfoEnhanced',
            JSON.stringify({ BizToken: t, RuleId: spec.ruleId, InfoType: '0' }),
          ),
        ),
        verify: (b) => b.includes('"Text"') && !b.includes('"Error"'),
      }
    case 'getfaceid':
      return {
        requests: Array.from({ length: n }, (_, i) => {
          const nonce = randomBytes(16).toString('hex')
          const userId = `u${i % 1000}`
          return {
            method: 'POST',
            path: '/api/server/getfaceid',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              appId: spec.appId,
              orderNo: `l${run}${i}`,
              userId,
              version: '1.0.0',
              nonce,
              sign: ticketSign([spec.appId!, userId, '1.0.0', nonce, spec.signTicket!]),
            }),
          }
        }),
        verify: (b) => b.includes('"code":"0"') && b.includes('"faceId"'),
      }
    case 'upload': {
      const video = readFileSync(spec.videoFile!)
      return {
        requests: spec.tokens!.map((t) => ({
          method: 'POST',
          path: `/capture/api/upload?token=${encodeURIComponent(t)}&recMs=3000`,
          headers: { 'content-type': 'video/mp4' },
          // the same Buffer for every token: the random tail is written just before it is sent
          body: video,
        })),
        verify: (b) => b.includes('"attemptId"'),
      }
    }
  }
}

async function main(spec: LoadSpec): Promise<LoadResult> {
  const { requests, verify } = prepare(spec)
  let next = 0
  let exhausted = false
  let firstFailure: string | undefined
  const base = {
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.duration }),
    timeout: 30,
  }
  // 'hello' goes through the same client path as shiren's requests (a request set up per call, every
  // body checked), so the ratio compares servers; 'hello-static' is the cheapest client: one prebuilt
  // request, status only
  const result = await autocannon(
    spec.kind === 'hello-static'
      ? base
      : ({
          ...base,
          verifyBody: (body: string) => {
            const ok = verify(body)
            if (!ok && firstFailure === undefined) firstFailure = body.slice(0, 300)
            return ok
          },
          requests: [
            {
              setupRequest: (req: Record<string, unknown>) => {
                if (next >= requests.length) {
                  exhausted = true
                  next = 0
                }
                const r = requests[next++]!
                if (spec.kind === 'upload' && Buffer.isBuffer(r.body)) {
                  const body = Buffer.from(r.body)
                  randomBytes(8).copy(body, body.length - 8)
                  return { ...req, ...r, body }
                }
                return { ...req, ...r }
              },
            },
          ],
        } as unknown as autocannon.Options),
  )
  if (exhausted && spec.kind !== 'info' && spec.kind !== 'hello' && spec.kind !== 'healthz')
    throw new Error(`more than ${requests.length} requests: raise MAX_RPS in bench/load-client.ts`)
  const failures = result.non2xx + result.errors + result.timeouts + (result.mismatches ?? 0)
  return {
    kind: spec.kind,
    requests: result.requests.total,
    seconds: result.duration,
    rps: Math.round(result.requests.total / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures,
    ...(firstFailure !== undefined && { firstFailure }),
  }
}

process.once('message', (spec: LoadSpec) => {
  main(spec).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err) => {
      process.stderr.write(`load client: ${(err as Error).stack}\n`)
      process.exit(1)
    },
  )
})
