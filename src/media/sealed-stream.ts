import { randomBytes } from 'node:crypto'

/**
 * The chunked sealed format of stored media (ours: no library seals a stream with the vault's key).
 *
 *   header  'SHB' 0x01 | object id (16 random bytes)
 *   record  u32be n | sealBytes(object id | u32be index | u8 last | up to CHUNK plaintext bytes)  (n bytes)
 *
 * Each record is sealed on its own (AES-256-GCM through the vault), so an object is sealed and opened
 * one CHUNK at a time and never needs to be whole in memory. The object id, index and `last` flag
 * are inside the authenticated plaintext: records taken from another object, reordered, dropped or
 * cut off after any record are refused, as is anything after the last one.
 *
 * Objects written before this format (one `sealBytes` of the whole file, which starts with a random
 * IV) are still read: `openSealedStream` falls back to it when the magic is absent or, with a chance
 * of 2^-32, present by accident and the first record does not open.
 */
/** Media are personal data: everything is sealed before it touches the disk or a bucket. */
export interface BlobCipher {
  sealBytes(plain: Buffer): Buffer
  openBytes(sealed: Buffer): Buffer
}

export const SEALED_MAGIC = Buffer.from([0x53, 0x48, 0x42, 0x01])
/** plaintext bytes per record: peak memory of a streamed object is a few of these */
export const SEALED_CHUNK = 1024 * 1024
/**
 * For Readable.from over the record generators: one record ahead, not the default 16 (16 MiB per
 * stream in flight), so a stream holds about two records whatever the object's size.
 */
export const ONE_RECORD = { objectMode: true, highWaterMark: 1 } as const
const ID = 16
const HEADER = SEALED_MAGIC.length + ID
const INNER = ID + 5
/** iv + tag of BlobCipher.sealBytes, with room to spare for another cipher */
const MAX_RECORD = SEALED_CHUNK + INNER + 64

export class SealedFormatError extends Error {
  override name = 'SealedFormatError'
}

type Bytes = AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** Plaintext pieces of any size in, sealed header and records out. */
export async function* sealStream(source: Bytes, cipher: BlobCipher, chunk = SEALED_CHUNK): AsyncGenerator<Buffer> {
  const id = randomBytes(ID)
  yield Buffer.concat([SEALED_MAGIC, id])
  let index = 0
  const record = (data: Buffer, last: boolean): Buffer => {
    const head = Buffer.alloc(INNER)
    id.copy(head, 0)
    head.writeUInt32BE(index++, ID)
    head[ID + 4] = last ? 1 : 0
    const sealed = cipher.sealBytes(Buffer.concat([head, data]))
    const len = Buffer.alloc(4)
    len.writeUInt32BE(sealed.length)
    return Buffer.concat([len, sealed])
  }
  // one full chunk is held back until more data (or the end) says whether it is the last one
  let held: Buffer | null = null
  let parts: Buffer[] = []
  let size = 0
  for await (const piece of source) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
    while (buf.length > 0) {
      const take = Math.min(chunk - size, buf.length)
      parts.push(buf.subarray(0, take))
      size += take
      buf = buf.subarray(take)
      if (size === chunk) {
        if (held) yield record(held, false)
        held = Buffer.concat(parts)
        parts = []
        size = 0
      }
    }
  }
  if (size > 0) {
    if (held) yield record(held, false)
    held = Buffer.concat(parts)
  }
  yield record(held ?? Buffer.alloc(0), true)
}

/** Collects byte pieces and hands out exact lengths without copying more than once per read. */
class ByteQueue {
  private parts: Buffer[] = []
  length = 0
  push(b: Uint8Array): void {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    if (buf.length === 0) return
    this.parts.push(buf)
    this.length += buf.length
  }
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    let at = 0
    while (at < n) {
      const head = this.parts[0]!
      const k = Math.min(head.length, n - at)
      head.copy(out, at, 0, k)
      at += k
      if (k === head.length) this.parts.shift()
      else this.parts[0] = head.subarray(k)
    }
    this.length -= n
    return out
  }
  all(): Buffer[] {
    return this.parts
  }
}

/** Sealed bytes in (as stored), plaintext chunks out; throws SealedFormatError on anything tampered with. */
export async function* openSealedStream(source: Bytes, cipher: BlobCipher): AsyncGenerator<Buffer> {
  const it = iterate(source)
  try {
    yield* openRecords(it, cipher)
  } finally {
    // a reader that stops early releases the source (a file descriptor, an HTTP response)
    await it.return?.()
  }
}

function iterate(source: Bytes): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()
}

async function* openRecords(
  it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
  cipher: BlobCipher,
): AsyncGenerator<Buffer> {
  const q = new ByteQueue()
  // everything read before the first record opened, kept for the fallback to the whole-file format
  const early: Buffer[] = []
  let ended = false
  const fill = async (n: number, keep: boolean): Promise<boolean> => {
    while (q.length < n && !ended) {
      const r = await it.next()
      if (r.done) ended = true
      else {
        q.push(r.value)
        if (keep) early.push(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength))
      }
    }
    return q.length >= n
  }
  const legacy = async (): Promise<Buffer> => {
    while (!ended) await fill(Number.MAX_SAFE_INTEGER, true)
    try {
      return cipher.openBytes(Buffer.concat(early))
    } catch {
      throw new SealedFormatError('the stored object does not open: tampered with, truncated or another key')
    }
  }

  await fill(HEADER, true)
  if (q.length < HEADER || !q.take(SEALED_MAGIC.length).equals(SEALED_MAGIC)) {
    yield await legacy()
    return
  }
  const id = q.take(ID)
  for (let index = 0; ; index++) {
    const first = index === 0
    let plain: Buffer
    try {
      if (!(await fill(4, first))) throw new SealedFormatError('the stored object is cut off')
      const n = q.take(4).readUInt32BE(0)
      if (n > MAX_RECORD) throw new SealedFormatError('a record of the stored object is too long')
      if (!(await fill(n, first))) throw new SealedFormatError('the stored object is cut off')
      try {
        plain = cipher.openBytes(q.take(n))
      } catch {
        throw new SealedFormatError('a record of the stored object does not open')
      }
      if (plain.length < INNER || !plain.subarray(0, ID).equals(id) || plain.readUInt32BE(ID) !== index)
        throw new SealedFormatError('a record of the stored object is out of place')
    } catch (err) {
      if (first && err instanceof SealedFormatError) {
        yield await legacy()
        return
      }
      throw err
    }
    if (first) early.length = 0
    const last = plain[ID + 4] === 1
    if (last) {
      // nothing may follow the last record
      if (await fill(1, false)) throw new SealedFormatError('the stored object has bytes after its last record')
      if (plain.length > INNER) yield plain.subarray(INNER)
      return
    }
    if (plain.length > INNER) yield plain.subarray(INNER)
  }
}

/** A whole plaintext, refused once it grows past `limit` bytes (the whole-buffer methods' bound). */
export async function collect(source: AsyncIterable<Buffer>, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const b of source) {
    size += b.length
    if (size > limit) throw new BlobTooLargeError(what, limit)
    parts.push(b)
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)
}

export class BlobTooLargeError extends Error {
  override name = 'BlobTooLargeError'
  readonly code = 'EFBIG'
  constructor(
    readonly key: string,
    readonly limit: number,
  ) {
    super(`blob ${key} is larger than ${limit} bytes: read it as a stream`)
  }
}
