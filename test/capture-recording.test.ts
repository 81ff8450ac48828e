import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, MODELS, hasData } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'

const CLIP = join(DATA, 'videos/selfie/lestari_real.mp4') // a 3.78 s MP4 webcam recording of a live person
const ready = hasData && existsSync(MODELS) && existsSync(CLIP)
if (!ready)
  console.warn('[skip] ../shared/data (section E) or ../shared/models is absent: capture-recording tests skipped')

/**
 * The capture page tells the server how long its recorder ran (recMs) and the type it recorded
 * (content-type). A file that does not fit that recording was not made by the page: VIDEO_TAMPERED.
 * The same file without that context (an API upload, `shiren inspect`) is judged on its content.
 */
describe.skipIf(!ready)('capture-page uploads are checked against their recording', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let appId: string
  let secret: string
  let ruleId: string
  const clip = ready ? readFileSync(CLIP) : Buffer.alloc(0)

  beforeAll(async () => {
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    const c = await srv.shiren.apps.createApp({ name: 'recording' })
    appId = c.app.appId
    secret = c.secret
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none', maxAttempts: 1 }))
      .ruleId
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  const attempt = async (query: string, type: string) => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { BizToken } = await sdk.DetectAuth({ RuleId: ruleId, Extra: randomBytes(4).toString('hex') })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    // each upload a distinct file, so that none is taken for a replay
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: Buffer.concat([clip, randomBytes(16)]),
    })
    if (up.status !== 202) return { status: up.status, body: (await up.json()) as any, info: null, reason: null }
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    const info = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '0' })
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    return { status: up.status, body: null, info, reason: session.lastAttempt?.reason as string }
  }

  it('a recording that fits passes; one whose length or container does not fit is VIDEO_TAMPERED (h5 1002)', async () => {
    const fits = await attempt('&recMs=3900', 'video/mp4')
    expect(fits.info!.Text.ErrCode, JSON.stringify(fits.info!.Text.LivenessDetail)).toBe(0)
    // the page recorded for 9 s but a 3.8 s file arrived
    const longer = await attempt('&recMs=9000', 'video/mp4')
    expect(longer.info!.Text.ErrCode).toBe(1002)
    expect(longer.reason).toBe('VIDEO_TAMPERED')
    // the page's recorder made WebM, an MP4 arrived
    const other = await attempt('&recMs=3900', 'video/webm')
    expect(other.info!.Text.ErrCode).toBe(1002)
    expect(other.reason).toBe('VIDEO_TAMPERED')
  }, 300_000)

  it('a malformed recording length is refused at the edge with the documented error, not a 500', async () => {
    const r = await attempt('&recMs=abc', 'video/mp4')
    expect(r.status).toBe(400)
    expect(r.body.error.reason).toBe('INVALID_PARAMETER')
  }, 60_000)
})
