import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppService, type NewRuleInput } from '../apps/index.js'
import { ReasonError } from '../codes/index.js'
import { BlobTimeoutError } from '../media/index.js'
import { RegistryService } from '../registry/index.js'
import {
  MemoryBlobStore,
  RecordingQueue,
  fixedClock,
  jpeg,
  memoryStore,
  testVault,
  webm,
  type MemoryStore,
} from '../../test/support/fakes.js'
import { AttemptAnalysis, type AnalyseRequest, type AnalyseResult, type Analyser } from './analysis.js'
import { VerificationService } from './service.js'

// The attempt analysis between the queue and the engine: what it hands the analyser, and how every
// way the engine or the media store can fail becomes the attempt's verdict. The analyser is a fake
// that records its request; blobs and clock are fakes; the store is SQLite in memory.

class FakeAnalyser implements Analyser {
  requests: Array<AnalyseRequest & { mediaBytes: Buffer; referenceBytes: Buffer | null; tmpEntries: string[] }> = []
  constructor(
    private readonly answer: () => Promise<AnalyseResult>,
    private readonly tmp = '',
  ) {}
  async analyse(req: AnalyseRequest): Promise<AnalyseResult> {
    // the temporary files are readable while the analyser runs
    this.requests.push({
      ...req,
      mediaBytes: readFileSync(req.media.path),
      referenceBytes: req.reference ? readFileSync(req.reference.path) : null,
      tmpEntries: this.tmp ? readdirSync(this.tmp) : [],
    })
    return this.answer()
  }
}

const passing = async (): Promise<AnalyseResult> => ({
  reason: 'PASS',
  signals: { blinkCount: 1, faceCount: 1 },
  similarity: 88.5,
  bestFrame: Buffer.from([0xff, 0xd8, 0xff, 0xdb, 1, 2, 3]),
  ms: 12,
})

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name })
}

