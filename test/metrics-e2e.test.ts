import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ffmpeg from '@ffmpeg-installer/ffmpeg'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { DATA, MODELS, hasData, tempDir } from './support/env.js'
import { createAnalysisEngine } from '../src/analysis/index.js'

const ready = hasData && existsSync(MODELS)
if (!ready) console.warn('[skip] ../shared/data or ../shared/models is absent: the /metrics end-to-end test is skipped')

/** the sum of the series `name` whose labels include `labels`, in Prometheus text; 0 when absent */
function series(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').pop())
  }
  return total
}

/**
 * Issue 14 item 5: /metrics scraped before and after one real verification (the official SDK, the
 * capture API and the vision engine) shows the named series move: the verdict per reason and family,
 * the job's duration, the engine's stage timings, the requests per route family; and the request id
 * of the upload is in the job's log lines.
 */
describe.skipIf(!ready)('/metrics around a verification with the vision engine', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let reference: Buffer

  beforeAll(async () => {
    const dir = tempDir()
    const clip = join(DATA, 'videos/video_retalking/face_1.mp4')
    execFileSync(ffmpeg.path, [
      '-loglevel',
      'error',
      '-y',
      '-ss',
      '1.0',
      '-i',
      clip,
      '-frames:v',
      '1',
      join(dir, 'ref.jpg'),
    ])
    reference = readFileSync(join(dir, 'ref.jpg'))
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    // the test client is the trusted proxy, so its X-Request-Id is taken
    srv = await startTestServer({ analyser: engine, env: { SHIREN_TRUST_PROXY: '127.0.0.1' } })
  }, 240_000)
  afterAll(async () => {
    await srv?.close()
    await engine?.close()
  })

  const scrape = async () => {
    const r = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${srv.shiren.adminToken}` } })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    return r.text()
  }

  it('verdicts, job and stage durations, requests per family move; the request id reaches the job logs', async () => {
    const { app, secret } = await srv.shiren.apps.createApp({ name: 'metrics' })
    const rule = await srv.shiren.apps.createRule({
      appId: app.appId,
      liveness: 'silent',
      compareSource: 'photo',
      maxAttempts: 1,
    })
    const before = await scrape()
    const sdk = faceidClient(srv.url, app.appId, secret)
    const { BizToken } = await sdk.DetectAuth({ RuleId: rule.ruleId, ImageBase64: reference.toString('base64') })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4', 'x-request-id': 'req-metrics-e2e' },
      body: readFileSync(join(DATA, 'videos/video_retalking/face_1.mp4')),
    })
    expect(up.status).toBe(202)
    expect(await srv.shiren.queue.idle(120_000)).toBe(true)
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: rule.ruleId, InfoType: '0' })
    expect(r.Text.ErrCode, JSON.stringify(r.Text.LivenessDetail)).toBe(0)
    const after = await scrape()

    const moved = (name: string, labels: Record<string, string> = {}) =>
      series(after, name, labels) - series(before, name, labels)
    expect(moved('shiren_verdicts_total', { family: 'h5', reason: 'PASS', billable: 'true' })).toBe(1)
    expect(moved('shiren_job_duration_seconds_count', { kind: 'analyse', outcome: 'success' })).toBe(1)
    expect(moved('shiren_job_duration_seconds_sum', { kind: 'analyse' })).toBeGreaterThan(0)
    for (const stage of ['decode', 'detect', 'compare', 'total'])
      expect(moved('shiren_analysis_stage_seconds_count', { stage }), stage).toBe(1)
    expect(moved('shiren_worker_busy_seconds_total', { kind: 'analyse' })).toBeGreaterThan(0)
    expect(moved('shiren_http_requests_total', { family: 'h5', status: '2xx' })).toBe(2)
    expect(moved('shiren_http_requests_total', { family: 'capture', status: '2xx' })).toBe(2)
    expect(moved('shiren_http_request_duration_seconds_count', { family: 'capture' })).toBe(2)
    expect(series(after, 'shiren_queue_jobs', { state: 'queued' })).toBe(0)
    expect(series(after, 'shiren_worker_utilisation_ratio')).toBeGreaterThan(0)

    const jobLines = srv
      .logs()
      .split('\n')
      .filter((l) => l.includes('"requestId":"req-metrics-e2e"'))
    expect(jobLines.some((l) => l.includes('"analysis job started"'))).toBe(true)
    expect(jobLines.some((l) => l.includes('"analysis job finished"') && l.includes('"reason":"PASS"'))).toBe(true)
  }, 180_000)
})
