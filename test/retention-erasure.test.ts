import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import sharp from 'sharp'
import { sql } from 'kysely'
import { startTestServer, type TestServer } from './support/server.js'
import { rawTc3 } from './support/tencent.js'
import { dialects } from './support/env.js'
import { startS3, type TestS3 } from './support/s3.js'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { ticketSign } from '../src/auth/index.js'
import { RegistryFaces, FACE_DIMENSIONS } from '../src/registry/index.js'
import { generateIdNumber, seededRng } from '../src/identity/index.js'

/**
 * Per-app retention and the erasure of one person, over HTTP against a real server on SQLite and
 * PostgreSQL. No vision engine runs: every upload is judged "engine not available" (1001), which is
 * a finished verification with its media stored like any other, and that is all retention needs.
 */

const DAY = 86_400
const rng = seededRng(15)
const ID_A = generateIdNumber(rng)
const ID_B = generateIdNumber(rng)
const ID_OTHER = generateIdNumber(rng)
const ID_UNREGISTERED = generateIdNumber(rng)

const jpeg = (seed: number) =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: { r: seed % 255, g: 90, b: 160 } } })
    .jpeg()
    .toBuffer()
/** an MP4 by its header (the upload checks the container's magic number; no engine decodes it here) */
const mp4 = () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), randomBytes(4000)])

const unit = (seed: number) => {
  const v = new Float32Array(FACE_DIMENSIONS)
  let x = seed
  for (let i = 0; i < v.length; i++) v[i] = ((x = (x * 48271) % 2147483647) / 2147483647) * 2 - 1
  const n = Math.hypot(...v)
  return v.map((e) => e / n)
}

// the blob store is the folder on both databases, and an S3-protocol server (s3rver, npm) on SQLite
const setups: Array<{ dialect: 'sqlite' | 'postgres'; store: 'folder' | 's3' }> = [
  ...(await dialects()).map((dialect) => ({ dialect, store: 'folder' as const })),
  { dialect: 'sqlite', store: 's3' },
]

