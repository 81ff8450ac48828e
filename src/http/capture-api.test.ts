import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppService } from '../apps/index.js'
import { TicketService } from '../auth/index.js'
import { toCode } from '../codes/index.js'
import { RegistryService } from '../registry/index.js'
import { IdCardStepService, VerificationService } from '../verifications/index.js'
import {
  MemoryBlobStore,
  RecordingQueue,
  fixedClock,
  memoryStore,
  testVault,
  webm,
  type MemoryStore,
} from '../../test/support/fakes.js'
import { captureApi, type CaptureApiDeps } from './capture-api.js'

// The capture endpoints as one plugin with only the services it declares (CaptureApiDeps), driven
// by fastify.inject: no socket, no other family, no composition root. Services are real, over
// SQLite in memory, with fake clock, blobs and queue.

describe('capture API plugin (fastify.inject, narrow deps)', () => {
  let mem: MemoryStore
  let app: FastifyInstance
  let service: VerificationService
  let token: string

  beforeEach(async () => {
    mem = await memoryStore()
    const vault = testVault()
    const clock = fixedClock()
    const blobs = new MemoryBlobStore()
    const registry = new RegistryService(mem.store, vault, blobs)
    const apps = new AppService(mem.store, vault)
    const verifications = new VerificationService(mem.store, vault, blobs, registry, new RecordingQueue(), clock, {
      retentionS: 86400,
      risk: { maxAttacks: 0, windowS: 60 },
      cache: null,
    })
    service = verifications
    const deps: CaptureApiDeps = {
      config: { uploadLimit: 64 * 1024 },
      apps,
      tickets: new TicketService(mem.store, vault, clock),
      verifications,
      idcards: new IdCardStepService(mem.store, vault, blobs, registry, verifications, null, clock),
    }
    const { app: created } = await apps.createApp({ name: 'unit' })
    const rule = await apps.createRule({ appId: created.appId, liveness: 'silent', compareSource: 'none' })
    token = (await verifications.create({ app: created, rule, family: 'h5' })).verification.token
    app = Fastify()
    await app.register(captureApi, { deps })
    await app.ready()
  })
  afterEach(async () => {
    await app.close()
    await mem.close()
  })

  it('an unknown token is 404 with the h5 code of NOT_FOUND', async () => {
    const r = await app.inject({ method: 'GET', url: '/capture/api/session?token=nope' })
    expect(r.statusCode).toBe(404)
    expect(r.json().error).toMatchObject({ reason: 'NOT_FOUND', code: toCode('h5', 'NOT_FOUND').code })
  })

  it('session, challenge and upload of a verification, in the order the page calls them', async () => {
    const s = await app.inject({ method: 'GET', url: `/capture/api/session?token=${token}` })
    expect(s.statusCode).toBe(200)
    expect(s.json()).toMatchObject({
      family: 'h5',
      state: 'created',
      liveness: 'silent',
      attemptsLeft: 3,
      idcard: null,
    })

    const c = await app.inject({ method: 'POST', url: `/capture/api/challenge?token=${token}` })
    expect(c.json()).toEqual({ challenge: { mode: 'silent' } })

    const u = await app.inject({
      method: 'POST',
      url: `/capture/api/upload?token=${token}`,
      headers: { 'content-type': 'video/webm' },
      payload: webm(),
    })
    expect(u.statusCode).toBe(202)
    expect(u.json()).toMatchObject({ seq: 1, state: 'queued' })
    const after = await app.inject({ method: 'GET', url: `/capture/api/session?token=${token}` })
    expect(after.json()).toMatchObject({ state: 'analysing', analysing: true, attemptsUsed: 1 })
  })

  it('refusals carry the family code: a too-small upload, and one over the upload limit', async () => {
    await app.inject({ method: 'POST', url: `/capture/api/challenge?token=${token}` })
    const small = await app.inject({
      method: 'POST',
      url: `/capture/api/upload?token=${token}`,
      headers: { 'content-type': 'video/webm' },
      payload: Buffer.alloc(10),
    })
    expect(small.statusCode).toBe(400)
    expect(small.json().error).toMatchObject({
      reason: 'VIDEO_SIZE_INVALID',
      code: toCode('h5', 'VIDEO_SIZE_INVALID').code,
    })
    const big = await app.inject({
      method: 'POST',
      url: `/capture/api/upload?token=${token}`,
      headers: { 'content-type': 'video/webm' },
      payload: Buffer.alloc(65 * 1024),
    })
    expect(big.statusCode).toBe(413)
    expect(await service.attempts((await service.byToken(token))!.id)).toEqual([])
  })
})
