import { describe, expect, it } from 'vitest'
import { findUnsafe } from './edge.js'
import { ConfigError, parseTrustProxy } from '../config/index.js'

describe('findUnsafe', () => {
  it('finds a NUL anywhere, naming the field but never echoing the value', () => {
    expect(findUnsafe({ a: { b: ['x', 'y\u0000z'] } }, 'body', { arrays: true })).toMatchObject({
      kind: 'nul',
      field: 'body.a.b[1]',
    })
    const p = findUnsafe({ secret: 'hunter2\u0000' }, 'query', { arrays: false })!
    expect(p.message).toContain('query.secret')
    expect(p.message).not.toContain('hunter2')
    expect(findUnsafe({ ['k\u0000']: 1 }, 'body', { arrays: true })?.kind).toBe('nul')
  })

  it('refuses arrays only where one value is expected (query strings and path parameters)', () => {
    expect(findUnsafe({ appId: ['a', 'a'] }, 'query', { arrays: false })).toMatchObject({
      kind: 'repeated',
      field: 'query.appId',
    })
    expect(findUnsafe({ IntentionActions: [1, 2] }, 'body', { arrays: true })).toBeNull()
  })

  it('refuses numbers that are not finite, and query text that would coerce to one', () => {
    expect(findUnsafe({ n: Infinity }, 'body', { arrays: true })?.kind).toBe('not-finite')
    expect(findUnsafe({ n: NaN }, 'body', { arrays: true })?.kind).toBe('not-finite')
    expect(findUnsafe(JSON.parse('{"n":1e309}'), 'body', { arrays: true })?.kind).toBe('not-finite')
    for (const v of ['1e309', '-1e309', 'Infinity'])
      expect(findUnsafe({ limit: v }, 'query', { arrays: false })?.kind).toBe('not-finite')
    for (const v of ['50', '1e3', 'NaN', 'abc', '', '-0'])
      expect(findUnsafe({ limit: v }, 'query', { arrays: false })).toBeNull()
    // in a body the same text is just text
    expect(findUnsafe({ Extra: '1e309' }, 'body', { arrays: true })).toBeNull()
  })

  it('refuses numbers beyond 2^53 (datatype mismatch in SQLite, out of range in PostgreSQL)', () => {
    expect(findUnsafe({ offset: '1.6e264' }, 'query', { arrays: false })?.kind).toBe('out-of-range')
    expect(findUnsafe({ n: 1e300 }, 'body', { arrays: true })?.kind).toBe('out-of-range')
    expect(findUnsafe({ n: 2 ** 53 - 1 }, 'body', { arrays: true })).toBeNull()
    // a run of digits may be an identifier (an 18-digit ID number, a long order number): the schemas bound numbers
    expect(findUnsafe({ orderNo: '20261206123456789012' }, 'query', { arrays: false })).toBeNull()
    expect(findUnsafe({ idNumber: '110105194912310023' }, 'body', { arrays: true, numerals: true })).toBeNull()
    // where a family's schemas coerce body strings, a body string is held to the same rule
    expect(findUnsafe({ dailyLimitPerPerson: 'Infinity' }, 'body', { arrays: true, numerals: true })?.kind).toBe(
      'not-finite',
    )
    expect(findUnsafe({ name: 'Infinity' }, 'body', { arrays: true })).toBeNull()
  })

  it('stops at a depth no request of shiren needs', () => {
    let deep: unknown = 'x'
    for (let i = 0; i < 40; i++) deep = [deep]
    expect(findUnsafe(deep, 'body', { arrays: true })?.kind).toBe('too-deep')
  })
})

describe('SHIREN_TRUST_PROXY', () => {
  it('is off when unset or empty, a list of addresses or CIDRs otherwise', () => {
    expect(parseTrustProxy(undefined)).toBe(false)
    expect(parseTrustProxy(' ')).toBe(false)
    expect(parseTrustProxy('10.0.0.1, 192.168.0.0/16,::1,loopback')).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'loopback',
    ])
  })
  it('refuses what is not an address, including "true" (which would trust every hop)', () => {
    expect(() => parseTrustProxy('true')).toThrow(ConfigError)
    expect(() => parseTrustProxy('10.0.0.1,evil.example')).toThrow(/not an address/)
  })
})
