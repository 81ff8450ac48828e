import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { dialects } from './support/env.js'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient } from './support/tencent.js'
import { setAdminPassword } from '../src/console-auth/index.js'
import { FUZZ_FAMILIES, answerProblem, fuzzRequests, headersFor, type FuzzTarget } from '../scripts/fuzz-requests.js'

/**
 * Seeded property-based fuzzing of every API family (issue 11): 500 requests per family and
 * database, 5,000 in all, sent through fastify's inject (the whole HTTP stack but the socket). No
 * answer may be a 5xx or show internals (stack, SQL, driver messages); h5 always answers its
 * envelope, sdk never -1105. `npm run fuzz -- --requests N` runs the same generators over loopback.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500)
const SEED = Number(process.env.FUZZ_SEED ?? 20261206)

for (const dialect of await dialects()) {
  describe(`fuzz (${dialect})`, () => {
    let srv: TestServer
    let target: FuzzTarget

    beforeAll(async () => {
      srv = await startTestServer({ dialect })
      const { app, secret } = await srv.shiren.apps.createApp({ name: 'fuzz' })
      const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
      const token = (await faceidClient(srv.url, app.appId, secret).DetectAuth({ RuleId: rule.ruleId })).BizToken
      await setAdminPassword(srv.dataDir, 'fuzz password')
      const login = await srv.app.inject({
        method: 'POST',
        url: '/console/api/login',
        payload: { password: 'fuzz password' },
      })
      const consoleCookie = /shiren_console=([^;]*)/.exec(String(login.headers['set-cookie']))![1]!
      target = {
        appId: app.appId,
        secret,
        ruleId: rule.ruleId,
        token,
        adminToken: srv.shiren.adminToken,
        consoleCookie,
      }
    })
    afterAll(async () => srv?.close())

    for (const family of FUZZ_FAMILIES) {
      it(`${family}: ${RUNS} seeded requests, no 5xx, no internals`, async () => {
        let sent = 0
        await fc.assert(
          fc.asyncProperty(fuzzRequests(family, target), async (r) => {
            const res = await srv.app.inject({
              method: r.method,
              url: r.url,
              headers: headersFor(r, 'localhost:80'),
              ...(r.body && { payload: r.body }),
            })
            sent++
            const problem = answerProblem(r, { status: res.statusCode, body: res.body })
            if (problem) throw new Error(`${r.method} ${r.url}: ${problem}`)
          }),
          { numRuns: RUNS, seed: SEED },
        )
        expect(sent).toBeGreaterThanOrEqual(RUNS)
      }, 120_000)
    }
  })
}
