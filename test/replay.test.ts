import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, MODELS, dialects, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'
import type { ReplayReport } from '../src/replay/index.js'

const ready = hasData && existsSync(MODELS)
if (!ready) console.warn('[skip] ../shared/data or ../shared/models is absent: the replay tests are skipped')

/**
 * What-if replay on real attempts: verifications made through the HTTP API and judged by the real
 * engine, then replayed with a higher threshold (from the stored similarities) and with silent instead
 * of action liveness (the stored videos analysed again). The flips the replay lists are computed here
 * independently; the ledger, the verdicts, the attempts and the webhook tables are byte-identical
 * before and after.
 *
 * The clip: GRID bbaf2n, a live speaker who blinks and talks but never opens the mouth wide (see
 * src/analysis/video.test.ts). Under an action rule asking one action, "blink" passes and "mouth" fails
 * (FIRST_ACTION_MISSING). The references: the speaker's own frame blended with another GRID speaker's,
 * so that the similarity lands where the test needs it (opacity 0.6 ≈ 91, 0.5 ≈ 81, 0.45 ≈ 62).
 *
 * Why the liveness replay is predictable: silent liveness asks the person for nothing, and a live
 * GRID clip passes it (video.test.ts); the comparison does not depend on the liveness mode (the same
 * best frame is compared). So switching the rule to silent flips exactly the verifications that failed
 * an action check on this live clip (fail → pass, at the similarity of the same clip and reference
 * judged under action), and leaves every other verdict as it was; the one whose media were purged by
 * retention is listed as not replayable.
 */
const ACTION_FAILURES = new Set([
  'FIRST_ACTION_MISSING',
  'NO_MOUTH_OPEN',
  'NO_BLINK',
  'NO_HEAD_TURN',
  'ACTION_ORDER_WRONG',
])

const DIALECTS = ready ? await dialects() : []

