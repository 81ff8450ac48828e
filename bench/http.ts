/**
 * `npm run bench:http`: the API families on one process, SQLite, loopback.
 *  1. DetectAuth + GetDetectInfoEnhanced through the official Tencent SDK (TC3 signature checked on every call);
 *  2. the ticket flow's getfaceid (SHA-1 signature against the SIGN ticket);
 *  3. GetDetectInfoEnhanced latency while the vision engine analyses uploads (is the API still responsive?).
 * Prints requests/s and latency percentiles, and the ratio of latency under analysis load to idle.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { startServer } from '../src/server.js'
import { ticketSign } from '../src/auth/index.js'
import { createAnalysisEngine } from '../src/analysis/index.js'

const require = createRequire(import.meta.url)
const { Client } = require('tencentcloud-sdk-nodejs/tencentcloud/services/faceid/v20180301/faceid_client.js')
const DATA = resolve('..', 'shared', 'data')
const MODELS = resolve('..', 'shared', 'models')

const quiet = createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }) as never)

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

async function load(label: string, total: number, concurrency: number, call: (i: number) => Promise<unknown>) {
  const lat: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++
        const s = performance.now()
        await call(i)
        lat.push(performance.now() - s)
      }
    }),
  )
  const secs = (performance.now() - t0) / 1000
  const row = {
    label,
    requests: total,
    concurrency,
    rps: +(total / secs).toFixed(1),
    p50ms: +pct(lat, 50).toFixed(1),
    p95ms: +pct(lat, 95).toFixed(1),
    p99ms: +pct(lat, 99).toFixed(1),
  }
  console.log(JSON.stringify(row))
  return row
}

const dir = mkdtempSync(join(tmpdir(), 'shiren-bench-'))
const withEngine = existsSync(MODELS) && existsSync(DATA)
const engine = withEngine ? await createAnalysisEngine({ modelsDir: MODELS }) : null
const config = loadConfig(
  {},
  { dataDir: dir, port: 0, host: '127.0.0.1', databaseUrl: `sqlite:${join(dir, 'shiren.db')}` },
)
const running = await startServer(config, quiet, { analyser: engine })
const s = running.shiren
const { app, secret } = await s.apps.createApp({ name: 'bench' })
const rule = await s.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none', maxAttempts: 1 })
const sdk = new Client({
  credential: { secretId: app.appId, secretKey: secret },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: running.url.replace('http://', ''), protocol: 'http://' } },
})

console.log(
  `shiren ${running.url}, SQLite, node ${process.version}, vision engine: ${engine ? `${engine.workers} workers` : 'absent'}`,
)
const tokens: string[] = []
await load('DetectAuth (official SDK, TC3)', 400, 8, async (i) =>
  tokens.push((await sdk.DetectAuth({ RuleId: rule.ruleId, Extra: `b${i}` })).BizToken),
)
const idle = await load('GetDetectInfoEnhanced (official SDK)', 400, 8, (i) =>
  sdk.GetDetectInfoEnhanced({ BizToken: tokens[i % tokens.length], RuleId: rule.ruleId, InfoType: '1' }),
)

const get = async (q: string) => (await (await fetch(running.url + q)).json()) as any
const at = (
  await get(`/api/oauth2/access_token?appId=${app.appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
).access_token
const ticket = (await get(`/api/oauth2/api_ticket?app_id=${app.appId}&access_token=${at}&type=SIGN&version=1.0.0`))
  .tickets[0].value
await load('getfaceid (ticket flow, SHA-1)', 400, 8, async (i) => {
  const nonce = randomBytes(16).toString('hex')
  const r = await fetch(`${running.url}/api/server/getfaceid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appId: app.appId,
      orderNo: `b${i}`,
      userId: 'u',
      version: '1.0.0',
      nonce,
      sign: ticketSign([app.appId, 'u', '1.0.0', nonce, ticket]),
    }),
  })
  if (((await r.json()) as any).code !== '0') throw new Error('getfaceid failed')
})

if (engine) {
  // keep the engine busy with uploads while measuring the read path again
  const video = readFileSync(join(DATA, 'videos/video_retalking/face_2.mp4'))
  const busy = (async () => {
    for (let i = 0; i < 8; i++) {
      const t = tokens[i]!
      await fetch(`${running.url}/capture/api/challenge?token=${t}`, { method: 'POST' })
      await fetch(`${running.url}/capture/api/upload?token=${t}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: Buffer.concat([video, randomBytes(8)]),
      })
    }
  })()
  await new Promise((r) => setTimeout(r, 1500))
  const loaded = await load('GetDetectInfoEnhanced while analysing', 300, 8, (i) =>
    sdk.GetDetectInfoEnhanced({ BizToken: tokens[100 + (i % 100)], RuleId: rule.ruleId, InfoType: '1' }),
  )
  await busy
  await s.queue.idle(300_000)
  console.log(
    JSON.stringify({
      latencyUnderAnalysisVsIdle: {
        p50: +(loaded.p50ms / idle.p50ms).toFixed(2),
        p95: +(loaded.p95ms / idle.p95ms).toFixed(2),
      },
    }),
  )
}
await running.stop()
await engine?.close()
