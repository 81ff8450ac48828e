import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { decodeTime } from 'ulid'
import { newUlid } from './ids.js'
import { PersonalDataVault } from './vault.js'

describe('newUlid', () => {
  it('makes valid, distinct, time-ordered ULIDs whose random part uses all 32 symbols', () => {
    const ids = Array.from({ length: 5000 }, () => newUlid())
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect(Math.abs(decodeTime(ids[0]!) - Date.now())).toBeLessThan(5000)
    const symbols = new Set(ids.flatMap((id) => [...id.slice(10)]))
    expect(symbols.size).toBe(32)
  })
})

describe('PersonalDataVault.openCredential', () => {
  const vault = new PersonalDataVault({ dataKey: randomBytes(32), indexKey: randomBytes(32) })

  it('opens like open, and a new sealed text (a rotated secret) is opened anew', () => {
    const a = vault.seal('secret-a')
    const b = vault.seal('secret-b')
    expect(vault.openCredential(a)).toBe('secret-a')
    expect(vault.openCredential(a)).toBe('secret-a')
    expect(vault.openCredential(b)).toBe('secret-b')
  })

  it('refuses a tampered sealed text every time (a failure is not kept)', () => {
    const sealed = vault.seal('secret')
    const raw = Buffer.from(sealed.slice(3), 'base64')
    raw[14]! ^= 1
    const tampered = `v1:${raw.toString('base64')}`
    expect(() => vault.openCredential(tampered)).toThrow()
    expect(() => vault.openCredential(tampered)).toThrow()
  })
})
