import { ulid } from 'ulid'
import { ReasonError } from '../codes/index.js'
import type { PersonalDataVault } from '../crypto/index.js'
import { maskIdNumber, maskName, validateIdNumber, validateName } from '../identity/index.js'
import { sniffImage, type BlobStore } from '../media/index.js'
import type { RegistryPerson, Store } from '../storage/index.js'

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
  ) {}

  idHash(idNumber: string): string {
    return this.vault.blindIndex('id', idNumber.trim().toUpperCase())
  }

  nameHash(name: string): string {
    return this.vault.blindIndex('name', name.trim().normalize('NFC'))
  }

  async enroll(input: EnrollInput): Promise<{ id: string; status: 'created' | 'updated'; hasPhoto: boolean }> {
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
    if (input.photo) {
      if (input.photo.length > MAX_REGISTRY_PHOTO_BYTES)
        throw new ReasonError('IMAGE_SIZE_INVALID', `photo is larger than ${MAX_REGISTRY_PHOTO_BYTES} bytes`)
      const kind = sniffImage(input.photo)
      if (!kind) throw new ReasonError('FILE_FORMAT_INVALID', 'photo must be JPEG, PNG or WebP')
      photoBlob = `registry/${personId}.${kind}`
      await this.blobs.put(photoBlob, input.photo)
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
    return { id: personId, status, hasPhoto: after?.photoBlob != null }
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

  async remove(idNumber: string): Promise<boolean> {
    const gone = await this.store.registry.delete(this.idHash(idNumber))
    if (gone?.photoBlob) await this.blobs.delete(gone.photoBlob)
    return gone !== null
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
