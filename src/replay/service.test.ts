import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppService, type NewRuleInput } from '../apps/index.js'
import { RegistryService } from '../registry/index.js'
import {
  AttemptAnalysis,
  VerificationService,
  type AnalyseRequest,
  type AnalyseResult,
} from '../verifications/index.js'
import {
  MemoryBlobStore,
  RecordingQueue,
  fixedClock,
  memoryStore,
  testVault,
  webm,
  type MemoryStore,
} from '../../test/support/fakes.js'
import { ReplayService, parseReplaySettings } from './service.js'

// The replay's own decisions: which settings it takes, what the analyser is asked on replay (the
// actions of the attempt, fewer of them), what is kept, what is not replayable, and the attempts a
// verification is judged on. The analyser is a fake that answers what each test says; the engine
// itself runs in test/replay.test.ts. The store is SQLite in memory.

const answer = (reason: AnalyseResult['reason'], similarity: number | null = null): AnalyseResult => ({
  reason,
  signals: {},
  similarity,
  bestFrame: null,
  ms: 5,
})

describe('parseReplaySettings', () => {
  it('takes the replayable settings, from numbers or from --set strings', () => {
    expect(
      parseReplaySettings({ threshold: '75.5', maxAttempts: 2, liveness: 'silent', duplicateAction: 'fail' }),
    ).toEqual({ threshold: 75.5, maxAttempts: 2, liveness: 'silent', duplicateAction: 'fail' })
  })
  it('refuses values out of bounds, settings that cannot be replayed and unknown ones, saying why', () => {
    expect(() => parseReplaySettings({ threshold: 101 })).toThrow(/threshold must be a number 0-100/)
    expect(() => parseReplaySettings({ threshold: '' })).toThrow(/threshold/)
    expect(() => parseReplaySettings({ actionCount: 1.5 })).toThrow(/integer 1-4/)
    expect(() => parseReplaySettings({ liveness: 'light' })).toThrow(/action, silent, digital/)
    expect(() => parseReplaySettings({ compareSource: 'none' })).toThrow(/cannot be replayed/)
    expect(() => parseReplaySettings({ colour: 'red' })).toThrow(/unknown rule setting/)
  })
})

