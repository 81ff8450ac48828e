/**
 * Registry 1:N search benchmark (npm run bench:search).
 *
 * Real faces: every photo of ../shared/data/faces (lfw, deepface; not _multi/_edge) embedded by the engine.
 * Gallery: the first photo (sorted) of every identity, singletons included; probes: the other photos.
 * Distractors added to the gallery, at each size N:
 *   hard    x = normalise(0.40·a + 0.30·b + n), a, b random real embeddings, n Gaussian of norm ≈ 0.85:
 *           each lies at cosine ≈ 0.4 of a real face, as near as the rarest real impostors (FAR ≈ 1e-3),
 *           and near the probes' own gallery faces
 *   random  normalised Gaussian vectors (the easy case)
 * Per size and kind: index build time (2 threads), index RSS (process RSS growth), rank-1 identification
 * of the real probes, recall@1 against exact search for the real probes and for 1,000 synthetic
 * near-duplicate queries (a distractor plus noise, cosine ≈ 0.9), search latency p50/p99 on one thread.
 * Exact search streams the distractors in chunks (regenerated from the seed), so memory is the index's.
 * Options: --sizes 10000,100000,1000000  --kinds hard,random  --quantization i8|f16  --ready (restart timing)
 *          --connectivity 16  --ef-add 128  --ef-search 128,512,1024 (search expansions, each over the same index)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir, loadavg } from 'node:os'
import { createHash } from 'node:crypto'
import { exactSearch, MetricKind } from 'usearch'
import { loadModels, embedImage, closeModels } from '../src/analysis/index.js'
import { sharedDir } from '../src/vision/paths.js'
import { cosineToScore } from '../src/vision/calibration.js'
import { FaceIndex, FACE_DIMENSIONS, quantise } from '../src/registry/face-index.js'
import { RegistryFaces, sealEmbedding, RERANK } from '../src/registry/index.js'
import { KyselyStore, migrateToLatest, openDatabase } from '../src/storage/index.js'
import { PersonalDataVault, loadOrCreateKeys } from '../src/crypto/index.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { wilson } from './lib-captures.js'

const D = FACE_DIMENSIONS
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1]! : fallback
}
const sizes = arg('sizes', '10000,100000').split(',').map(Number)
const kinds = arg('kinds', 'hard,random').split(',') as Array<'hard' | 'random'>
const quantization = arg('quantization', 'i8') as 'i8' | 'f16'
const CHUNK = 10_000
const readyN = Number(arg('ready', '0'))
const graph = {
  connectivity: Number(arg('connectivity', '16')),
  expansionAdd: Number(arg('ef-add', '128')),
}
// search expansions measured over the same built index (the first is the index's configured one)
const searchEfs = arg('ef-search', '128').split(',').map(Number)
// candidates re-ranked by the exact float cosine, as RegistryFaces.search does (0: the index's order only);
// the benchmark keeps a float copy of every vector for it (outside the measured index RSS)
const rerank = Number(arg('rerank', String(RERANK)))

const faces = join(sharedDir(), 'data', 'faces')
if (!existsSync(faces)) {
  console.log(`[skip] ${faces} is absent: bench:search needs the real faces`)
  process.exit(0)
}

// ---- real embeddings (cached in the system temp folder, outside the repo, keyed by the file list)
const photos: Array<{ file: string; identity: string }> = []
for (const src of ['lfw', 'deepface'])
  for (const who of readdirSync(join(faces, src)).sort()) {
    if (who.startsWith('_')) continue
    for (const f of readdirSync(join(faces, src, who)).sort())
      photos.push({ file: join(src, who, f), identity: `${src}/${who}` })
  }
const cacheKey = createHash('sha256')
  .update(photos.map((p) => p.file).join('\n'))
  .digest('hex')
  .slice(0, 16)
const cacheFile = join(tmpdir(), `shiren-bench-search-${cacheKey}.json`)
let embeddings: Record<string, number[] | null>
if (existsSync(cacheFile)) embeddings = JSON.parse(readFileSync(cacheFile, 'utf8'))
else {
  const m = await loadModels(process.env.SHIREN_MODELS_DIR ?? join(sharedDir(), 'models'))
  embeddings = {}
  for (const p of photos) {
    const e = (await embedImage(m, join(faces, p.file))).embedding
    embeddings[p.file] = e ? Array.from(e) : null
  }
  await closeModels(m)
  writeFileSync(cacheFile, JSON.stringify(embeddings), { mode: 0o600 })
}
const noFace = photos.filter((p) => !embeddings[p.file])
const usable = photos.filter((p) => embeddings[p.file])
const byIdentity = new Map<string, string[]>()
for (const p of usable) byIdentity.set(p.identity, [...(byIdentity.get(p.identity) ?? []), p.file])
const gallery: Array<{ identity: string; v: Float32Array }> = []
const probes: Array<{ identity: string; v: Float32Array }> = []
for (const [identity, files] of byIdentity) {
  gallery.push({ identity, v: Float32Array.from(embeddings[files[0]!]!) })
  for (const f of files.slice(1)) probes.push({ identity, v: Float32Array.from(embeddings[f]!) })
}
const real = usable.map((p) => Float32Array.from(embeddings[p.file]!))

// ---- seeded distractors
function rng(seed: number) {
  let a = seed >>> 0
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const gauss = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u())
  return { u, gauss }
}
function normalise(v: Float32Array, at = 0): void {
  let s = 0
  for (let i = 0; i < D; i++) s += v[at + i]! ** 2
  const k = 1 / Math.sqrt(s)
  for (let i = 0; i < D; i++) v[at + i]! *= k
}
function distractors(kind: 'hard' | 'random', chunk: number, n: number): Float32Array {
  const r = rng(kind === 'hard' ? 1_000_003 * (chunk + 1) : 7_000_001 * (chunk + 1))
  const out = new Float32Array(n * D)
  const sigma = 0.85 / Math.sqrt(D)
  for (let j = 0; j < n; j++) {
    const at = j * D
    if (kind === 'random') for (let i = 0; i < D; i++) out[at + i] = r.gauss()
    else {
      const a = real[Math.floor(r.u() * real.length)]!
      const b = real[Math.floor(r.u() * real.length)]!
      for (let i = 0; i < D; i++) out[at + i] = 0.4 * a[i]! + 0.3 * b[i]! + sigma * r.gauss()
    }
    normalise(out, at)
  }
  return out
}
const dot = (a: Float32Array, b: Float32Array, bAt = 0) => {
  let s = 0
  for (let i = 0; i < D; i++) s += a[i]! * b[bAt + i]!
  return s
}

const rss = () => process.memoryUsage().rss
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}
const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`
const f1 = (x: number) => (x * 100).toFixed(1)

console.log(
  `bench:search ${new Date().toISOString()} load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
console.log(
  `real faces: ${photos.length} photos, ${noFace.length} without a face; gallery ${gallery.length} identities, ${probes.length} probes; vectors ${quantization}, HNSW ${JSON.stringify(graph)}, search expansions ${searchEfs.join(', ')}`,
)
// genuine and impostor cosines of the real set, for the duplicate threshold
const genuine = probes.map((p) => dot(p.v, gallery.find((g) => g.identity === p.identity)!.v))
console.log(
  `genuine probe↔gallery scores: min ${cosineToScore(Math.min(...genuine))}, p5 ${cosineToScore(pct(genuine, 0.05))}, median ${cosineToScore(pct(genuine, 0.5))}; ` +
    `share ≥ 85: ${f1(genuine.filter((c) => cosineToScore(c) >= 85).length / genuine.length)} %, ≥ 80: ${f1(genuine.filter((c) => cosineToScore(c) >= 80).length / genuine.length)} %`,
)
let maxImpostor = -1
for (const p of probes)
  for (const g of gallery) if (g.identity !== p.identity) maxImpostor = Math.max(maxImpostor, dot(p.v, g.v))
console.log(`highest real impostor probe↔gallery score: ${cosineToScore(maxImpostor)}`)
{
  // every cross-identity pair of the real photos: how many reach the duplicate thresholds
  let pairs = 0
  const at = { 80: 0, 85: 0, 90: 0 } as Record<number, number>
  for (let i = 0; i < usable.length; i++)
    for (let j = i + 1; j < usable.length; j++) {
      if (usable[i]!.identity === usable[j]!.identity) continue
      pairs++
      const sc = cosineToScore(dot(real[i]!, real[j]!))
      for (const t of [80, 85, 90]) if (sc >= t) at[t]!++
    }
  console.log(
    `cross-identity pairs: ${pairs}; at score ≥ 80: ${at[80]}, ≥ 85: ${at[85]}, ≥ 90: ${at[90]} (0 of n: FAR per pair < 3/n = ${(3 / pairs).toExponential(1)} at 95 %)`,
  )
  const base = probes.filter((p) => {
    let best = -2
    let who = ''
    for (const g of gallery) {
      const c = dot(p.v, g.v)
      if (c > best) [best, who] = [c, g.identity]
    }
    return who === p.identity
  }).length
  const [lo, hi] = wilson(base, probes.length)
  console.log(
    `no distractors (exact): rank-1 ${base}/${probes.length} = ${f1(base / probes.length)} % [${f1(lo)}, ${f1(hi)}]`,
  )
}

if (readyN > 0) {
  // time to be ready after a restart: N sealed rows in SQLite → RegistryFaces.sync (open, decrypt, index)
  const dir = mkdtempSync(join(tmpdir(), 'shiren-bench-ready-'))
  const db = openDatabase(`sqlite:${join(dir, 'shiren.db')}`)
  await migrateToLatest(db)
  const vault = new PersonalDataVault(loadOrCreateKeys(dir))
  const tIns = performance.now()
  for (let c = 0; c * CHUNK < readyN; c++) {
    const count = Math.min(CHUNK, readyN - c * CHUNK)
    const vs = distractors('random', 500 + c, count)
    const rows = Array.from({ length: count }, (_, j) => ({
      person_id: `per_${c * CHUNK + j}`,
      embedding_sealed: sealEmbedding(vault, vs.subarray(j * D, (j + 1) * D)),
      model: 'arcface fr_feature.onnx',
      revision: c * CHUNK + j + 1,
    }))
    for (let k = 0; k < rows.length; k += 500)
      await db.kysely
        .insertInto('registry_faces')
        .values(rows.slice(k, k + 500))
        .execute()
  }
  await db.kysely.updateTable('registry_state').set({ revision: readyN }).where('id', '=', 1).execute()
  const insS = (performance.now() - tIns) / 1000
  const r0 = rss()
  const faces = new RegistryFaces(new KyselyStore(db.kysely), vault, 'arcface fr_feature.onnx')
  const t = performance.now()
  await faces.sync()
  console.log(
    `ready after restart, ${readyN} sealed faces in SQLite: ${((performance.now() - t) / 1000).toFixed(1)} s to read, decrypt and index (${faces.size} faces; RSS +${mb(rss() - r0)}; rows written in ${insS.toFixed(1)} s); load ${loadavg()[0]!.toFixed(2)}`,
  )
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}

for (const n of sizes)
  for (const kind of kinds) {
    const chunks = Math.ceil(n / CHUNK)
    const floats = rerank > 0 ? new Float32Array((gallery.length + n) * D) : null
    gallery.forEach((g, i) => floats?.set(g.v, i * D))
    floats?.fill(0, gallery.length * D) // touch the pages now, so the index RSS below is the index's
    const r0 = rss()
    const index = new FaceIndex({ quantization, ...graph, expansionSearch: searchEfs[0] })
    const t0 = performance.now()
    index.addMany(
      gallery.map((_, i) => `g${i}`),
      (() => {
        const m = new Float32Array(gallery.length * D)
        gallery.forEach((g, i) => m.set(g.v, i * D))
        return m
      })(),
    )
    // exact search by streaming: best real-probe and near-duplicate cosines over every chunk
    const probeBest = probes.map((p, i) => {
      let best = -2
      let id = ''
      gallery.forEach((g, j) => {
        const c = dot(p.v, g.v)
        if (c > best) [best, id] = [c, `g${j}`]
      })
      void i
      return { c: best, id }
    })
    const nearQ: Float32Array[] = []
    const nearBest: Array<{ c: number; id: string }> = []
    // exact search over the same 8-bit vectors the index holds: what the graph alone misses
    const probeBest8 = probes.map((p) => {
      let best = -2
      let id = ''
      const q = quantise(p.v)
      gallery.forEach((g, j) => {
        const gq = quantise(g.v)
        let d = 0
        let nq = 0
        let ng = 0
        for (let i = 0; i < D; i++) {
          d += q[i]! * gq[i]!
          nq += q[i]! * q[i]!
          ng += gq[i]! * gq[i]!
        }
        const c = d / Math.sqrt(nq * ng)
        if (c > best) [best, id] = [c, `g${j}`]
      })
      return { c: best, id }
    })
    const nearBest8: Array<{ c: number; id: string }> = []
    let hardNearest = 0
    let buildMs = 0
    for (let c = 0; c < chunks; c++) {
      const count = Math.min(CHUNK, n - c * CHUNK)
      const vs = distractors(kind, c, count)
      const ids = Array.from({ length: count }, (_, j) => `d${c * CHUNK + j}`)
      floats?.set(vs, (gallery.length + c * CHUNK) * D)
      const tb = performance.now()
      index.addMany(ids, vs, 2)
      buildMs += performance.now() - tb
      if (c === 0) {
        const r = rng(99)
        for (let q = 0; q < 1000; q++) {
          const j = Math.floor(r.u() * count)
          const v = new Float32Array(D)
          for (let i = 0; i < D; i++) v[i] = vs[j * D + i]! + (0.45 / Math.sqrt(D)) * r.gauss()
          normalise(v)
          nearQ.push(v)
          nearBest.push({ c: -2, id: '' })
          nearBest8.push({ c: -2, id: '' })
        }
        if (kind === 'hard') {
          // how near the hard distractors are to real faces: mean best cosine of the first 200
          let s = 0
          for (let j = 0; j < 200; j++) s += Math.max(...real.map((rv) => dot(rv, vs, j * D)))
          hardNearest = s / 200
        }
      }
      const qs = [...probes.map((p) => p.v), ...nearQ]
      const qm = new Float32Array(qs.length * D)
      qs.forEach((q, i) => qm.set(q, i * D))
      const ex = exactSearch(vs, qm, D, 1, MetricKind.Cos, 2) as unknown as {
        keys: BigUint64Array
        distances: Float32Array
      }
      qs.forEach((_, i) => {
        const cos = 1 - ex.distances[i]!
        const target = i < probes.length ? probeBest[i]! : nearBest[i - probes.length]!
        if (cos > target.c) [target.c, target.id] = [cos, `d${c * CHUNK + Number(ex.keys[i]!)}`]
      })
      const ex8 = exactSearch(quantise(vs), quantise(qm), D, 1, MetricKind.Cos, 2) as unknown as {
        keys: BigUint64Array
        distances: Float32Array
      }
      qs.forEach((_, i) => {
        const cos = 1 - ex8.distances[i]!
        const target = i < probes.length ? probeBest8[i]! : nearBest8[i - probes.length]!
        if (cos > target.c) [target.c, target.id] = [cos, `d${c * CHUNK + Number(ex8.keys[i]!)}`]
      })
    }
    const buildS = (performance.now() - t0) / 1000
    const indexRss = rss() - r0
    // searches, one thread: wall-clock and the CPU time of this process (on this shared machine the
    // wall-clock includes the time other processes held the core; the CPU time is what a search costs)
    for (const ef of searchEfs) {
      const lat: number[] = []
      const cpu: number[] = []
      const at = (id: string) => (id.startsWith('g') ? Number(id.slice(1)) : gallery.length + Number(id.slice(1)))
      const timed = (q: Float32Array) => {
        const c0 = process.cpuUsage()
        const ts = performance.now()
        let hits = index.search(q, Math.max(5, rerank), ef)
        if (floats)
          hits = hits
            .map((h) => ({ ...h, cosine: dot(q, floats, at(h.personId) * D) }))
            .sort((a, b) => b.cosine - a.cosine)
        lat.push(performance.now() - ts)
        const c = process.cpuUsage(c0)
        cpu.push((c.user + c.system) / 1000)
        return hits.slice(0, 5)
      }
      let rank1 = 0
      let recallProbe = 0
      let recallNear = 0
      let recallProbe8 = 0
      let recallNear8 = 0
      probes.forEach((p, i) => {
        const top = timed(p.v)[0]?.personId
        if (top?.startsWith('g') && gallery[Number(top.slice(1))]!.identity === p.identity) rank1++
        if (top === probeBest[i]!.id) recallProbe++
        if (top === probeBest8[i]!.id) recallProbe8++
      })
      nearQ.forEach((q, i) => {
        const top = timed(q)[0]?.personId
        if (top === nearBest[i]!.id) recallNear++
        if (top === nearBest8[i]!.id) recallNear8++
      })
      const [lo, hi] = wilson(rank1, probes.length)
      console.log(
        [
          `N=${n} ${kind}${kind === 'hard' ? ` (mean best cosine to a real face ${hardNearest.toFixed(3)})` : ''} expansion ${ef}${floats ? `, top ${rerank} re-ranked by float cosine` : ''}:`,
          `rank-1 ${rank1}/${probes.length} = ${f1(rank1 / probes.length)} % [${f1(lo)}, ${f1(hi)}]`,
          `recall@1 vs exact f32: probes ${f1(recallProbe / probes.length)} %, near-duplicates ${f1(recallNear / nearQ.length)} %`,
          `vs exact i8: probes ${f1(recallProbe8 / probes.length)} %, near-duplicates ${f1(recallNear8 / nearQ.length)} %`,
          `latency p50 ${pct(lat, 0.5).toFixed(3)} ms p99 ${pct(lat, 0.99).toFixed(3)} ms (cpu p50 ${pct(cpu, 0.5).toFixed(3)} p99 ${pct(cpu, 0.99).toFixed(3)} ms)`,
          `index build ${(buildMs / 1000).toFixed(1)} s (2 threads; run with exact search ${buildS.toFixed(1)} s)`,
          `index RSS ≈ ${mb(indexRss)} (process ${mb(rss())})`,
          `load ${loadavg()[0]!.toFixed(2)}`,
        ].join('  '),
      )
    }
  }
