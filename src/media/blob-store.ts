import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  BlobTooLargeError,
  ONE_RECORD,
  collect,
  openSealedStream,
  sealStream,
  type BlobCipher,
} from './sealed-stream.js'

/**
 * Where photos and videos live: a local folder (the default, LocalBlobStore) or an S3-compatible
 * bucket (S3BlobStore) for several hosts. Both keep every object sealed (sealed-stream.ts).
 *
 * Streamed, never buffered whole past a limit: `putStream` / `getStream` seal and open one 1 MiB
 * record at a time, so an object of any size costs a few MiB of memory (docs/benchmarks.md, "Blob
 * store"). `put` / `get` keep whole buffers for what is small by construction — every upload is
 * capped by SHIREN_UPLOAD_LIMIT and the HTTP layer, the sniffers, the replay hash and ffmpeg already
 * hold it whole — and refuse anything past `maxWholeBytes` (BlobTooLargeError) instead of growing
 * without bound.
 */
export interface BlobStore {
  put(key: string, data: Buffer): Promise<void>
  /** throws BlobNotFoundError when absent, BlobTooLargeError past the store's whole-buffer limit */
  get(key: string): Promise<Buffer>
  /** seals and writes as it reads; the object appears only once complete */
  putStream(key: string, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>
  /** rejects with BlobNotFoundError when absent; the stream then errors if the stored bytes do not open */
  getStream(key: string): Promise<Readable>
  /** absent keys are not an error */
  delete(key: string): Promise<void>
  /** the keys stored under a prefix of keys ('' for all), sorted */
  list(prefix: string): Promise<string[]>
  /** resolves when the store can be written to now (readiness), rejects with the reason otherwise */
  check(): Promise<void>
  /** lets go of connections (the S3 client's sockets) */
  close?(): void
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError'
  constructor(readonly key: string) {
    super(`blob not found: ${key}`)
  }
}

/**
 * A store that failed (unreachable, refused, broken answer). `code` is what the callers put in their
 * BLOB_WRITE_FAILED / BLOB_READ_FAILED detail, as they do with a file system's errno code.
 */
export class BlobStoreError extends Error {
  override name = 'BlobStoreError'
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

/** The store did not answer in time: a read that times out is BLOB_TIMEOUT (code 11), like the read deadline. */
export class BlobTimeoutError extends BlobStoreError {
  override name = 'BlobTimeoutError'
}

export { BlobTooLargeError, type BlobCipher }

export interface BlobStoreOptions {
  /** the largest object `put` / `get` handle whole; larger ones go through the streams (default 64 MiB) */
  maxWholeBytes?: number
}

const KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/
export const DEFAULT_MAX_WHOLE_BYTES = 64 * 1024 * 1024

/** Keys are ours (`<verification>/<attempt>.webm`), never a caller's path: anything else is refused. */
export function checkBlobKey(key: string): string {
  if (!KEY_PATTERN.test(key) || key.includes('..')) throw new Error(`invalid blob key: ${key}`)
  return key
}

const TMP = /\.[0-9a-f]{12}\.tmp$/

export class LocalBlobStore implements BlobStore {
  private readonly maxWhole: number
  constructor(
    private readonly root: string,
    private readonly cipher: BlobCipher,
    opts: BlobStoreOptions = {},
  ) {
    this.maxWhole = opts.maxWholeBytes ?? DEFAULT_MAX_WHOLE_BYTES
  }

  private path(key: string): string {
    return join(this.root, checkBlobKey(key))
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (data.length > this.maxWhole) throw new BlobTooLargeError(key, this.maxWhole)
    await this.putStream(key, [data])
  }

  async putStream(key: string, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const file = this.path(key)
    await mkdir(dirname(file), { recursive: true })
    // write-then-rename: a crash leaves either the old file or the new one, never half of one
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await pipeline(Readable.from(sealStream(data, this.cipher), ONE_RECORD), createWriteStream(tmp, { mode: 0o600 }))
      await rename(tmp, file)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  async get(key: string): Promise<Buffer> {
    return collect(await this.getStream(key), this.maxWhole, key)
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.path(key)
    const raw = createReadStream(file)
    // opened before the stream is handed out: an absent key rejects here, not mid-stream
    await new Promise<void>((resolve, reject) => {
      raw.once('open', () => resolve())
      raw.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new BlobNotFoundError(key) : err),
      )
    })
    return Readable.from(openSealedStream(raw, this.cipher), ONE_RECORD)
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true })
  }

  async list(prefix: string): Promise<string[]> {
    let entries: string[]
    try {
      entries = (await readdir(this.root, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !TMP.test(e.name) && !e.name.startsWith('.probe-'))
        .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join('/'))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    return entries.filter((k) => k.startsWith(prefix)).sort()
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true })
    const probe = join(this.root, `.probe-${randomBytes(6).toString('hex')}`)
    await writeFile(probe, '', { mode: 0o600 })
    await rm(probe, { force: true })
  }
}