describe('ReplayService (fake analyser; SQLite in memory)', () => {
  let mem: MemoryStore
  let tmp: string
  let blobs: MemoryBlobStore
  let verifications: VerificationService
  let apps: AppService
  let appId: string
  let answers: AnalyseResult[]
  let asked: AnalyseRequest[]
  let analysis: AttemptAnalysis
  let replay: ReplayService

  beforeEach(async () => {
    mem = await memoryStore()
    const vault = testVault()
    blobs = new MemoryBlobStore()
    tmp = mkdtempSync(join(tmpdir(), 'shiren-replay-'))
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
    answers = []
    asked = []
    const analyser = {
      analyse: async (req: AnalyseRequest) => {
        asked.push(req)
        return answers.shift()!
      },
    }
    analysis = new AttemptAnalysis(mem.store, blobs, verifications, analyser, tmp)
    replay = new ReplayService(mem.store, analysis)
  })
  afterEach(async () => {
    await mem.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  /** A verification of a new rule whose attempts the fake analyser judges, one answer per attempt. */
  async function judged(rule: Partial<NewRuleInput>, ...results: AnalyseResult[]) {
    const app = (await apps.getApp(appId))!
    const r = await apps.createRule({ appId, liveness: 'action', compareSource: 'none', ...rule })
    const { verification: v } = await verifications.create({ app, rule: r, family: 'h5' })
    const challenges = []
    for (const res of results) {
      challenges.push(await verifications.challenge(v.token))
      const { attempt } = await verifications.upload(v.token, webm())
      answers.push(res)
      await analysis.run(attempt.id)
    }
    asked.length = 0
    return { rule: r, v: (await verifications.byId(v.id))!, challenges }
  }

  it('fewer attempts: a pass on the second attempt becomes the first attempt’s failure (from the stored verdicts)', async () => {
    const { rule, v } = await judged({ maxAttempts: 2 }, answer('NO_BLINK'), answer('PASS'))
    expect(v.finalReason).toBe('PASS')
    const r = await replay.replay({ ruleId: rule.ruleId, set: { maxAttempts: 1 } })
    expect(r.reanalysed).toBe(false)
    expect(r.verifications[0]).toMatchObject({ flip: 'pass-to-fail', new: { reason: 'NO_BLINK' } })
    expect(asked).toHaveLength(0)
  })

  it('fewer actions: the analyser is asked for the first of the actions this attempt was asked for', async () => {
    const { rule, challenges } = await judged({ actionCount: 2, maxAttempts: 1 }, answer('NO_HEAD_TURN'))
    answers.push(answer('PASS'))
    const r = await replay.replay({ ruleId: rule.ruleId, set: { actionCount: 1 } })
    expect(r.reanalysed).toBe(true)
    const first = challenges[0]!.mode === 'action' ? challenges[0]!.actions.slice(0, 1) : null
    expect(asked.map((q) => q.actions)).toEqual([first])
    expect(r.verifications[0]).toMatchObject({ flip: 'fail-to-pass', attempts: [{ from: 'media' }] })
    // more actions than were asked cannot be replayed
    const more = await replay.replay({ ruleId: rule.ruleId, set: { actionCount: 3 } })
    expect(more.verifications[0]!.notReplayable).toMatch(/asked for 2 action/)
  })

  it('action liveness on a silent attempt is not replayable: the person was asked for no action', async () => {
    const { rule } = await judged({ liveness: 'silent', maxAttempts: 1 }, answer('PASS'))
    const r = await replay.replay({ ruleId: rule.ruleId, set: { liveness: 'action' } })
    expect(r.counts).toMatchObject({ verifications: 1, notReplayable: 1 })
    expect(r.verifications[0]!.notReplayable).toMatch(/not asked for actions/)
    expect(asked).toHaveLength(0)
  })

  it('a replayed upload stays what it was: it was never analysed', async () => {
    const app = (await apps.getApp(appId))!
    const r = await apps.createRule({ appId, liveness: 'silent', compareSource: 'none', maxAttempts: 1 })
    const media = webm()
    for (const i of [0, 1]) {
      const { verification: v } = await verifications.create({ app, rule: r, family: 'h5' })
      await verifications.challenge(v.token)
      const { attempt } = await verifications.upload(v.token, media)
      if (i === 0) {
        answers.push(answer('PASS'))
        await analysis.run(attempt.id)
      } else expect(attempt.reason).toBe('VIDEO_REPLAYED')
    }
    const out = await replay.replay({ ruleId: r.ruleId, set: { liveness: 'digital' } })
    const kept = out.verifications.find((x) => x.old.reason === 'VIDEO_REPLAYED')!
    expect(kept).toMatchObject({ flip: null, notReplayable: null, attempts: [{ from: 'kept' }] })
  })

  it('an unknown rule is NOT_FOUND; a change that needs analysis without an engine is VISION_ENGINE_UNAVAILABLE', async () => {
    await expect(replay.replay({ ruleId: 'nope', set: { threshold: 80 } })).rejects.toMatchObject({
      reason: 'NOT_FOUND',
    })
    const { rule } = await judged({ maxAttempts: 1 }, answer('PASS'))
    const noEngine = new ReplayService(mem.store, new AttemptAnalysis(mem.store, blobs, verifications, null, tmp))
    await expect(noEngine.replay({ ruleId: rule.ruleId, set: { liveness: 'silent' } })).rejects.toMatchObject({
      reason: 'VISION_ENGINE_UNAVAILABLE',
    })
    // a threshold needs no engine
    expect((await noEngine.replay({ ruleId: rule.ruleId, set: { threshold: 90 } })).counts.verifications).toBe(1)
    // media that cannot be read any more: not replayable, never a guess
    const elsewhere = new ReplayService(
      mem.store,
      new AttemptAnalysis(
        mem.store,
        new MemoryBlobStore(),
        verifications,
        { analyse: async () => answer('PASS') },
        tmp,
      ),
    )
    const r = await elsewhere.replay({ ruleId: rule.ruleId, set: { liveness: 'silent' } })
    expect(r.verifications[0]!.notReplayable).toMatch(/no longer readable/)
  })
})
