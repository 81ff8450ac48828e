import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DATA, databaseUrl, dialects, tempDir } from './support/env.js'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { REDIS_URL, redisReachable } from './support/redis.js'
import { webm } from './support/fakes.js'
import type { Analyser } from '../src/verifications/index.js'

/**
 * Issue 14 item 1: `shiren serve --role all|api|worker`. An api process answers HTTP and runs no
 * job; a worker runs the jobs and listens only for /healthz, /readyz and /metrics; /readyz says per
 * role what is missing (503 with the list); SIGTERM drains and exits 0.
 */
const hasRedis = await redisReachable('the /readyz Redis check')

const scrape = async (url: string, token: string) => {
  const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  expect(r.status).toBe(200)
  return r.text()
}
/** the value of one series in Prometheus text, 0 when absent */
const series = (text: string, name: string, labels: Record<string, string> = {}) => {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').pop())
  }
  return total
}

for (const dialect of await dialects()) {
  describe(`roles on ${dialect}: an api process and a worker process on one database`, () => {
    let api: TestServer
    let worker: TestServer | null = null
    let dataDir: string
    let db: { url: string; drop(): Promise<void> }

    beforeAll(async () => {
      dataDir = tempDir()
      db = await databaseUrl(dialect, dataDir)
      api = await startTestServer({
        dataDir,
        databaseUrl: db.url,
        env: { SHIREN_ROLE: 'api', SHIREN_TRUST_PROXY: '127.0.0.1', ...(hasRedis && { SHIREN_REDIS_URL: REDIS_URL }) },
      })
    }, 30_000)
    afterAll(async () => {
      await api?.close()
      await worker?.close()
      await db?.drop()
    })

    it('the api process is ready with its database, blob store and Redis, and runs no analysis', async () => {
      expect(api.shiren.analyser).toBeNull()
      const r = await fetch(`${api.url}/readyz`)
      expect(r.status).toBe(200)
      expect(await r.json()).toEqual({
        ready: true,
        role: 'api',
        failed: [],
        checks: { database: 'ok', blobs: 'ok', ...(hasRedis && { redis: 'ok' }) },
      })
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200)
    })

    it('an upload on the api process waits in the queue until a worker process takes it; the request id reaches the job', async () => {
      const { app, secret } = await api.shiren.apps.createApp({ name: 'roles' })
      const rule = await api.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
      const sdk = faceidClient(api.url, app.appId, secret)
      const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId })
      expect((await fetch(`${api.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })).status).toBe(200)
      const up = await fetch(`${api.url}/capture/api/upload?token=${BizToken}`, {
        method: 'POST',
        headers: { 'content-type': 'video/webm', 'x-request-id': 'req-roles-1' },
        body: webm(),
      })
      expect(up.status).toBe(202)
      expect(up.headers.get('x-request-id')).toBe('req-roles-1')
      await new Promise((r) => setTimeout(r, 400))
      expect((await api.shiren.store.jobs.counts()).queued).toBe(1)
      // the queue as /metrics reports it, read from the database at the scrape
      const before = await scrape(api.url, api.shiren.adminToken)
      expect(series(before, 'shiren_queue_jobs', { state: 'queued' })).toBe(1)
      expect(series(before, 'shiren_queue_oldest_job_age_seconds')).toBeGreaterThan(0.3)
      expect(series(before, 'shiren_worker_slots')).toBe(0)

      // a worker without models: its readiness says so, and the job ends as "not available", never a verdict of its own
      worker = await startTestServer({
        dataDir,
        databaseUrl: db.url,
        env: { SHIREN_ROLE: 'worker', SHIREN_OPS_PORT: '0', SHIREN_OPS_HOST: '127.0.0.1' },
      })
      expect(await worker.shiren.queue.idle(20_000)).toBe(true)
      const ready = await fetch(`${worker.url}/readyz`)
      expect(ready.status).toBe(503)
      expect(await ready.json()).toEqual({
        ready: false,
        role: 'worker',
        failed: ['models'],
        checks: { database: 'ok', blobs: 'ok', models: 'failed' },
      })
      // why, for the operator's token only
      const why = await fetch(`${worker.url}/readyz`, {
        headers: { authorization: `Bearer ${worker.shiren.adminToken}` },
      })
      expect(((await why.json()) as { checks: Record<string, string> }).checks.models).toMatch(/no models in/)
      const v = (await api.shiren.verifications.byToken(BizToken))!
      const [attempt] = await api.shiren.verifications.attempts(v.id)
      expect(attempt).toMatchObject({ state: 'finished', reason: 'VISION_ENGINE_UNAVAILABLE' })
      expect(worker.logs()).toMatch(/"requestId":"req-roles-1"[^\n]*"analysis job finished"/)
      const w = await scrape(worker.url, worker.shiren.adminToken)
      expect(series(w, 'shiren_verdicts_total', { family: 'h5', reason: 'VISION_ENGINE_UNAVAILABLE' })).toBe(1)
      expect(series(w, 'shiren_job_duration_seconds_count', { kind: 'analyse', outcome: 'success' })).toBe(1)
      expect(series(w, 'shiren_worker_slots', { role: 'worker' })).toBe(2)
      // the worker answers no caller
      expect((await fetch(`${worker.url}/v1/apps`)).status).toBe(404)
      expect((await fetch(`${worker.url}/capture/api/session?token=${BizToken}`)).status).toBe(404)
      expect((await fetch(`${worker.url}/healthz`)).status).toBe(200)
    }, 60_000)
  })
}

const CARDS = join(DATA, 'idcards')
describe.skipIf(!existsSync(CARDS))('the ID-card step with an api and a worker process', () => {
  it('the api process hands the card photo to a worker as a job and answers in the same request; nothing is left in the store', async () => {
    const dataDir = tempDir()
    const db = await databaseUrl('sqlite', dataDir)
    const api = await startTestServer({ dataDir, databaseUrl: db.url, env: { SHIREN_ROLE: 'api' } })
    const worker = await startTestServer({
      dataDir,
      databaseUrl: db.url,
      env: { SHIREN_ROLE: 'worker', SHIREN_OPS_PORT: '0', SHIREN_OPS_HOST: '127.0.0.1' },
    })
    try {
      const { app, secret } = await api.shiren.apps.createApp({ name: 'cards' })
      const rule = await api.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'silent',
        compareSource: 'none',
        idcardStep: 'front',
        maxAttempts: 2,
      })
      const { BizToken } = await faceidClient(api.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })
      const r = await fetch(`${api.url}/capture/api/idcard?token=${BizToken}&side=front`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        // 小静's specimen card, turned by 90°: read and accepted as in test/idcard-http.test.ts
        body: readFileSync(join(CARDS, 'chineseocr_card.png')),
      })
      expect(r.status).toBe(200)
      expect(await r.json()).toMatchObject({
        accepted: true,
        shown: { idNumber: '370***********0246' },
      })
      // the reading was made on the worker; the api process ran no job
      const ran = (srv: TestServer) =>
        scrape(srv.url, srv.shiren.adminToken).then((t) =>
          series(t, 'shiren_job_duration_seconds_count', { kind: 'ocr-card', outcome: 'success' }),
        )
      expect(await ran(worker)).toBe(1)
      expect(await ran(api)).toBe(0)
      // the photo and the reading in transit are gone (the card photo itself is kept with the verification)
      expect(existsSync(join(dataDir, 'media', 'ocr')) ? readdirSync(join(dataDir, 'media', 'ocr')) : []).toEqual([])
    } finally {
      await api.close()
      await worker.close()
    }
  }, 120_000)
})

describe('readiness and metrics access', () => {
  it('/readyz is 503 with the list of what failed (Redis unreachable)', async () => {
    const srv = await startTestServer({ env: { SHIREN_ROLE: 'api', SHIREN_REDIS_URL: 'redis://127.0.0.1:1/0' } })
    try {
      const r = await fetch(`${srv.url}/readyz`)
      expect(r.status).toBe(503)
      const body = (await r.json()) as { failed: string[]; checks: Record<string, string> }
      expect(body.failed).toEqual(['redis'])
      expect(body.checks.database).toBe('ok')
    } finally {
      await srv.close()
    }
  }, 20_000)

  it('/metrics asks for SHIREN_METRICS_TOKEN when set, else the admin token', async () => {
    const srv = await startTestServer()
    const withToken = await startTestServer({ env: { SHIREN_METRICS_TOKEN: 'prometheus-reads-this' } })
    try {
      expect((await fetch(`${srv.url}/metrics`)).status).toBe(401)
      const text = await scrape(srv.url, srv.shiren.adminToken)
      expect(text).toContain('# TYPE shiren_http_requests_total counter')
      expect(series(text, 'shiren_http_requests_total', { family: 'ops', status: '4xx' })).toBe(1)
      expect(
        (
          await fetch(`${withToken.url}/metrics`, {
            headers: { authorization: `Bearer ${withToken.shiren.adminToken}` },
          })
        ).status,
      ).toBe(401)
      expect(await scrape(withToken.url, 'prometheus-reads-this')).toContain('role="all"')
    } finally {
      await srv.close()
      await withToken.close()
    }
  })

  it('a worker being stopped lets its running job finish before it closes', async () => {
    let release!: () => void
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const gate = new Promise<void>((r) => (release = r))
    // the engine's "not available" answer, given only once released: what matters is the wait
    const slow: Analyser = {
      async analyse() {
        started()
        await gate
        throw Object.assign(new Error('released'), { name: 'CapabilityNotSupportedError' })
      },
    }
    const dataDir = tempDir()
    const srv = await startTestServer({ dataDir, analyser: slow })
    const { app, secret } = await srv.shiren.apps.createApp({ name: 'drain' })
    const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
    const { BizToken } = await faceidClient(srv.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/webm' },
      body: webm(),
    })
    expect(up.status).toBe(202)
    await running
    let stopped = false
    const stop = srv.stop().then(() => (stopped = true))
    await new Promise((r) => setTimeout(r, 300))
    expect(stopped).toBe(false)
    // no new request is accepted while it drains
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow()
    release()
    await stop
    // the job finished: its verdict is written and the job row is done (read with a fresh process)
    const after = await startTestServer({ dataDir, startQueue: false })
    try {
      const v = (await after.shiren.verifications.byToken(BizToken))!
      const [attempt] = await after.shiren.verifications.attempts(v.id)
      expect(attempt).toMatchObject({ state: 'finished', reason: 'VISION_ENGINE_UNAVAILABLE' })
      expect(await after.shiren.store.jobs.counts()).toEqual({ done: 1 })
    } finally {
      await after.close()
    }
  }, 30_000)
})

describe('shiren serve --role in a process of its own', () => {
  const serve = (role: string, dir: string) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--role', role, '--port', '0', '--host', '127.0.0.1'],
      {
        env: {
          ...process.env,
          SHIREN_DATA_DIR: dir,
          SHIREN_OPS_PORT: '0',
          SHIREN_OPS_HOST: '127.0.0.1',
          SHIREN_OCR_WORKERS: '0',
          SHIREN_WORKERS: '1',
          SHIREN_MODELS_DIR: join(dir, 'no-models'),
          SHIREN_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    let out = ''
    const url = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /(?:running at|ops listener at) (http:\/\/[\d.]+:\d+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', (code) => reject(new Error(`shiren serve exited (${code}): ${out}`)))
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    return { child, url, exited, out: () => out }
  }

  it('SIGTERM drains an api and a worker process, which exit 0', async () => {
    const dir = tempDir()
    // one after the other: the first migrates the database the second then finds up to date
    const a = serve('api', dir)
    const aUrl = await a.url
    const w = serve('worker', dir)
    const wUrl = await w.url
    expect((await fetch(`${aUrl}/readyz`)).status).toBe(200)
    // ready or not depends on the models this machine has; the worker answers for its own role
    expect(await (await fetch(`${wUrl}/readyz`)).json()).toMatchObject({ role: 'worker', checks: { database: 'ok' } })
    expect((await fetch(`${wUrl}/healthz`)).status).toBe(200)
    a.child.kill('SIGTERM')
    w.child.kill('SIGTERM')
    expect(await a.exited).toBe(0)
    expect(await w.exited).toBe(0)
    expect(a.out()).toMatch(/"drained: exiting"/)
    expect(w.out()).toMatch(/"draining: no new requests or jobs/)
  }, 60_000)
})
