import { Redis } from 'ioredis'
import { CacheUnavailableError, type Cache } from './types.js'

/**
 * Redis for what is short-lived and shared by every API process: rate-limit slots and the live
 * challenge of a capture. Commands fail fast while Redis is away (no offline queue, one retry), so a
 * request gets CACHE_UNAVAILABLE at once instead of hanging.
 */
export class RedisCache implements Cache {
  private readonly redis: Redis

  constructor(
    url: string,
    private readonly prefix = 'shiren:',
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    })
    // connection errors surface on the commands; without a listener ioredis would print them
    this.redis.on('error', () => {})
  }

  /** Waits briefly for a connection in progress (just after start, or after Redis came back). */
  private async ready(): Promise<void> {
    if (this.redis.status === 'ready') return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady)
        reject(new Error(`redis is ${this.redis.status}`))
      }, 2000)
      const onReady = () => {
        clearTimeout(timer)
        resolve()
      }
      this.redis.once('ready', onReady)
    })
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready()
      return await fn()
    } catch (err) {
      throw new CacheUnavailableError((err as Error).message)
    }
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    return this.run(async () => (await this.redis.set(this.prefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK')
  }

  put(key: string, value: string, ttlMs: number): Promise<void> {
    return this.run(async () => {
      await this.redis.set(this.prefix + key, value, 'PX', ttlMs)
    })
  }

  get(key: string): Promise<string | null> {
    return this.run(() => this.redis.get(this.prefix + key))
  }

  /** readiness: Redis answers a PING */
  ping(): Promise<void> {
    return this.run(async () => {
      await this.redis.ping()
    })
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}
