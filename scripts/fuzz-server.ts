/**
 * A fresh loopback shiren (SQLite in a temp folder, or a fresh PostgreSQL schema) with one app, one rule,
 * one open verification and a console session: what `npm run fuzz` and `npm run bench:soak` aim at.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { startServer } from '../src/server.js'
import { setAdminPassword } from '../src/console-auth/index.js'
import { freshPostgresSchema } from '../test/support/env.js'
import { tc3Headers, type FuzzTarget } from './fuzz-requests.js'

export interface FuzzServer {
  url: string
  target: FuzzTarget
  stop(): Promise<void>
}

export async function startFuzzServer(db: string, label: string): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `shiren-${label}-`))
  const pgSchema = db === 'postgres' ? await freshPostgresSchema() : null
  const config = loadConfig(
    { SHIREN_OCR_WORKERS: '0' },
    { dataDir, port: 0, host: '127.0.0.1', ...(pgSchema && { databaseUrl: pgSchema.url }), logLevel: 'fatal' },
  )
  const running = await startServer(config, createLogger('fatal'), { withVision: false })
  const s = running.shiren
  const { app, secret } = await s.apps.createApp({ name: label })
  const rule = await s.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
  const host = new URL(running.url).host
  const body = Buffer.from(JSON.stringify({ RuleId: rule.ruleId }))
  const detect = (await (
    await fetch(`${running.url}/`, {
      method: 'POST',
      headers: tc3Headers(host, 'DetectAuth', app.appId, secret, body),
      body,
    })
  ).json()) as { Response: { BizToken: string } }
  const password = `${label} password`
  await setAdminPassword(dataDir, password)
  const login = await fetch(`${running.url}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  })
  return {
    url: running.url,
    target: {
      appId: app.appId,
      secret,
      ruleId: rule.ruleId,
      token: detect.Response.BizToken,
      adminToken: s.adminToken,
      consoleCookie: /shiren_console=([^;]*)/.exec(login.headers.get('set-cookie') ?? '')?.[1] ?? '',
    },
    async stop() {
      await running.stop()
      await pgSchema?.drop()
    },
  }
}
