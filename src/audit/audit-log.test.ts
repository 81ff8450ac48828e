import { describe, expect, it } from 'vitest'
import { AuditLog, scrubDetails } from './audit-log.js'
import { fixedClock, memoryStore } from '../../test/support/fakes.js'

describe('audit log', () => {
  it('masks names and ID numbers, omits secrets and media, keeps plain settings', () => {
    expect(
      scrubDetails({
        name: '张三丰',
        idNumber: '11010519491231002x',
        note: 'caller gave 110105194912310021 and 123456789012345',
        secret: 'k',
        accessToken: 't',
        photoBase64: 'AAAA',
        tokenTtlS: 600,
        secretVersion: 2,
        nested: { IdCard: '11010519491231002X', list: ['11010519491231002X'] },
        bad: Number.NaN,
      }),
    ).toEqual({
      name: '张**',
      idNumber: '110***********002X',
      note: 'caller gave 110***********0021 and 123********2345',
      secret: '[omitted]',
      accessToken: '[omitted]',
      photoBase64: '[omitted]',
      tokenTtlS: 600,
      secretVersion: 2,
      nested: { IdCard: '110***********002X', list: ['110***********002X'] },
      bad: null,
    })
  })

  it('appends in order, filters by time and action family, refuses malformed actions and actors', async () => {
    const mem = await memoryStore()
    try {
      const clock = fixedClock('2026-12-01T10:00:00Z')
      const log = new AuditLog(mem.store, clock)
      await log.record({ actor: 'api', source: '10.0.0.1', action: 'rule.update', subject: 'rule:R1' })
      clock.advance(86_400_000)
      await log.record({ actor: 'console', action: 'console.login', details: { outcome: 'ok' } })
      await log.record({ actor: 'cli', action: 'rule.create', subject: 'rule:R2' })
      expect((await log.list({ limit: 10 })).map((e) => e.action)).toEqual([
        'rule.create',
        'console.login',
        'rule.update',
      ])
      expect((await log.list({ action: 'rule', limit: 10 })).map((e) => e.subject)).toEqual(['rule:R2', 'rule:R1'])
      expect((await log.list({ action: 'rule.update', limit: 10 })).map((e) => e.source)).toEqual(['10.0.0.1'])
      expect((await log.list({ to: '2026-12-01', limit: 10 })).map((e) => e.action)).toEqual(['rule.update'])
      expect((await log.list({ from: '2026-12-02', limit: 1 })).map((e) => e.action)).toEqual(['rule.create'])
      await expect(log.record({ actor: 'api', action: 'Rule Update' })).rejects.toThrow(TypeError)
      await expect(log.record({ actor: 'root' as never, action: 'rule.update' })).rejects.toThrow(TypeError)
      // at most one entry per key and window
      expect(await log.recordAtMostEvery('1.2.3.4', 60, { actor: 'console', action: 'console.login' })).toBe(true)
      expect(await log.recordAtMostEvery('1.2.3.4', 60, { actor: 'console', action: 'console.login' })).toBe(false)
      clock.advance(61_000)
      expect(await log.recordAtMostEvery('1.2.3.4', 60, { actor: 'console', action: 'console.login' })).toBe(true)
    } finally {
      await mem.close()
    }
  })
})
