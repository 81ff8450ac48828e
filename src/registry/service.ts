import { ulid } from 'ulid'
import { ReasonError } from '../codes/index.js'
import type { PersonalDataVault } from '../crypto/index.js'
import { maskIdNumber, maskName, validateIdNumber, validateName } from '../identity/index.js'
import { openPrivateTemp, sniffImage, type BlobStore } from '../media/index.js'
import type { RegistryPerson, Store } from '../storage/index.js'
import { cosineToScore, farAtScore } from '../vision/index.js'
import type { RegistryFaces } from './faces.js'

/** What the registry needs of the analysis engine: the embedding of a photo's primary face. */
export interface FaceEmbedder {
  embed(path: string): Promise<{ faces: number; embedding: number[] | null }>
}

export interface FaceSearchSetup {
  faces: RegistryFaces
  embedder: FaceEmbedder
  /** private folder for the decrypted photo the workers read (removed right after) */
  tmpDir: string
  /** a match at or above this 0–100 score with a person of another ID number is a duplicate identity */
  duplicateScore: number
}

export interface FaceMatch {
  personId: string
  /** calibrated 0–100 similarity */
  score: number
  /** false-accept rate per pair at this score (from score 80 up, an upper bound: 1e-4) */
  far: number
}

/** A registry person whose face matches, named masked (never in full): a search's answer, a duplicate alert. */
export interface PersonMatch extends FaceMatch {
  name: string
  idNumber: string
}

/** A person enrolled under another ID number whose face matches: shown masked, never in full. */
export type DuplicateMatch = PersonMatch

/** Default duplicate threshold (score): see docs/registry-search.md for the per-search false-alert rate. */
export const DEFAULT_DUPLICATE_SCORE = 85

export const MAX_REGISTRY_PHOTO_BYTES = 5 * 1024 * 1024

export interface EnrollInput {
  name: string
  idNumber: string
  photo?: Buffer | null
}

export interface RegistryMatch {
  person: RegistryPerson
  photoBlob: string
}

/**
 * The operator's own identity library (客户库自建库): person, ID number and photo. Looked up by
 * the keyed hash of the ID number; the name is compared through its keyed hash too, so neither
 * is ever decrypted on the verification path.
 */
