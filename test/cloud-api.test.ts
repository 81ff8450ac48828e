import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient, rawTc3 } from './support/tencent.js'
import { DATA, hasData } from './support/env.js'

// The h5 family through the official Tencent Cloud SDK for Node.js, against a real shiren on loopback.
describe('h5 family: Tencent Cloud API 3.0 (official SDK)', () => {
  let srv: TestServer
  let appId: string
  let secret: string
  let ruleId: string
  let registryRule: string
  const person = { name: '张三', idNumber: '11010519491231002X' }
  const photo = hasData
    ? readFileSync(
        join(
          DATA,
          'faces/lfw',
          readdirSync(join(DATA, 'faces/lfw'))[0]!,
          readdirSync(join(DATA, 'faces/lfw', readdirSync(join(DATA, 'faces/lfw'))[0]!))[0]!,
        ),
      )
    : Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.alloc(2000)])

  beforeAll(async () => {
    srv = await startTestServer()
    const created = await srv.shiren.apps.createApp({ name: 'h5 test' })
    appId = created.app.appId
    secret = created.secret
    ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'action', compareSource: 'photo' })).ruleId
    registryRule = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'registry' })).ruleId
    await srv.shiren.registry.enroll({ ...person, photo })
    await srv.shiren.registry.enroll({ name: '李四', idNumber: '440524198001010013', photo: null })
  })
  afterAll(async () => srv?.close())

  it('DetectAuth returns a BizToken and the capture-page Url; GetDetectInfoEnhanced reads it back', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const r = await sdk.DetectAuth({
      RuleId: ruleId,
      ImageBase64: photo.toString('base64'),
      Extra: 'order-42',
      RedirectUrl: 'https://example.com/back',
    })
    expect(r.BizToken).toMatch(/^[0-9A-F-]{36}$/)
    expect(r.Url).toBe(`${srv.url}/capture?token=${r.BizToken}`)
    expect(typeof r.RequestId).toBe('string')
    const info = await sdk.GetDetectInfoEnhanced({ BizToken: r.BizToken, RuleId: ruleId, InfoType: '0' })
    expect(info.Text.ErrCode).toBeNull()
    expect(info.Text.Extra).toBe('order-42')
    expect(info.Text.LivenessMode).toBe(2)
    expect(info.IsVerifyIntention).toBe(false)
    const legacy = await sdk.GetDetectInfo({ BizToken: r.BizToken, RuleId: ruleId, InfoType: '1' })
    expect(JSON.parse(legacy.DetectInfo).Text.Extra).toBe('order-42')
    expect(JSON.parse(legacy.DetectInfo).BestFrame).toBeUndefined()
  })

  it('a wrong secret gets AuthFailure.SignatureFailure', async () => {
    const sdk = faceidClient(
      srv.url,
      appId,
      secret.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
    )
    await expect(sdk.DetectAuth({ RuleId: ruleId })).rejects.toMatchObject({ code: 'AuthFailure.SignatureFailure' })
  })

  it('a clock 10 minutes off gets AuthFailure.SignatureExpire', async () => {
    srv.clock.advance(600)
    try {
      const sdk = faceidClient(srv.url, appId, secret)
      await expect(sdk.DetectAuth({ RuleId: ruleId })).rejects.toMatchObject({ code: 'AuthFailure.SignatureExpire' })
    } finally {
      srv.clock.advance(-600)
    }
  })

  it('an unknown SecretId gets AuthFailure.SecretIdNotFound, an unknown RuleId RuleIdNotExist', async () => {
    await expect(faceidClient(srv.url, 'IDANOPE1', secret).DetectAuth({ RuleId: ruleId })).rejects.toMatchObject({
      code: 'AuthFailure.SecretIdNotFound',
    })
    await expect(faceidClient(srv.url, appId, secret).DetectAuth({ RuleId: 'NOPE' })).rejects.toMatchObject({
      code: 'InvalidParameterValue.RuleIdNotExist',
    })
  })

  it('a BizToken of nobody gets InvalidParameter 非法BizToken; an unsupported action says so', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    await expect(sdk.GetDetectInfoEnhanced({ BizToken: 'NOT-A-TOKEN', RuleId: ruleId })).rejects.toMatchObject({
      code: 'InvalidParameter',
      message: '非法BizToken。',
    })
    await expect(sdk.GetLiveCode({})).rejects.toMatchObject({ code: 'UnsupportedOperation' })
  })

  it('identity problems become the verification verdict with the catalog code and billing flag', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const cases: Array<[Record<string, unknown>, number, boolean]> = [
      [{ Name: '张三😀', IdCard: person.idNumber }, 2002, false],
      [{ Name: "Robert'); DROP TABLE apps;--", IdCard: person.idNumber }, 2002, false],
      [{ Name: person.name, IdCard: '110105194912310021' }, 2003, false],
      [{ Name: '王五', IdCard: '110101199003074477' }, 2005, false],
      [{ Name: '王五', IdCard: person.idNumber }, 2006, true],
      [{ Name: '李四', IdCard: '440524198001010013' }, 2007, true],
    ]
    for (const [identity, code, billable] of cases) {
      const r = await sdk.DetectAuth({ RuleId: registryRule, ...identity })
      const info = await sdk.GetDetectInfoEnhanced({ BizToken: r.BizToken, RuleId: registryRule, InfoType: '1' })
      expect(info.Text.ErrCode, JSON.stringify(identity)).toBe(code)
      expect(info.Text.LivenessDetail).toHaveLength(1)
      expect(info.Text.LivenessDetail[0].IsNeedCharge).toBe(billable)
    }
    // the apps table survived the name above, and the ledger has one row per finished attempt
    expect((await srv.shiren.apps.listApps()).length).toBeGreaterThan(0)
    const today = new Date().toISOString().slice(0, 10)
    const usage = await srv.shiren.billing.usage({ from: today, to: today, appId })
    const row = (c: number) => usage.rows.find((r) => r.family === 'h5' && r.code === c)
    expect(row(2006)).toMatchObject({ billable: 1, free: 0 })
    expect(row(2007)).toMatchObject({ billable: 1, free: 0 })
    expect(row(2002)).toMatchObject({ billable: 0, free: 2 })
  })

  it('bad input gets a platform error, never a 500', async () => {
    const call = (action: string, body: string | Buffer) => rawTc3(srv.url, appId, secret, action, body)
    const bad = [
      [await call('DetectAuth', '{"RuleId": '), 'InvalidParameter'],
      [await call('DetectAuth', '[1,2]'), 'InvalidParameter'],
      [await call('DetectAuth', JSON.stringify({ RuleId: 42 })), 'InvalidParameter'],
      [await call('DetectAuth', JSON.stringify({})), 'MissingParameter'],
      [
        await call('DetectAuth', JSON.stringify({ RuleId: ruleId, ImageBase64: 'not base64!!' })),
        'InvalidParameterValue',
      ],
      [
        await call('DetectAuth', JSON.stringify({ RuleId: ruleId, RedirectUrl: 'javascript:alert(1)' })),
        'InvalidParameterValue',
      ],
      [
        await call(
          'DetectAuth',
          JSON.stringify({ RuleId: ruleId, ImageBase64: Buffer.from('plain text, not an image').toString('base64') }),
        ),
        'FailedOperation.ImageDecodeFailed',
      ],
      [await call('DetectAuth', Buffer.alloc(11 * 1024 * 1024, 0x20)), 'RequestSizeLimitExceeded'],
      [await call('NoSuchThing', '{}'), 'InvalidAction'],
      [await rawTc3(srv.url, appId, secret, 'GetDetectInfo', '{}', { version: '2017-01-01' }), 'NoSuchVersion'],
    ] as const
    for (const [res, code] of bad) {
      expect(res.status).toBe(200)
      expect(res.json.Response.Error.Code).toBe(code)
      expect(JSON.stringify(res.json)).not.toMatch(/at .*\.ts:\d+|stack/i)
    }
  })

  it('a repeated signed DetectAuth (retry or replay) returns the same verification; concurrent distinct requests all succeed', async () => {
    const body = JSON.stringify({ RuleId: ruleId, ImageBase64: photo.toString('base64') })
    const ts = Math.floor(Date.now() / 1000)
    const [first, again] = await Promise.all(
      [1, 2].map(() => rawTc3(srv.url, appId, secret, 'DetectAuth', body, { timestamp: ts })),
    )
    expect(first!.json.Response.BizToken).toBeTruthy()
    expect(again!.json.Response.BizToken).toBe(first!.json.Response.BizToken)
    const later = await rawTc3(srv.url, appId, secret, 'DetectAuth', body, { timestamp: ts })
    expect(later.json.Response.BizToken).toBe(first!.json.Response.BizToken)
    const sdk = faceidClient(srv.url, appId, secret)
    const many = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sdk.DetectAuth({ RuleId: ruleId, ImageBase64: photo.toString('base64'), Extra: `n${i}` }),
      ),
    )
    expect(new Set(many.map((r) => r.BizToken)).size).toBe(8)
  })

  it('GetFaceIdToken / GetFaceIdResult: a token, and its result once the flow ran', async () => {
    const sdk = faceidClient(srv.url, appId, secret)
    const t = await sdk.GetFaceIdToken({ CompareLib: 'BUSINESS', Name: '王五', IdCard: person.idNumber })
    expect(t.FaceIdToken).toBeTruthy()
    const r = await sdk.GetFaceIdResult({ FaceIdToken: t.FaceIdToken })
    expect(r.Result).toBe('2006')
    expect(r.Description).toBe('姓名和身份证号不一致，请核实后重试')
    expect(r.ShirenRuleVersion).toBe(1)
    await expect(sdk.GetFaceIdToken({ CompareLib: 'LOCAL' })).rejects.toMatchObject({ code: 'MissingParameter' })
  })
})
