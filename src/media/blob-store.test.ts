import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testVault } from '../../test/support/fakes.js'
import { tempDir } from '../../test/support/env.js'
import { startS3, type TestS3 } from '../../test/support/s3.js'
import {
  BlobNotFoundError,
  BlobStoreError,
  BlobTimeoutError,
  BlobTooLargeError,
  LocalBlobStore,
  SealedFormatError,
  type BlobStore,
} from './index.js'
import { S3BlobStore } from './s3-blob-store.js'
import { SEALED_MAGIC } from './sealed-stream.js'

// One suite, both stores: the folder and an S3 bucket on a real S3-protocol server (s3rver, see
// test/support/s3.ts). Whole-buffer reads are capped at 8 MiB here so the streamed object (24 MiB)
// is past the limit, as a large object is in production past max(64 MiB, upload limit).
const WHOLE = 8 * 1024 * 1024
const vault = testVault()
let s3: TestS3

interface Impl {
  name: string
  store(): BlobStore
  /** the stored bytes behind the store's back */
  raw(key: string): Promise<Buffer>
  putRaw(key: string, body: Buffer): Promise<void>
  /** a store of the same kind that cannot work (read-only root / unknown bucket) */
  broken(): BlobStore
}

/** the suite's temp folders, removed after it */
const folders: string[] = []
const folder = () => {
  const dir = tempDir('shiren-blobs-')
  folders.push(dir)
  return dir
}
const folderRoot = folder()
const impls: Impl[] = [
  {
    name: 'folder',
    store: () => new LocalBlobStore(folderRoot, vault, { maxWholeBytes: WHOLE }),
    raw: async (key) => readFileSync(join(folderRoot, key)),
    putRaw: async (key, body) => {
      mkdirSync(join(folderRoot, key, '..'), { recursive: true })
      writeFileSync(join(folderRoot, key), body)
    },
    broken: () => {
      const file = join(folder(), 'not-a-folder')
      writeFileSync(file, '')
      return new LocalBlobStore(join(file, 'media'), vault)
    },
  },
  {
    name: 's3 (s3rver)',
    store: () => s3Store(),
    raw: (key) => s3.raw(`install-a/${key}`),
    putRaw: (key, body) => s3.putRaw(`install-a/${key}`, body),
    broken: () => s3Store({ bucket: 'no-such-bucket' }),
  },
]

function s3Store(over: { bucket?: string; endpoint?: string; timeoutMs?: number } = {}): S3BlobStore {
  return new S3BlobStore(
    {
      bucket: over.bucket ?? s3.bucket,
      prefix: 'install-a',
      forcePathStyle: true,
      maxWholeBytes: WHOLE,
      timeoutMs: over.timeoutMs ?? 5_000,
      client: {
        endpoint: over.endpoint ?? s3.endpoint,
        region: s3.region,
        credentials: s3.credentials,
        ...(over.endpoint && { maxAttempts: 1 }),
      },
    },
    vault,
  )
}

