import { expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ticketSign } from '../../src/auth/index.js'
import type { TestServer } from './server.js'
import { faceidClient, type FaceidSdk } from './tencent.js'

/**
 * A read-the-digits verification run through both caller families on one server: created with
 * DetectAuth (h5) and with the ticket flow's getfaceid (sdk), the recording uploaded through the
 * capture API, and the code read back from each family's own result call.
 */
export interface DigitsFlow {
  /**
   * The same recording through both families; a trailing byte keeps the second from being a replay.
   * A function instead makes each family's recording for the digits its challenge issued.
   */
  both(
    media: Buffer | ((digits: string) => Promise<Buffer>),
  ): Promise<{ h5: number; sdk: string; billable: boolean | undefined; why: string; signals: any[] }>
}

export async function digitsFlow(srv: TestServer, name: string): Promise<DigitsFlow> {
  const c = await srv.shiren.apps.createApp({ name })
  const appId = c.app.appId
  const secret = c.secret
  const h5: FaceidSdk = faceidClient(srv.url, appId, secret)
  const ruleId = (
    await srv.shiren.apps.createRule({ appId, liveness: 'digital', compareSource: 'none', maxAttempts: 1 })
  ).ruleId
  const get = async (path: string) => (await (await fetch(srv.url + path)).json()) as any
  const access = (
    await get(`/api/oauth2/access_token?appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`)
  ).access_token
  const ticket = (await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=${access}&type=SIGN&version=1.0.0`))
    .tickets[0].value
  const post = async (path: string, body: unknown) =>
    (await (
      await fetch(srv.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as any
  const capture = async (token: string, media: Buffer | ((digits: string) => Promise<Buffer>), pad: boolean) => {
    const ch = (await (
      await fetch(`${srv.url}/capture/api/challenge?token=${token}`, { method: 'POST' })
    ).json()) as any
    expect(ch.challenge.digits).toMatch(/^\d{4}$/)
    const bytes = typeof media === 'function' ? await media(ch.challenge.digits) : media
    const up = await fetch(`${srv.url}/capture/api/upload?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: pad ? Buffer.concat([bytes, Buffer.from([0])]) : bytes,
    })
    expect(up.status).toBe(202)
  }
  return {
    async both(media) {
      const { BizToken } = await h5.DetectAuth({ RuleId: ruleId, Extra: randomBytes(4).toString('hex') })
      const orderNo = `dg${randomBytes(6).toString('hex')}`
      const nonce = randomBytes(16).toString('hex')
      const start = await post('/api/server/getfaceid', {
        appId,
        orderNo,
        userId: 'p1',
        version: '1.0.0',
        nonce,
        ruleId,
        sign: ticketSign([appId, 'p1', '1.0.0', nonce, ticket]),
      })
      expect(start.code).toBe('0')
      await capture(BizToken, media, false)
      await capture(start.result.faceId, media, true)
      expect(await srv.shiren.queue.idle(120_000)).toBe(true)
      const a = await h5.GetDetectInfoEnhanced({ BizToken, RuleId: ruleId, InfoType: '1' })
      const n2 = randomBytes(16).toString('hex')
      const b = await post('/api/v2/base/queryfacerecord', {
        appId,
        orderNo,
        version: '1.0.0',
        nonce: n2,
        sign: ticketSign([appId, orderNo, '1.0.0', n2, ticket]),
      })
      const attempts = async (token: string) =>
        (await srv.shiren.verifications.attempts((await srv.shiren.verifications.byToken(token))!.id)).map((x) => ({
          reason: x.reason,
          signals: x.signals,
        }))
      const [sa, sb] = [await attempts(BizToken), await attempts(start.result.faceId)]
      return {
        h5: a.Text.ErrCode as number,
        sdk: b.code as string,
        billable: a.Text.LivenessDetail[0]?.IsNeedCharge,
        why: `${JSON.stringify(sa)} / ${JSON.stringify(sb)}`,
        signals: [...sa, ...sb].map((x) => x.signals),
      }
    },
  }
}
