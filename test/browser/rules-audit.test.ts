import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { setAdminPassword } from '../../src/console-auth/index.js'
import { DESKTOP, PHONE, ensureWebBuild, foreignRequests, hasChromium, launch, openPage, shot } from './support.js'

if (!hasChromium)
  console.warn('[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the rule editor tests are skipped')

const PASSWORD = 'rule-editor-password'

/**
 * The console's rule editor and audit log in Chromium: edit a rule's threshold, see the new version
 * and what it changed in the history; find the edit and the login in the audit log.
 */
describe.skipIf(!hasChromium)('rule editor and audit log in Chromium', () => {
  let srv: TestServer
  let b: Awaited<ReturnType<typeof launch>>
  let page: Page
  let requests: string[]
  let problems: string[]
  let ruleId = ''

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch({ fakeMedia: false })
    srv = await startTestServer()
    await setAdminPassword(srv.dataDir, PASSWORD)
    const { app } = await srv.shiren.apps.createApp({ name: 'editor shop' })
    ruleId = (
      await srv.shiren.apps.createRule({
        appId: app.appId,
        name: 'checkout',
        liveness: 'silent',
        compareSource: 'photo',
        threshold: 70,
      })
    ).ruleId
    await built
    const p = await openPage(b.browser, { viewport: DESKTOP, locale: 'en-US' })
    page = p.page
    requests = p.requests
    problems = p.problems
  }, 240_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
  })

  const settled = () => page.waitForSelector('#app:not([aria-busy])', { state: 'attached' })

  /** the screen at desktop and phone size, in English and Chinese; back to English desktop after */
  const shots = async (name: string) => {
    for (const lang of ['en', 'zh'] as const) {
      if ((await page.evaluate(() => document.documentElement.lang)).startsWith('en') !== (lang === 'en')) {
        await page.click('#lang')
        await page.waitForFunction((l) => document.documentElement.lang.startsWith(l), lang)
        await settled()
      }
      for (const [vp, size] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        await page.setViewportSize(size)
        await shot(page, `console-${name}-${lang}-${vp}`)
      }
    }
    await page.setViewportSize(DESKTOP)
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    await settled()
  }

  it('edits a threshold: a new version, shown in the history with what it changed', async () => {
    await page.goto(`${srv.url}/console`)
    await page.waitForSelector('#login')
    await page.fill('#f-password', PASSWORD)
    await page.click('#login-submit')
    await page.waitForSelector('[data-view="verifications"]')
    await page.click('#nav-rules')
    await page.waitForSelector('#rules')
    const row = page.locator('#rules tr', { hasText: ruleId })
    expect(await row.textContent()).toContain('v1')
    await row.locator('a', { hasText: 'Edit' }).click()
    await page.waitForSelector('[data-view="rule"] #rule-edit')
    expect(await page.textContent('#rv-version')).toBe('v1')
    await page.fill('#f-rv-threshold', '82')
    expect(await page.textContent('#rv-far')).toMatch(/FAR ≤/)
    await page.click('#rule-save')
    await page.waitForSelector('#rule-saved')
    await settled()
    expect(await page.textContent('#rule-saved')).toContain('v2')
    expect(await page.textContent('#rv-version')).toBe('v2')
    const history = page.locator('#rule-versions tbody tr')
    expect(await history.count()).toBe(2)
    expect(await history.nth(0).textContent()).toMatch(/v2 · current.*console.*Threshold: 70 → 82/)
    expect(await history.nth(1).textContent()).toMatch(/v1.*system.*created/)
    // the server holds the same: version 2 with the new threshold, version 1 unchanged
    const versions = await srv.shiren.apps.ruleVersions(ruleId)
    expect(versions.map((v) => [v.version, v.settings.threshold, v.createdBy])).toEqual([
      [2, 82, 'console'],
      [1, 70, 'system'],
    ])
    // a refused change (compare with the card portrait, without a card step) shows the server's message
    await page.selectOption('#f-rv-compareSource', 'idcard')
    await page.click('#rule-save')
    await page.waitForSelector('#error')
    expect(await page.textContent('#error')).toContain('needs an ID-card step')
    expect((await srv.shiren.apps.getRule(ruleId))?.version).toBe(2)
    await page.click('#nav-rules')
    await page.waitForSelector('#rules')
    await page.locator('#rules tr', { hasText: ruleId }).locator('a').click()
    await page.waitForSelector('#rule-versions')
    await settled()
    await shots('rule-editor')
  })

  it('the audit log lists the edit and the login, filtered by action family', async () => {
    await page.click('#nav-audit')
    await page.waitForSelector('#audit')
    await settled()
    const all = await page.textContent('#audit')
    expect(all).toContain('rule.update')
    expect(all).toContain('console.login')
    expect(all).toMatch(/threshold: 70 → 82/)
    await page.selectOption('#f-au-action', 'rule')
    await page.click('#audit-show')
    await page.waitForFunction(() => location.hash.includes('action=rule'))
    await settled()
    const rules = await page.locator('#audit tbody tr').allTextContents()
    expect(rules.length).toBe(2) // rule.create (system), rule.update (console); the refused edit left none
    expect(rules.every((r) => /rule\.(create|update)/.test(r))).toBe(true)
    await page.selectOption('#f-au-action', '')
    await page.click('#audit-show')
    await page.waitForFunction(() => !location.hash.includes('action='))
    await settled()
    await shots('audit')
    expect(foreignRequests(requests, srv.url)).toEqual([])
    expect(problems.filter((p) => !/status of 4\d\d/.test(p))).toEqual([])
  })
})
