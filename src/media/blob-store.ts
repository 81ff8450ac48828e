import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'

/**
 * Where photos and videos live. The local folder is the default; an S3-compatible store can
 * implement the same four methods for a multi-host deployment.
 */
export interface BlobStore {
  put(key: string, data: Buffer): Promise<void>
  /** throws BlobNotFoundError when absent */
  get(key: string): Promise<Buffer>
  delete(key: string): Promise<void>
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError'
  constructor(readonly key: string) {
    super(`blob not found: ${key}`)
  }
}

/** Media are personal data: everything is sealed before it touches the disk. */
export interface BlobCipher {
  sealBytes(plain: Buffer): Buffer
  openBytes(sealed: Buffer): Buffer
}

const KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/

export class LocalBlobStore implements BlobStore {
  constructor(
    private readonly root: string,
    private readonly cipher: BlobCipher,
  ) {}

  private path(key: string): string {
    if (!KEY_PATTERN.test(key) || key.includes('..')) throw new Error(`invalid blob key: ${key}`)
    return join(this.root, key)
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.path(key)
    await mkdir(dirname(file), { recursive: true })
    // write-then-rename: a crash leaves either the old file or the new one, never half of one
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, this.cipher.sealBytes(data), { mode: 0o600 })
    await rename(tmp, file)
  }

  async get(key: string): Promise<Buffer> {
    let sealed: Buffer
    try {
      sealed = await readFile(this.path(key))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key)
      throw err
    }
    return this.cipher.openBytes(sealed)
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true })
  }
}