describe('AttemptAnalysis (fake analyser, blobs and clock; SQLite in memory)', () => {
  let mem: MemoryStore
  let blobs: MemoryBlobStore
  let tmp: string
  let verifications: VerificationService
  let apps: AppService
  let appId: string

  beforeEach(async () => {
    mem = await memoryStore()
    const vault = testVault()
    blobs = new MemoryBlobStore()
    tmp = mkdtempSync(join(tmpdir(), 'shiren-analysis-'))
    apps = new AppService(mem.store, vault)
    verifications = new VerificationService(
      mem.store,
      vault,
      blobs,
      new RegistryService(mem.store, vault, blobs),
      new RecordingQueue(),
      fixedClock('2026-06-01T08:00:00Z'),
      { retentionS: 86400, risk: { maxAttacks: 0, windowS: 60 }, cache: null },
    )
    appId = (await apps.createApp({ name: 'unit' })).app.appId
  })
  afterEach(async () => {
    await mem.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  /** A verification of the rule with one uploaded attempt, queued for analysis. */
  async function uploaded(rule: Partial<NewRuleInput> = {}, photo: Buffer | null = null) {
    const app = (await apps.getApp(appId))!
    const r = await apps.createRule({ appId, liveness: 'action', compareSource: 'none', ...rule })
    const { verification: v } = await verifications.create({ app, rule: r, family: 'h5', photo })
    const challenge = await verifications.challenge(v.token)
    const media = webm()
    const { attempt } = await verifications.upload(v.token, media)
    return { v, attempt, challenge, media }
  }

  const analysis = (analyser: Analyser | null, readTimeoutMs = 30_000) =>
    new AttemptAnalysis(mem.store, blobs, verifications, analyser, tmp, readTimeoutMs)

  it('hands the analyser the decrypted media, the challenge and the threshold, then records the verdict', async () => {
    const { v, attempt, challenge, media } = await uploaded({ threshold: 75 })
    const fake = new FakeAnalyser(passing, tmp)
    expect(await analysis(fake).run(attempt.id)).toBe('success')
    const req = fake.requests[0]!
    // on Linux the decrypted copy never has a name: nothing in the folder even while the engine reads it
    if (process.platform === 'linux') {
      expect(req.tmpEntries).toEqual([])
      expect(req.media.path).toMatch(/^\/proc\/\d+\/fd\/\d+$/)
    }
    expect(req).toMatchObject({ liveness: 'action', threshold: 75, reference: null, media: { kind: 'video' } })
    expect(challenge.mode === 'action' && req.actions).toEqual(challenge.mode === 'action' ? challenge.actions : null)
    expect(req.mediaBytes.equals(media)).toBe(true)
    expect(readdirSync(tmp)).toEqual([]) // the plaintext copies are gone
    const done = (await verifications.attempts(v.id))[0]!
    expect(done).toMatchObject({ state: 'finished', reason: 'PASS', similarity: 88.5 })
    expect(done.signals).toMatchObject({ blinkCount: 1, ms: 12 })
    expect(blobs.data.get(done.bestFrameBlob!)?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    // a repeated job finds the attempt finished and changes nothing
    expect(await analysis(fake).run(attempt.id)).toBe('success')
    expect(fake.requests).toHaveLength(1)
  })

  it('a photo rule compares with the reference the caller sent', async () => {
    const photo = jpeg()
    const { attempt } = await uploaded({ compareSource: 'photo' }, photo)
    const fake = new FakeAnalyser(passing)
    await analysis(fake).run(attempt.id)
    expect(fake.requests[0]!.referenceBytes?.equals(photo)).toBe(true)
  })

  it('without an engine the verdict is VISION_ENGINE_UNAVAILABLE', async () => {
    const { attempt } = await uploaded()
    await analysis(null).run(attempt.id)
    expect((await mem.store.attempts.get(attempt.id))?.reason).toBe('VISION_ENGINE_UNAVAILABLE')
  })

  it('media that is gone, unreadable or stuck: VIDEO_FETCH_FAILED (1105 for digits), BLOB_READ_FAILED, BLOB_TIMEOUT', async () => {
    const gone = await uploaded()
    blobs.data.delete(gone.attempt.mediaBlob!)
    await analysis(new FakeAnalyser(passing)).run(gone.attempt.id)
    expect((await mem.store.attempts.get(gone.attempt.id))?.reason).toBe('VIDEO_FETCH_FAILED')

    const digits = await uploaded({ liveness: 'digital' })
    blobs.data.delete(digits.attempt.mediaBlob!)
    await analysis(new FakeAnalyser(passing)).run(digits.attempt.id)
    expect((await mem.store.attempts.get(digits.attempt.id))?.reason).toBe('DIGITS_VIDEO_READ_FAILED')

    const broken = await uploaded()
    blobs.failGets = true
    await analysis(new FakeAnalyser(passing)).run(broken.attempt.id)
    expect((await mem.store.attempts.get(broken.attempt.id))?.reason).toBe('BLOB_READ_FAILED')
    blobs.failGets = false

    const stuck = await uploaded()
    const hanging = Object.assign(Object.create(blobs) as MemoryBlobStore, { get: () => new Promise<Buffer>(() => {}) })
    await new AttemptAnalysis(mem.store, hanging, verifications, new FakeAnalyser(passing), tmp, 20).run(
      stuck.attempt.id,
    )
    expect((await mem.store.attempts.get(stuck.attempt.id))?.reason).toBe('BLOB_TIMEOUT')

    // a store that gives up by itself first (an S3 endpoint that stays silent) is a timeout too
    const silent = await uploaded()
    const timingOut = Object.assign(Object.create(blobs) as MemoryBlobStore, {
      get: () => Promise.reject(new BlobTimeoutError('s3 get: no answer in time', 'S3_TIMEOUT')),
    })
    await new AttemptAnalysis(mem.store, timingOut, verifications, new FakeAnalyser(passing), tmp, 5_000).run(
      silent.attempt.id,
    )
    expect((await mem.store.attempts.get(silent.attempt.id))?.reason).toBe('BLOB_TIMEOUT')
  })

  it.each([
    ['a missing model', named('ModelMissingError'), 'VISION_ENGINE_UNAVAILABLE'],
    ['a timeout', named('TimeoutError'), 'ANALYSIS_TIMEOUT'],
    ['a ReasonError', new ReasonError('NO_FACE', 'no face in the video'), 'NO_FACE'],
    [
      'a reason copied across the worker boundary',
      Object.assign(new Error('x'), { reason: 'MULTIPLE_FACES' }),
      'MULTIPLE_FACES',
    ],
    ['an engine crash', new Error('segfault in the detector'), 'LIVENESS_ENGINE_ERROR'],
  ])('an analyser that throws %s gives %s', async (_what, err, reason) => {
    const { attempt } = await uploaded()
    expect(await analysis(new FakeAnalyser(() => Promise.reject(err))).run(attempt.id)).toBe('success')
    expect((await mem.store.attempts.get(attempt.id))?.reason).toBe(reason)
    expect(readdirSync(tmp)).toEqual([])
  })

  it('a best frame that cannot be stored is BLOB_WRITE_FAILED', async () => {
    const { attempt } = await uploaded()
    blobs.failPuts = true
    await analysis(new FakeAnalyser(passing)).run(attempt.id)
    expect((await mem.store.attempts.get(attempt.id))?.reason).toBe('BLOB_WRITE_FAILED')
  })

  it('giving up on the job (storage kept failing) closes the attempt as DB_UPDATE_FAILED', async () => {
    const { attempt } = await uploaded()
    await analysis(new FakeAnalyser(passing)).giveUp(attempt.id)
    const a = await mem.store.attempts.get(attempt.id)
    expect(a).toMatchObject({ state: 'finished', reason: 'DB_UPDATE_FAILED', signals: { gaveUp: true } })
    expect(existsSync(tmp)).toBe(true)
  })
})
