/**
 * `npm run bench:soak -- --minutes N [--rate R] [--db sqlite|postgres]`: shiren under mixed valid and
 * hostile traffic (bench/soak-client.ts, a separate process) for N minutes. Each minute prints the
 * requests, 5xx, p50/p99 latency, the server's RSS and heap, and the machine's load average; at the
 * end, RSS growth after the warm-up (the first 5 minutes, or a fifth of a shorter run).
 */
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { startFuzzServer } from '../scripts/fuzz-server.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}
const minutes = Number(arg('minutes', '10'))
const rate = Number(arg('rate', '60'))
const db = arg('db', 'sqlite')
const warmup = Math.min(5, Math.max(1, Math.floor(minutes / 5)))
const mb = (n: number) => Math.round(n / 2 ** 20)

const server = await startFuzzServer(db, 'soak')
const target = server.target

console.log(
  `bench:soak ${new Date().toISOString()} — ${minutes} min at ${rate} req/s (half valid, half hostile), db ${db}, warm-up ${warmup} min, server pid ${process.pid}, client in its own process`,
)
console.log(`start: RSS ${mb(process.memoryUsage().rss)} MB, load average ${loadavg()[0]!.toFixed(2)}`)
console.log('min  requests  5xx  problems  p50 ms  p99 ms  max ms  RSS MB (mean of 5 s samples)  heap MB  load 1m')
const rss: number[] = []
// RSS sampled every 5 s; a minute's figure is the mean of its samples (one sample would mostly show where GC was)
let samples: number[] = []
const sampler = setInterval(() => samples.push(process.memoryUsage().rss), 5000)
let minute = 0
let total5xx = 0
let totalProblems = 0
const client = fork(new URL('./soak-client.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
client.send({ url: server.url, target, rate, minutes, seed: 20261206 })
client.on(
  'message',
  (m: {
    count: number
    s5xx: number
    problems: number
    firstProblem: string
    p50: number
    p99: number
    max: number
  }) => {
    minute++
    const mem = process.memoryUsage()
    const meanRss = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : mem.rss
    samples = []
    rss.push(meanRss)
    total5xx += m.s5xx
    totalProblems += m.problems
    console.log(
      [
        String(minute).padStart(3),
        String(m.count).padStart(9),
        String(m.s5xx).padStart(4),
        String(m.problems).padStart(9),
        m.p50.toFixed(1).padStart(7),
        m.p99.toFixed(1).padStart(7),
        m.max.toFixed(0).padStart(7),
        String(mb(meanRss)).padStart(7),
        String(mb(mem.heapUsed)).padStart(8),
        loadavg()[0]!.toFixed(2).padStart(8),
      ].join(' '),
    )
    if (m.firstProblem) console.log(`     first problem: ${m.firstProblem}`)
  },
)
client.on('exit', async () => {
  clearInterval(sampler)
  const base = rss[warmup - 1] ?? rss[0] ?? 0
  const after = rss.slice(warmup)
  const last = rss.at(-1) ?? 0
  const peak = after.length ? Math.max(...after) : last
  const growth = base ? ((last - base) / base) * 100 : 0
  const peakGrowth = base ? ((peak - base) / base) * 100 : 0
  console.log(
    `RSS after warm-up (minute ${warmup}) ${mb(base)} MB → end ${mb(last)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %), peak ${mb(peak)} MB (${peakGrowth >= 0 ? '+' : ''}${peakGrowth.toFixed(1)} %); target ≤ 5 %: ${growth <= 5 ? 'holds' : 'does not hold'}`,
  )
  console.log(`5xx: ${total5xx}; answers with internals or other problems: ${totalProblems}`)
  await server.stop()
  process.exit(0)
})
