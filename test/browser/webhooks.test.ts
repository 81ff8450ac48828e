import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { faceidClient } from '../support/tencent.js'
import { setAdminPassword } from '../../src/console-auth/index.js'
import { join } from 'node:path'
import { DESKTOP, ROOT, ensureWebBuild, hasChromium, launch, openPage, shot } from './support.js'

if (!hasChromium)
  console.warn('[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the webhook console test is skipped')

const PASSWORD = 'webhook-console-password'

/**
 * The console's delivery log in Chromium: a receiver on loopback fails twice, then accepts; the log
 * shows the three tries; the operator's retry sends the same event once more and the log shows it.
 */
describe.skipIf(!hasChromium)('webhook delivery log in the console', () => {
  let srv: TestServer
  let b: Awaited<ReturnType<typeof launch>>
  let page: Page
  let receiver: Server
  const got: Array<{ key: string; status: number }> = []

  beforeAll(async () => {
    const built = ensureWebBuild()
    receiver = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        const status = got.length < 2 ? 503 : 200
        got.push({ key: String(req.headers['idempotency-key']), status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    b = await launch({ fakeMedia: false })
    srv = await startTestServer({ env: { SHIREN_WEBHOOK_ALLOW_PRIVATE: '1', SHIREN_WEBHOOK_BACKOFF_MS: '200' } })
    await setAdminPassword(srv.dataDir, PASSWORD)
    await built
    page = (await openPage(b.browser, { viewport: DESKTOP, locale: 'en-US' })).page
  }, 240_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()))
  })

  it('shows every try of an event, and the retry button delivers it once more under the same idempotency key', async () => {
    const { app, secret } = await srv.shiren.apps.createApp({ name: 'Shop backend' })
    const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'action', compareSource: 'none' })
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/shiren`
    await srv.shiren.webhooks.set(app.appId, { url })
    // an invalid ID number finishes the verification at once: its outcome is announced
    await faceidClient(srv.url, app.appId, secret).DetectAuth({
      RuleId: rule.ruleId,
      Name: '李四',
      IdCard: '110101199003077777',
    })
    const end = Date.now() + 20_000
    while (!got.some((g) => g.status === 200) && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
    expect(got.map((g) => g.status)).toEqual([503, 503, 200])

    await page.goto(`${srv.url}/console`)
    await page.waitForSelector('#login')
    await page.fill('#f-password', PASSWORD)
    await page.click('#login-submit')
    await page.waitForSelector('[data-view="verifications"]')
    await page.click('#nav-webhooks')
    await page.waitForSelector('[data-view="webhooks"] #wh-log')
    expect(await page.inputValue('#f-wh-url')).toBe(url)
    const rows = () => page.$$eval('#wh-log .tries li', (li) => li.map((x) => x.textContent ?? ''))
    const before = await rows()
    expect(before).toHaveLength(3)
    expect(before[0]).toMatch(/ 503 · \d+ ms$/)
    expect(before[2]).toMatch(/ 200 · \d+ ms$/)
    expect(await page.textContent('#wh-log .pill')).toBe('Delivered')

    await page.click('#wh-log button[id^="wh-retry-"]')
    await page.waitForSelector('#wh-retried')
    while (got.length < 4 && Date.now() < end + 10_000) await new Promise((r) => setTimeout(r, 50))
    expect(got).toHaveLength(4)
    expect(new Set(got.map((g) => g.key)).size).toBe(1)
    // the log shows the manual try once it is recorded
    await page.goto(`${srv.url}/console#/webhooks?app=${app.appId}`)
    await page.waitForFunction(() => document.querySelectorAll('#wh-log .tries li').length === 4)
    await page.waitForSelector('#app:not([aria-busy])', { state: 'attached' })
    expect((await rows())[3]).toMatch(/ 200 · \d+ ms · manual$/)
    await shot(page, 'console-webhooks-en-desktop')
    // the README's picture: the whole page, the delivery log with its manual retry included
    await page.screenshot({
      path: join(ROOT, 'docs', 'screenshots', 'console-webhooks-en-desktop.png'),
      fullPage: true,
    })
  })
})
