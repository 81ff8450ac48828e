import { Redis } from 'ioredis'

export const REDIS_URL = process.env.SHIREN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

/** Whether the test Redis answers; CI requires it (a missing one fails there instead of skipping). */
export async function redisReachable(what: string): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 })
  r.on('error', () => {})
  try {
    await r.connect()
    await r.ping()
    return true
  } catch {
    if (process.env.CI) throw new Error(`Redis is not reachable at ${REDIS_URL}, and CI requires it`)
    console.warn(`[skip] Redis not reachable at ${REDIS_URL}: ${what} is skipped`)
    return false
  } finally {
    r.disconnect()
  }
}
