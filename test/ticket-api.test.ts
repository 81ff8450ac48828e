import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { startTestServer, type TestServer } from './support/server.js'
import { ticketSign } from '../src/auth/index.js'

/** A ticket-flow client as the vendor's docs describe it (and as integrators write it). */
class TicketClient {
  constructor(
    private readonly base: string,
    readonly appId: string,
    private readonly secret: string,
  ) {}
  async get(path: string, params: Record<string, string>) {
    const res = await fetch(`${this.base}${path}?${new URLSearchParams(params)}`)
    return { status: res.status, json: (await res.json()) as any }
  }
  async post(path: string, body: unknown) {
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: res.status, json: (await res.json()) as any }
  }
  token(secret = this.secret) {
    return this.get('/api/oauth2/access_token', {
      appId: this.appId,
      secret,
      grant_type: 'client_credential',
      version: '1.0.0',
    })
  }
  ticket(accessToken: string, type: 'SIGN' | 'NONCE', userId?: string) {
    return this.get('/api/oauth2/api_ticket', {
      app_id: this.appId,
      access_token: accessToken,
      type,
      version: '1.0.0',
      ...(userId && { user_id: userId }),
    })
  }
}

const nonce = () => randomBytes(16).toString('hex')

describe('sdk family: ticket flow (access token, SIGN/NONCE tickets, SHA-1 signatures)', () => {
  let srv: TestServer
  let c: TicketClient
  let signTicket: string
  let accessToken: string

  beforeAll(async () => {
    srv = await startTestServer()
    const { app, secret } = await srv.shiren.apps.createApp({ name: 'sdk test' })
    await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'registry' })
    await srv.shiren.registry.enroll({
      name: '张三',
      idNumber: '11010519491231002X',
      photo: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4000)]),
    })
    c = new TicketClient(srv.url, app.appId, secret)
    const t = await c.token()
    accessToken = t.json.access_token
    signTicket = (await c.ticket(accessToken, 'SIGN')).json.tickets[0].value
  })
  afterAll(async () => srv?.close())

  const getfaceid = (extra: Record<string, unknown> = {}, ticket = signTicket) => {
    const n = nonce()
    const userId = (extra.userId as string) ?? 'user1'
    const body = {
      appId: c.appId,
      orderNo: `o${nonce().slice(0, 12)}`,
      name: '张三',
      idNo: '11010519491231002X',
      userId,
      version: '1.0.0',
      nonce: n,
      sign: ticketSign([c.appId, userId, '1.0.0', n, ticket]),
      ...extra,
    }
    return c.post(`/api/server/getfaceid?orderNo=${body.orderNo}`, body)
  }

  it('refuses a rule with an ID-card step with 66660030: the sdk family has no ID-card codes (301/302/303 are h5-only)', async () => {
    // written straight to storage, as a build with the card step would: the flow's own guard must refuse it
    const ruleId = `IDC${nonce().slice(0, 9).toUpperCase()}`
    await srv.shiren.store.rules.insert({
      ruleId,
      appId: c.appId,
      name: 'card first',
      liveness: 'silent',
      compareSource: 'none',
      threshold: 70,
      maxAttempts: 3,
      tokenTtlS: 600,
      actionCount: 2,
      idcardStep: 'front',
      duplicateAction: 'flag',
    })
    const r = await getfaceid({ ruleId })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ code: '66660030', msg: '不支持此类型服务', success: false })
    expect(r.json.detail).toMatch(/ID-card step/)
    expect(r.json.result).toBeUndefined()
    // the rules without a card step still work
    expect((await getfaceid()).json.code).toBe('0')
  })

  it('issues an access token, a reusable SIGN ticket and single-use NONCE tickets', async () => {
    const t = await c.token()
    expect(t.json).toMatchObject({ code: '0', msg: '请求成功', expire_in: 7200, success: true })
    expect(t.json.access_token).toHaveLength(64)
    expect(t.json.transactionTime).toMatch(/^\d{14}$/)
    expect(t.json.bizSeqNo).toMatch(/^\d{32}$/)
    const n = await c.ticket(t.json.access_token, 'NONCE', 'userA')
    expect(n.json.tickets[0]).toMatchObject({ expire_in: 120 })
    // the old access token lives one more minute after a refresh
    expect((await c.ticket(accessToken, 'SIGN')).json.code).toBe('0')
    accessToken = t.json.access_token
    signTicket = (await c.ticket(accessToken, 'SIGN')).json.tickets[0].value
  })

  it('getfaceid with a good SIGN signature starts a verification; a bad one gets 400101', async () => {
    const ok = await getfaceid()
    expect(ok.json.code).toBe('0')
    expect(ok.json.result.faceId).toMatch(/^tx[0-9a-f]{30}$/)
    expect(ok.json.result.optimalDomain).toBe(new URL(srv.url).host)
    const bad = await getfaceid({ sign: 'F'.repeat(40) })
    expect(bad.json.code).toBe('400101')
    const lowercase = await getfaceid({}, signTicket)
    expect(lowercase.json.code).toBe('0')
  })

  it('geth5faceid signs seven values without nonce', async () => {
    const orderNo = `h5${nonce().slice(0, 10)}`
    const body = { appId: c.appId, orderNo, name: '张三', idNo: '11010519491231002X', userId: 'u7', version: '1.0.0' }
    const sign = ticketSign([c.appId, orderNo, '张三', '11010519491231002X', 'u7', '1.0.0', signTicket])
    const r = await c.post(`/api/server/h5/geth5faceid?orderNo=${orderNo}`, { ...body, sign })
    expect(r.json.code).toBe('0')
    expect(r.json.result.h5faceId).toMatch(/^[0-9a-f]{32}$/)
  })

  it('protocol errors: 66660001 unknown AppID, 400502 version, 400103 wrong secret or type, 400102 dead token', async () => {
    expect(
      (
        await c.get('/api/oauth2/access_token', {
          appId: 'IDANOPE1',
          secret: 'x',
          grant_type: 'client_credential',
          version: '1.0.0',
        })
      ).json.code,
    ).toBe('66660001')
    expect(
      (
        await c.get('/api/oauth2/access_token', {
          appId: c.appId,
          secret: 'x',
          grant_type: 'client_credential',
          version: '2.0.0',
        })
      ).json.code,
    ).toBe('400502')
    expect((await c.token('wrong-secret')).json.code).toBe('400103')
    expect((await c.ticket(accessToken, 'BOGUS' as never)).json.code).toBe('400103')
    expect((await c.ticket('no-such-token', 'SIGN')).json.code).toBe('400102')
    // an access token dies after 7200 s: its tickets are refused as a dead login
    const fresh = (await c.token()).json.access_token
    srv.clock.advance(7201)
    try {
      expect((await c.ticket(fresh, 'SIGN')).json.code).toBe('400102')
    } finally {
      srv.clock.advance(-7201)
    }
    accessToken = (await c.token()).json.access_token
    signTicket = (await c.ticket(accessToken, 'SIGN')).json.tickets[0].value
  })

  it('one NONCE ticket per AppID and user every 2 s: 400504', async () => {
    const a = await c.ticket(accessToken, 'NONCE', 'burst')
    const b = await c.ticket(accessToken, 'NONCE', 'burst')
    expect(a.json.code).toBe('0')
    expect(b.json.code).toBe('400504')
    expect((await c.ticket(accessToken, 'NONCE', 'other')).json.code).toBe('0')
    srv.clock.advance(2.1)
    expect((await c.ticket(accessToken, 'NONCE', 'burst')).json.code).toBe('0')
  })

  it('the H5 login URL is checked with a NONCE ticket, used once, then hands over to the capture page', async () => {
    const userId = 'loginuser'
    const start = await getfaceid({ userId })
    const faceId = start.json.result.faceId
    const orderNo = start.json.result.orderNo
    srv.clock.advance(2.1)
    const nonceTicket = (await c.ticket(accessToken, 'NONCE', userId)).json.tickets[0].value
    const n = nonce()
    const params = {
      appId: c.appId,
      version: '1.0.0',
      nonce: n,
      orderNo,
      faceId,
      url: 'https://merchant.example/done',
      resultType: '1',
      userId,
      from: 'browser',
      sign: ticketSign([c.appId, userId, orderNo, '1.0.0', faceId, n, nonceTicket]),
    }
    const first = await fetch(`${srv.url}/api/web/login?${new URLSearchParams(params)}`, { redirect: 'manual' })
    expect(first.status).toBe(302)
    expect(first.headers.get('location')).toBe(`${srv.url}/capture?token=${faceId}&resultType=1`)
    const replay = await fetch(`${srv.url}/api/web/login?${new URLSearchParams(params)}`, { redirect: 'manual' })
    expect(replay.status).toBe(403)
    expect(await replay.text()).toContain('400101')
  })

  it('identity and registry outcomes use the sdk codes (66660015, 66660024, 66660010) and bill 66660010', async () => {
    expect((await getfaceid({ name: '张三@@' })).json.code).toBe('66660015')
    expect((await getfaceid({ idNo: '110105194912310021' })).json.code).toBe('66660015')
    expect((await getfaceid({ idNo: '110101199003074477', name: '王五' })).json.code).toBe('66660024')
    expect((await getfaceid({ name: '王五' })).json.code).toBe('66660010')
    const today = new Date().toISOString().slice(0, 10)
    const usage = await srv.shiren.billing.usage({ from: today, to: today, appId: c.appId })
    expect(usage.rows.find((r) => r.code === 66660010)).toMatchObject({ family: 'sdk', billable: 1 })
    expect(usage.rows.find((r) => r.code === 66660015)).toMatchObject({ family: 'sdk', billable: 0, free: 2 })
  })

  it('queryfacerecord: 66660011 before any result, the verdict after', async () => {
    const start = await getfaceid()
    const orderNo = start.json.result.orderNo
    const n = nonce()
    const q = await c.post(`/api/v2/base/queryfacerecord?orderNo=${orderNo}`, {
      appId: c.appId,
      version: '1.0.0',
      nonce: n,
      orderNo,
      sign: ticketSign([c.appId, orderNo, '1.0.0', n, signTicket]),
    })
    expect(q.json.code).toBe('66660011')
    const failedOrder = `f${nonce().slice(0, 10)}`
    await getfaceid({ name: '王五', orderNo: failedOrder })
    const n2 = nonce()
    const q2 = await c.post(`/api/v2/base/queryfacerecord?orderNo=${failedOrder}`, {
      appId: c.appId,
      version: '1.0.0',
      nonce: n2,
      orderNo: failedOrder,
      sign: ticketSign([c.appId, failedOrder, '1.0.0', n2, signTicket]),
    })
    expect(q2.json.code).toBe('66660010')
    expect(q2.json.result.orderNo).toBe(failedOrder)
    // shiren's own field: the version of the rule the verification was created under
    expect(q2.json.result.shirenRuleVersion).toBe(1)
  })

  it('app limits: 66660002 expired, 66660030 service off, 400506 concurrency, 66660017 daily limit', async () => {
    const s = srv.shiren
    const expired = await s.apps.createApp({ name: 'old', validUntil: '2020-01-01T00:00:00Z' })
    expect((await new TicketClient(srv.url, expired.app.appId, expired.secret).token()).json.code).toBe('66660002')

    const h5only = await s.apps.createApp({ name: 'h5 only', services: ['h5', 'silent'] })
    await s.apps.createRule({ appId: h5only.app.appId, liveness: 'silent', compareSource: 'none' })
    const hc = new TicketClient(srv.url, h5only.app.appId, h5only.secret)
    const ht = (await hc.ticket((await hc.token()).json.access_token, 'SIGN')).json.tickets[0].value
    const n = nonce()
    const r = await hc.post('/api/server/getfaceid', {
      appId: hc.appId,
      orderNo: 'svc1',
      userId: 'u',
      version: '1.0.0',
      nonce: n,
      sign: ticketSign([hc.appId, 'u', '1.0.0', n, ht]),
    })
    expect(r.json.code).toBe('66660030')

    const limited = await s.apps.createApp({ name: 'limited', concurrencyLimit: 2, dailyLimitPerPerson: 1 })
    await s.apps.createRule({ appId: limited.app.appId, liveness: 'silent', compareSource: 'none' })
    const lc = new TicketClient(srv.url, limited.app.appId, limited.secret)
    const lt = (await lc.ticket((await lc.token()).json.access_token, 'SIGN')).json.tickets[0].value
    const start = (orderNo: string, extra: Record<string, string> = {}) => {
      const nn = nonce()
      return lc.post('/api/server/getfaceid', {
        appId: lc.appId,
        orderNo,
        userId: 'u',
        version: '1.0.0',
        nonce: nn,
        sign: ticketSign([lc.appId, 'u', '1.0.0', nn, lt]),
        ...extra,
      })
    }
    // a person's first attempt today (it fails on the name) uses up the daily limit of 1
    expect((await start('d1', { name: '王五', idNo: '110101199003074477' })).json.code).toBe('0')
    expect((await start('d2', { name: '王五', idNo: '110101199003074477' })).json.code).toBe('0')
    const v = await s.verifications.byOrderNo(lc.appId, 'd1')
    await s.verifications.challenge(v!.token)
    await s.verifications.upload(v!.token, Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(4096)]))
    await s.queue.idle(20_000)
    expect((await start('d3', { name: '王五', idNo: '110101199003074477' })).json.code).toBe('400506')
    const v2 = await s.verifications.byOrderNo(lc.appId, 'd2')
    await s.verifications.challenge(v2!.token)
    await expect(
      s.verifications.upload(v2!.token, Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(4096)])),
    ).rejects.toMatchObject({ reason: 'DAILY_LIMIT_EXCEEDED' })
  })

  it('expiries: a NONCE ticket after 120 s (400101 at login), the digits after 5 minutes (66660022)', async () => {
    const userId = 'expiry'
    srv.clock.advance(2.1)
    const start = await getfaceid({ userId })
    const { faceId, orderNo } = start.json.result
    const nonceTicket = (await c.ticket(accessToken, 'NONCE', userId)).json.tickets[0].value
    srv.clock.advance(121)
    try {
      const n = nonce()
      const login = await fetch(
        `${srv.url}/api/web/login?${new URLSearchParams({ appId: c.appId, version: '1.0.0', nonce: n, orderNo, faceId, userId, sign: ticketSign([c.appId, userId, orderNo, '1.0.0', faceId, n, nonceTicket]) })}`,
        { redirect: 'manual' },
      )
      expect(login.status).toBe(403)
      expect(await login.text()).toContain('400101')
    } finally {
      srv.clock.advance(-121)
    }

    const digital = await srv.shiren.apps.createRule({ appId: c.appId, liveness: 'digital', compareSource: 'none' })
    const d = await getfaceid({ ruleId: digital.ruleId, name: undefined, idNo: undefined })
    const token = d.json.result.faceId
    const ch = (await (
      await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
    ).json()) as any
    expect(ch.challenge).toMatchObject({ mode: 'digital', digits: expect.stringMatching(/^\d{4}$/) })
    srv.clock.advance(301)
    try {
      const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'video/webm' },
        body: Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(4096)]),
      })
      expect(((await up.json()) as any).error).toMatchObject({ reason: 'LIVE_CODE_EXPIRED', code: 66660022 })
    } finally {
      srv.clock.advance(-301)
    }
  })

  it('two concurrent starts with one order number: one verification, the other answer refused (400103)', async () => {
    const orderNo = `same${nonce().slice(0, 8)}`
    const [a, b] = await Promise.all([getfaceid({ orderNo }), getfaceid({ orderNo })])
    expect([a.json.code, b.json.code].sort()).toEqual(['0', '400103'])
  })

  it('bodies over the limit get 400601 and malformed JSON a catalog code, never a 500', async () => {
    const big = await c.post(
      '/api/server/getfaceid',
      JSON.stringify({ appId: c.appId, sourcePhotoStr: 'A'.repeat(6 * 1024 * 1024) }),
    )
    expect(big.status).toBe(200)
    expect(big.json.code).toBe('400601')
    const broken = await c.post('/api/server/getfaceid', '{"appId": ')
    expect(broken.status).toBe(200)
    expect(broken.json.code).toBe('-1301')
    const wrongType = await c.post('/api/server/getfaceid', {
      appId: c.appId,
      orderNo: 123,
      userId: 'u',
      version: '1.0.0',
      sign: 'x',
    })
    expect(wrongType.json.code).toBe('-1301')
  })
})
