import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'

/**
 * The console login throttle, keyed on the client's real address (what SHIREN_TRUST_PROXY lets
 * fastify believe) and, more slowly, on the account, so that guesses spread over many addresses
 * still stop. rate-limiter-flexible: its Redis store is atomic (one Lua script per count), so
 * several processes share one count; without Redis the count is per process, in memory.
 */
/** 5 wrong passwords a minute from one address; 30 an hour for the account, from anywhere */
export const PER_ADDRESS = { points: 5, duration: 60 }
export const PER_ACCOUNT = { points: 30, duration: 60 * 60 }

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterS: number }

export class LoginThrottle {
  private readonly byAddress: RateLimiterAbstract
  private readonly byAccount: RateLimiterAbstract

  constructor(redis: Redis | null, prefix: string) {
    const make = (name: string, o: typeof PER_ADDRESS) =>
      redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}login-${name}`, ...o })
        : new RateLimiterMemory({ keyPrefix: `login-${name}`, ...o })
    this.byAddress = make('address', PER_ADDRESS)
    this.byAccount = make('account', PER_ACCOUNT)
  }

  /** Before the password is checked: refused while either count is spent. */
  async allowed(address: string, account = 'admin'): Promise<ThrottleVerdict> {
    const [a, b] = await Promise.all([this.byAddress.get(address), this.byAccount.get(account)])
    let wait = 0
    if (a && a.consumedPoints >= PER_ADDRESS.points) wait = Math.max(wait, a.msBeforeNext)
    if (b && b.consumedPoints >= PER_ACCOUNT.points) wait = Math.max(wait, b.msBeforeNext)
    return wait > 0 ? { ok: false, retryAfterS: Math.max(1, Math.ceil(wait / 1000)) } : { ok: true }
  }

  async failed(address: string, account = 'admin'): Promise<void> {
    // consume rejects once the points are spent (and starts the block): that is the count, not an error
    await Promise.all([
      this.byAddress.consume(address).catch(() => {}),
      this.byAccount.consume(account).catch(() => {}),
    ])
  }

  /** a right password clears its address; the account count runs out on its own */
  async succeeded(address: string): Promise<void> {
    await this.byAddress.delete(address)
  }
}
