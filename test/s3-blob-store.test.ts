import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from './support/env.js'
import { jpeg, webm } from './support/fakes.js'
import { startS3, type TestS3 } from './support/s3.js'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'

// shiren with SHIREN_BLOB_STORE=s3 against a real S3-protocol server (s3rver), configured the usual
// AWS way (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment).
let s3: TestS3
const saved: Record<string, string | undefined> = {}
beforeAll(async () => {
  s3 = await startS3()
  for (const [k, v] of Object.entries(s3.env)) {
    saved[k] = process.env[k]
    process.env[k] = v
  }
})
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  await s3?.close()
})

function mediaFilesOnDisk(dataDir: string): string[] {
  const dir = join(dataDir, 'media')
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []
}

async function upload(url: string, token: string, media: Buffer) {
  await fetch(`${url}/capture/api/challenge?token=${token}`, { method: 'POST' })
  const res = await fetch(`${url}/capture/api/upload?token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'video/webm' },
    body: media,
  })
  return { status: res.status, json: (await res.json()) as any }
}

describe.each(await dialects())('media in an S3 bucket (%s)', (dialect) => {
  let srv: TestServer
  const prefix = `run-${randomBytes(4).toString('hex')}/`
  beforeAll(async () => {
    srv = await startTestServer({
      dialect,
      env: {
        SHIREN_BLOB_STORE: 's3',
        SHIREN_S3_BUCKET: s3.bucket,
        SHIREN_S3_PREFIX: prefix,
        SHIREN_S3_PATH_STYLE: '1',
        SHIREN_RETENTION_S: '3600',
      },
    })
  })
  afterAll(async () => {
    await srv?.close()
    if (srv) rmSync(srv.dataDir, { recursive: true, force: true })
  })

  it('the reference photo and the recording go to the bucket, sealed, none to local disk; retention deletes them there', async () => {
    const { app, secret } = await srv.shiren.apps.createApp({ name: 's3' })
    const rule = await srv.shiren.apps.createRule({
      appId: app.appId,
      liveness: 'silent',
      compareSource: 'photo',
      maxAttempts: 1,
    })
    const sdk = faceidClient(srv.url, app.appId, secret)
    const { BizToken } = await sdk.DetectAuth({
      RuleId: rule.ruleId,
      Name: '张三',
      IdCard: '11010519491231002X',
      ImageBase64: jpeg().toString('base64'),
    })
    const recording = webm()
    expect((await upload(srv.url, BizToken, recording)).status).toBe(202)
    expect(await srv.shiren.queue.idle(20_000)).toBe(true)
    const v = (await srv.shiren.verifications.byToken(BizToken))!

    const stored = await srv.shiren.blobs.list(`${v.id}/`)
    expect(stored.length).toBeGreaterThanOrEqual(2)
    expect(stored.some((k) => k.endsWith('.webm'))).toBe(true)
    // in the bucket under the configured prefix, as sealed records, never the recording itself
    const raw = await s3.raw(`${prefix}${stored.find((k) => k.endsWith('.webm'))!}`)
    expect(raw.includes(recording.subarray(4, 64))).toBe(false)
    expect(mediaFilesOnDisk(srv.dataDir)).toEqual([])
    await expect(srv.shiren.blobs.check()).resolves.toBeUndefined()

    expect(await srv.shiren.verifications.purgeExpired()).toBe(0)
    srv.clock.advance(7300)
    expect(await srv.shiren.verifications.purgeExpired()).toBe(1)
    expect(await srv.shiren.blobs.list(`${v.id}/`)).toEqual([])
    expect(await srv.shiren.verifications.identity(v)).toEqual({ name: null, idNumber: null })
  })
})

describe('a bucket that fails', () => {
  it('an upload is the family\'s "file storage failed" (h5 8, HTTP 503); a create with a photo and a registry enrolment fail cleanly; never a 500', async () => {
    const srv = await startTestServer({
      env: { SHIREN_BLOB_STORE: 's3', SHIREN_S3_BUCKET: s3.bucket, SHIREN_S3_PATH_STYLE: '1' },
    })
    try {
      const { app, secret } = await srv.shiren.apps.createApp({ name: 's3-down' })
      const rule = await srv.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'silent',
        compareSource: 'none',
        maxAttempts: 1,
      })
      const sdk = faceidClient(srv.url, app.appId, secret)
      const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId })
      // the store's endpoint goes away: nothing listens there any more
      await s3.close()
      const up = await upload(srv.url, BizToken, webm())
      expect(up.status).toBe(503)
      expect(up.json.error).toMatchObject({ reason: 'BLOB_WRITE_FAILED', code: 8 })
      expect(up.json.error.detail).toMatch(/ECONNREFUSED/)
      await expect(srv.shiren.blobs.check()).rejects.toThrow(/ECONNREFUSED|s3 check/)
      const photoRule = await srv.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'silent',
        compareSource: 'photo',
        maxAttempts: 1,
      })
      const err = await sdk
        .DetectAuth({ RuleId: photoRule.ruleId, ImageBase64: jpeg().toString('base64') })
        .catch((e: { code?: string }) => e)
      expect((err as { code?: string }).code).toBe('FailedOperation.UnKnown')
      // enrolling a registry photo: 503 with the store's reason, and no person half-enrolled
      const enroll = await fetch(`${srv.url}/v1/registry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${srv.shiren.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '李四', idNumber: '11010519491231002X', photoBase64: jpeg().toString('base64') }),
      })
      expect({ status: enroll.status, body: await enroll.json() }).toMatchObject({
        status: 503,
        body: { error: { reason: 'BLOB_WRITE_FAILED' } },
      })
      expect(await srv.shiren.store.registry.list(10, 0)).toEqual([])
      expect(mediaFilesOnDisk(srv.dataDir)).toEqual([])
    } finally {
      await srv.close()
      rmSync(srv.dataDir, { recursive: true, force: true })
    }
  })
})

describe('the test S3 server', () => {
  it('keeps its objects in a temp folder of its own, which close() removes', async () => {
    const own = await startS3('shiren-own')
    await own.putRaw('a/b.bin', Buffer.from('x'))
    expect(readdirSync(own.directory).length).toBeGreaterThan(0)
    await own.close()
    expect(existsSync(own.directory)).toBe(false)
  })
})
