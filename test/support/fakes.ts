import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Static, TSchema } from '@sinclair/typebox'
import { CacheUnavailableError, type Cache } from '../../src/cache/index.js'
import { fixedClock, type Clock } from '../../src/clock/index.js'
import { PersonalDataVault } from '../../src/crypto/index.js'
import { BlobNotFoundError, type BlobStore } from '../../src/media/index.js'
import type { JobDefinition, JobEnqueuer } from '../../src/queue/index.js'
import { KyselyStore, migrateToLatest, openDatabase, type Db, type Store } from '../../src/storage/index.js'

/**
 * Fakes for the services' unit tests: whatever is I/O beside the point of a test (the clock, the
 * blob folder, the job runner, Redis) is replaced by a small in-memory object. The store stays real:
 * SQLite in memory, migrated like any database, so no test relies on a hand-written copy of SQL.
 */

export interface MemoryStore {
  db: Db
  store: Store
  close(): Promise<void>
}

export async function memoryStore(): Promise<MemoryStore> {
  const db = openDatabase('sqlite::memory:')
  await migrateToLatest(db)
  return { db, store: new KyselyStore(db.kysely), close: () => db.close() }
}

export function testVault(): PersonalDataVault {
  return new PersonalDataVault({ dataKey: randomBytes(32), indexKey: randomBytes(32) })
}

export type TestClock = ReturnType<typeof fixedClock>
export { fixedClock, type Clock }

/** Blobs in a Map; `failPuts` makes every write fail like a full or read-only disk. */
export class MemoryBlobStore implements BlobStore {
  readonly data = new Map<string, Buffer>()
  failPuts = false
  failGets = false
  async put(key: string, data: Buffer): Promise<void> {
    if (this.failPuts) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })
    this.data.set(key, Buffer.from(data))
  }
  async get(key: string): Promise<Buffer> {
    if (this.failGets) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
    const b = this.data.get(key)
    if (!b) throw new BlobNotFoundError(key)
    return b
  }
  async putStream(key: string, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const parts: Buffer[] = []
    for await (const b of data) parts.push(Buffer.from(b))
    await this.put(key, Buffer.concat(parts))
  }
  async getStream(key: string): Promise<Readable> {
    return Readable.from([await this.get(key)])
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key)
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort()
  }
  async check(): Promise<void> {
    if (this.failPuts) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })
  }
}

/** Records what a service queues; the job row itself is what the real queue would add in the same transaction. */
export class RecordingQueue implements JobEnqueuer {
  readonly jobs: Array<{ kind: string; key: string; payload: unknown }> = []
  async enqueue<S extends TSchema>(_tx: Store, job: JobDefinition<S>, key: string, payload: Static<S>): Promise<void> {
    this.jobs.push({ kind: job.kind, key, payload })
  }
}

/** Redis as the services use it (slots and values with a lifetime), on the test's clock. */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; until: number }>()
  down = false
  constructor(private readonly clock: Clock) {}
  private live(key: string) {
    const e = this.entries.get(key)
    if (e && e.until > this.clock.now().getTime()) return e
    this.entries.delete(key)
    return null
  }
  private check() {
    if (this.down) throw new CacheUnavailableError('connect ECONNREFUSED')
  }
  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.check()
    if (this.live(key)) return false
    this.entries.set(key, { value: '1', until: this.clock.now().getTime() + ttlMs })
    return true
  }
  async put(key: string, value: string, ttlMs: number): Promise<void> {
    this.check()
    this.entries.set(key, { value, until: this.clock.now().getTime() + ttlMs })
  }
  async get(key: string): Promise<string | null> {
    this.check()
    return this.live(key)?.value ?? null
  }
  async close(): Promise<void> {}
}

/** Bytes the sniffers take for a WebM recording (a fresh one each call), past the minimum upload size. */
export const webm = () => Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(2048)])
/** Bytes the sniffers take for a JPEG photo. */
export const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(512)])
