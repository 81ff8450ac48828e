import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import SQLite from 'better-sqlite3'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, hasData } from './support/env.js'
import { ticketSign } from '../src/auth/index.js'

// Infrastructure failures and risk control are verdicts with their own codes, caused for real here:
// a broken media folder, a database that refuses inserts, a media store that hangs, a run of attacks.
const clip = (f: string) => readFileSync(join(DATA, f))

async function newVerification(srv: TestServer, extra: Record<string, unknown> = {}) {
  const { app, secret } = await srv.shiren.apps.createApp({ name: `f${randomBytes(3).toString('hex')}` })
  const rule = await srv.shiren.apps.createRule({
    appId: app.appId,
    liveness: 'silent',
    compareSource: 'none',
    maxAttempts: 3,
  })
  const sdk = faceidClient(srv.url, app.appId, secret)
  const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId, ...extra })
  await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
  return { token: BizToken as string, sdk, ruleId: rule.ruleId, appId: app.appId, secret }
}

const upload = async (srv: TestServer, token: string, body: Buffer) => {
  const r = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'video/mpeg' },
    body,
  })
  return { status: r.status, json: (await r.json()) as any }
}

describe.skipIf(!hasData)('infrastructure failures become their codes', () => {
  it('a media folder that cannot be written: 8 (BLOB_WRITE_FAILED), nothing recorded', async () => {
    const srv = await startTestServer()
    try {
      const { token } = await newVerification(srv)
      const v = (await srv.shiren.verifications.byToken(token))!
      mkdirSync(join(srv.dataDir, 'media'), { recursive: true })
      writeFileSync(join(srv.dataDir, 'media', v.id), 'a file where the folder should be')
      const r = await upload(srv, token, clip('videos/grid/bbaf2n.mpg'))
      expect(r.status).toBe(503)
      expect(r.json.error).toMatchObject({ reason: 'BLOB_WRITE_FAILED', code: 8 })
      expect(await srv.shiren.verifications.attempts(v.id)).toHaveLength(0)
    } finally {
      await srv.close()
    }
  })

  it('a database that refuses the attempt row: 6 (DB_INSERT_FAILED), the stored media is removed again', async () => {
    const srv = await startTestServer()
    try {
      const { token } = await newVerification(srv)
      const v = (await srv.shiren.verifications.byToken(token))!
      const side = new SQLite(join(srv.dataDir, 'shiren.db'))
      side.exec(
        "CREATE TRIGGER refuse_attempts BEFORE INSERT ON attempts BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END;",
      )
      side.close()
      const r = await upload(srv, token, clip('videos/grid/brbk7n.mpg'))
      expect(r.status).toBe(503)
      expect(r.json.error).toMatchObject({ reason: 'DB_INSERT_FAILED', code: 6 })
      expect((await srv.shiren.verifications.byToken(token))!.state).toBe('capturing')
      expect(execFileSync('find', [join(srv.dataDir, 'media', v.id), '-type', 'f']).toString()).toBe('')
    } finally {
      await srv.close()
    }
  })

  it('a media store that hangs: 11 (BLOB_TIMEOUT) instead of a stuck attempt', async () => {
    const srv = await startTestServer({ startQueue: false, env: { SHIREN_BLOB_TIMEOUT_MS: '300' } })
    let fifo = ''
    try {
      const { token } = await newVerification(srv)
      expect((await upload(srv, token, clip('videos/grid/lbbc2a.mpg'))).status).toBe(202)
      const v = (await srv.shiren.verifications.byToken(token))!
      const [attempt] = await srv.shiren.verifications.attempts(v.id)
      // a named pipe with no writer: reading it blocks, as a hung network mount does
      fifo = join(srv.dataDir, 'media', attempt!.mediaBlob!)
      rmSync(fifo)
      execFileSync('mkfifo', [fifo])
      srv.shiren.queue.start()
      expect(await srv.shiren.queue.idle(20_000)).toBe(true)
      const session = (await (await fetch(`${srv.url}/capture/api/session?token=${token}`)).json()) as any
      expect(session.lastAttempt).toMatchObject({ reason: 'BLOB_TIMEOUT', code: 11 })
    } finally {
      // release the blocked reader so the thread pool is free again
      if (fifo) closeSync(openSync(fifo, 'w'))
      await srv.close()
    }
  })
})

