/**
 * `npm run fuzz -- --requests N [--db sqlite|postgres] [--seed S] [--concurrency C]`: the suite's
 * seeded request generators (scripts/fuzz-requests.ts) over a real loopback socket against a fresh
 * shiren, round-robin over the five families. Prints the answers by family and status, every 5xx
 * and every answer that shows internals, and exits 1 if there was any.
 */
import { Agent } from 'node:http'
import { loadavg } from 'node:os'
import fc from 'fast-check'
import { FUZZ_FAMILIES, answerProblem, fuzzRequests, sendHttp } from './fuzz-requests.js'
import { startFuzzServer } from './fuzz-server.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const total = Number(arg('requests', '10000'))
const db = arg('db', 'sqlite')
const seed = Number(arg('seed', '20261206'))
const concurrency = Number(arg('concurrency', '8'))

async function main() {
  const server = await startFuzzServer(db, 'fuzz')
  const target = server.target

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
          const a = await sendHttp(server.url, r, agent)
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
  await server.stop()
  process.exit(problems.length || s5xx || errors ? 1 : 0)
}

await main()
