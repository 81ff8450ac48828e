import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { guardedLookup, postJson } from './deliver.js'

const strict = { allowPrivate: false, allow: [] }
const open = { allowPrivate: true, allow: [] }

describe('webhook delivery over a real connection', () => {
  let server: Server
  let port = 0
  let hits = 0
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end()
        return
      }
      req.resume()
      req.on('end', () => res.writeHead(204).end())
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('a name resolving to loopback is refused in the connection’s own lookup; nothing reaches the server', async () => {
    const before = hits
    const r = await postJson(`http://localhost:${port}/hook`, '{}', {}, strict, 2000)
    expect(r.statusCode).toBeNull()
    expect(r.error).toMatch(/refused target (127\.0\.0\.1|::1) \(loopback\)/)
    expect(hits).toBe(before)
  })

  it('address literals are refused too (IPv4, IPv6, IPv4-mapped IPv6)', async () => {
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '169.254.169.254', '0.0.0.0']) {
      const r = await postJson(`http://${host}:${port}/hook`, '{}', {}, strict, 2000)
      expect(r.error, host).toMatch(/^refused target/)
    }
  })

  it('the lookup hands over only allowed addresses, for one and for all', async () => {
    const lookup = guardedLookup(strict)
    const one = await new Promise<{ err: Error | null }>((r) => lookup('localhost', {}, (err) => r({ err })))
    expect(one.err?.message).toMatch(/loopback/)
    const allowed = guardedLookup(open)
    const all = await new Promise<unknown>((r) => allowed('localhost', { all: true }, (_e, a) => r(a)))
    expect(Array.isArray(all) && all.length > 0).toBe(true)
  })

  it('with loopback allowed the POST goes through; a redirect is a failed delivery, not followed', async () => {
    const ok = await postJson(
      `http://localhost:${port}/hook`,
      '{"a":1}',
      { 'content-type': 'application/json' },
      open,
      2000,
    )
    expect(ok).toMatchObject({ statusCode: 204, error: null })
    const before = hits
    const redirected = await postJson(`http://127.0.0.1:${port}/redirect`, '{}', {}, open, 2000)
    expect(redirected.statusCode).toBe(302)
    expect(hits).toBe(before + 1)
  })

  it('a receiver that never answers is cut at the timeout', async () => {
    const silent = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const p = (silent.address() as AddressInfo).port
    const r = await postJson(`http://127.0.0.1:${p}/`, '{}', {}, open, 300)
    expect(r).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' })
    silent.closeAllConnections()
    await new Promise<void>((res) => silent.close(() => res()))
  })
})