describe.skipIf(!hasData)('a digits recording lost from the media store', () => {
  it('1105 (h5) / its sdk code: the recording of a digital attempt cannot be fetched for analysis', async () => {
    const srv = await startTestServer({ startQueue: false })
    try {
      const { app, secret } = await srv.shiren.apps.createApp({ name: 'lost digits' })
      const rule = await srv.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'digital',
        compareSource: 'none',
        maxAttempts: 1,
      })
      const { BizToken } = await faceidClient(srv.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })
      const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
      const access = (
        await get(
          `/api/oauth2/access_token?appId=${app.appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`,
        )
      ).access_token
      const ticket = (
        await get(`/api/oauth2/api_ticket?app_id=${app.appId}&access_token=${access}&type=SIGN&version=1.0.0`)
      ).tickets[0].value
      const nonce = randomBytes(16).toString('hex')
      const start = (await (
        await fetch(`${srv.url}/api/server/getfaceid`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            appId: app.appId,
            orderNo: 'lost-1',
            userId: 'u1',
            version: '1.0.0',
            nonce,
            ruleId: rule.ruleId,
            sign: ticketSign([app.appId, 'u1', '1.0.0', nonce, ticket]),
          }),
        })
      ).json()) as any
      expect(start.code).toBe('0')
      const tokens = [BizToken as string, start.result.faceId as string]
      for (const [i, token] of tokens.entries()) {
        await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
        expect(
          (await upload(srv, token, Buffer.concat([clip('videos/grid/lbbc2a.mpg'), Buffer.from([i])]))).status,
        ).toBe(202)
        const v = (await srv.shiren.verifications.byToken(token))!
        const [attempt] = await srv.shiren.verifications.attempts(v.id)
        // the stored recording disappears between the upload and its analysis (a lost volume, a cleanup gone wrong)
        rmSync(join(srv.dataDir, 'media', attempt!.mediaBlob!))
      }
      srv.shiren.queue.start()
      expect(await srv.shiren.queue.idle(20_000)).toBe(true)
      const h5 = await faceidClient(srv.url, app.appId, secret).GetDetectInfoEnhanced({
        BizToken,
        RuleId: rule.ruleId,
        InfoType: '1',
      })
      expect(h5.Text.ErrCode).toBe(1105)
      expect(h5.Text.LivenessDetail[0].IsNeedCharge).toBe(false)
      const n2 = randomBytes(16).toString('hex')
      const sdk = (await (
        await fetch(`${srv.url}/api/v2/base/queryfacerecord`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            appId: app.appId,
            orderNo: 'lost-1',
            version: '1.0.0',
            nonce: n2,
            sign: ticketSign([app.appId, 'lost-1', '1.0.0', n2, ticket]),
          }),
        })
      ).json()) as any
      expect(sdk.code).toBe('-1104')
    } finally {
      await srv.close()
    }
  })
})

describe.skipIf(!hasData)('risk control', () => {
  it('a person behind repeated attacks is refused before analysis: 1005 (h5) / 66665001 (sdk)', async () => {
    const srv = await startTestServer({ env: { SHIREN_RISK_MAX_ATTACKS: '2' } })
    try {
      const person = { Name: '张三', IdCard: '11010519491231002X' }
      const first = await newVerification(srv, person)
      const { appId, secret, ruleId } = first
      const sdk = faceidClient(srv.url, appId, secret)
      const again = async (media: Buffer, extra: string) => {
        const { BizToken } = await sdk.DetectAuth({ RuleId: ruleId, ...person, Extra: extra })
        await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
        expect((await upload(srv, BizToken, media)).status).toBe(202)
        await srv.shiren.queue.idle(20_000)
        return (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
      }
      const recording = clip('videos/grid/lrwp9a.mpg')
      expect((await upload(srv, first.token, recording)).status).toBe(202)
      await srv.shiren.queue.idle(20_000)
      expect((await again(recording, 'a')).lastAttempt.reason).toBe('VIDEO_REPLAYED')
      expect((await again(recording, 'b')).lastAttempt.reason).toBe('VIDEO_REPLAYED')
      const blocked = await again(clip('videos/grid/lwbsza.mpg'), 'c')
      expect(blocked.lastAttempt).toMatchObject({ reason: 'RISK_CONTROL', code: 1005, billable: false })
      // another person of the same app is not affected
      const other = await newVerification(srv, { Name: '李四', IdCard: '440524198001010013' })
      expect((await upload(srv, other.token, clip('videos/liveportrait/d1.mp4'))).status).toBe(202)
      await srv.shiren.queue.idle(20_000)
      const s = (await (await fetch(`${srv.url}/capture/api/session?token=${other.token}`)).json()) as any
      expect(s.lastAttempt.reason).not.toBe('RISK_CONTROL')
    } finally {
      await srv.close()
    }
  })
})
