/** Short-lived shared state (rate-limit slots, live challenges), for deployments that use Redis. */
export interface Cache {
  /** takes the slot for ttlMs if nobody holds it; false while somebody does */
  claim(key: string, ttlMs: number): Promise<boolean>
  put(key: string, value: string, ttlMs: number): Promise<void>
  get(key: string): Promise<string | null>
  close(): Promise<void>
}

export class CacheUnavailableError extends Error {
  override name = 'CacheUnavailableError'
}