for (const { dialect, store } of setups) {
  describe(`retention and erasure (${dialect}, ${store} store)`, () => {
    let srv: TestServer
    let photo: Buffer
    let s3: TestS3 | null = null
    const prefix = `run-${randomBytes(4).toString('hex')}/`

    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${srv.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${srv.shiren.adminToken}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: (await res.json()) as any }
    }
    /** TC3 signed at the server's (moved) clock, so that requests days later still verify */
    const tc3 = async (app: { appId: string; secret: string }, action: string, body: unknown) =>
      (
        await rawTc3(srv.url, app.appId, app.secret, action, JSON.stringify(body), {
          timestamp: Math.floor(srv.clock.now().getTime() / 1000),
        })
      ).json.Response
    const newApp = async (name: string) => {
      const { app, secret } = await srv.shiren.apps.createApp({ name })
      const rule = await srv.shiren.apps.createRule({
        appId: app.appId,
        liveness: 'silent',
        compareSource: 'photo',
        maxAttempts: 1,
      })
      return { appId: app.appId, secret, ruleId: rule.ruleId }
    }
    /** an h5 verification with a reference photo and one uploaded video, finished (1001: no engine here) */
    const verified = async (app: { appId: string; secret: string; ruleId: string }, idNumber: string) => {
      const r = await tc3(app, 'DetectAuth', {
        RuleId: app.ruleId,
        Name: '张三',
        IdCard: idNumber,
        ImageBase64: photo.toString('base64'),
      })
      expect(r.Error).toBeUndefined()
      const token = r.BizToken as string
      expect((await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })).status).toBe(200)
      const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: new Uint8Array(mp4()),
      })
      expect(up.status).toBeLessThan(300)
      await srv.shiren.queue.idle(20_000)
      const v = (await srv.shiren.verifications.byToken(token))!
      expect(v).toMatchObject({ state: 'finished', finalCode: 1001 })
      return { token, id: v.id, mediaDir: v.id }
    }
    const info = (app: { appId: string; secret: string; ruleId: string }, token: string) =>
      tc3(app, 'GetDetectInfoEnhanced', { BizToken: token, RuleId: app.ruleId, InfoType: '0' })
    /** the objects the blob store holds under a key prefix (a verification id, `registry`) */
    const files = async (under: string): Promise<string[]> => {
      if (!s3) {
        const dir = join(srv.dataDir, 'media', under)
        return existsSync(dir) ? readdirSync(dir) : []
      }
      const r = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}${under}/` }))
      return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length + under.length + 1))
    }
    const ledgerRows = async () =>
      Number(
        (
          await srv.shiren.db.kysely
            .selectFrom('ledger')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )

    const saved: Record<string, string | undefined> = {}
    beforeAll(async () => {
      if (store === 's3') {
        s3 = await startS3()
        // the AWS SDK reads its endpoint and credentials from the environment, as in a deployment
        for (const [k, v] of Object.entries(s3.env)) {
          saved[k] = process.env[k]
          process.env[k] = v
        }
      }
      srv = await startTestServer({
        dialect,
        env: {
          // a webhook target that cannot answer is given up at once, so that the queue falls idle
          SHIREN_WEBHOOK_RETRY_FOR_S: '0',
          ...(s3 && {
            SHIREN_BLOB_STORE: 's3',
            SHIREN_S3_BUCKET: s3.bucket,
            SHIREN_S3_PREFIX: prefix,
            SHIREN_S3_PATH_STYLE: '1',
          }),
        },
      })
      photo = await jpeg(7)
    })
    afterAll(async () => {
      await srv?.close()
      if (srv) rmSync(srv.dataDir, { recursive: true, force: true })
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      await s3?.close()
    })

    it('an app with 1-day retention purges before the default (3 days); media leave the blob store, both families answer their expired code, the ledger stays', async () => {
      const long = await newApp('default retention')
      const short = await newApp('one day')
      // set through the management API, as the console and `shiren app retention` do
      const patched = await admin('PATCH', `/v1/apps/${short.appId}`, { retentionDays: 1 })
      expect(patched).toMatchObject({ status: 200, body: { retentionDays: 1 } })
      expect((await admin('PATCH', `/v1/apps/${short.appId}`, { retentionDays: 366 })).status).toBe(400)
      expect((await admin('PATCH', `/v1/apps/${short.appId}`, { retentionDays: -1 })).status).toBe(400)
      expect((await admin('PATCH', `/v1/apps/${short.appId}`, { retentionDays: 2.5 })).status).toBe(400)
      // null is the server default, never coerced into 0 (which would delete at the first fetch)
      expect((await admin('PATCH', `/v1/apps/${long.appId}`, { retentionDays: null })).body.retentionDays).toBe(null)

      const a = await verified(long, ID_OTHER)
      const b = await verified(short, ID_OTHER)
      expect((await files(a.mediaDir)).length).toBe(2) // reference photo + video
      expect((await files(b.mediaDir)).length).toBe(2)

      // the sdk family: a ticket-flow verification of the default app that finished at once (name mismatch)
      await srv.shiren.registry.enroll({ name: '李四', idNumber: ID_OTHER, photo })
      const sdkRule = await srv.shiren.apps.createRule({
        appId: long.appId,
        liveness: 'silent',
        compareSource: 'registry',
      })
      const ticketCall = async (path: string, params: Record<string, string>) =>
        (await fetch(`${srv.url}${path}?${new URLSearchParams(params)}`)).json() as Promise<any>
      const signTicket = async () => {
        const token = await ticketCall('/api/oauth2/access_token', {
          appId: long.appId,
          secret: long.secret,
          grant_type: 'client_credential',
          version: '1.0.0',
        })
        const t = await ticketCall('/api/oauth2/api_ticket', {
          app_id: long.appId,
          access_token: token.access_token,
          type: 'SIGN',
          version: '1.0.0',
        })
        return t.tickets[0].value as string
      }
      const post = async (path: string, body: Record<string, unknown>) =>
        (
          await fetch(`${srv.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).json() as Promise<any>
      let ticket = await signTicket()
      const orderNo = `ret${randomBytes(5).toString('hex')}`
      const n1 = randomBytes(16).toString('hex')
      const started = await post(`/api/server/getfaceid?orderNo=${orderNo}`, {
        appId: long.appId,
        orderNo,
        name: '王五',
        idNo: ID_OTHER,
        userId: 'u1',
        ruleId: sdkRule.ruleId,
        version: '1.0.0',
        nonce: n1,
        sign: ticketSign([long.appId, 'u1', '1.0.0', n1, ticket]),
      })
      expect(started.code).toBe('66660010')
      const query = async () => {
        const n = randomBytes(16).toString('hex')
        return post(`/api/v2/base/queryfacerecord?orderNo=${orderNo}`, {
          appId: long.appId,
          version: '1.0.0',
          nonce: n,
          orderNo,
          sign: ticketSign([long.appId, orderNo, '1.0.0', n, ticket]),
        })
      }
      expect((await query()).code).toBe('66660010')
      const ledgerBefore = await ledgerRows()
      expect(ledgerBefore).toBeGreaterThanOrEqual(3)

      // a day and a minute later: the one-day app is purged, the default one is not
      srv.clock.advance(DAY + 60)
      expect(await srv.shiren.verifications.purgeExpired()).toBeGreaterThanOrEqual(1)
      expect(await files(b.mediaDir)).toEqual([])
      expect((await files(a.mediaDir)).length).toBe(2)
      const shortInfo = await info(short, b.token)
      expect(shortInfo.Error.Code).toBe('InvalidParameterValue.BizTokenExpired')
      const longInfo = await info(long, a.token)
      expect(longInfo.Text).toMatchObject({ ErrCode: 1001, Name: '张三', IdCard: ID_OTHER })

      // three days and two minutes after: the default app is purged too
      srv.clock.advance(2 * DAY + 60)
      expect(await srv.shiren.verifications.purgeExpired()).toBeGreaterThanOrEqual(2)
      expect(await files(a.mediaDir)).toEqual([])
      expect((await info(long, a.token)).Error.Code).toBe('InvalidParameterValue.BizTokenExpired')
      ticket = await signTicket()
      const q = await query()
      expect(q).toMatchObject({ code: '66660011', msg: '无此查询结果' })

      // what stays: the verdict, its times and the ledger; no personal field is left
      const rows = await srv.shiren.db.kysely
        .selectFrom('verifications')
        .selectAll()
        .where('id', 'in', [a.id, b.id])
        .execute()
      expect(rows).toHaveLength(2)
      for (const r of rows) {
        expect(r).toMatchObject({
          state: 'finished',
          final_code: 1001,
          name_sealed: null,
          id_number_sealed: null,
          id_hash: null,
          reference_blob: null,
          video_blob: null,
        })
      }
      expect(await ledgerRows()).toBe(ledgerBefore)
      srv.clock.advance(-(3 * DAY + 120))
    })

    it('retention 0: the first results call gets the result, the data is deleted right after, the next call is expired', async () => {
      const zero = await newApp('zero')
      expect((await admin('PATCH', `/v1/apps/${zero.appId}`, { retentionDays: 0 })).body.retentionDays).toBe(0)
      const v = await verified(zero, ID_OTHER)
      expect((await files(v.mediaDir)).length).toBe(2)
      const first = await info(zero, v.token)
      expect(first.Text).toMatchObject({ ErrCode: 1001, Name: '张三' })
      expect(first.VideoData.LivenessVideo).toBeTruthy()
      expect(await files(v.mediaDir)).toEqual([])
      expect((await info(zero, v.token)).Error.Code).toBe('InvalidParameterValue.BizTokenExpired')
    })

    it('erases one person everywhere (registry row, face row and index entry, photo, verifications in every app); export before, 404 after', async () => {
      const app1 = await newApp('erase 1')
      const app2 = await newApp('erase 2')
      const enrolled = await admin('POST', '/v1/registry', {
        name: '赵六',
        idNumber: ID_A,
        photoBase64: photo.toString('base64'),
      })
      expect(enrolled.status).toBe(200)
      const personId = enrolled.body.id as string
      const other = (await admin('POST', '/v1/registry', { name: '钱七', idNumber: ID_B })).body.id as string

      // a second process's face index over the same database: the erasure must reach it too
      const faces = new RegistryFaces(srv.shiren.store, srv.shiren.vault, 'test-model')
      await faces.put(personId, unit(1))
      await faces.put(other, unit(2))
      expect((await faces.search(unit(1), 1))[0]!.personId).toBe(personId)

      // app1 has a completion webhook: its events and delivery log must go with the erasure
      await srv.shiren.webhooks.set(app1.appId, { url: 'https://hooks.example.invalid/shiren' })
      const v1 = await verified(app1, ID_A)
      const v2 = await verified(app2, ID_A)
      const kept = await verified(app1, ID_B)

      // export (access right): everything held, decrypted, media listed (and included on request)
      const exp = await admin('GET', `/v1/persons/${personId}/export`)
      expect(exp.status).toBe(200)
      expect(exp.body.registry).toMatchObject({ personId, name: '赵六', idNumber: ID_A, face: { model: 'test-model' } })
      expect(exp.body.registry.photo.bytes).toBe(photo.length)
      expect(exp.body.registry.photo.base64).toBeUndefined()
      expect(exp.body.verifications.map((v: any) => v.id).sort()).toEqual([v1.id, v2.id].sort())
      expect(exp.body.verifications[0]).toMatchObject({ name: '张三', idNumber: ID_A, code: 1001 })
      expect(exp.body.verifications[0].media.video.bytes).toBeGreaterThan(4000)
      const withMedia = await admin('GET', `/v1/persons/${personId}/export?media=true`)
      expect(Buffer.from(withMedia.body.registry.photo.base64, 'base64').equals(photo)).toBe(true)
      expect(withMedia.body.registry.face.embedding).toHaveLength(FACE_DIMENSIONS)
      const byNumber = await admin('POST', '/v1/persons/export', { idNumber: ID_A })
      expect(byNumber.body.registry.personId).toBe(personId)

      // the bytes that must leave the database: sealed values, the blind index, the sealed embedding
      const db = srv.shiren.db.kysely
      const person = await db
        .selectFrom('registry_persons')
        .selectAll()
        .where('id', '=', personId)
        .executeTakeFirstOrThrow()
      const face = await db
        .selectFrom('registry_faces')
        .selectAll()
        .where('person_id', '=', personId)
        .executeTakeFirstOrThrow()
      const ver = await db.selectFrom('verifications').selectAll().where('id', '=', v1.id).executeTakeFirstOrThrow()
      const secrets = [
        person.name_sealed,
        person.id_number_sealed,
        person.id_hash,
        face.embedding_sealed!,
        ver.id_number_sealed!,
      ]
      const photoKey = person.photo_blob!.slice('registry/'.length)
      expect(await files('registry')).toContain(photoKey)
      const rawDb = () => {
        const file = join(srv.dataDir, 'shiren.db')
        return Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)))
      }
      // the raw check below can fail: before the erasure the file holds every one of them
      if (dialect === 'sqlite') for (const s of secrets) expect(rawDb().includes(Buffer.from(s, 'utf8'))).toBe(true)

      const hookRows = async () => [
        ...(await db
          .selectFrom('webhook_events')
          .select('verification_id')
          .where('verification_id', '=', v1.id)
          .execute()),
        ...(await db
          .selectFrom('webhook_deliveries')
          .select('verification_id')
          .where('verification_id', '=', v1.id)
          .execute()),
      ]
      expect((await hookRows()).length).toBeGreaterThanOrEqual(1)

      const erased = await admin('DELETE', `/v1/persons/${personId}`)
      expect(erased.status).toBe(200)
      expect(erased.body).toMatchObject({ personId, registry: true, verifications: 2 })
      expect(erased.body.mediaObjects).toBe(5) // photo + 2 × (reference + video)

      // absent, not only unreadable
      expect(await db.selectFrom('registry_persons').selectAll().where('id', '=', personId).execute()).toEqual([])
      expect(await db.selectFrom('registry_faces').selectAll().where('person_id', '=', personId).execute()).toEqual([])
      expect(await hookRows()).toEqual([])
      expect(await db.selectFrom('verifications').select('id').where('id_hash', '=', person.id_hash).execute()).toEqual(
        [],
      )
      const after = await db.selectFrom('verifications').selectAll().where('id', 'in', [v1.id, v2.id]).execute()
      for (const r of after)
        expect(r).toMatchObject({
          name_sealed: null,
          id_number_sealed: null,
          id_hash: null,
          reference_blob: null,
          video_blob: null,
          final_code: 1001,
        })
      const attempts = await db
        .selectFrom('attempts')
        .selectAll()
        .where('verification_id', 'in', [v1.id, v2.id])
        .execute()
      for (const a of attempts) expect(a).toMatchObject({ media_blob: null, media_hash: null, best_frame_blob: null })
      expect(await files(v1.mediaDir)).toEqual([])
      expect(await files(v2.mediaDir)).toEqual([])
      expect(await files('registry')).not.toContain(photoKey)
      // the other process's index no longer finds them; the other person is still found
      expect((await faces.search(unit(1), 5)).map((h) => h.personId)).not.toContain(personId)
      expect((await faces.search(unit(2), 1))[0]!.personId).toBe(other)
      // someone else's verification is untouched
      expect((await files(kept.mediaDir)).length).toBe(2)
      expect((await info(app1, kept.token)).Text).toMatchObject({ Name: '张三', IdCard: ID_B })
      // the erased verifications' results are gone as after their retention
      expect((await info(app1, v1.token)).Error.Code).toBe('InvalidParameterValue.BizTokenExpired')

      if (dialect === 'sqlite') {
        expect((await sql<{ secure_delete: number }>`PRAGMA secure_delete`.execute(db)).rows[0]!.secure_delete).toBe(1)
        const raw = rawDb()
        for (const s of secrets)
          expect(raw.includes(Buffer.from(s, 'utf8')), 'deleted bytes left in the file').toBe(false)
      }

      expect((await admin('GET', `/v1/persons/${personId}/export`)).status).toBe(404)
      expect((await admin('POST', '/v1/persons/export', { idNumber: ID_A })).status).toBe(404)
      expect((await admin('DELETE', `/v1/persons/${personId}`)).status).toBe(404)
      expect((await admin('DELETE', '/v1/persons/not-an-id')).status).toBe(400)

      // by ID number: a person with verifications but no registry entry
      const v3 = await verified(app2, ID_UNREGISTERED)
      const byId = await admin('POST', '/v1/persons/erase', { idNumber: ID_UNREGISTERED })
      expect(byId.body).toMatchObject({ personId: null, registry: false, verifications: 1, mediaObjects: 2 })
      expect(await files(v3.mediaDir)).toEqual([])
      expect((await admin('POST', '/v1/persons/erase', { idNumber: ID_UNREGISTERED })).status).toBe(404)
    })
  })
}
