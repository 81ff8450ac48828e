import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { databaseUrl, dialects, tempDir } from './support/env.js'
import { startTestServer, type TestServer } from './support/server.js'
import { REDIS_URL, redisReachable } from './support/redis.js'
import { webm } from './support/fakes.js'
import { ticketSign } from '../src/auth/index.js'

/**
 * Issue 14 item 4: two api processes behind one address, on one database and one Redis, are one
 * service. A NONCE ticket used on one is refused on the other, the 2-second NONCE slot (the sdk
 * family's rate limit, 400504) counts across both, a challenge issued by one is accepted by the other,
 * and an upload cut off by a dying process is taken by the other exactly once. (The console's login
 * throttle across two processes is test/console-auth.test.ts.)
 */
const hasRedis = await redisReachable('the two-api-process test')
const nonce = () => randomBytes(16).toString('hex')

for (const dialect of hasRedis ? await dialects() : []) {
  describe(`two api processes on one ${dialect} database and one Redis`, () => {
    let a: TestServer
    let b: TestServer
    let drop: () => Promise<void>
    let appId: string
    let secret: string

    beforeAll(async () => {
      // one data dir stands for what the hosts share: the vault keys (SHIREN_MASTER_KEY) and the admin token
      const dataDir = tempDir()
      const db = await databaseUrl(dialect, dataDir)
      drop = db.drop
      const env = { SHIREN_ROLE: 'api', SHIREN_REDIS_URL: REDIS_URL }
      a = await startTestServer({ dataDir, databaseUrl: db.url, env })
      b = await startTestServer({ dataDir, databaseUrl: db.url, env })
      const created = await a.shiren.apps.createApp({ name: 'two processes' })
      appId = created.app.appId
      secret = created.secret
      await a.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none', maxAttempts: 3 })
    }, 30_000)
    afterAll(async () => {
      await a?.close()
      await b?.close()
      await drop?.()
    })

    const inRedis = async (key: string) => {
      const r = new Redis(REDIS_URL)
      try {
        return await r.exists(key)
      } finally {
        r.disconnect()
      }
    }
    const get = async (srv: TestServer, path: string, params: Record<string, string>) =>
      (await (await fetch(`${srv.url}${path}?${new URLSearchParams(params)}`)).json()) as any
    const accessToken = async (srv: TestServer) =>
      (
        await get(srv, '/api/oauth2/access_token', {
          appId,
          secret,
          grant_type: 'client_credential',
          version: '1.0.0',
        })
      ).access_token as string
    const ticket = (srv: TestServer, token: string, type: 'SIGN' | 'NONCE', userId?: string) =>
      get(srv, '/api/oauth2/api_ticket', {
        app_id: appId,
        access_token: token,
        type,
        version: '1.0.0',
        ...(userId && { user_id: userId }),
      })
    const getfaceid = async (srv: TestServer, signTicket: string, userId: string) => {
      const n = nonce()
      const orderNo = `o${nonce().slice(0, 12)}`
      const res = await fetch(`${srv.url}/api/server/getfaceid?orderNo=${orderNo}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId,
          orderNo,
          userId,
          version: '1.0.0',
          nonce: n,
          sign: ticketSign([appId, userId, '1.0.0', n, signTicket]),
        }),
      })
      const j = (await res.json()) as any
      expect(j.code, JSON.stringify(j)).toBe('0')
      return { faceId: j.result.faceId as string, orderNo }
    }

    it('a NONCE slot taken on one process is taken on the other (400504), and a NONCE ticket is used once across both', async () => {
      const token = await accessToken(a)
      const sign = (await ticket(b, token, 'SIGN')).tickets[0].value as string
      const userId = `u${nonce().slice(0, 8)}`
      const { faceId, orderNo } = await getfaceid(b, sign, userId)

      const first = await ticket(a, token, 'NONCE', userId)
      expect(first.code).toBe('0')
      // within 2 s, the other process refuses the same AppID + user id: the slot is in Redis
      const other = await ticket(b, token, 'NONCE', userId)
      expect(other).toMatchObject({ code: '400504', success: false })
      expect(await inRedis(`shiren:nonce:${appId}|${userId}`)).toBe(1)

      const n = nonce()
      const params = {
        appId,
        version: '1.0.0',
        nonce: n,
        orderNo,
        faceId,
        userId,
        sign: ticketSign([appId, userId, orderNo, '1.0.0', faceId, n, first.tickets[0].value]),
      }
      const login = (srv: TestServer) =>
        fetch(`${srv.url}/api/web/login?${new URLSearchParams(params)}`, { redirect: 'manual' })
      expect((await login(a)).status).toBe(302)
      const again = await login(b)
      expect(again.status).toBe(403)
      expect(await again.text()).toContain('400101')
    })

    it('a challenge issued by one process is accepted by the other; an upload cut off by a dying process is taken once by the other', async () => {
      const token = await accessToken(b)
      const sign = (await ticket(a, token, 'SIGN')).tickets[0].value as string
      const { faceId } = await getfaceid(a, sign, `u${nonce().slice(0, 8)}`)
      const challenge = await fetch(`${a.url}/capture/api/challenge?token=${faceId}`, { method: 'POST' })
      expect(challenge.status).toBe(200)
      const issued = (await b.shiren.verifications.byToken(faceId))!
      expect(await inRedis(`shiren:challenge:${issued.id}`)).toBe(1)

      // the page starts the upload on one process, which dies with half the body received
      const media = webm()
      const cut = await new Promise<string>((resolve) => {
        const u = new URL(a.url)
        const sock = connect(Number(u.port), u.hostname, () => {
          sock.write(
            `POST /capture/api/upload?token=${faceId}&recMs=3000 HTTP/1.1\r\nhost: ${u.host}\r\n` +
              `content-type: video/webm\r\ncontent-length: ${media.length}\r\n\r\n`,
          )
          sock.write(media.subarray(0, media.length >> 1), () => {
            setTimeout(() => a.app.server.closeAllConnections(), 50)
          })
        })
        sock.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'))
        sock.on('close', () => resolve('closed'))
      })
      expect(['closed', 'ECONNRESET', 'EPIPE']).toContain(cut)

      // the page retries on the other process (what the load balancer sends it to), more than once
      const upload = () =>
        fetch(`${b.url}/capture/api/upload?token=${faceId}&recMs=3000`, {
          method: 'POST',
          headers: { 'content-type': 'video/webm' },
          body: media,
        })
      const r1 = await upload()
      expect(r1.status).toBe(202)
      const first = (await r1.json()) as { attemptId: string; seq: number }
      // its answer lost again: the same recording, no new challenge, is the same attempt (not VIDEO_REPLAYED)
      const r2 = await upload()
      expect(r2.status).toBe(202)
      expect(await r2.json()).toMatchObject({ attemptId: first.attemptId, seq: 1 })

      const v = (await b.shiren.verifications.byToken(faceId))!
      const attempts = await b.shiren.verifications.attempts(v.id)
      expect(attempts.map((x) => x.id)).toEqual([first.attemptId])
      expect(v).toMatchObject({ attemptsUsed: 1, state: 'analysing' })
      // api processes run no job: the analysis waits in the queue for a worker
      expect((await b.shiren.store.jobs.counts()).queued).toBe(1)
    })
  })
}
