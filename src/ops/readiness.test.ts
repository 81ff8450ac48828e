import { describe, expect, it } from 'vitest'
import { runReadiness } from './readiness.js'

describe('runReadiness', () => {
  it('names every check and lists what failed, with one line per failure', async () => {
    const r = await runReadiness(
      {
        database: async () => {},
        blobs: async () => {
          throw new Error('EACCES: permission denied\n    at stack')
        },
        redis: () => new Promise(() => {}),
      },
      50,
    )
    expect(r.ready).toBe(false)
    expect(r.failed).toEqual(['blobs', 'redis'])
    expect(r.checks).toEqual({
      database: 'ok',
      blobs: 'EACCES: permission denied',
      redis: 'no answer within 50 ms',
    })
  })

  it('is ready when every check passes', async () => {
    expect(await runReadiness({ a: async () => {} })).toEqual({ ready: true, checks: { a: 'ok' }, failed: [] })
  })
})
