/**
 * console-auth: the operator console's password, its login throttle and its server-side sessions.
 */
import { createHash } from 'node:crypto'
import { Redis } from 'ioredis'
import type { ConsoleSessionRepository } from '../storage/index.js'
import { passwordFingerprint } from './passwords.js'
import { ConsoleSessions, databaseSessionStore, redisSessionStore } from './sessions.js'
import { LoginThrottle } from './throttle.js'

export { hashPassword, verifyPassword, setAdminPassword, ensureAdminPassword, checkAdminPassword } from './passwords.js'
export { passwordFingerprint } from './passwords.js'
export { ConsoleSessions, SESSION_IDLE_MS, SESSION_MAX_MS, type SessionStore } from './sessions.js'
export { LoginThrottle, PER_ACCOUNT, PER_ADDRESS, type ThrottleVerdict } from './throttle.js'

/** The session store or the throttle's store (Redis, or the database) did not answer: a 503, never a 500. */
export class ConsoleAuthUnavailableError extends Error {
  override name = 'ConsoleAuthUnavailableError'
}

/** every method's failure becomes ConsoleAuthUnavailableError (a refused login stays a plain result) */
function unavailableOnFailure<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver) as unknown
      if (typeof v !== 'function') return v
      return (...args: unknown[]) =>
        (v as (...a: unknown[]) => Promise<unknown>).apply(t, args).catch((err: unknown) => {
          throw new ConsoleAuthUnavailableError(
            `the console's session store is unavailable: ${(err as Error)?.message ?? String(err)}`,
          )
        })
    },
  })
}

export interface ConsoleAuth {
  sessions: ConsoleSessions
  throttle: LoginThrottle
  close(): Promise<void>
}

/**
 * Sessions and throttle in Redis when it is configured (every process shares them), else sessions in
 * the database and the throttle in memory. Keys carry a digest of the database URL: processes on the
 * same database are one deployment and share them; another deployment on the same Redis does not.
 */
export function createConsoleAuth(opts: {
  dataDir: string
  databaseUrl: string
  redisUrl: string | null
  sessionsTable: ConsoleSessionRepository
  clock: { now(): Date }
}): ConsoleAuth {
  const prefix = `shiren:${createHash('sha256').update(opts.databaseUrl).digest('hex').slice(0, 12)}:`
  const redis = opts.redisUrl
    ? new Redis(opts.redisUrl, {
        // commands wait for a connection in progress, and fail after one retry when Redis is away
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      })
    : null
  // connection errors surface on the commands (a login answers 503); without a listener ioredis prints them
  redis?.on('error', () => {})
  const store = redis ? redisSessionStore(redis, prefix) : databaseSessionStore(opts.sessionsTable)
  return {
    sessions: unavailableOnFailure(new ConsoleSessions(store, opts.clock, () => passwordFingerprint(opts.dataDir))),
    throttle: unavailableOnFailure(new LoginThrottle(redis, prefix)),
    async close() {
      redis?.disconnect()
    },
  }
}
