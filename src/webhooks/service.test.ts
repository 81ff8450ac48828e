import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../test/support/fakes.js'
import { DbJobQueue, defineJob } from '../queue/index.js'
import { checkWebhookUrl, retryDelayMs, triesFor } from './service.js'

const quiet = { warn() {}, error() {} }

describe('webhook retry schedule', () => {
  it('doubles from the base, at most an hour apart, for the whole retry period', () => {
    const s = { backoffMs: 30_000, retryForS: 86_400 }
    expect([1, 2, 3, 4].map((n) => retryDelayMs(s, n))).toEqual([30_000, 60_000, 120_000, 240_000])
    expect(retryDelayMs(s, 20)).toBe(3_600_000)
    const tries = triesFor(s)
    const waits = Array.from({ length: tries - 1 }, (_, i) => retryDelayMs(s, i + 1)).reduce((a, b) => a + b, 0)
    // the last retry happens at or just after 24 h, not much later
    expect(waits).toBeGreaterThanOrEqual(86_400_000)
    expect(waits - retryDelayMs(s, tries - 1)).toBeLessThan(86_400_000)
    expect(triesFor({ backoffMs: 30_000, retryForS: 0 })).toBe(1)
  })

  it("a job kind's own maxTries and backoff are what the queue uses", async () => {
    const mem = await memoryStore()
    const queue = new DbJobQueue(mem.store, quiet, { concurrency: 1, pollMs: 10, maxTries: 10 })
    const FLAKY = defineJob('flaky', Type.Object({}), { maxTries: 3, backoffMs: (n) => 20 * n })
    const at: number[] = []
    let gaveUp = false
    queue.register(FLAKY, {
      run: async () => {
        at.push(Date.now())
        throw new Error('receiver down')
      },
      giveUp: async () => {
        gaveUp = true
      },
    })
    await mem.store.transaction((tx) => queue.enqueue(tx, FLAKY, 'f', {}))
    queue.start()
    expect(await queue.idle(5000)).toBe(true)
    await queue.stop()
    expect(at).toHaveLength(3)
    expect(gaveUp).toBe(true)
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(40)
    await mem.close()
  })
})

describe('webhook URLs', () => {
  it('takes http(s) only, without credentials', () => {
    expect(checkWebhookUrl('https://example.com/hook?x=1')).toBe('https://example.com/hook?x=1')
    for (const bad of ['ftp://example.com', 'example.com/hook', 'https://user:pw@example.com/', 'javascript:alert(1)'])
      expect(() => checkWebhookUrl(bad), bad).toThrow()
    expect(() => checkWebhookUrl(`https://example.com/${'a'.repeat(2048)}`)).toThrow(/2048/)
  })
})
