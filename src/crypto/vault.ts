import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

const FORMAT = 'v1'

/**
 * Seals personal data (names, ID numbers, secrets, media) with AES-256-GCM and makes
 * keyed look-up hashes, so the database can find a person by ID number without holding it.
 * The keys live outside the database (see keys.ts): a stolen database alone reveals nothing.
 */
export class PersonalDataVault {
  readonly #dataKey: Buffer
  readonly #indexKey: Buffer
  /** opened credentials by their sealed text (see openCredential) */
  readonly #credentials = new Map<string, string>()

  constructor(keys: { dataKey: Buffer; indexKey: Buffer }) {
    if (keys.dataKey.length !== 32 || keys.indexKey.length !== 32) throw new Error('vault keys must be 32 bytes each')
    this.#dataKey = keys.dataKey
    this.#indexKey = keys.indexKey
  }

  seal(plaintext: string): string {
    return `${FORMAT}:${this.sealBytes(Buffer.from(plaintext, 'utf8')).toString('base64')}`
  }

  open(sealed: string): string {
    if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('not a sealed value')
    return this.openBytes(Buffer.from(sealed.slice(FORMAT.length + 1), 'base64')).toString('utf8')
  }

  /**
   * `open` for credentials only — app secrets and ticket values, never personal data: every signed
   * request needs its app's secret, and setting up AES-GCM costs ≈ 30 µs a call (bench:load). Kept by
   * the sealed text, so a rotated secret (a new sealed text) is opened anew; bounded, cleared when full.
   */
  openCredential(sealed: string): string {
    let plain = this.#credentials.get(sealed)
    if (plain === undefined) {
      plain = this.open(sealed)
      if (this.#credentials.size >= 4096) this.#credentials.clear()
      this.#credentials.set(sealed, plain)
    }
    return plain
  }

  /** iv (12) | ciphertext | tag (16) */
  sealBytes(plain: Buffer): Buffer {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#dataKey, iv)
    const body = Buffer.concat([cipher.update(plain), cipher.final()])
    return Buffer.concat([iv, body, cipher.getAuthTag()])
  }

  openBytes(sealed: Buffer): Buffer {
    if (sealed.length < 28) throw new Error('sealed data is truncated')
    const iv = sealed.subarray(0, 12)
    const tag = sealed.subarray(sealed.length - 16)
    const decipher = createDecipheriv('aes-256-gcm', this.#dataKey, iv)
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()])
  }

  /** Deterministic keyed hash for equality look-ups; `kind` keeps names and ID numbers in separate spaces. */
  blindIndex(kind: string, value: string): string {
    return createHmac('sha256', this.#indexKey).update(`${kind}\0${value}`).digest('hex')
  }
}
