/**
 * `npm run fuzz -- --requests N [--db sqlite|postgres] [--seed S] [--concurrency C]`: the suite's
 * seeded request generators (scripts/fuzz-requests.ts) over a real loopback socket against a fresh
 * shiren, round-robin over the five families. Prints the answers by family and status, every 5xx
 * and every answer that shows internals, and exits 1 if there was any.
 */
import { Agent } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { startServer } from '../src/server.js'
import { setAdminPassword } from '../src/console-auth/index.js'
import { freshPostgresSchema } from '../test/support/env.js'
import { FUZZ_FAMILIES, answerProblem, fuzzRequests, sendHttp, tc3Headers, type FuzzTarget } from './fuzz-requests.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const total = Number(arg('requests', '10000'))
const db = arg('db', 'sqlite')
const seed = Number(arg('seed', '20261206'))
const concurrency = Number(arg('concurrency', '8'))

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'shiren-fuzz-'))
  const pgSchema = db === 'postgres' ? await freshPostgresSchema() : null
  const config = loadConfig(
    { SHIREN_OCR_WORKERS: '0' },
    { dataDir, port: 0, host: '127.0.0.1', ...(pgSchema && { databaseUrl: pgSchema.url }), logLevel: 'fatal' },
  )
  const running = await startServer(config, createLogger('fatal'), { withVision: false })
  const s = running.shiren
  const { app, secret } = await s.apps.createApp({ name: 'fuzz' })
  const rule = await s.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
  const host = new URL(running.url).host
  const body = Buffer.from(JSON.stringify({ RuleId: rule.ruleId }))
  const detect = (await (
    await fetch(`${running.url}/`, {
      method: 'POST',
      headers: tc3Headers(host, 'DetectAuth', app.appId, secret, body),
      body,
    })
  ).json()) as { Response: { BizToken: string } }
  await setAdminPassword(dataDir, 'fuzz password')
  const login = await fetch(`${running.url}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: 'fuzz password' }),
  })
  const consoleCookie = /shiren_console=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? ''
  const target: FuzzTarget = {
    appId: app.appId,
    secret,
    ruleId: rule.ruleId,
    token: detect.Response.BizToken,
    adminToken: s.adminToken,
    consoleCookie,
  }

  const perFamily = Math.ceil(total / FUZZ_FAMILIES.length)
  const queues = FUZZ_FAMILIES.map((f) =>
    fc.sample(fuzzRequests(f, target), { numRuns: perFamily, seed: seed + FUZZ_FAMILIES.indexOf(f) }),
  )
  const requests = Array.from({ length: total }, (_, i) => queues[i % queues.length]![Math.floor(i / queues.length)]!)
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const counts = new Map<string, number>()
  const problems: string[] = []
  let next = 0
  let errors = 0
  const started = performance.now()
  ;(globalThis as { gc?: () => void }).gc?.()
  const rssBefore = process.memoryUsage().rss
  const heapBefore = process.memoryUsage().heapUsed
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const r = requests[next++]!
        try {
          const a = await sendHttp(running.url, r, agent)
          const k = `${r.family} ${a.status}`
          counts.set(k, (counts.get(k) ?? 0) + 1)
          const p = answerProblem(r, a)
          if (p) problems.push(`${r.family} ${r.method} ${r.url.slice(0, 120)}: ${p}`)
        } catch (err) {
          errors++
          if (errors <= 5)
            problems.push(`${r.family} ${r.method} ${r.url.slice(0, 120)}: socket ${(err as Error).message}`)
        }
      }
    }),
  )
  const s5xx = [...counts.entries()].filter(([k]) => Number(k.split(' ')[1]) >= 500).reduce((n, [, v]) => n + v, 0)
  const secs = (performance.now() - started) / 1000
  console.log(
    `fuzz: ${requests.length} requests, db ${db}, seed ${seed}, concurrency ${concurrency}, ${secs.toFixed(1)} s (${Math.round(requests.length / secs)} req/s), load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  console.log(
    `answers by family and status: ${[...counts.entries()]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
  )
  console.log(
    `5xx: ${s5xx}; answers with internal detail or other problems: ${problems.length}; socket errors: ${errors}`,
  )
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const m = process.memoryUsage()
  console.log(
    `memory (server in this process): RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(m.rss / 2 ** 20)} MB, heap used ${Math.round(heapBefore / 2 ** 20)} → ${Math.round(m.heapUsed / 2 ** 20)} MB${gc ? ' (after gc)' : ''}, array buffers ${Math.round(m.arrayBuffers / 2 ** 20)} MB`,
  )
  for (const p of problems.slice(0, 20)) console.log(`  ${p}`)
  agent.destroy()
  await running.stop()
  await pgSchema?.drop()
  process.exit(problems.length || s5xx || errors ? 1 : 0)
}

await main()
