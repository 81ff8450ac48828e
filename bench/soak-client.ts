/**
 * The traffic of `npm run bench:soak`, in its own process (forked by bench/soak.ts): half valid
 * requests of every family, half the fuzz generators' hostile ones, at a fixed rate. Sends one
 * report per minute to the parent: requests, 5xx, problems and latency percentiles.
 */
import { Agent } from 'node:http'
import fc from 'fast-check'
import {
  FUZZ_FAMILIES,
  answerProblem,
  fuzzRequests,
  sendHttp,
  type FuzzRequest,
  type FuzzTarget,
} from '../scripts/fuzz-requests.js'

interface Start {
  url: string
  target: FuzzTarget
  rate: number
  minutes: number
  seed: number
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

function validRequests(t: FuzzTarget): FuzzRequest[] {
  const json = (o: unknown) => Buffer.from(JSON.stringify(o))
  return [
    {
      family: 'h5',
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: json({ BizToken: t.token, RuleId: t.ruleId }),
      sign: { action: 'GetDetectInfoEnhanced', secretId: t.appId, secretKey: t.secret, badSignature: false },
    },
    {
      family: 'sdk',
      method: 'GET',
      url: `/api/oauth2/access_token?${new URLSearchParams({ appId: t.appId, secret: t.secret, grant_type: 'client_credential', version: '1.0.0' })}`,
      headers: {},
    },
    { family: 'capture', method: 'GET', url: `/capture/api/session?token=${t.token}`, headers: {} },
    { family: 'capture', method: 'GET', url: `/capture/api/page?token=${t.token}`, headers: {} },
    {
      family: 'management',
      method: 'GET',
      url: '/v1/verifications?limit=20',
      headers: { authorization: `Bearer ${t.adminToken}` },
    },
    {
      family: 'console',
      method: 'GET',
      url: '/console/api/usage',
      headers: { cookie: `shiren_console=${t.consoleCookie}`, 'x-shiren-console': '1' },
    },
  ]
}

process.once('message', async (m: Start) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  const valid = validRequests(m.target)
  let batch: FuzzRequest[] = []
  let batchNo = 0
  const nextHostile = (): FuzzRequest => {
    if (!batch.length) {
      // small seeded batches, so the generator's own memory stays flat over a long run
      const family = FUZZ_FAMILIES[batchNo % FUZZ_FAMILIES.length]!
      batch = fc.sample(fuzzRequests(family, m.target), { numRuns: 200, seed: m.seed + batchNo++ })
    }
    return batch.pop()!
  }
  let lat: number[] = []
  let count = 0
  let s5xx = 0
  let problems = 0
  let firstProblem = ''
  let inFlight = 0
  let i = 0
  const end = Date.now() + m.minutes * 60_000
  const tick = setInterval(() => {
    // a fixed rate: requests are started on time whatever the answers take (at most 64 in flight)
    for (let k = 0; k < m.rate / 10; k++) {
      if (inFlight >= 64) break
      const r = i++ % 2 === 0 ? valid[(i >> 1) % valid.length]! : nextHostile()
      inFlight++
      sendHttp(m.url, r, agent)
        .then((a) => {
          lat.push(a.ms)
          count++
          if (a.status >= 500) s5xx++
          const p = answerProblem(r, a)
          if (p) {
            problems++
            firstProblem ||= `${r.method} ${r.url.slice(0, 100)}: ${p}`
          }
        })
        .catch((err: Error) => {
          problems++
          firstProblem ||= `socket: ${err.message}`
        })
        .finally(() => inFlight--)
    }
  }, 100)
  const report = setInterval(() => {
    process.send!({ count, s5xx, problems, firstProblem, p50: pct(lat, 50), p99: pct(lat, 99), max: pct(lat, 100) })
    lat = []
    count = 0
    s5xx = 0
    problems = 0
    firstProblem = ''
    if (Date.now() >= end - 1000) {
      clearInterval(tick)
      clearInterval(report)
      agent.destroy()
      process.exit(0)
    }
  }, 60_000)
})
