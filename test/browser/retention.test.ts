import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { setAdminPassword } from '../../src/console-auth/index.js'
import { DESKTOP, ensureWebBuild, hasChromium, launch, openPage, shot } from './support.js'

if (!hasChromium) console.warn('[skip] /usr/bin/chromium is absent: the retention console test is skipped')

const PASSWORD = 'retention-test-password'

/** The apps page's retention control in Chromium: set days, refuse out-of-range, back to the server default. */
describe.skipIf(!hasChromium)('console: an app’s retention', () => {
  let srv: TestServer
  let b: Awaited<ReturnType<typeof launch>>
  let page: Page
  let appId = ''
  let problems: string[] = []

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch({ fakeMedia: false })
    srv = await startTestServer()
    await setAdminPassword(srv.dataDir, PASSWORD)
    appId = (await srv.shiren.apps.createApp({ name: 'kept 3 days' })).app.appId
    await built
    const opened = await openPage(b.browser, { viewport: DESKTOP, locale: 'en-US' })
    page = opened.page
    problems = opened.problems
    page.on('dialog', (d) => void d.accept())
  }, 120_000)
  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
  })

  const retentionOf = async () => (await srv.shiren.apps.getApp(appId))!.retentionDays
  const settled = () => page.waitForSelector('#app:not([aria-busy])', { state: 'attached' })

  it('sets 7 days, refuses 400, and returns to the server default', async () => {
    await page.goto(`${srv.url}/console`)
    await page.waitForSelector('#login')
    await page.fill('#f-password', PASSWORD)
    await page.click('#login-submit')
    await page.waitForSelector('[data-view="verifications"]')
    await page.click('#nav-apps')
    await page.waitForSelector(`#retention-${appId}`)
    expect(await page.textContent('#apps')).toContain('server default')

    await page.fill(`#retention-${appId}`, '7')
    await page.click(`#retention-save-${appId}`)
    await page.waitForFunction((id) => document.querySelector('#apps')?.textContent?.includes('7 days'), appId)
    expect(await retentionOf()).toBe(7)
    await shot(page, 'console-app-retention-en-desktop')

    await page.fill(`#retention-${appId}`, '400')
    await page.click(`#retention-save-${appId}`)
    expect(await page.$eval(`#retention-${appId}`, (e) => (e as HTMLInputElement).validity.valid)).toBe(false)
    expect(await retentionOf()).toBe(7)

    await page.fill(`#retention-${appId}`, '')
    await page.click(`#retention-save-${appId}`)
    await page.waitForFunction(() => document.querySelector('#apps')?.textContent?.includes('server default'))
    expect(await retentionOf()).toBe(null)
    // a 401 before the login and the favicon's 404 are the page's own; nothing else (no CSP refusal)
    expect(problems.filter((p) => !/status of (401|404)/.test(p))).toEqual([])
  })
})
