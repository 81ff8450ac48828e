import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ConsoleSessionRepository, ConsoleSessionRow } from '../storage/index.js'

/**
 * Server-side console sessions: the cookie carries a random id, the store keeps only its SHA-256
 * with the password's fingerprint and an idle deadline. Logout deletes the record; a password change
 * changes the fingerprint, which ends every session at its next request in every process (and
 * `endAll` deletes them). Hand-written rather than @fastify/session: the store is ours either way
 * (Redis or our own migrated table), and "end every session" is not part of that library's store
 * contract; what remains is ~60 lines.
 */
export const SESSION_IDLE_MS = 30 * 60_000
export const SESSION_MAX_MS = 12 * 3600_000
/** a session seen again within this long is not rewritten (one write a minute, not one per request) */
const TOUCH_EVERY_MS = 60_000

export interface SessionStore {
  put(row: ConsoleSessionRow, ttlMs: number): Promise<void>
  get(idHash: string): Promise<ConsoleSessionRow | null>
  delete(idHash: string): Promise<void>
  deleteAll(): Promise<void>
}

export function databaseSessionStore(repo: ConsoleSessionRepository): SessionStore {
  return {
    put: (row) => repo.put(row),
    get: (h) => repo.get(h),
    delete: (h) => repo.delete(h),
    deleteAll: () => repo.deleteAll(),
  }
}

export function redisSessionStore(redis: Redis, prefix: string): SessionStore {
  const key = (h: string) => `${prefix}console-session:${h}`
  return {
    async put(row, ttlMs) {
      await redis.set(key(row.idHash), JSON.stringify(row), 'PX', Math.max(1, Math.ceil(ttlMs)))
    },
    async get(h) {
      const raw = await redis.get(key(h))
      return raw ? (JSON.parse(raw) as ConsoleSessionRow) : null
    },
    async delete(h) {
      await redis.del(key(h))
    },
    async deleteAll() {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}console-session:*`, 'COUNT', 200)
        if (keys.length) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
    },
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('hex')

export class ConsoleSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly clock: { now(): Date },
    /** the current password's fingerprint: a session made under another password is over */
    private readonly passwordFp: () => string,
  ) {}

  /** A new session (a new id at every login, so an id known before login is worth nothing). */
  async start(): Promise<string> {
    const id = randomBytes(32).toString('base64url')
    const now = this.clock.now()
    await this.store.put(
      {
        idHash: hashId(id),
        passwordFp: this.passwordFp(),
        createdAt: now.toISOString(),
        idleUntil: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
      },
      SESSION_IDLE_MS,
    )
    return id
  }

  /** true while the session exists, was used within the idle timeout and its password still holds */
  async check(id: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return false
    const h = hashId(id)
    const row = await this.store.get(h)
    if (!row) return false
    const now = this.clock.now().getTime()
    const idleUntil = Date.parse(row.idleUntil)
    const over =
      idleUntil <= now || Date.parse(row.createdAt) + SESSION_MAX_MS <= now || row.passwordFp !== this.passwordFp()
    if (over) {
      await this.store.delete(h)
      return false
    }
    if (idleUntil - now < SESSION_IDLE_MS - TOUCH_EVERY_MS) {
      const until = Math.min(now + SESSION_IDLE_MS, Date.parse(row.createdAt) + SESSION_MAX_MS)
      await this.store.put({ ...row, idleUntil: new Date(until).toISOString() }, until - now)
    }
    return true
  }

  async end(id: string): Promise<void> {
    if (/^[A-Za-z0-9_-]{43}$/.test(id)) await this.store.delete(hashId(id))
  }

  async endAll(): Promise<void> {
    await this.store.deleteAll()
  }
}
