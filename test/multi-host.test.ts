import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs'
import { connect } from 'node:net'
import { join, relative, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import pg from 'pg'
import { DATA, MODELS, freshPostgresSchema, postgresReachable, tempDir } from './support/env.js'
import { REDIS_URL, redisReachable } from './support/redis.js'
import { startS3, type TestS3 } from './support/s3.js'
import { faceidClient } from './support/tencent.js'
import { ticketSign } from '../src/auth/index.js'

/**
 * Issue 14, "Done when": 2 api + 2 worker processes (`shiren serve --role …`, real child processes,
 * each with a data dir of its own as on separate hosts) on one PostgreSQL schema, one Redis and one
 * S3-protocol bucket. 20 verifications, half through the official Tencent SDK (h5 family: DetectAuth,
 * GetDetectInfoEnhanced) and half through the ticket flow (sdk family: getfaceid, queryfacerecord),
 * all uploading a real recording through the capture API, alternating between the api processes.
 * Meanwhile one worker is SIGKILLed while it analyses, and one api process is SIGKILLed with half an
 * upload received (the page then sends it again to the other one). Every verification must end with
 * exactly one attempt and one ledger row, the media must be in the bucket, and no process may leave a
 * media file (sealed or plain) on its local disk.
 */
const CLIP = join(DATA, 'videos/selfie/baosheng_480_1.mp4') // a 780 KB webcam recording of a live person
const hasRedis = await redisReachable('the multi-host test')
const hasPg = await postgresReachable()
const why = [
  !existsSync(MODELS) && `${MODELS} is absent`,
  !existsSync(CLIP) && `${CLIP} is absent`,
  !hasPg && 'PostgreSQL is not reachable',
  !hasRedis && 'Redis is not reachable',
].filter(Boolean)
if (why.length) {
  if (process.env.CI && (!hasPg || !hasRedis)) throw new Error(`the multi-host test needs ${why.join(', ')}`)
  console.warn(`[skip] the multi-host test (2 api + 2 worker processes) is skipped: ${why.join('; ')}`)
}

/**
 * How the job of a vanished worker is taken over, for the worker processes: by its heartbeat, stale after
 * three missed beats (SHIREN_JOB_HEARTBEAT_MS; 2 s here, so ≈ 6 s instead of the default 15 s).
 */
const TAKEOVER_ENV: Record<string, string> = { SHIREN_JOB_HEARTBEAT_MS: process.env.MULTI_HOST_HEARTBEAT_MS ?? '2000' }

/** its own Redis database, so that its keys never meet those of the other suites (which use /0) */
const redisUrl = (() => {
  const u = new URL(REDIS_URL)
  u.pathname = '/9'
  return u.toString()
})()

const ENTRY = resolve('dist/cli/main.js')
/** `node dist/cli/main.js` as operators run it (built by `npm ci`); the sources through tsx without a build */
const cli = existsSync(ENTRY) ? [ENTRY] : ['--import', 'tsx', resolve('src/cli/main.ts')]

interface Proc {
  name: string
  role: 'api' | 'worker'
  child: ChildProcess
  /** what stands for the host's disk: its data dir (`data`) and its TMPDIR (`tmp`) */
  hostDir: string
  url: string
  out(): string
  exited: Promise<number | null>
}

describe.skipIf(why.length > 0)('2 api + 2 worker processes on PostgreSQL, Redis and S3', () => {
  let procs: Proc[] = []
  /** every child spawned, started or not: afterAll kills them all */
  const children: { child: ChildProcess; exited: Promise<number | null> }[] = []
  let s3: TestS3
  let db: { url: string; drop(): Promise<void> }
  let sql: pg.Client
  let baseEnv: Record<string, string>
  let adminToken: string
  let root: string
  let apiA: Proc, apiB: Proc, worker1: Proc, worker2: Proc

  const start = (name: string, role: 'api' | 'worker', extra: Record<string, string> = {}): Promise<Proc> => {
    const dataDir = join(root, name, 'data')
    // TMPDIR too, so that whatever the process writes to os.tmpdir() is looked at after the run
    const tmp = join(root, name, 'tmp')
    mkdirSync(dataDir, { recursive: true })
    mkdirSync(tmp, { recursive: true })
    const child = spawn(
      process.execPath,
      [...cli, 'serve', '--role', role, ...(role === 'api' ? ['--port', '0', '--host', '127.0.0.1'] : [])],
      {
        env: { ...baseEnv, SHIREN_DATA_DIR: dataDir, TMPDIR: tmp, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    children.push({ child, exited })
    return new Promise<Proc>((resolveProc, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s:\n${out.slice(-3000)}`)), 120_000)
      const onData = () => {
        const m = /(?:running at|ops listener at) (http:\/\/[\d.]+:\d+)/.exec(out)
        if (!m) return
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        const p: Proc = { name, role, child, hostDir: join(root, name), url: m[1]!, out: () => out, exited }
        resolveProc(p)
      }
      child.stdout!.on('data', onData)
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${code}) before it listened:\n${out.slice(-3000)}`))
      })
    })
  }

  beforeAll(async () => {
    root = tempDir('shiren-multi-')
    s3 = await startS3('shiren-multi')
    db = await freshPostgresSchema()
    sql = new pg.Client({ connectionString: db.url })
    await sql.connect()
    adminToken = randomBytes(24).toString('hex')
    baseEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      SHIREN_DATABASE_URL: db.url,
      SHIREN_REDIS_URL: redisUrl,
      SHIREN_BLOB_STORE: 's3',
      SHIREN_S3_BUCKET: s3.bucket,
      SHIREN_S3_PATH_STYLE: '1',
      ...s3.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SHIREN_MASTER_KEY: randomBytes(64).toString('base64'),
      SHIREN_ADMIN_TOKEN: adminToken,
      SHIREN_MODELS_DIR: MODELS,
      SHIREN_OCR_WORKERS: '0',
      SHIREN_LOG_LEVEL: 'info',
      SHIREN_SHUTDOWN_GRACE_S: '20',
    }
    // as the README's worked example: migrate once, then start every process
    execFileSync(process.execPath, [...cli, 'migrate'], { env: { ...baseEnv, SHIREN_DATA_DIR: join(root, 'migrate') } })
    const worker = { SHIREN_WORKERS: '1', SHIREN_OPS_HOST: '127.0.0.1', SHIREN_OPS_PORT: '0', ...TAKEOVER_ENV }
    procs = await Promise.all([
      start('api-a', 'api'),
      start('api-b', 'api'),
      start('worker-1', 'worker', worker),
      start('worker-2', 'worker', worker),
    ])
    ;[apiA, apiB, worker1, worker2] = procs as [Proc, Proc, Proc, Proc]
    // both workers have their models loaded before the first upload
    for (const w of [worker1, worker2]) {
      const t0 = Date.now()
      for (;;) {
        const r = await fetch(`${w.url}/readyz`)
        if (r.status === 200) break
        if (Date.now() - t0 > 120_000) throw new Error(`${w.name} is not ready: ${await r.text()}\n${w.out()}`)
        await new Promise((r) => setTimeout(r, 250))
      }
    }
  }, 240_000)

  afterAll(async () => {
    // every child goes, whatever happened above
    for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await Promise.all(children.map((p) => p.exited))
    await sql?.end().catch(() => {})
    await db?.drop().catch(() => {})
    await s3?.close()
    if (root) rmSync(root, { recursive: true, force: true })
  }, 30_000)

  it('20 verifications end once each while a worker and an api process are SIGKILLed; media only in the bucket', async () => {
    const t0 = Date.now()
    const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null
    /** what a load balancer does: the api process asked for, or the other one when it is gone */
    const api = (i: number) => {
      const want = i % 2 === 0 ? apiA : apiB
      return alive(want) ? want : want === apiA ? apiB : apiA
    }
    const admin = async (path: string, body: unknown) => {
      const r = await fetch(`${apiA.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(r.status, await r.clone().text()).toBe(201)
      return (await r.json()) as any
    }
    const { app, secret } = await admin('/v1/apps', { name: 'multi-host' })
    const appId = app.appId as string
    const { ruleId } = await admin('/v1/rules', { appId, liveness: 'silent', compare: 'none', maxAttempts: 1 })

    const nonce = () => randomBytes(16).toString('hex')
    const getJson = async (base: string, path: string, params: Record<string, string>) =>
      (await (await fetch(`${base}${path}?${new URLSearchParams(params)}`)).json()) as any
    const postJson = async (base: string, path: string, body: unknown) =>
      (await (
        await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as any
    const accessToken = (
      await getJson(apiB.url, '/api/oauth2/access_token', {
        appId,
        secret,
        grant_type: 'client_credential',
        version: '1.0.0',
      })
    ).access_token as string
    const signTicket = (
      await getJson(apiA.url, '/api/oauth2/api_ticket', {
        app_id: appId,
        access_token: accessToken,
        type: 'SIGN',
        version: '1.0.0',
      })
    ).tickets[0].value as string

    // ── 20 verifications started, alternating between the api processes ──
    interface V {
      i: number
      family: 'h5' | 'sdk'
      token: string
      orderNo: string
    }
    const vs: V[] = await Promise.all(
      Array.from({ length: 20 }, async (_, i): Promise<V> => {
        const base = api(i).url
        if (i % 4 < 2) {
          const { BizToken } = await faceidClient(base, appId, secret).DetectAuth({ RuleId: ruleId, Extra: `v${i}` })
          return { i, family: 'h5', token: BizToken, orderNo: '' }
        }
        const orderNo = `mh${i}${nonce().slice(0, 10)}`
        const n = nonce()
        const userId = `u${i}`
        const r = await postJson(base, '/api/server/getfaceid', {
          appId,
          orderNo,
          userId,
          version: '1.0.0',
          nonce: n,
          ruleId,
          sign: ticketSign([appId, userId, '1.0.0', n, signTicket]),
        })
        expect(r.code, JSON.stringify(r)).toBe('0')
        return { i, family: 'sdk', token: r.result.faceId, orderNo }
      }),
    )
    for (const v of vs) {
      const r = await fetch(`${api(v.i + 1).url}/capture/api/challenge?token=${v.token}`, { method: 'POST' })
      expect(r.status, `challenge ${v.i}: ${await r.clone().text()}`).toBe(200)
    }

    // ── worker-1 is SIGKILLed in the middle of its third analysis (after two it finished, so that both
    // workers share the load first) once the media is on its way to the engine: 150 ms after the job's
    // start (an analysis takes seconds here), or as soon as a named temp file of it shows in the data dir
    const started = /"attemptId":"(att_[^"]+)"[^\n]*"analysis job started"/g
    const workerTmp = join(worker1.hostDir, 'data', 'tmp')
    const killedWorker = (async () => {
      const deadline = Date.now() + 240_000
      let seen = 0
      for (;;) {
        const jobs = [...worker1.out().matchAll(started)]
        if (jobs.length >= 3) {
          seen ||= Date.now()
          const writing = existsSync(workerTmp) && readdirSync(workerTmp).some((f) => f.endsWith('-media'))
          if (writing || Date.now() - seen >= 150) {
            worker1.child.kill('SIGKILL')
            return jobs[2]![1]!
          }
        }
        if (Date.now() > deadline) throw new Error(`worker-1 started no third analysis in 240 s:\n${worker1.out()}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()

    const clip = readFileSync(CLIP)
    // each upload its own file (a few random bytes at the end), so that none is taken for a replay
    const media = vs.map(() => Buffer.concat([clip, randomBytes(16)]))
    const upload = async (base: string, v: V) => {
      const r = await fetch(`${base}/capture/api/upload?token=${v.token}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: new Uint8Array(media[v.i]!),
      })
      expect(r.status, `upload ${v.i} on ${base}: ${await r.clone().text()}`).toBe(202)
      return (await r.json()) as { attemptId: string }
    }
    // the first 8 uploads alternate between both api processes, 4 at a time
    for (let k = 0; k < 8; k += 4) await Promise.all(vs.slice(k, k + 4).map((v) => upload(api(v.i).url, v)))

    // upload 8 goes to api-a, which is SIGKILLed with half of it received; the page sends it again, and
    // the load balancer hands it to api-b. Uploads 9–19 run meanwhile (on api-b once api-a is gone).
    const cutV = vs[8]!
    const cut = (async () => {
      const body = media[8]!
      const u = new URL(apiA.url)
      const ended = await new Promise<string>((done) => {
        const sock = connect(Number(u.port), u.hostname, () => {
          sock.write(
            `POST /capture/api/upload?token=${cutV.token} HTTP/1.1\r\nhost: ${u.host}\r\n` +
              `content-type: video/mp4\r\ncontent-length: ${body.length}\r\n\r\n`,
          )
          sock.write(body.subarray(0, body.length >> 1), () => {
            setTimeout(() => apiA.child.kill('SIGKILL'), 100)
          })
        })
        sock.on('error', (e) => done((e as NodeJS.ErrnoException).code ?? 'error'))
        sock.on('close', () => done('closed'))
      })
      expect(['closed', 'ECONNRESET', 'EPIPE']).toContain(ended)
      await apiA.exited
      expect(apiA.child.signalCode).toBe('SIGKILL')
      return upload(api(8).url, cutV)
    })()
    const rest = (async () => {
      for (let k = 9; k < 20; k += 4) await Promise.all(vs.slice(k, k + 4).map((v) => upload(apiB.url, v)))
    })()
    const [cutAttempt] = await Promise.all([cut, rest])
    const killedAttempt = await killedWorker
    await worker1.exited
    expect(worker1.child.signalCode).toBe('SIGKILL')
    // it was killed mid-analysis: it had not finished that attempt
    expect(worker1.out()).not.toMatch(new RegExp(`"attemptId":"${killedAttempt}"[^\\n]*"analysis job finished"`))

    // ── every verification ends ──
    const deadline = Date.now() + 360_000
    let rows: { verification_id: string; id: string; state: string; reason: string | null }[] = []
    for (;;) {
      rows = (
        await sql.query(
          `select a.verification_id, a.id, a.state, a.reason from attempts a join verifications v on v.id = a.verification_id where v.app_id = $1`,
          [appId],
        )
      ).rows
      if (rows.length === 20 && rows.every((r) => r.state === 'finished')) break
      if (Date.now() > deadline)
        throw new Error(
          `not every attempt finished in 360 s: ${JSON.stringify(rows.map((r) => r.state))}\nworker-2:\n${worker2.out().slice(-3000)}`,
        )
      await new Promise((r) => setTimeout(r, 250))
    }
    // the killed worker's attempt was taken over and finished by the other one
    expect(worker2.out()).toMatch(new RegExp(`"attemptId":"${killedAttempt}"[^\\n]*"analysis job finished"`))
    // one attempt per verification: the cut upload sent again is one attempt, not two
    const verifications = (
      await sql.query(`select id, token, state, attempts_used from verifications where app_id = $1`, [appId])
    ).rows as { id: string; token: string; state: string; attempts_used: number }[]
    expect(verifications).toHaveLength(20)
    expect(new Set(rows.map((r) => r.verification_id)).size).toBe(20)
    for (const v of verifications) expect(v.attempts_used, v.token).toBe(1)
    expect(rows.map((r) => r.id)).toContain(cutAttempt.attemptId)
    // the engine judged every recording: the same clip, the same verdict (none "not available" or a storage failure)
    const reasons = new Set(rows.map((r) => r.reason))
    expect([...reasons]).toEqual(['PASS'])

    // exactly one ledger row each
    const ledger = (
      await sql.query(`select verification_id, count(*)::int as n from ledger where app_id = $1 group by 1`, [appId])
    ).rows as { verification_id: string; n: number }[]
    expect(ledger).toHaveLength(20)
    expect(
      ledger.every((r) => r.n === 1),
      JSON.stringify(ledger),
    ).toBe(true)

    // each family reads its verdict through the surviving api process
    const sdk = faceidClient(apiB.url, appId, secret)
    for (const v of vs) {
      if (v.family === 'h5') {
        const r = await sdk.GetDetectInfoEnhanced({ BizToken: v.token, RuleId: ruleId, InfoType: '0' })
        expect(r.Text.ErrCode, `h5 ${v.i}: ${JSON.stringify(r.Text)}`).toBe(0)
      } else {
        const n = nonce()
        const q = await postJson(apiB.url, `/api/v2/base/queryfacerecord?orderNo=${v.orderNo}`, {
          appId,
          version: '1.0.0',
          nonce: n,
          orderNo: v.orderNo,
          sign: ticketSign([appId, v.orderNo, '1.0.0', n, signTicket]),
        })
        expect(q.code, `sdk ${v.i}: ${JSON.stringify(q)}`).toBe('0')
      }
    }

    // ── media are in the bucket ──
    const keys: string[] = []
    let token: string | undefined
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, ...(token && { ContinuationToken: token }) }),
      )
      for (const o of page.Contents ?? []) keys.push(o.Key!)
      token = page.NextContinuationToken
    } while (token)
    const blobs = (
      await sql.query(
        `select media_blob from attempts a join verifications v on v.id = a.verification_id where v.app_id = $1`,
        [appId],
      )
    ).rows.map((r: { media_blob: string }) => r.media_blob)
    expect(blobs.every(Boolean)).toBe(true)
    for (const b of blobs) expect(keys, `media ${b} in the bucket`).toContain(b)
    // sealed there: no object holds the recording in the clear
    expect((await s3.raw(blobs[0]!)).includes(clip.subarray(4096, 4096 + 64))).toBe(false)

    // ── nothing on the local disks of the four "hosts" ──
    const walk = (dir: string, out: string[] = []): string[] => {
      if (!existsSync(dir)) return out
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name)
        if (e.isDirectory()) walk(p, out)
        else out.push(p)
      }
      return out
    }
    const rel = (f: string) => relative(root, f)
    // the media folder and the analysis' temp folder of each data dir hold nothing
    const leftovers = procs.flatMap((p) =>
      [join(p.hostDir, 'data', 'media'), join(p.hostDir, 'data', 'tmp')].flatMap((d) => walk(d)),
    )
    expect(leftovers.map(rel), 'media or temporary files left in a data dir').toEqual([])
    // and no video anywhere on them, TMPDIR included (MP4 'ftyp' box, WebM/Matroska EBML header), nothing as
    // large as a recording (the libraries' own files are allowed there)
    const head = (f: string) => {
      const fd = openSync(f, 'r')
      const b = Buffer.alloc(16)
      readSync(fd, b, 0, 16, 0)
      closeSync(fd)
      return b
    }
    const files = procs.flatMap((p) => walk(p.hostDir))
    expect(files.length).toBeGreaterThan(0)
    const videos = files.filter((f) => {
      const h = head(f)
      return h.subarray(4, 8).toString('latin1') === 'ftyp' || h.readUInt32BE(0) === 0x1a45dfa3
    })
    expect(videos.map(rel), 'video files on a host').toEqual([])
    expect(files.filter((f) => statSync(f).size > 100_000).map(rel), 'large files on a host').toEqual([])

    console.log(
      `[multi-host] 20 verifications, worker-1 killed on ${killedAttempt}, api-a killed mid-upload; ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s after the processes were ready`,
    )
  }, 600_000)
})
