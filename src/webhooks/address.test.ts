import { describe, expect, it } from 'vitest'
import { checkAddress, parseAllowList } from './address.js'

const strict = { allowPrivate: false, allow: [] }
const refused = (a: string) => !checkAddress(a, strict).ok

describe('webhook target addresses', () => {
  it('refuses private, loopback, link-local, CGNAT, unspecified, multicast and reserved IPv4', () => {
    for (const a of [
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.1',
      '127.8.9.10',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '240.0.0.1',
    ])
      expect(refused(a), a).toBe(true)
  })

  it('allows global IPv4 unicast, including the neighbours of the private ranges', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '11.0.0.1', '100.63.255.255', '169.253.0.1'])
      expect(checkAddress(a, strict), a).toEqual({ ok: true })
  })

  it('refuses loopback, unspecified, link-local, unique-local (fd00:ec2::254) and multicast IPv6', () => {
    for (const a of ['::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1']) expect(refused(a), a).toBe(true)
    expect(checkAddress('2606:4700:4700::1111', strict)).toEqual({ ok: true })
  })

  it('judges an IPv4-mapped IPv6 address by the IPv4 address it carries; NAT64, 6to4 and Teredo are refused', () => {
    expect(checkAddress('::ffff:127.0.0.1', strict)).toEqual({ ok: false, range: 'loopback' })
    expect(checkAddress('::ffff:7f00:1', strict)).toEqual({ ok: false, range: 'loopback' })
    expect(checkAddress('::ffff:169.254.169.254', strict)).toEqual({ ok: false, range: 'linkLocal' })
    expect(checkAddress('::ffff:8.8.8.8', strict)).toEqual({ ok: true })
    for (const a of ['64:ff9b::7f00:1', '2002:7f00:1::', '2001::1']) expect(refused(a), a).toBe(true)
  })

  it('an allow-list opens exactly its ranges; ALLOW_PRIVATE opens everything; garbage is refused', () => {
    const p = { allowPrivate: false, allow: parseAllowList('10.1.0.0/16, 127.0.0.1, fd00::/8') }
    expect(checkAddress('10.1.2.3', p).ok).toBe(true)
    expect(checkAddress('10.2.0.1', p).ok).toBe(false)
    expect(checkAddress('127.0.0.1', p).ok).toBe(true)
    expect(checkAddress('::ffff:127.0.0.1', p).ok).toBe(true)
    expect(checkAddress('127.0.0.2', p).ok).toBe(false)
    expect(checkAddress('fd00:ec2::254', p).ok).toBe(true)
    expect(checkAddress('169.254.169.254', p).ok).toBe(false)
    expect(checkAddress('169.254.169.254', { allowPrivate: true, allow: [] }).ok).toBe(true)
    expect(checkAddress('not-an-ip', strict)).toEqual({ ok: false, range: 'invalid' })
    expect(() => parseAllowList('10.0.0.0/8,example.com')).toThrow(/example\.com/)
  })
})
