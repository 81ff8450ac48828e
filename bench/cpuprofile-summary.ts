/**
 * `npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top N] [--from ISO-ms-offset]`
 *
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. the servers of `bench:load --prof DIR`):
 * self time by function, by file (packages folded to their name) and inclusive time by function,
 * so that the costs of a request path can be read without a browser.
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}

const argv = process.argv.slice(2)
const file = argv[0]
if (!file) throw new Error('usage: cpuprofile-summary FILE.cpuprofile [--top N] [--skip-ms MS]')
const opt = (name: string, d: number) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? Number(argv[i + 1]) : d
}
const top = opt('top', 40)
/** `--callers TEXT`: for samples whose leaf function matches TEXT, the nearest caller in dist/ or src/ */
const callersOf = (() => {
  const i = argv.indexOf('--callers')
  return i >= 0 ? argv[i + 1]! : null
})()
const callers = new Map<string, number>()
/** ignore the first MS of the profile (start-up, JIT warm-up) */
const skipMs = opt('skip-ms', 0)

const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

function where(n: Node): string {
  const u = n.callFrame.url.replace(/^file:\/\//, '')
  const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (m) return m[1]!
  if (u.startsWith('node:')) return u
  const s = u.match(/\/(dist|src)\/(.*)$/)
  return s ? `${s[1]}/${s[2]}` : u || '(native)'
}
const fn = (n: Node) => `${n.callFrame.functionName || '(anon)'} ${where(n)}:${n.callFrame.lineNumber + 1}`

const self = new Map<string, number>()
const perFile = new Map<string, number>()
const incl = new Map<string, number>()
let total = 0
let t = 0
for (let i = 0; i < p.samples.length; i++) {
  const dt = p.timeDeltas[i] ?? 0
  t += dt
  if (t / 1000 < skipMs) continue
  const n = byId.get(p.samples[i]!)!
  const name = n.callFrame.functionName
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') {
    self.set(name, (self.get(name) ?? 0) + dt)
    if (name !== '(idle)') total += dt
    continue
  }
  total += dt
  self.set(fn(n), (self.get(fn(n)) ?? 0) + dt)
  perFile.set(where(n), (perFile.get(where(n)) ?? 0) + dt)
  if (callersOf && fn(n).includes(callersOf)) {
    const chain: string[] = []
    for (let id = parent.get(n.id); id !== undefined && chain.length < 3; id = parent.get(id)) {
      const f = byId.get(id)!
      if (/\/(dist|src)\//.test(f.callFrame.url)) chain.push(fn(f))
    }
    const k = chain.join(' < ') || '(none)'
    callers.set(k, (callers.get(k) ?? 0) + dt)
  }
  const seen = new Set<string>()
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const k = fn(byId.get(id)!)
    if (seen.has(k)) continue
    seen.add(k)
    incl.set(k, (incl.get(k) ?? 0) + dt)
  }
}
const pct = (x: number) => `${((x / total) * 100).toFixed(1).padStart(5)} %`
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`)
}
console.log(`${file}: ${(total / 1000).toFixed(0)} ms of non-idle samples`)
show('self time by function', self)
show('self time by file / package', perFile)
show('inclusive time by function', incl)
if (callersOf) show(`callers of ${callersOf} (nearest three in dist/ or src/)`, callers)
