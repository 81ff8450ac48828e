import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { setAdminPassword } from '../../src/console-auth/index.js'
import { DESKTOP, PHONE, ensureWebBuild, hasChromium, launch, openPage, shot } from './support.js'

if (!hasChromium)
  console.warn('[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the console jobs test is skipped')

const PASSWORD = 'console-jobs-password'

/** The console's Jobs page in Chromium: the queue's figures and a dead job, requeued with one click. */
describe.skipIf(!hasChromium)('console jobs page in Chromium', () => {
  let srv: TestServer
  let b: Awaited<ReturnType<typeof launch>>
  let page: Page
  let problems: string[]

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch({ fakeMedia: false })
    srv = await startTestServer({ startQueue: false })
    await setAdminPassword(srv.dataDir, PASSWORD)
    // one job that failed its last try, and one waiting
    const jobs = srv.shiren.store.jobs
    const now = new Date().toISOString()
    const payload = JSON.stringify({ attemptId: 'att_gone' })
    await jobs.enqueue({ id: 'job_dead1', kind: 'analyse', jobKey: 'analyse:att_gone', payload, now })
    await jobs.claim(now, now, { workerId: 'w1', staleBefore: '' })
    await jobs.kill('job_dead1', 'w1', 'EIO: i/o error, read', now)
    await jobs.enqueue({ id: 'job_q1', kind: 'analyse', jobKey: 'analyse:att_wait', payload, now })
    await built
    const p = await openPage(b.browser, { viewport: DESKTOP, locale: 'en-US' })
    page = p.page
    problems = p.problems
  }, 120_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
  })

  it('shows queued, running and dead counts and the dead job with its error; requeue queues it again', async () => {
    await page.goto(`${srv.url}/console`)
    await page.fill('#f-password', PASSWORD)
    await page.click('#login-submit')
    await page.waitForSelector('[data-view="verifications"]')
    await page.click('#nav-jobs')
    await page.waitForSelector('[data-view="jobs"]')
    expect(await page.textContent('#jobs-queued')).toBe('1')
    expect(await page.textContent('#jobs-running')).toBe('0')
    expect(await page.textContent('#jobs-dead')).toBe('1')
    const row = await page.textContent('#dead-jobs tbody tr')
    expect(row).toContain('analyse:att_gone')
    expect(row).toContain('EIO: i/o error, read')
    await shot(page, 'console-jobs-en-desktop') // docs/screenshots/console-jobs-en-desktop.png is a copy

    await page.click('#requeue-job_dead1')
    await page.waitForSelector('#requeued')
    expect(await page.textContent('#jobs-dead')).toBe('0')
    expect(await page.textContent('#jobs-queued')).toBe('2')
    expect(await srv.shiren.store.jobs.counts()).toEqual({ queued: 2 })
    // at phone width the navigation (nine sections and the logout button) stays inside the screen: it
    // wraps onto more rows, and neither it nor the page scrolls sideways
    await page.setViewportSize(PHONE)
    const fit = await page.evaluate(() => {
      const nav = document.getElementById('nav')!
      const items = [...nav.children].map((e) => e.getBoundingClientRect())
      return {
        viewport: window.innerWidth,
        page: document.documentElement.scrollWidth,
        nav: { scroll: nav.scrollWidth, client: nav.clientWidth },
        items: items.length,
        rightmost: Math.max(...items.map((r) => r.right)),
        rows: new Set(items.map((r) => Math.round(r.top))).size,
      }
    })
    await shot(page, 'console-jobs-en-phone')
    expect(fit.items).toBe(10)
    expect(fit.page, 'the page scrolls sideways').toBeLessThanOrEqual(fit.viewport)
    expect(fit.nav.scroll, 'the navigation scrolls sideways').toBeLessThanOrEqual(fit.nav.client)
    expect(fit.rightmost, 'a navigation entry is past the right edge').toBeLessThanOrEqual(fit.viewport)
    expect(fit.rows).toBeGreaterThan(1)
    await page.setViewportSize(DESKTOP)

    // no script error and no CSP refusal (the 401 of the first session check before login is expected)
    expect(problems.filter((p) => !p.startsWith('Failed to load resource'))).toEqual([])
  })
})
