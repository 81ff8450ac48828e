import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { dialects } from './support/env.js'
import { startTestServer, type TestServer } from './support/server.js'
import { faceidClient, rawTc3 } from './support/tencent.js'
import { rawRequest } from './support/raw-http.js'
import { ticketSign } from '../src/auth/index.js'

/**
 * The reproductions of issue 11 ("input at the edge"), each on SQLite and PostgreSQL: NUL bytes,
 * repeated query parameters, non-finite numbers and unreadable uploads answer each family's own
 * invalid-request error, never a 500, a database message or the sdk family's -1105.
 */
const INTERNAL =
  /invalid byte sequence|operator does not exist|invalid input syntax|22021|stack|at \w+ \(|Error:|sqlite|postgres/i

const nonce = () => randomBytes(8).toString('hex')

for (const dialect of await dialects()) {
  describe(`edge input checks (${dialect})`, () => {
    let srv: TestServer
    let appId: string
    let secret: string
    let ruleId: string
    let token: string
    let admin: Record<string, string>

    beforeAll(async () => {
      srv = await startTestServer({ dialect })
      const created = await srv.shiren.apps.createApp({ name: 'edge test' })
      appId = created.app.appId
      secret = created.secret
      ruleId = (await srv.shiren.apps.createRule({ appId, liveness: 'silent', compareSource: 'none' })).ruleId
      const r = await faceidClient(srv.url, appId, secret).DetectAuth({ RuleId: ruleId })
      token = r.BizToken
      admin = { authorization: `Bearer ${srv.shiren.adminToken}` }
    })
    afterAll(async () => srv?.close())

    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(srv.url + path, { headers, redirect: 'manual' })
      return { status: res.status, text: await res.text() }
    }
    const post = async (path: string, body: string | Buffer | undefined, contentType?: string) => {
      const res = await fetch(srv.url + path, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        ...(body !== undefined && { body }),
      })
      return { status: res.status, text: await res.text() }
    }

    it('capture API: a NUL in the token is a 400 with the invalid-parameter code, not a database error', async () => {
      for (const r of [
        await post('/capture/api/challenge?token=%00', undefined),
        await get('/capture/api/session?token=%00'),
        await get('/capture/api/result?token=a%00b'),
        await get('/capture/api/page?token=%00'),
      ]) {
        expect(r.status).toBe(400)
        expect(JSON.parse(r.text).error).toMatchObject({ reason: 'INVALID_PARAMETER', code: 2 })
        expect(r.text).not.toMatch(INTERNAL)
      }
      // a repeated token is refused the same way
      const rep = await get(`/capture/api/session?token=${token}&token=${token}`)
      expect(rep.status).toBe(400)
      expect(JSON.parse(rep.text).error.reason).toBe('INVALID_PARAMETER')
    })

    it('h5: a signed DetectAuth with U+0000 in RuleId or Extra answers InvalidParameterValue, not InternalError', async () => {
      for (const body of [
        { RuleId: `${ruleId}\u0000` },
        { RuleId: ruleId, Extra: 'a\u0000b' },
        { RuleId: ruleId, Name: '\u0000' },
      ]) {
        const r = await rawTc3(srv.url, appId, secret, 'DetectAuth', JSON.stringify(body))
        expect(r.status).toBe(200)
        expect(r.json.Response.Error.Code).toBe('InvalidParameterValue')
        expect(r.json.Response.Error.Message).toMatch(/NUL/)
        expect(r.json.Response.RequestId).toBeTruthy()
      }
      // 1e309 is valid JSON that parses as Infinity
      const inf = await rawTc3(
        srv.url,
        appId,
        secret,
        'GetDetectInfoEnhanced',
        `{"BizToken":"${token}","RuleId":"${ruleId}","BestFramesCount":1e309}`,
      )
      expect(inf.json.Response.Error.Code).toBe('InvalidParameterValue')
      // a body that is not UTF-8 is refused after its signature holds
      const bin = await rawTc3(srv.url, appId, secret, 'DetectAuth', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))
      expect(bin.json.Response.Error.Code).toBe('InvalidParameter')
      // a repeated query parameter on the h5 endpoint
      const q = await post('/?a=1&a=2', '{}', 'application/json')
      expect(JSON.parse(q.text).Response.Error.Code).toBe('InvalidParameter')
    })

    it('sdk: NUL or repeated parameters answer -1301 (请求参数字段非法), never -1105', async () => {
      const rep = await get(
        `/api/oauth2/access_token?appId=${appId}&appId=${appId}&secret=${secret}&grant_type=client_credential&version=1.0.0`,
      )
      expect(rep.status).toBe(200)
      expect(JSON.parse(rep.text)).toMatchObject({ code: '-1301', success: false })
      expect(rep.text).not.toMatch(INTERNAL)
      const nul = await get(
        `/api/oauth2/access_token?appId=${appId}%00&secret=x&grant_type=client_credential&version=1.0.0`,
      )
      expect(JSON.parse(nul.text)).toMatchObject({ code: '-1301', success: false })
      const ticket = await get(`/api/oauth2/api_ticket?app_id=${appId}&access_token=%00&type=SIGN&version=1.0.0`)
      expect(JSON.parse(ticket.text).code).toBe('-1301')
      // NUL in a JSON field of the server-side upload
      const n = nonce()
      const body = JSON.stringify({
        appId,
        orderNo: `o${n}`,
        name: '张\u0000三',
        idNo: '1',
        userId: 'u1',
        version: '1.0.0',
        nonce: n,
        sign: ticketSign([appId, 'u1', '1.0.0', n, 'x']),
      })
      const up = await post('/api/server/getfaceid', body, 'application/json')
      expect(JSON.parse(up.text)).toMatchObject({ code: '-1301', success: false })
      const q = await post('/api/v2/base/queryfacerecord?orderNo=a&orderNo=b', '{}', 'application/json')
      expect(JSON.parse(q.text).code).toBe('-1301')
      // the browser entry answers with its error page and the same code
      const login = await get(
        `/api/web/login?appId=${appId}&appId=${appId}&version=1.0.0&nonce=n&orderNo=o&h5faceId=f&userId=u&sign=s`,
      )
      expect(login.status).toBe(400)
      expect(login.text).toContain('-1301')
      expect(login.text).not.toMatch(/login failed|operator does not exist/)
    })

    it('management API: a NUL or a non-finite number in the query is a 400 INVALID_PARAMETER', async () => {
      for (const path of [
        '/v1/rules?appId=%00',
        '/v1/verifications?limit=1e309',
        '/v1/verifications?limit=Infinity',
        '/v1/rules?appId=a&appId=b',
        '/v1/usage?appId=%00',
      ]) {
        const r = await get(path, admin)
        expect(r.status, path).toBe(400)
        expect(JSON.parse(r.text).error.reason).toBe('INVALID_PARAMETER')
        expect(r.text).not.toMatch(INTERNAL)
      }
      // a JSON body with a NUL in a field
      const res = await fetch(`${srv.url}/v1/apps`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x\u0000' }),
      })
      expect(res.status).toBe(400)
      expect(((await res.json()) as any).error.reason).toBe('INVALID_PARAMETER')
      // found by `npm run fuzz` at 100,000 requests: a coerced "Infinity" stored into an integer field broke
      // every later GET /v1/apps; an offset beyond 2^53 is a datatype mismatch in SQLite
      const inf = await fetch(`${srv.url}/v1/apps/${appId}`, {
        method: 'PATCH',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ dailyLimitPerPerson: 'Infinity' }),
      })
      expect(inf.status).toBe(400)
      expect((await get('/v1/apps', admin)).status).toBe(200)
      expect((await get('/v1/registry?offset=1.6e264', admin)).status).toBe(400)
      expect((await get('/v1/registry?offset=99999999999999999999', admin)).status).toBe(400)
      expect((await get('/v1/verifications?code=99999999999', admin)).status).toBe(400)
      // a digits-only ID number is an identifier, not a number out of range
      const enroll = await fetch(`${srv.url}/v1/registry`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '李四', idNumber: '110105194912310023' }),
      })
      expect((await enroll.json()) as object).not.toMatchObject({
        error: { message: expect.stringMatching(/out of range/) },
      })
      // a NUL in a path parameter
      const patch = await fetch(`${srv.url}/v1/apps/%00`, {
        method: 'PATCH',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ enabled: true }),
      })
      expect(patch.status).toBe(400)
    })

    it('capture uploads that cannot be parsed are a 4xx with their code (upload and idcard)', async () => {
      for (const path of [`/capture/api/upload?token=${token}`, `/capture/api/idcard?side=front&token=${token}`]) {
        const card = path.includes('idcard')
        const json = await post(path, 'not json', 'application/json')
        expect(json.status, path).toBe(415)
        expect(JSON.parse(json.text).error.reason).toBe(card ? 'FILE_FORMAT_INVALID' : 'VIDEO_FORMAT_INVALID')
        const empty = await post(path, '', 'application/json')
        expect(empty.status).toBe(415)
        // text/plain with bytes that are not UTF-8 and a content-length that does not match them
        const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1])
        for (const len of [bad.length - 3, bad.length]) {
          const r = await rawRequest(
            srv.url,
            `POST ${path} HTTP/1.1\nhost: x\ncontent-type: text/plain\ncontent-length: ${len}\nconnection: close`,
            bad,
          )
          expect(r.status).toBeGreaterThanOrEqual(400)
          expect(r.status).toBeLessThan(500)
          expect(r.body).not.toMatch(INTERNAL)
        }
        // a media type with a shorter content-length than the bytes sent
        const short = await rawRequest(
          srv.url,
          `POST ${path} HTTP/1.1\nhost: x\ncontent-type: video/webm\ncontent-length: 2\nconnection: close`,
          Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0]),
        )
        expect(short.status).toBeGreaterThanOrEqual(400)
        expect(short.status).toBeLessThan(500)
      }
    })

    it('answers carry the security headers: pages keep their CSP, APIs may not be framed', async () => {
      const res = await fetch(`${srv.url}/v1/codes`, { headers: admin })
      expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/)
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      // plain HTTP with no trusted proxy: no HSTS
      expect(res.headers.get('strict-transport-security')).toBeNull()
      const page = await fetch(`${srv.url}/console`)
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/)
      expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    })
  })
}
