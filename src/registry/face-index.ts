import { Index, MetricKind, ScalarKind } from 'usearch'

/** ArcFace (fr_feature.onnx) embeddings: 512 floats, L2-normalised. */
export const FACE_DIMENSIONS = 512

export interface FaceIndexOptions {
  /** 'i8' (default): 512 B a face, recall@1 ≥ 99 % in bench:search; 'f16' doubles the memory */
  quantization?: 'i8' | 'f16'
  /** HNSW graph degree; usearch's default is 16 */
  connectivity?: number
  expansionAdd?: number
  expansionSearch?: number
}

/**
 * 8-bit quantisation, done here rather than by usearch: usearch scales each float vector by its L2 norm
 * (components of a unit 512-d embedding land at about ±6 of ±127, truncated), which cost recall@1 on
 * near neighbours in bench:search. Scaling each vector so its largest component is ±127 and rounding keeps
 * about 5× the resolution; cosine ignores a vector's scale, so the score is unchanged.
 */
export function quantise(v: Float32Array, out = new Int8Array(v.length), at = 0): Int8Array {
  for (let start = 0; start < v.length; start += FACE_DIMENSIONS) {
    let max = 0
    for (let i = start; i < start + FACE_DIMENSIONS; i++) max = Math.max(max, Math.abs(v[i]!))
    const k = max > 0 ? 127 / max : 0
    for (let i = start; i < start + FACE_DIMENSIONS; i++) out[at + i] = Math.round(v[i]! * k)
  }
  return out
}

export interface FaceHit {
  personId: string
  /** cosine similarity: of the 8-bit vectors (FaceIndex), of the float embeddings (RegistryFaces.search) */
  cosine: number
}

/**
 * The in-memory approximate-nearest-neighbour index of the registry's faces (HNSW from usearch, a
 * kept library with a prebuilt binary). It holds no name or number, only person ids and quantised
 * embeddings, and is never written to disk: each process rebuilds it from the sealed rows at start
 * (`RegistryFaces`), so the personal data stays encrypted at rest.
 */
export class FaceIndex {
  private readonly index: Index
  private readonly i8: boolean
  // usearch keys are integers; a replaced face gets a fresh key (an HNSW node is removed, not rewritten).
  // Kept as plain numbers and an array indexed by key, not two BigInt maps: at 10^6 faces that is 38 MB of
  // heap instead of 79 MB (measured with 16-character ids), memory the graph needs.
  private readonly keyOf = new Map<string, number>()
  private personOf: Array<string | undefined> = []
  private nextKey = 1

  constructor(opts: FaceIndexOptions = {}) {
    this.i8 = opts.quantization !== 'f16'
    this.index = new Index({
      dimensions: FACE_DIMENSIONS,
      metric: MetricKind.Cos,
      quantization: opts.quantization === 'f16' ? ScalarKind.F16 : ScalarKind.I8,
      connectivity: opts.connectivity ?? 16,
      expansion_add: opts.expansionAdd ?? 128,
      expansion_search: opts.expansionSearch ?? 128,
      multi: false,
    })
  }

  get size(): number {
    return this.keyOf.size
  }

  has(personId: string): boolean {
    return this.keyOf.has(personId)
  }

  /** the person ids held */
  ids(): string[] {
    return [...this.keyOf.keys()]
  }

  upsert(personId: string, embedding: Float32Array): void {
    if (embedding.length !== FACE_DIMENSIONS) throw new Error(`a face embedding has ${FACE_DIMENSIONS} dimensions`)
    this.remove(personId)
    const key = this.nextKey++
    this.index.add(BigInt(key), this.i8 ? quantise(embedding) : embedding, 1)
    this.keyOf.set(personId, key)
    this.personOf[key] = personId
  }

  /** many faces at once, on `threads` threads (the build at start) */
  addMany(personIds: string[], embeddings: Float32Array, threads = 0): void {
    const keys = new BigUint64Array(personIds.length)
    personIds.forEach((id, i) => {
      this.remove(id)
      const key = this.nextKey++
      keys[i] = BigInt(key)
      this.keyOf.set(id, key)
      this.personOf[key] = id
    })
    if (personIds.length) this.index.add(keys, this.i8 ? quantise(embeddings) : embeddings, threads)
  }

  remove(personId: string): boolean {
    const key = this.keyOf.get(personId)
    if (key === undefined) return false
    this.index.remove(BigInt(key))
    this.keyOf.delete(personId)
    this.personOf[key] = undefined
    return true
  }

  /**
   * The k nearest faces, best first; searched on the calling thread (one core). `expansion` widens the
   * graph search for this call only (bench:search sweeps it): usearch searches with max(its configured
   * expansion, the number of results asked for) candidates (index.hpp, `search`), so asking it for
   * `expansion` results and keeping the first k is a search with that expansion.
   */
  search(embedding: Float32Array, k: number, expansion = 0): FaceHit[] {
    if (this.keyOf.size === 0) return []
    const wanted = Math.min(Math.max(k, expansion), this.keyOf.size)
    const m = this.index.search(this.i8 ? quantise(embedding) : embedding, wanted, 1)
    const hits: FaceHit[] = []
    for (let i = 0; i < m.keys.length && hits.length < k; i++) {
      const personId = this.personOf[Number(m.keys[i]!)]
      if (personId) hits.push({ personId, cosine: 1 - m.distances[i]! })
    }
    return hits
  }
}
