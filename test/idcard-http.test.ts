import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient, type FaceidSdk } from './support/tencent.js'
import { DATA, hasData } from './support/env.js'
import { ticketSign } from '../src/auth/index.js'
import { REMEDIES } from '../src/codes/index.js'

const CARDS = join(DATA, 'idcards')
const ready = hasData && existsSync(CARDS)
if (!ready) console.warn('[skip] ../shared/data/idcards is absent: the ID-card step HTTP tests are skipped')

/**
 * The ID-card step over HTTP, on the real OCR workers and the real specimens of ../shared/data/idcards:
 * each card code (301/302/303) from a real cause, its billing flag, the Ocr* and IdCardData fields of
 * GetDetectInfoEnhanced, the card as identity, and the face step waiting for the card.
 */
describe.skipIf(!ready)('ID-card step (h5 family)', () => {
  let srv: TestServer
  let sdk: FaceidSdk
  let appId: string
  const card = (name: string) => readFileSync(join(CARDS, name))
  // 小静's card: a real photo portrait, number 370782198709170246, turned by 90°
  const xiaojing = () => card('chineseocr_card.png')
  // 张三: front and back on one image, valid until 2020.12.12
  const zhangsan = () => card('bzsome_result_color.png')

  beforeAll(async () => {
    srv = await startTestServer({ analyser: null })
    const c = await srv.shiren.apps.createApp({ name: 'idcard' })
    appId = c.app.appId
    sdk = faceidClient(srv.url, appId, c.secret)
  }, 60_000)
  afterAll(async () => {
    await srv?.close()
  })

  const rule = async (idcardStep: 'front' | 'both', maxAttempts = 1, compareSource: 'none' | 'idcard' = 'none') =>
    (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource, idcardStep, maxAttempts })).ruleId
  const sendCard = async (token: string, side: string, body: Buffer, type = 'image/jpeg') => {
    const r = await fetch(`${srv.url}/capture/api/idcard?token=${token}&side=${side}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const result = (BizToken: string, RuleId: string, InfoType = '0') =>
    sdk.GetDetectInfoEnhanced({ BizToken, RuleId, InfoType })

  it('303: a photo with no card in it (an LFW face) uses the attempt and ends the verification, not billable', async () => {
    const RuleId = await rule('front')
    const { BizToken } = await sdk.DetectAuth({ RuleId })
    const lfw = join(DATA, 'faces/lfw')
    const person = readdirSync(lfw).sort()[0]!
    const face = readFileSync(join(lfw, person, readdirSync(join(lfw, person))[0]!))
    const r = await sendCard(BizToken, 'front', face)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ accepted: false, verdict: { reason: 'OCR_FAILED', code: 303, billable: false } })
    // the page shows what to do under the code
    expect(r.body.verdict.remedy).toEqual(REMEDIES.OCR_FAILED)
    expect(r.body.session.result).toMatchObject({ code: 303 })
    const out = await result(BizToken, RuleId)
    expect(out.Text.ErrCode).toBe(303)
    expect(out.Text.LivenessDetail).toHaveLength(1)
    expect(out.Text.LivenessDetail[0]).toMatchObject({ Errcode: 303, IsNeedCharge: false })
    expect(out.Text.OcrIdCard).toBeNull()
  })

  it('301: the card shows another number than the one declared', async () => {
    const RuleId = await rule('front')
    const { BizToken } = await sdk.DetectAuth({ RuleId, Name: '小静', IdCard: '11010519491231002X' })
    const r = await sendCard(BizToken, 'front', xiaojing(), 'image/png')
    expect(r.body).toMatchObject({
      accepted: false,
      verdict: { reason: 'IDCARD_NUMBER_MISMATCH', code: 301, billable: false },
    })
    const out = await result(BizToken, RuleId)
    expect(out.Text.ErrCode).toBe(301)
    expect(out.Text.LivenessDetail[0]).toMatchObject({ Errcode: 301, IsNeedCharge: false })
    // what the card says is reported as read, beside the declared identity
    expect(out.Text).toMatchObject({ IdCard: '11010519491231002X', OcrIdCard: '370782198709170246', OcrName: '小静' })
  })

  it('302: a card whose validity ended (back side), after an accepted front', async () => {
    const RuleId = await rule('both')
    const { BizToken } = await sdk.DetectAuth({ RuleId })
    const front = await sendCard(BizToken, 'front', zhangsan())
    expect(front.body).toMatchObject({
      accepted: true,
      verdict: { code: 0 },
      idcard: { needed: ['front', 'back'], done: ['front'], next: 'back' },
    })
    expect(front.body.shown).toEqual({ name: '张*', idNumber: '513***********6346', validTo: null })
    const back = await sendCard(BizToken, 'back', zhangsan())
    expect(back.body).toMatchObject({
      accepted: false,
      verdict: { reason: 'IDCARD_EXPIRED', code: 302, billable: false },
    })
    const out = await result(BizToken, RuleId)
    expect(out.Text.ErrCode).toBe(302)
    expect(out.Text).toMatchObject({
      OcrName: '张三',
      OcrValidDate: '2010.01.01-2020.12.12',
      OcrAuthority: '四川省成都市锦江分局',
      IdInfoFrom: 'OCR',
    })
    expect(out.Text.LivenessDetail[0]).toMatchObject({ Errcode: 302, IsNeedCharge: false })
  })

  it('an accepted card: the face step waits for it, the card becomes the identity, and the result carries the card', async () => {
    const RuleId = await rule('front', 2)
    const { BizToken } = await sdk.DetectAuth({ RuleId, Extra: 'card-pass' })
    await fetch(`${srv.url}/capture/api/challenge?token=${BizToken}`, { method: 'POST' })
    const video = readFileSync(join(DATA, 'videos/video_retalking/face_1.mp4'))
    const early = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: video,
    })
    expect(early.status).toBe(409)
    expect(((await early.json()) as any).error).toMatchObject({
      reason: 'BUSINESS_REQUEST_INVALID',
      detail: expect.stringContaining('ID-card step comes first'),
    })
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    expect(session.idcard).toEqual({ step: 'front', needed: ['front'], done: [], next: 'front' })

    const png = xiaojing()
    const r = await sendCard(BizToken, 'front', png, 'image/png')
    expect(r.body).toMatchObject({ accepted: true, idcard: { next: null }, session: { attemptsUsed: 0 } })
    const up = await fetch(`${srv.url}/capture/api/upload?token=${BizToken}`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: video,
    })
    expect(up.status).toBe(202)

    const out = await result(BizToken, RuleId, '12')
    expect(out.Text).toMatchObject({
      Name: '小静',
      IdCard: '370782198709170246',
      IdInfoFrom: 'OCR',
      OcrName: '小静',
      OcrIdCard: '370782198709170246',
      OcrGender: '女',
      OcrNation: '汉',
      OcrBirth: '1987/9/17',
      OcrAddress: '北京市海淀区西北旺东路100号中关村科技园',
      OcrValidDate: null,
    })
    expect(Buffer.from(out.IdCardData.OcrFront, 'base64').equals(png)).toBe(true)
    expect(out.IdCardData.OcrBack).toBeNull()
    expect(Buffer.from(out.IdCardData.Avatar, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    const legacy = JSON.parse((await sdk.GetDetectInfo({ BizToken, RuleId, InfoType: '12' })).DetectInfo)
    expect(legacy.Text).toMatchObject({ OcrName: '小静', OcrIdCard: '370782198709170246' })
    expect(Buffer.from(legacy.IdCardData.OcrFront, 'base64').equals(png)).toBe(true)

    // retention: the card photo, the portrait and the reading are deleted with the rest
    const v = (await srv.shiren.verifications.byToken(BizToken))!
    const blobs = await srv.shiren.store.idcards.blobsFor(v.id)
    expect(blobs).toHaveLength(2)
    srv.clock.advance(srv.config.retentionS + 7300)
    try {
      await srv.shiren.verifications.purgeExpired(10_000)
    } finally {
      srv.clock.advance(-(srv.config.retentionS + 7300))
    }
    expect(await srv.shiren.store.idcards.listFor(v.id)).toEqual([])
    for (const key of blobs) expect(await srv.shiren.verifications.blob(key)).toBeNull()
  })

  it('bad input: not an image (415), a side the rule does not ask for (400), a rule without a card step (409); none uses an attempt', async () => {
    const RuleId = await rule('front')
    const { BizToken } = await sdk.DetectAuth({ RuleId })
    const junk = await sendCard(
      BizToken,
      'front',
      Buffer.from('%PDF-1.4 not a card photo'.repeat(10)),
      'application/octet-stream',
    )
    expect(junk.status).toBe(415)
    expect(junk.body.error).toMatchObject({ reason: 'FILE_FORMAT_INVALID' })
    const back = await sendCard(BizToken, 'back', xiaojing(), 'image/png')
    expect(back.status).toBe(400)
    expect(back.body.error).toMatchObject({ reason: 'INVALID_PARAMETER' })
    const noSide = await sendCard(BizToken, 'left', xiaojing(), 'image/png')
    expect(noSide.status).toBe(400)
    const plain = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none' })).ruleId
    const other = await sdk.DetectAuth({ RuleId: plain })
    expect((await sendCard(other.BizToken, 'front', xiaojing(), 'image/png')).status).toBe(409)
    const session = (await (await fetch(`${srv.url}/capture/api/session?token=${BizToken}`)).json()) as any
    expect(session).toMatchObject({ attemptsUsed: 0, idcard: { next: 'front' } })
  })

  it('sdk family: a rule with a card step is refused with 66660030 (the seeds give the sdk family no card codes)', async () => {
    const RuleId = await rule('front')
    const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
    const secret = await srv.shiren.apps.rotateSecret(appId)
    sdk = faceidClient(srv.url, appId, secret)
    const token = (
      await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
    ).access_token
    const ticket = (await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${token}&type=SIGN&version=1.0.0`))
      .tickets[0].value
    const nonce = 'n'.repeat(32)
    const res = await fetch(`${srv.url}/api/server/getfaceid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId,
        orderNo: 'card-sdk-1',
        userId: 'u1',
        version: '1.0.0',
        nonce,
        name: '小静',
        idNo: '370782198709170246',
        ruleId: RuleId,
        sign: ticketSign([appId, 'u1', '1.0.0', nonce, ticket]),
      }),
    })
    expect(((await res.json()) as any).code).toBe('66660030')
  })
})
