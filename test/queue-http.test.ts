import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { setAdminPassword } from '../src/console-auth/index.js'

// Admission control: with SHIREN_QUEUE_MAX_DEPTH analysis jobs queued or running, a new upload is
// refused with the family's busy code (h5 8 文件存储失败，请稍后重试; sdk 400506 请求频率过高，请稍后再试),
// 503 + Retry-After, not billable, and nothing of it is stored: the same upload is accepted later.

const mp4 = () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), randomBytes(4096)])

describe('the queue over HTTP: admission control and dead jobs', () => {
  let srv: TestServer
  beforeAll(async () => {
    // the queue does not run yet: uploads stay queued and the backlog grows
    srv = await startTestServer({ startQueue: false, env: { SHIREN_QUEUE_MAX_DEPTH: '2' } })
  })
  afterAll(async () => {
    await srv?.close()
  })

  const upload = (token: string, body = mp4()) =>
    fetch(`${srv.url}/capture/api/upload?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: new Uint8Array(body),
    })

  async function h5Verification() {
    const { app, secret } = await srv.shiren.apps.createApp({ name: `h${randomBytes(3).toString('hex')}` })
    const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
    const { BizToken } = await faceidClient(srv.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    return BizToken as string
  }
  async function sdkVerification() {
    const { app } = await srv.shiren.apps.createApp({ name: `s${randomBytes(3).toString('hex')}` })
    const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
    const { verification } = await srv.shiren.verifications.create({
      app: (await srv.shiren.apps.getApp(app.appId))!,
      rule,
      family: 'sdk',
      orderNo: `o${randomBytes(4).toString('hex')}`,
      userId: 'u1',
    })
    await fetch(`${srv.url}/capture/api/challenge?token=${verification.token}`, { method: 'POST' })
    return verification.token
  }

  it('answers each family’s busy code, stores nothing, and takes the same upload once the backlog drains', async () => {
    expect((await upload(await h5Verification())).status).toBe(202)
    expect((await upload(await h5Verification())).status).toBe(202)
    expect(await srv.shiren.queue.depth()).toBe(2)

    const h5 = await h5Verification()
    const sdk = await sdkVerification()
    const refused = []
    for (const token of [h5, sdk]) {
      const r = await upload(token)
      expect(r.status).toBe(503)
      expect(r.headers.get('retry-after')).toBe('5')
      refused.push(((await r.json()) as any).error)
    }
    expect(refused[0]).toMatchObject({ reason: 'QUEUE_BUSY', code: 8, billable: false })
    expect(refused[0].message.zh).toBe('文件存储失败，请稍后重试')
    expect(refused[1]).toMatchObject({ reason: 'QUEUE_BUSY', code: 400506, billable: false })
    expect(refused[1].message.zh).toBe('请求频率过高，请稍后再试')

    // nothing half-written: no attempt, no media, no ledger row, the verification still open
    for (const token of [h5, sdk]) {
      const v = (await srv.shiren.verifications.byToken(token))!
      expect(await srv.shiren.verifications.attempts(v.id)).toEqual([])
      expect(existsSync(join(srv.dataDir, 'media', v.id))).toBe(false)
      expect(v.state).not.toBe('finished')
    }
    expect(await srv.shiren.store.jobs.counts()).toEqual({ queued: 2 })

    // the backlog drains (no vision engine here: each attempt ends at once), then the same upload goes through
    srv.shiren.queue.start()
    expect(await srv.shiren.queue.idle(20_000)).toBe(true)
    for (const token of [h5, sdk]) expect((await upload(token)).status).toBe(202)
  })

  it('lists the queue and its dead jobs, and requeues one: /v1/jobs (admin token) and /console/api/jobs (console session)', async () => {
    const jobs = srv.shiren.store.jobs
    const now = new Date().toISOString()
    await jobs.enqueue({
      id: 'job_dead1',
      kind: 'analyse',
      jobKey: 'analyse:att_x',
      payload: '{"attemptId":"att_x"}',
      now,
    })
    await jobs.claim(now, now, { workerId: 'w', staleBefore: '' })
    await jobs.kill('job_dead1', 'w', 'EIO: i/o error', now)
    const bearer = { authorization: `Bearer ${srv.shiren.adminToken}` }
    const list = await fetch(`${srv.url}/v1/jobs`, { headers: bearer })
    expect(list.status).toBe(200)
    const body = (await list.json()) as any
    expect(body.stats).toMatchObject({ dead: 1 })
    expect(body.dead).toEqual([
      expect.objectContaining({ id: 'job_dead1', kind: 'analyse', key: 'analyse:att_x', lastError: 'EIO: i/o error' }),
    ])
    expect(body.dead[0].payload).toBeUndefined()
    expect((await fetch(`${srv.url}/v1/jobs`)).status).toBe(401)
    expect((await fetch(`${srv.url}/v1/jobs?limit=0`, { headers: bearer })).status).toBe(400)

    // the console's own endpoint takes its session only
    expect((await fetch(`${srv.url}/console/api/jobs`, { headers: bearer })).status).toBe(401)
    await setAdminPassword(srv.dataDir, 'a long console password')
    const login = await fetch(`${srv.url}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a long console password' }),
    })
    const cookie = /shiren_console=[^;]*/.exec(login.headers.get('set-cookie') ?? '')![0]
    const session = { cookie, 'x-shiren-console': '1' }
    expect(((await (await fetch(`${srv.url}/console/api/jobs`, { headers: session })).json()) as any).stats.dead).toBe(
      1,
    )
    const requeue = (id: string) =>
      fetch(`${srv.url}/console/api/jobs/${id}/requeue`, { method: 'POST', headers: session })
    expect((await requeue('job_dead1')).status).toBe(200)
    expect((await requeue('job_dead1')).status).toBe(404)
    expect((await jobs.counts()).dead).toBeUndefined()
    // the requeued job runs (its attempt is gone, so it ends at once)
    expect(await srv.shiren.queue.idle(20_000)).toBe(true)
    expect(await jobs.counts()).toMatchObject({ done: 5 })
  })
})
