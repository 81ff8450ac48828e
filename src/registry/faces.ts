import type { PersonalDataVault } from '../crypto/index.js'
import type { Store } from '../storage/index.js'
import { FaceIndex, FACE_DIMENSIONS, type FaceHit, type FaceIndexOptions } from './face-index.js'

/**
 * Rows read per round trip when (re)building. The HNSW insert is a native call that holds the event loop;
 * 1,000 faces take ≈ 0.3 s on the 2-core test machine, so the server keeps answering between batches.
 */
const BATCH = 1000

/** candidates re-ranked by the exact float cosine at every search (see `search`) */
export const RERANK = 8

function cosineOf(a: Float32Array, b: Float32Array): number {
  let d = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0
}

export function sealEmbedding(vault: PersonalDataVault, e: Float32Array): string {
  return vault.seal(Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('base64'))
}

export function openEmbedding(vault: PersonalDataVault, sealed: string): Float32Array {
  const bytes = Buffer.from(vault.open(sealed), 'base64')
  // copy into an aligned buffer: the decoded bytes may start at any offset of Node's pool
  const out = new Float32Array(bytes.length / 4)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

/**
 * The registry's faces, kept in step with the database. The embeddings are stored sealed by the
 * vault in `registry_faces`; the searchable index lives only in this process's memory. Several
 * processes agree through the registry revision: every change (enrol, update, delete) bumps the
 * one-row counter in the same transaction as its row, and each process, before a search, reads the
 * counter and applies the rows changed since the revision it has seen (a deletion is a row without
 * an embedding). A change made by one process is so visible to the next search of every other one.
 */
export class RegistryFaces {
  private readonly index: FaceIndex
  private revision = 0
  /** the registry's erasure counter when this index last matched the stored faces */
  private erasures = 0
  private syncing: Promise<void> | null = null
  /** rows embedded by another face model: they need `shiren registry reindex` */
  private stale = new Set<string>()
  readyMs: number | null = null

  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    /** the face model the embeddings come from; rows of another model are not searched */
    readonly model: string,
    opts: FaceIndexOptions = {},
  ) {
    this.index = new FaceIndex(opts)
  }

  get size(): number {
    return this.index.size
  }

  get staleCount(): number {
    return this.stale.size
  }

  /** Bring the index up to the database's revision (the first call builds it). */
  sync(): Promise<void> {
    // one sync at a time; callers arriving meanwhile wait for it and then check again
    const run = async (): Promise<void> => {
      const started = performance.now()
      const { revision: target, erasures } = await this.store.registry.faceState()
      if (erasures !== this.erasures) {
        // an erased face leaves no row to read: drop every indexed face that is no longer stored
        // (nothing to drop before the first build)
        if (this.index.size > 0 || this.stale.size > 0) {
          const stored = new Set(await this.store.registry.faceIds())
          for (const id of this.index.ids()) if (!stored.has(id)) this.index.remove(id)
          for (const id of [...this.stale]) if (!stored.has(id)) this.stale.delete(id)
        }
        this.erasures = erasures
      }
      while (this.revision < target) {
        const rows = await this.store.registry.facesSince(this.revision, BATCH)
        if (rows.length === 0) {
          // the rows of the last revisions were erased: nothing left to apply
          this.revision = target
          break
        }
        // the last row of a person in this batch is their state
        const last = new Map<string, (typeof rows)[number]>()
        for (const r of rows) last.set(r.personId, r)
        const ids: string[] = []
        const vectors = new Float32Array(last.size * FACE_DIMENSIONS)
        for (const r of last.values()) {
          this.stale.delete(r.personId)
          if (!r.embeddingSealed || r.model !== this.model) {
            this.index.remove(r.personId)
            if (r.embeddingSealed) this.stale.add(r.personId)
            continue
          }
          vectors.set(openEmbedding(this.vault, r.embeddingSealed), ids.length * FACE_DIMENSIONS)
          ids.push(r.personId)
        }
        this.index.addMany(ids, vectors.subarray(0, ids.length * FACE_DIMENSIONS))
        this.revision = rows[rows.length - 1]!.revision
      }
      this.readyMs ??= Math.round(performance.now() - started)
    }
    const next = (this.syncing ?? Promise.resolve()).then(run, run)
    this.syncing = next.finally(() => {
      if (this.syncing === next) this.syncing = null
    })
    return next
  }

  async put(personId: string, embedding: Float32Array): Promise<void> {
    await this.store.registry.putFace(personId, {
      embeddingSealed: sealEmbedding(this.vault, embedding),
      model: this.model,
    })
    await this.sync()
  }

  async remove(personId: string): Promise<void> {
    await this.store.registry.putFace(personId, null)
    await this.sync()
  }

  /** whether this process's index holds a face for the person (after a sync) */
  async has(personId: string): Promise<boolean> {
    await this.sync()
    return this.index.has(personId)
  }

  /**
   * The k nearest faces, best first, with the exact cosine of the float embeddings. The index proposes
   * max(k, RERANK) candidates by its 8-bit cosine; their sealed embeddings are read (one query) and
   * re-ranked by the float cosine. Why: usearch's 8-bit cosine kernel is off by up to ≈ 0.008 (measured
   * against the exact cosine of the same 8-bit vectors, bench:search), enough to swap near-tied faces
   * (at 10^5 hard distractors 5 of 162 real probes found their exact nearest face only at rank 2–3) and
   * to move a reported score by about a point. Keeping exact vectors in memory would double it.
   */
  async search(embedding: Float32Array, k: number): Promise<FaceHit[]> {
    await this.sync()
    const candidates = this.index.search(embedding, Math.max(k, RERANK))
    if (candidates.length === 0) return []
    const rows = await this.store.registry.facesOf(candidates.map((c) => c.personId))
    const hits: FaceHit[] = []
    for (const r of rows) {
      // a row changed or removed since the last sync is left out; the next sync applies it
      if (!r.embeddingSealed || r.model !== this.model) continue
      hits.push({ personId: r.personId, cosine: cosineOf(embedding, openEmbedding(this.vault, r.embeddingSealed)) })
    }
    return hits.sort((a, b) => b.cosine - a.cosine).slice(0, k)
  }
}
