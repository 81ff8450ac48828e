export { type Cache, CacheUnavailableError } from './types.js'
export { RedisCache } from './redis-cache.js'
