/**
 * `tsx bench/prof-summary.ts FILE.cpuprofile [N]`: a V8 CPU profile (node --cpu-prof) summarised by
 * self time, per function and per package, to find what a request spends its time on.
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
const prof = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
}
const top = Number(process.argv[3] ?? 40)
const self = new Map<number, number>()
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)))
const total = [...self.values()].reduce((a, b) => a + b, 0)
const byFn = new Map<string, number>()
const byPkg = new Map<string, number>()
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0
  if (!t) continue
  const url = n.callFrame.url
  const pkg = url.includes('node_modules/')
    ? url
        .split('node_modules/')
        .at(-1)!
        .split('/')
        .slice(0, url.includes('node_modules/@') ? 2 : 1)
        .join('/')
    : url.startsWith('node:')
      ? url
      : url.includes('/dist/')
        ? 'shiren ' + url.split('/dist/').at(-1)
        : url || `(${n.callFrame.functionName || 'native'})`
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
  byFn.set(fn, (byFn.get(fn) ?? 0) + t)
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + t)
}
const show = (m: Map<string, number>, n: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, v]) => console.log(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`))
console.log(`total ${(total / 1e6).toFixed(1)} s sampled\n-- by package/file --`)
show(byPkg, 25)
console.log('-- by function (self) --')
show(byFn, top)

// inclusive time of the functions named after the file (`tsx bench/prof-summary.ts F 40 handle create …`)
const wanted = process.argv.slice(4)
if (wanted.length) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const incl = new Map<string, number>()
  for (const [id, t] of self) {
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame
      const key = `${f.functionName} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`
      if (wanted.some((w) => f.functionName === w) && !seen.has(key)) {
        seen.add(key)
        incl.set(key, (incl.get(key) ?? 0) + t)
      }
    }
  }
  console.log('-- inclusive --')
  show(incl, 60)
}