describe.skipIf(!ready)('what-if replay on stored attempts (real engine)', () => {
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  const media: Record<string, Buffer> = {}

  beforeAll(async () => {
    const dir = tempDir()
    const ff = (...args: string[]) => execFileSync(ffmpeg.path, ['-loglevel', 'error', '-y', ...args])
    const frame = (clip: string, out: string) =>
      ff('-ss', '1.0', '-i', join(DATA, 'videos/grid', clip), '-frames:v', '1', join(dir, out))
    frame('bbaf2n.mpg', 'a.jpg')
    frame('brbk7n.mpg', 'b.jpg')
    for (const o of ['0.6', '0.5', '0.45']) {
      ff(
        '-i',
        join(dir, 'a.jpg'),
        '-i',
        join(dir, 'b.jpg'),
        '-filter_complex',
        `blend=all_mode=normal:all_opacity=${o}`,
        join(dir, `ref${o}.jpg`),
      )
      media[`ref${o}`] = readFileSync(join(dir, `ref${o}.jpg`))
    }
    media.clip = readFileSync(join(DATA, 'videos/grid/bbaf2n.mpg'))
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
  }, 240_000)
  afterAll(async () => {
    await engine?.close()
  })

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let srv: TestServer
      afterAll(async () => {
        await srv?.close()
      })

      it('a higher threshold and silent liveness list exactly the verifications that flip; nothing stored changes', async () => {
        srv = await startTestServer({ dialect, analyser: engine })
        const { app, secret } = await srv.shiren.apps.createApp({ name: 'replay' })
        const rule = await srv.shiren.apps.createRule({
          appId: app.appId,
          liveness: 'action',
          compareSource: 'photo',
          actionCount: 1,
          maxAttempts: 1,
        })
        expect(rule.threshold).toBe(70)
        const sdk = faceidClient(srv.url, app.appId, secret)
        const verify = async (reference: Buffer, action: 'blink' | 'mouth') => {
          const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId, ImageBase64: reference.toString('base64') })
          // the server picks the action at random: a fresh challenge until it asks for the one this clip shows (or lacks)
          for (let i = 0; ; i++) {
            const res = await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
            const ch = (await res.json()) as { challenge?: { actions: string[] } }
            if (!ch.challenge) throw new Error(`challenge ${i} refused: ${res.status} ${JSON.stringify(ch)}`)
            if (ch.challenge.actions[0] === action) break
            if (i > 60) throw new Error('the challenge never asked for ' + action)
          }
          const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
            method: 'POST',
            headers: { 'content-type': 'video/mpeg' },
            // a distinct upload each time, so that it is not refused as a replayed recording
            body: Buffer.concat([media.clip!, randomBytes(16)]),
          })
          expect(up.status).toBe(202)
          expect(await srv.shiren.queue.idle(120_000)).toBe(true)
          return BizToken
        }
        const stored = async (token: string) => (await srv.shiren.verifications.byToken(token))!

        // the oldest one: past retention, its media purged
        const purged = await verify(media['ref0.6']!, 'blink')
        // past its retention it is purged; the clock comes back so that the signed calls after it are on time
        srv.clock.advance(srv.config.retentionS + 3600)
        expect(await srv.shiren.verifications.purgeExpired()).toBe(1)
        srv.clock.advance(-(srv.config.retentionS + 3600))
        const mid = await verify(media['ref0.5']!, 'blink')
        const low = await verify(media['ref0.45']!, 'blink')
        const noAction = await verify(media['ref0.5']!, 'mouth')
        const v = {
          purged: await stored(purged),
          mid: await stored(mid),
          low: await stored(low),
          noAction: await stored(noAction),
        }
        expect(v.purged.videoBlob).toBeNull()
        expect(v.purged).toMatchObject({ finalReason: 'PASS' })
        expect(v.mid).toMatchObject({ finalReason: 'PASS' })
        expect(v.low).toMatchObject({ finalReason: 'SIMILARITY_BELOW_THRESHOLD' })
        expect(ACTION_FAILURES.has(v.noAction.finalReason!), String(v.noAction.finalReason)).toBe(true)
        // a pass with a similarity between 70 and 90, a failure just below the threshold (the purged one sits near 91)
        expect(v.mid.similarity!).toBeGreaterThanOrEqual(70)
        expect(v.mid.similarity!).toBeLessThanOrEqual(90)
        expect(v.low.similarity!).toBeGreaterThanOrEqual(50) // ≈ 60 here
        expect(v.low.similarity!).toBeLessThan(70)
        expect(v.purged.similarity!).toBeGreaterThan(v.mid.similarity!)

        console.info(
          `[replay ${dialect}] stored similarities: purged ${v.purged.similarity}, mid ${v.mid.similarity}, low ${v.low.similarity}; no action ${v.noAction.finalReason}`,
        )
        const db = srv.shiren.db.kysely
        const snapshot = async () =>
          JSON.stringify(
            await Promise.all(
              (['ledger', 'verifications', 'attempts', 'webhook_events', 'webhook_deliveries'] as const).map((t) =>
                db.selectFrom(t).selectAll().orderBy('id').execute(),
              ),
            ),
          )
        const before = await snapshot()
        const replay = async (body: unknown) => {
          const res = await fetch(`${srv.url}/v1/rules/${rule.ruleId}/replay`, {
            method: 'POST',
            headers: { authorization: `Bearer ${srv.shiren.adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          return { status: res.status, body: (await res.json()) as ReplayReport & { error?: { reason: string } } }
        }
        const flips = (r: ReplayReport) =>
          Object.fromEntries(r.verifications.filter((x) => x.flip).map((x) => [x.token, x.flip]))

        // 1. a higher threshold: judged from the stored similarities, no analysis
        const all = Object.values(v)
        const threshold = Math.round(((v.mid.similarity! + v.purged.similarity!) / 2) * 100) / 100
        const expected: Record<string, string> = {}
        for (const x of all) {
          if (x.similarity === null) continue
          const was = x.similarity >= 70
          const now = x.similarity >= threshold
          if (was !== now) expected[x.token] = was ? 'pass-to-fail' : 'fail-to-pass'
        }
        expect(expected).toEqual({ [mid]: 'pass-to-fail' })
        const t = await replay({ set: { threshold } })
        expect(t.status).toBe(200)
        expect(t.body.reanalysed).toBe(false)
        expect(flips(t.body)).toEqual(expected)
        expect(t.body.counts).toMatchObject({ verifications: 4, notReplayable: 0, passToFail: 1, failToPass: 0 })
        const midRow = t.body.verifications.find((x) => x.token === mid)!
        expect(midRow.old).toMatchObject({ code: 0, similarity: v.mid.similarity })
        expect(midRow.new).toMatchObject({
          reason: 'SIMILARITY_BELOW_THRESHOLD',
          code: 2016,
          similarity: v.mid.similarity,
        })

        // the CLI gives the same answer, on the same data (no engine needed for a threshold)
        if (dialect === 'sqlite') {
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [
              '--import',
              'tsx',
              'src/cli/main.ts',
              '--data',
              srv.dataDir,
              'replay',
              '--rule',
              rule.ruleId,
              '--set',
              `threshold=${threshold}`,
              '--json',
            ],
            { env: { ...process.env, SHIREN_DATABASE_URL: srv.config.databaseUrl, SHIREN_LOG_LEVEL: 'warn' } },
          )
          expect(flips(JSON.parse(stdout) as ReplayReport)).toEqual(expected)
        }

        // 2. silent instead of action liveness: the stored videos analysed again
        const s = await replay({ set: { liveness: 'silent' } })
        expect(s.status).toBe(200)
        expect(s.body.reanalysed).toBe(true)
        expect(flips(s.body)).toEqual({ [noAction]: 'fail-to-pass' })
        expect(s.body.counts).toMatchObject({
          verifications: 4,
          notReplayable: 1,
          failToPass: 1,
          passToFail: 0,
          codeChanged: 0,
          unchanged: 2,
        })
        const row = (token: string) => s.body.verifications.find((x) => x.token === token)!
        expect(row(purged).notReplayable).toMatch(/purged/)
        expect(row(purged).new).toBeNull()
        // the same clip against the same reference: the similarity the action rule measured
        expect(Math.abs(row(noAction).new!.similarity! - v.mid.similarity!)).toBeLessThan(0.5)
        expect(row(noAction).attempts[0]!.from).toBe('media')
        expect(row(mid).new).toMatchObject({ reason: 'PASS' })
        expect(row(low).new).toMatchObject({ reason: 'SIMILARITY_BELOW_THRESHOLD' })

        // odd input: the family's 4xx with a reason, nothing replayed
        expect((await replay({ set: { threshold: 150 } })).body.error?.reason).toBe('INVALID_PARAMETER')
        const cs = await replay({ set: { compareSource: 'none' } })
        expect([cs.status, cs.body.error?.reason]).toEqual([400, 'INVALID_PARAMETER'])
        expect((await replay({ set: {}, from: 'yesterday' })).status).toBe(400)
        const unknown = await fetch(`${srv.url}/v1/rules/nope/replay`, {
          method: 'POST',
          headers: { authorization: `Bearer ${srv.shiren.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ set: { threshold: 80 } }),
        })
        expect(unknown.status).toBe(404)

        // nothing written: the ledger, the verdicts, the attempts and the webhook log are byte-identical
        expect(await snapshot()).toBe(before)
      }, 240_000)
    })
  }
})