beforeAll(async () => {
  s3 = await startS3()
})
afterAll(async () => {
  await s3?.close()
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

/** deterministic pseudo-random pieces (an AES-CTR keystream: incompressible, unlike zeros) */
function* pieces(total: number, piece = 300_000): Generator<Buffer> {
  const ctr = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
  for (let sent = 0; sent < total; sent += piece) yield ctr.update(Buffer.alloc(Math.min(piece, total - sent)))
}
function digest(total: number): string {
  const h = createHash('sha256')
  for (const p of pieces(total)) h.update(p)
  return h.digest('hex')
}

describe.each(impls)('BlobStore: $name', (impl) => {
  it('puts, gets, overwrites, lists and deletes', async () => {
    const store = impl.store()
    const a = randomBytes(1000)
    await store.put('v1/att_1.webm', a)
    expect((await store.get('v1/att_1.webm')).equals(a)).toBe(true)
    const b = randomBytes(1500)
    await store.put('v1/att_1.webm', b)
    expect((await store.get('v1/att_1.webm')).equals(b)).toBe(true)
    await store.put('v1/att_1-best.jpg', Buffer.alloc(0))
    expect((await store.get('v1/att_1-best.jpg')).length).toBe(0)
    await store.put('v2/att_2.webm', a)
    expect(await store.list('v1/')).toEqual(['v1/att_1-best.jpg', 'v1/att_1.webm'])
    await store.delete('v1/att_1.webm')
    await store.delete('v1/att_1-best.jpg')
    expect(await store.list('v1/')).toEqual([])
    expect(await store.list('')).toContain('v2/att_2.webm')
  })

  it('an absent key is BlobNotFoundError for get and getStream; deleting it is no error', async () => {
    const store = impl.store()
    await expect(store.get('v9/none.webm')).rejects.toBeInstanceOf(BlobNotFoundError)
    await expect(store.getStream('v9/none.webm')).rejects.toBeInstanceOf(BlobNotFoundError)
    await expect(store.delete('v9/none.webm')).resolves.toBeUndefined()
  })

  it('keeps media sealed at rest: the stored object is not the plaintext, and a changed byte is refused', async () => {
    const store = impl.store()
    const plain = Buffer.from('11010519491231002X 张三 '.repeat(200))
    await store.put('v3/card.jpg', plain)
    const raw = await impl.raw('v3/card.jpg')
    expect(raw.subarray(0, 4).equals(SEALED_MAGIC)).toBe(true)
    expect(raw.includes(Buffer.from('11010519491231002X'))).toBe(false)
    expect(raw.length).toBeGreaterThan(plain.length)
    const changed = Buffer.from(raw)
    changed[changed.length - 20]! ^= 1
    await impl.putRaw('v3/card.jpg', changed)
    await expect(store.get('v3/card.jpg')).rejects.toBeInstanceOf(SealedFormatError)
    await impl.putRaw('v3/card.jpg', raw.subarray(0, raw.length - 1))
    await expect(store.get('v3/card.jpg')).rejects.toBeInstanceOf(SealedFormatError)
    // what the folder held before the chunked format (one sealBytes of the whole file) still opens
    await impl.putRaw('v3/old.jpg', vault.sealBytes(plain))
    expect((await store.get('v3/old.jpg')).equals(plain)).toBe(true)
  })

  it('streams a large object through in records (24 MiB); get refuses it past the whole-buffer limit', async () => {
    const store = impl.store()
    const total = 24 * 1024 * 1024 + 12345
    await store.putStream('v4/big.webm', pieces(total))
    const h = createHash('sha256')
    let size = 0
    let largest = 0
    for await (const chunk of await store.getStream('v4/big.webm')) {
      h.update(chunk)
      size += chunk.length
      largest = Math.max(largest, chunk.length)
    }
    expect(size).toBe(total)
    expect(h.digest('hex')).toBe(digest(total))
    expect(largest).toBeLessThanOrEqual(1024 * 1024)
    await expect(store.get('v4/big.webm')).rejects.toBeInstanceOf(BlobTooLargeError)
    await expect(store.put('v4/big2.webm', Buffer.alloc(WHOLE + 1))).rejects.toBeInstanceOf(BlobTooLargeError)
    await store.delete('v4/big.webm')
    expect(await store.list('v4/')).toEqual([])
  })

  it('refuses keys that are not ours (paths, traversal) and writes nothing', async () => {
    const store = impl.store()
    const before = await store.list('')
    for (const key of ['../x', '/etc/passwd', 'a/../../b', 'a b', '', 'v1//x', 'v1/.', 'v1/x\\y']) {
      await expect(store.put(key, Buffer.from('x')), key).rejects.toThrow(/invalid blob key/)
      await expect(store.get(key), key).rejects.toThrow(/invalid blob key/)
    }
    expect(await store.list('')).toEqual(before)
  })

  it('check() passes on a working store and fails on one that cannot be written', async () => {
    await expect(impl.store().check()).resolves.toBeUndefined()
    await expect(impl.broken().check()).rejects.toThrow()
  })
})

describe('S3BlobStore failures become the blob errors the services map (codes 8 / 10 / 11), never an SDK error', () => {
  let silent: Server
  let silentPort: number
  const held = new Set<Socket>()
  beforeAll(async () => {
    // accepts the connection and never answers: an overloaded or hung endpoint
    silent = createServer((socket) => void held.add(socket))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    silentPort = (silent.address() as { port: number }).port
  })
  afterAll(async () => {
    for (const socket of held) socket.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
  })

  it('an endpoint that is down is BlobStoreError with the connection error code', async () => {
    // a port that was just free: nothing listens there
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as { port: number }).port
    await new Promise<void>((r) => probe.close(() => r()))
    const store = s3Store({ endpoint: `http://127.0.0.1:${port}` })
    const err = await store.put('v1/a.webm', Buffer.from('x')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BlobStoreError)
    expect((err as BlobStoreError).code).toBe('ECONNREFUSED')
    await expect(store.get('v1/a.webm')).rejects.toBeInstanceOf(BlobStoreError)
    await expect(store.check()).rejects.toBeInstanceOf(BlobStoreError)
  })

  it('an endpoint that never answers is BlobTimeoutError within the deadline', async () => {
    const store = s3Store({ endpoint: `http://127.0.0.1:${silentPort}`, timeoutMs: 400 })
    const t0 = Date.now()
    await expect(store.get('v1/a.webm')).rejects.toBeInstanceOf(BlobTimeoutError)
    await expect(store.put('v1/a.webm', Buffer.from('x'))).rejects.toBeInstanceOf(BlobTimeoutError)
    // two calls of 400 ms each, with room for a slow machine: no call waits for the SDK's own minutes
    expect(Date.now() - t0).toBeLessThan(10_000)
  })

  it('a bucket that does not exist fails writes with its S3 error code', async () => {
    const err = await s3Store({ bucket: 'no-such-bucket' })
      .put('v1/a.webm', Buffer.from('x'))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BlobStoreError)
    expect((err as BlobStoreError).code).toBe('S3_NoSuchBucket')
  })
})
