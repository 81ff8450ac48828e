import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { Redis } from 'ioredis'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'

const REDIS_URL = process.env.SHIREN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

async function redisReachable(): Promise<boolean> {
  const u = new URL(REDIS_URL)
  return new Promise((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || 6379) })
    s.once('connect', () => {
      s.end()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}
const reachable = await redisReachable()
if (!reachable) {
  if (process.env.CI) throw new Error(`Redis is not reachable at ${REDIS_URL}, and CI requires it`)
  console.warn(`[skip] Redis not reachable at ${REDIS_URL}: the cache tests are skipped`)
}

const mp4 = () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), randomBytes(4096)])

async function verification(srv: TestServer) {
  const { app, secret } = await srv.shiren.apps.createApp({ name: `c${randomBytes(3).toString('hex')}` })
  const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'action', compareSource: 'none' })
  const { BizToken } = await faceidClient(srv.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })
  return { token: BizToken as string, app, secret }
}

// With SHIREN_REDIS_URL, rate-limit slots and live challenges are shared through Redis; its
// failures are the cache codes of the catalog (h5 12/13; sdk -1104), never a 500.
describe.skipIf(!reachable)('Redis cache', () => {
  let srv: TestServer
  const prefixCheck = new Redis(REDIS_URL, { lazyConnect: true })

  beforeAll(async () => {
    srv = await startTestServer({ env: { SHIREN_REDIS_URL: REDIS_URL } })
  })
  afterAll(async () => {
    prefixCheck.disconnect()
    await srv?.close()
  })

  it('holds the live challenge; an upload against it is accepted', async () => {
    const { token } = await verification(srv)
    const ch = (await (
      await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
    ).json()) as any
    const v = (await srv.shiren.verifications.byToken(token))!
    expect(ch.challenge, JSON.stringify(ch)).toBeDefined()
    await prefixCheck.connect()
    expect(JSON.parse((await prefixCheck.get(`shiren:challenge:${v.id}`))!)).toEqual(ch.challenge)
    const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: mp4(),
    })
    expect(up.status).toBe(202)
  })

  it('a corrupt cached challenge is 12 (CACHE_DATA_INVALID)', async () => {
    const { token } = await verification(srv)
    await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
    const v = (await srv.shiren.verifications.byToken(token))!
    await prefixCheck.set(`shiren:challenge:${v.id}`, '{"mode":"action","actions":["blink"')
    const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: mp4(),
    })
    expect(((await up.json()) as any).error).toMatchObject({ reason: 'CACHE_DATA_INVALID', code: 12 })
  })

  it('the NONCE slot of 2 s is held in Redis (400504)', async () => {
    const { app, secret } = await verification(srv)
    const get = async (q: string) => (await (await fetch(`${srv.url}${q}`)).json()) as any
    const token = (
      await get(
        `/api/oauth2/access_token?appId=${app.appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`,
      )
    ).access_token
    const nonce = () =>
      get(`/api/oauth2/api_ticket?app_id=${app.appId}&access_token=${token}&type=NONCE&version=1.0.0&user_id=r1`)
    expect((await nonce()).code).toBe('0')
    expect((await nonce()).code).toBe('400504')
    expect(await prefixCheck.pttl(`shiren:nonce:${app.appId}|r1`)).toBeGreaterThan(0)
  })
})

describe.skipIf(!reachable)('Redis unreachable', () => {
  it('challenges answer 13 (CACHE_UNAVAILABLE) in h5 and NONCE tickets -1104 in sdk, without hanging', async () => {
    // port 1 on loopback: nothing listens, the connection is refused at once
    const srv = await startTestServer({ env: { SHIREN_REDIS_URL: 'redis://127.0.0.1:1' } })
    try {
      const { token, app, secret } = await verification(srv)
      const ch = await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
      expect(((await ch.json()) as any).error).toMatchObject({ reason: 'CACHE_UNAVAILABLE', code: 13 })
      const get = async (q: string) => (await (await fetch(`${srv.url}${q}`)).json()) as any
      const at = (
        await get(
          `/api/oauth2/access_token?appId=${app.appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`,
        )
      ).access_token
      expect(
        (await get(`/api/oauth2/api_ticket?app_id=${app.appId}&access_token=${at}&type=NONCE&version=1.0.0&user_id=x`))
          .code,
      ).toBe('-1104')
    } finally {
      await srv.close()
    }
  })
})