export class RegistryService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly blobs: BlobStore,
    private readonly faceSearch: FaceSearchSetup | null = null,
  ) {}

  /** the registry's face index, or null where no face model runs here (search is "not supported") */
  get faces(): RegistryFaces | null {
    return this.faceSearch?.faces ?? null
  }

  get duplicateScore(): number {
    return this.faceSearch?.duplicateScore ?? DEFAULT_DUPLICATE_SCORE
  }

  private requireFaces(): FaceSearchSetup {
    if (!this.faceSearch)
      throw new ReasonError('VISION_ENGINE_UNAVAILABLE', 'face search is not supported here: no face model is loaded')
    return this.faceSearch
  }

  /** The embedding of a photo's primary face (null: no face), through the engine's workers. */
  async embedPhoto(photo: Buffer): Promise<{ faces: number; embedding: Float32Array | null }> {
    const f = this.requireFaces()
    // a photo of a person is personal data: decrypted only into a nameless temp file (src/media)
    const temp = await openPrivateTemp(f.tmpDir, photo)
    try {
      const r = await f.embedder.embed(temp.path)
      return { faces: r.faces, embedding: r.embedding ? Float32Array.from(r.embedding) : null }
    } finally {
      await temp.close()
    }
  }

  /** The k persons whose faces are nearest to an embedding, best first. */
  async searchEmbedding(embedding: Float32Array, k: number): Promise<FaceMatch[]> {
    const hits = await this.requireFaces().faces.search(embedding, k)
    return hits.map((h) => {
      const score = cosineToScore(Math.min(1, h.cosine))
      return { personId: h.personId, score, far: farAtScore(score) }
    })
  }

  /**
   * A photo → the top k persons, each named masked (the console shows them; a registry of millions cannot be
   * listed to name them). A photo without a face is NO_FACE; a bad file, its media reason.
   */
  async search(photo: Buffer, k = 5): Promise<{ faces: number; matches: PersonMatch[]; ms: number }> {
    const started = performance.now()
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new ReasonError('INVALID_PARAMETER', 'top must be 1–100')
    this.requireFaces()
    this.checkPhoto(photo)
    const e = await this.embedPhoto(photo)
    if (!e.embedding) throw new ReasonError('NO_FACE', 'no face found in the photo')
    const matches: PersonMatch[] = []
    for (const m of await this.searchEmbedding(e.embedding, k)) {
      const named = await this.named(m)
      if (named) matches.push(named)
    }
    return { faces: e.faces, matches, ms: Math.round(performance.now() - started) }
  }

  /**
   * A match with the person's masked name and ID number; null when the person was deleted meanwhile, or is the
   * person of `sameIdHash` (a duplicate alert is about another identity).
   */
  private async named(m: FaceMatch, sameIdHash?: string | null): Promise<PersonMatch | null> {
    const p = await this.store.registry.getById(m.personId)
    if (!p || (sameIdHash !== undefined && p.idHash === sameIdHash)) return null
    return {
      ...m,
      name: maskName(this.vault.open(p.nameSealed)),
      idNumber: maskIdNumber(this.vault.open(p.idNumberSealed)),
    }
  }

  /**
   * Persons of another ID number whose face matches at or above the duplicate threshold, masked.
   * `idHash` is the declared identity's: a match with the same person is no alert.
   */
  async duplicatesOf(embedding: Float32Array, idHash: string | null, k = 5): Promise<DuplicateMatch[]> {
    if (!this.faceSearch) return []
    const matches = (await this.searchEmbedding(embedding, k)).filter((m) => m.score >= this.duplicateScore)
    const out: DuplicateMatch[] = []
    for (const m of matches) {
      const named = await this.named(m, idHash)
      if (named) out.push(named)
    }
    return out
  }

  /**
   * The duplicate-identity check of a passed verification: the best frame's face against the registry.
   * Only ids and scores come back (they are stored with the attempt); names are masked when shown.
   */
  async duplicatesOfPhoto(photo: Buffer, idHash: string): Promise<FaceMatch[]> {
    if (!this.faceSearch) return []
    const e = await this.embedPhoto(photo)
    if (!e.embedding) return []
    return (await this.duplicatesOf(e.embedding, idHash)).map(({ personId, score, far }) => ({ personId, score, far }))
  }

  /** A person's masked name and number, for showing an alert (null: deleted since). */
  async maskedPerson(personId: string): Promise<{ name: string; idNumber: string } | null> {
    const p = await this.store.registry.getById(personId)
    if (!p) return null
    return { name: maskName(this.vault.open(p.nameSealed)), idNumber: maskIdNumber(this.vault.open(p.idNumberSealed)) }
  }

  /**
   * Re-embed every stored photo with the face model loaded here (after a model change: rows of another
   * model are not searched until then). Persons without a photo are skipped.
   */
  async reindex(
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ indexed: number; noFace: number; failed: number }> {
    const f = this.requireFaces()
    const total = await this.count()
    const out = { indexed: 0, noFace: 0, failed: 0 }
    let done = 0
    for (let offset = 0; ;) {
      const rows = await this.store.registry.list(500, offset)
      if (rows.length === 0) break
      offset += rows.length
      for (const p of rows) {
        if (p.photoBlob) {
          try {
            const e = await this.embedPhoto(await this.blobs.get(p.photoBlob))
            if (e.embedding) {
              await f.faces.put(p.id, e.embedding)
              out.indexed++
            } else {
              await f.faces.remove(p.id)
              out.noFace++
            }
          } catch {
            // counted, never logged with the person: the photo may be unreadable or gone
            out.failed++
          }
        }
        onProgress?.(++done, total)
      }
    }
    return out
  }

  private checkPhoto(photo: Buffer): string {
    if (photo.length > MAX_REGISTRY_PHOTO_BYTES)
      throw new ReasonError('IMAGE_SIZE_INVALID', `photo is larger than ${MAX_REGISTRY_PHOTO_BYTES} bytes`)
    const kind = sniffImage(photo)
    if (!kind) throw new ReasonError('FILE_FORMAT_INVALID', 'photo must be JPEG, PNG or WebP')
    return kind
  }

  idHash(idNumber: string): string {
    return this.vault.blindIndex('id', idNumber.trim().toUpperCase())
  }

  nameHash(name: string): string {
    return this.vault.blindIndex('name', name.trim().normalize('NFC'))
  }

  async enroll(input: EnrollInput): Promise<{
    id: string
    status: 'created' | 'updated'
    hasPhoto: boolean
    /** indexed: searchable; none: no face in the photo; unavailable: no face model here */
    face: 'indexed' | 'none' | 'unavailable' | 'unchanged'
    duplicateOf: DuplicateMatch[]
  }> {
    const name = input.name.trim().normalize('NFC')
    const idNumber = input.idNumber.trim().toUpperCase()
    const nameCheck = validateName(name)
    if (!nameCheck.ok) throw new ReasonError('NAME_INVALID', `name is invalid (${nameCheck.problem})`)
    const idCheck = validateIdNumber(idNumber)
    if (!idCheck.ok) throw new ReasonError('ID_NUMBER_INVALID', `ID number is invalid (${idCheck.problem})`)
    let photoBlob: string | null = null
    const id = `per_${ulid().toLowerCase()}`
    const existing = await this.store.registry.getByIdHash(this.idHash(idNumber))
    const personId = existing?.id ?? id
    let face: 'indexed' | 'none' | 'unavailable' | 'unchanged' = 'unchanged'
    let embedding: Float32Array | null = null
    let duplicateOf: DuplicateMatch[] = []
    if (input.photo) {
      const kind = this.checkPhoto(input.photo)
      if (this.faceSearch) {
        embedding = (await this.embedPhoto(input.photo)).embedding
        face = embedding ? 'indexed' : 'none'
        // the alert: this face is already enrolled under another ID number
        if (embedding) duplicateOf = await this.duplicatesOf(embedding, this.idHash(idNumber))
      } else face = 'unavailable'
      photoBlob = `registry/${personId}.${kind}`
      try {
        await this.blobs.put(photoBlob, input.photo)
      } catch (err) {
        // a media store that fails (a full disk, an S3 bucket out of reach) is the store's reason, not an internal error
        throw new ReasonError(
          'BLOB_WRITE_FAILED',
          `the photo could not be stored: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        )
      }
    }
    const status = await this.store.registry.upsert(
      {
        id: personId,
        idHash: this.idHash(idNumber),
        nameHash: this.nameHash(name),
        idNumberSealed: this.vault.seal(idNumber),
        nameSealed: this.vault.seal(name),
        photoBlob,
      },
      new Date().toISOString(),
    )
    const after = await this.store.registry.getByIdHash(this.idHash(idNumber))
    // a new photo replaces the face; one without a face leaves the person unsearchable
    if (face === 'indexed' && embedding) await this.faceSearch!.faces.put(personId, embedding)
    else if (face === 'none') await this.faceSearch!.faces.remove(personId)
    return { id: personId, status, hasPhoto: after?.photoBlob != null, face, duplicateOf }
  }

  /** The registry verdict for a declared identity: the person, or the reason the comparison cannot run. */
  async match(name: string, idNumber: string): Promise<RegistryMatch> {
    let person: RegistryPerson | null
    try {
      person = await this.store.registry.getByIdHash(this.idHash(idNumber))
    } catch (err) {
      throw new ReasonError('REGISTRY_ERROR', `registry lookup failed: ${(err as Error).message}`)
    }
    if (!person) throw new ReasonError('REGISTRY_ID_NOT_FOUND', 'the registry has no person with this ID number')
    if (person.nameHash !== this.nameHash(name))
      throw new ReasonError('NAME_ID_MISMATCH', 'name and ID number do not match the registry')
    if (!person.photoBlob) throw new ReasonError('REGISTRY_NO_PHOTO', 'the registry person has no photo')
    return { person, photoBlob: person.photoBlob }
  }

  /** Removes a person from the registry (their verifications stay: `PrivacyService.erase` removes those too). */
  async remove(idNumber: string): Promise<boolean> {
    const p = await this.store.registry.getByIdHash(this.idHash(idNumber))
    return p ? (await this.eraseEntry(p.id)) !== null : false
  }

  /**
   * Deletes a person's registry entry outright: the row, the face row (no tombstone is left: other
   * processes learn of it from the erasure counter), this process's face-index entry and the photo.
   * Returns what was deleted, or null when the registry holds no such person.
   */
  async eraseEntry(personId: string): Promise<RegistryPerson | null> {
    const gone = await this.store.registry.erase(personId)
    if (gone?.photoBlob) await this.blobs.delete(gone.photoBlob)
    await this.faceSearch?.faces.sync()
    return gone
  }

  /** The person with this id, or with this ID number (its blind index), or null. */
  async find(by: { personId: string } | { idNumber: string }): Promise<RegistryPerson | null> {
    return 'personId' in by
      ? this.store.registry.getById(by.personId)
      : this.store.registry.getByIdHash(this.idHash(by.idNumber))
  }

  count(): Promise<number> {
    return this.store.registry.count()
  }

  /** For the console: names and numbers are shown masked, never in full. */
  async list(limit: number, offset: number) {
    const rows = await this.store.registry.list(limit, offset)
    return rows.map((p) => ({
      id: p.id,
      name: maskName(this.vault.open(p.nameSealed)),
      idNumber: maskIdNumber(this.vault.open(p.idNumberSealed)),
      hasPhoto: p.photoBlob !== null,
      createdAt: p.createdAt,
    }))
  }
}
