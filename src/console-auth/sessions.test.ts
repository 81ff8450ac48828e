import { describe, expect, it } from 'vitest'
import { ConsoleSessions, SESSION_IDLE_MS, SESSION_MAX_MS, type SessionStore } from './sessions.js'
import type { ConsoleSessionRow } from '../storage/index.js'

/** an in-memory store: the logic under test is the session's, not the storage (tested over HTTP on both databases) */
function memoryStore(): SessionStore & { rows: Map<string, ConsoleSessionRow> } {
  const rows = new Map<string, ConsoleSessionRow>()
  return {
    rows,
    put: async (r) => void rows.set(r.idHash, r),
    get: async (h) => rows.get(h) ?? null,
    delete: async (h) => void rows.delete(h),
    deleteAll: async () => rows.clear(),
  }
}

describe('ConsoleSessions', () => {
  const setup = () => {
    let now = Date.parse('2026-12-06T00:00:00Z')
    let fp = 'fp1'
    const store = memoryStore()
    const sessions = new ConsoleSessions(store, { now: () => new Date(now) }, () => fp)
    return {
      store,
      sessions,
      advance: (ms: number) => void (now += ms),
      setFp: (x: string) => void (fp = x),
    }
  }

  it('stores only a hash of the id, and a new id each time', async () => {
    const { store, sessions } = setup()
    const a = await sessions.start()
    const b = await sessions.start()
    expect(a).not.toBe(b)
    expect([...store.rows.keys()].some((k) => k === a || k.includes(a))).toBe(false)
    expect(await sessions.check(a)).toBe(true)
    expect(await sessions.check('x'.repeat(43))).toBe(false)
    expect(await sessions.check('not an id')).toBe(false)
  })

  it('idle timeout slides with use; the absolute lifetime does not', async () => {
    const { sessions, advance } = setup()
    const a = await sessions.start()
    for (let t = 0; t < SESSION_MAX_MS - SESSION_IDLE_MS; t += SESSION_IDLE_MS - 60_000) {
      advance(SESSION_IDLE_MS - 60_000)
      expect(await sessions.check(a)).toBe(true)
    }
    advance(SESSION_IDLE_MS)
    expect(await sessions.check(a)).toBe(false)
    const b = await sessions.start()
    advance(SESSION_IDLE_MS + 1)
    expect(await sessions.check(b)).toBe(false)
  })

  it('a new password fingerprint ends every session; end and endAll delete them', async () => {
    const { store, sessions, setFp } = setup()
    const a = await sessions.start()
    const b = await sessions.start()
    await sessions.end(a)
    expect(await sessions.check(a)).toBe(false)
    expect(await sessions.check(b)).toBe(true)
    setFp('fp2')
    expect(await sessions.check(b)).toBe(false)
    expect(store.rows.size).toBe(0)
    await sessions.start()
    await sessions.endAll()
    expect(store.rows.size).toBe(0)
  })
})
