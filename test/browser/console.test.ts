import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startTestServer, type TestServer } from '../support/server.js'
import { faceidClient } from '../support/tencent.js'
import { DATA, MODELS, hasData } from '../support/env.js'
import { createAnalysisEngine } from '../../src/analysis/index.js'
import { setAdminPassword } from '../../src/console-auth/index.js'
import { generateIdNumber, seededRng } from '../../src/identity/index.js'
import {
  DESKTOP,
  PHONE,
  cameraClip,
  ensureWebBuild,
  ff,
  foreignRequests,
  hasChromium,
  launch,
  openPage,
  shot,
} from './support.js'

const ready = hasChromium && hasData && existsSync(MODELS)
if (!hasChromium)
  console.warn(
    '[skip] /usr/bin/chromium is absent (apt-get install -y chromium): the console browser tests are skipped',
  )
else if (!ready)
  console.warn('[skip] ../shared/data or ../shared/models is absent: the console browser tests are skipped')

const PASSWORD = 'console-test-password'

/**
 * The operator console in Chromium: log in, create an app and a rule, run a verification with that
 * app through the official SDK and the capture page, then find it in the records with its best frame
 * and video, and in the usage chart; enroll and delete a registry person.
 */
describe.skipIf(!ready)('operator console in Chromium', () => {
  let srv: TestServer
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>>
  let b: Awaited<ReturnType<typeof launch>>
  let page: Page
  let requests: string[]
  let refJpg: string

  beforeAll(async () => {
    const built = ensureWebBuild()
    b = await launch()
    const face1 = join(DATA, 'videos/video_retalking/face_1.mp4')
    refJpg = join(b.dir, 'ref.jpg')
    ff('-ss', '1.0', '-i', face1, '-frames:v', '1', refJpg)
    b.useCamera(cameraClip(face1, join(b.dir, 'genuine.y4m'), { seconds: 4 }))
    engine = await createAnalysisEngine({ modelsDir: MODELS, workers: 1 })
    srv = await startTestServer({ analyser: engine })
    await setAdminPassword(srv.dataDir, PASSWORD)
    await built
    const p = await openPage(b.browser, { viewport: DESKTOP, locale: 'en-US' })
    page = p.page
    requests = p.requests
  }, 240_000)

  afterAll(async () => {
    await b?.browser.close()
    await srv?.close()
    await engine?.close()
  })

  /** a language switch redraws the page: the next step must act on the new one, not the old */
  const settled = () => page.waitForSelector('#app:not([aria-busy])', { state: 'attached' })

  /** the same screen at phone and desktop size, in English and in Chinese */
  const shots = async (name: string) => {
    for (const lang of ['en', 'zh'] as const) {
      const current = await page.evaluate(() => document.documentElement.lang)
      if ((current === 'en') !== (lang === 'en')) {
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
    if ((await page.evaluate(() => document.documentElement.lang)) !== 'en') {
      await page.click('#lang')
      await page.waitForFunction(() => document.documentElement.lang === 'en')
      await settled()
    }
  }

  it('refuses a wrong password and the management API without a session; logs in with the right one', async () => {
    expect((await fetch(`${srv.url}/v1/apps`)).status).toBe(401)
    await page.goto(`${srv.url}/console`)
    await page.waitForSelector('#login')
    await shots('login')
    await page.fill('#f-password', 'wrong-password')
    await page.click('#login-submit')
    await page.waitForSelector('#login-error:not([hidden])')
    expect(await page.textContent('#login-error')).toContain('wrong password')
    await page.fill('#f-password', PASSWORD)
    await page.click('#login-submit')
    await page.waitForSelector('[data-view="verifications"]')
    // the session cookie alone (without the console's header) does not open the management API
    const cookie = (await page.context().cookies()).find((c) => c.name === 'shiren_console')!
    expect(cookie.httpOnly).toBe(true)
    expect((await fetch(`${srv.url}/v1/apps`, { headers: { cookie: `shiren_console=${cookie.value}` } })).status).toBe(
      401,
    )
    expect(
      (
        await fetch(`${srv.url}/v1/apps`, {
          headers: { cookie: `shiren_console=${cookie.value}`, 'x-shiren-console': '1' },
        })
      ).status,
    ).toBe(200)
  })

  let appId = ''
  let secret = ''
  let ruleId = ''

  it('creates an app (the secret is shown once) and a rule with the FAR its threshold means', async () => {
    await page.click('#nav-apps')
    await page.waitForSelector('#app-form')
    await page.fill('#f-name', 'console shop')
    await page.click('#app-create')
    await page.waitForSelector('#secret')
    appId = (await page.textContent('#secret p code'))!.trim()
    secret = (await page.textContent('#secret-value'))!.trim()
    expect(appId).toMatch(/^IDA/)
    expect(secret.length).toBeGreaterThan(20)
    expect(await page.textContent('#apps')).toContain('console shop')
    await shots('apps')

    await page.click('#nav-rules')
    await page.waitForSelector('#rule-form')
    await page.selectOption('#f-app', appId)
    await page.selectOption('#f-liveness', 'silent')
    await page.selectOption('#f-compare', 'photo')
    await page.fill('#f-threshold', '80')
    expect(await page.textContent('#far-hint')).toContain('0.01 %')
    await page.fill('#f-threshold', '70')
    expect(await page.textContent('#far-hint')).toContain('0.1 %')
    await page.click('#rule-create')
    await page.waitForSelector('#rule-created')
    ruleId = (await page.textContent('#rule-created'))!.split('RuleId ')[1]!.trim()
    expect(await page.textContent('#rules')).toContain(ruleId)
    await shots('rules')

    // compare "idcard" without a card step: the API's 400 message is shown; with the front step it is created
    await page.selectOption('#f-app', appId)
    await page.selectOption('#f-compare', 'idcard')
    await page.selectOption('#f-idcardStep', 'none')
    await page.click('#rule-create')
    await page.waitForSelector('#error')
    expect(await page.textContent('#error')).toContain('needs an ID-card step')
    await page.selectOption('#f-idcardStep', 'front')
    await page.click('#rule-create')
    await page.waitForFunction(
      (old) =>
        !!document.querySelector('#rule-created') &&
        !document.querySelector('#rule-created')!.textContent!.includes(old),
      ruleId,
    )
    const cardRule = (await page.textContent('#rule-created'))!.split('RuleId ')[1]!.trim()
    expect(await srv.shiren.store.rules.get(cardRule)).toMatchObject({ compareSource: 'idcard', idcardStep: 'front' })
    const row = await page.locator('#rules tr', { hasText: cardRule }).textContent()
    expect(row).toContain('idcard')
    expect(row).toContain('front')
  })

  it('a verification run with that app and rule shows in the records with its best frame, video, signals and codes of both families, and in the usage chart', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const { readFileSync } = await import('node:fs')
    const { BizToken, Url } = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: readFileSync(refJpg).toString('base64'),
      RedirectUrl: `${srv.url}/healthz`,
    })
    const cap = await openPage(b.browser, { viewport: PHONE })
    await cap.page.goto(Url)
    await cap.page.click('#agree')
    await cap.page.waitForSelector('#hint[data-reason="OK"]', { timeout: 60_000 })
    await cap.page.click('#start')
    // back at the caller, or a verdict screen whose text says what went wrong
    await cap.page.waitForFunction(
      () =>
        location.pathname === '/healthz' || /^fail|error/.test(document.getElementById('app')?.dataset.screen ?? ''),
      undefined,
      { timeout: 120_000 },
    )
    expect(new URL(cap.page.url()).pathname, (await cap.page.textContent('#app').catch(() => '')) ?? '').toBe(
      '/healthz',
    )
    await cap.context.close()
    const r = await sdk.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '0' })
    expect(r.Text.ErrCode).toBe(0)

    await page.click('#nav-verifications')
    await page.waitForSelector('#verifications tbody tr.click')
    // search by code: the passed verification is found under 0 and not under 2016
    await page.fill('#f-code', '2016')
    await page.click('#search button[type="submit"]')
    await page.waitForSelector('#verifications td.empty')
    await page.fill('#f-code', '0')
    await page.click('#search button[type="submit"]')
    await page.waitForSelector('#verifications tbody tr.click')
    expect(await page.locator('#verifications tbody tr.click').count()).toBe(1)
    await shots('verifications')
    await page.click('#verifications tbody tr.click')
    await page.waitForSelector('[data-view="verification"]')
    await page.waitForFunction(
      () => (document.getElementById('best-frame') as HTMLImageElement | null)?.naturalWidth! > 0,
    )
    await page.waitForFunction(
      () => ((document.getElementById('video') as HTMLVideoElement | null)?.readyState ?? 0) >= 1,
    )
    expect(await page.textContent('#reason')).toBe('PASS')
    expect(await page.textContent('#code-h5')).toMatch(/^0 /)
    expect(await page.textContent('#code-sdk')).toMatch(/^0 /)
    expect(await page.textContent('#sim')).toContain(String(r.Text.Sim))
    expect(await page.textContent('#signals-1')).toContain('padScore')
    await shots('verification')

    await page.click('#nav-usage')
    await page.waitForSelector('#usage-chart')
    expect(Number(await page.textContent('#total-billable'))).toBeGreaterThanOrEqual(1)
    expect(await page.locator('#usage-chart rect.billable').count()).toBeGreaterThanOrEqual(1)
    expect(await page.textContent('#usage-codes')).toContain('h5')
    await shots('usage')
  }, 150_000)

  it('enrolls a person in the registry with a photo, lists them masked, bulk-imports photos with progress, deletes by full ID number', async () => {
    const idNumber = generateIdNumber(seededRng(7))
    await page.click('#nav-registry')
    await page.waitForSelector('#enroll')
    await page.fill('#f-rname', '李小明')
    await page.fill('#f-ridNumber', idNumber)
    await page.setInputFiles('#f-rphoto', refJpg)
    await page.click('#enroll-submit')
    await page.waitForSelector('#enrolled')
    const list = (await page.textContent('#people'))!
    expect(list).not.toContain(idNumber)
    expect(list).toContain(idNumber.slice(-4))
    await shots('registry')
    // bulk import: photos named <name>_<ID number>.jpg, with a progress line; a bad file name is reported
    const { copyFileSync } = await import('node:fs')
    const bulkIds = [generateIdNumber(seededRng(8)), generateIdNumber(seededRng(9))]
    const bulk = bulkIds.map((n, i) => {
      const f = join(b.dir, `${i ? '王芳' : '张伟'}_${n}.jpg`)
      copyFileSync(refJpg, f)
      return f
    })
    const bad = join(b.dir, 'no-id-number.jpg')
    copyFileSync(refJpg, bad)
    await page.setInputFiles('#f-bulk', [...bulk, bad])
    await page.click('#bulk-submit')
    await page.waitForFunction(() => document.getElementById('bulk-status')?.textContent?.startsWith('3/3'))
    expect(await page.textContent('#bulk-status')).toBe('3/3: 2 imported, 1 failed')
    expect(await page.textContent('#bulk .errors')).toContain('no-id-number.jpg')
    // find a face, before anything redraws the page: another frame of the same clip finds the three people enrolled
    // with it (two of them by the bulk import just now), masked, with scores
    const probeJpg = join(b.dir, 'probe.jpg')
    ff('-ss', '3.0', '-i', join(DATA, 'videos/video_retalking/face_1.mp4'), '-frames:v', '1', probeJpg)
    await page.setInputFiles('#f-sphoto', probeJpg)
    await page.click('#search-submit')
    await page.waitForSelector('#matches')
    const rows = await page.$$eval('#matches tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    )
    expect(rows).toHaveLength(3)
    const shown = rows.map((r) => r[1]).join(' ')
    for (const n of [idNumber, ...bulkIds]) {
      expect(shown).toContain(n.slice(-4))
      expect(shown).not.toContain(n)
    }
    for (const r of rows) expect(Number(r[2])).toBeGreaterThan(80)
    await shots('registry-bulk')
    await page.fill('#f-delId', idNumber)
    await page.click('#delete-submit')
    await page.waitForSelector('#deleted')
    expect(await page.textContent('#deleted')).toBe('Deleted')
    expect(foreignRequests(requests, srv.url)).toEqual([])
  })
})
