import { randomInt } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { ReasonError, isReasonError, toCode, type Reason } from '../codes/index.js'
import type { App, AppService } from '../apps/index.js'
import type { TicketService } from '../auth/index.js'
import type { Clock } from '../clock/index.js'
import type { Config } from '../config/index.js'
import type { VerificationService } from '../verifications/index.js'
import { decodeBase64Strict, paramChecker } from './params.js'
import { absoluteHttpUrl, publicBase, publicHost } from './urls.js'
import { guardInput } from './edge.js'

/**
 * API family sdk: the ticket flow of the vendor's App SDK, standalone H5 and PC H5 integrations
 * (access token → SIGN / NONCE tickets → SHA-1 signed calls). Every answer carries `code` as a
 * string; "0" is success and anything else is a catalog code of the sdk family.
 */
export const TICKET_BODY_LIMIT = 5 * 1024 * 1024

/** What the sdk family uses, and nothing more. */
export interface TicketApiDeps {
  config: Pick<Config, 'publicUrl'>
  clock: Clock
  tickets: Pick<TicketService, 'app' | 'issueAccessToken' | 'issueTicket' | 'verifySignTicket' | 'consumeNonceTicket'>
  apps: Pick<AppService, 'getRule' | 'listRules'>
  verifications: Pick<
    VerificationService,
    'create' | 'byOrderNo' | 'currentReason' | 'attempts' | 'blob' | 'setRedirect' | 'duplicateOf' | 'resultFetched'
  >
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
function transactionTime(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
}
function bizSeqNo(): string {
  let s = ''
  while (s.length < 32) s += String(randomInt(10))
  return s
}

function ok(now: Date, body: Record<string, unknown>) {
  return {
    code: '0',
    msg: '请求成功',
    bizSeqNo: bizSeqNo(),
    transactionTime: transactionTime(now),
    success: true,
    ...body,
  }
}

function fail(now: Date, reason: Reason, detail?: string) {
  const c = toCode('sdk', reason)
  return {
    code: String(c.code),
    msg: c.messageZh,
    ...(detail && { detail }),
    bizSeqNo: bizSeqNo(),
    transactionTime: transactionTime(now),
    success: false,
  }
}

const str = (max: number) => Type.String({ maxLength: max })
const ServerUpload = Type.Object({
  appId: Type.Optional(str(32)),
  webankAppId: Type.Optional(str(32)),
  orderNo: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' }),
  name: Type.Optional(str(64)),
  idNo: Type.Optional(str(32)),
  userId: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' }),
  sourcePhotoStr: Type.Optional(Type.String()),
  sourcePhotoType: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')])),
  liveInterType: Type.Optional(str(4)),
  ruleId: Type.Optional(str(32)),
  version: Type.String({ maxLength: 20 }),
  sign: Type.String({ maxLength: 64 }),
  nonce: Type.Optional(str(64)),
})
const Query = Type.Object({
  appId: Type.Optional(str(32)),
  app_id: Type.Optional(str(32)),
  webankAppId: Type.Optional(str(32)),
  orderNo: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  order_no: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  version: Type.String({ maxLength: 20 }),
  nonce: Type.Optional(str(64)),
  nonceStr: Type.Optional(str(64)),
  sign: Type.String({ maxLength: 64 }),
  getFile: Type.Optional(str(2)),
  queryVersion: Type.Optional(str(8)),
})
const checkUpload = paramChecker(ServerUpload)
const checkQuery = paramChecker(Query)

function validated<T>(r: { ok: true; value: T } | { ok: false; problem: { kind: string; message: string } }): T {
  if (r.ok) return r.value
  throw new ReasonError(r.problem.kind === 'missing' ? 'MISSING_PARAMETER' : 'INVALID_PARAMETER', r.problem.message)
}

function q(req: FastifyRequest): Record<string, string | undefined> {
  return req.query as Record<string, string | undefined>
}

export async function ticketApi(app: FastifyInstance, opts: { deps: TicketApiDeps }) {
  const s = opts.deps

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const now = s.clock.now()
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(200).send(fail(now, 'BODY_TOO_LARGE', `the body is larger than ${TICKET_BODY_LIMIT} bytes`))
    if (err.statusCode && err.statusCode < 500)
      return reply.code(200).send(fail(now, 'INVALID_PARAMETER', 'the body is not valid JSON'))
    req.log.error({ err }, 'ticket api failure')
    return reply.code(200).send(fail(now, 'SYSTEM_ERROR'))
  })

  // the edge check of this family: its invalid-request code (-1301), or the browser entry's error page
  guardInput(app, (req, reply, p) => {
    const body = fail(s.clock.now(), 'INVALID_PARAMETER', p.message)
    if (req.routeOptions.url === '/api/web/login')
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(errorPage(body.code, body.msg, p.message))
    return reply.code(200).send(body)
  })

  /** Runs a handler and turns domain failures into the sdk envelope; bad input never becomes a 500. */
  const answer =
    (fn: (req: FastifyRequest) => Promise<Record<string, unknown>>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const now = s.clock.now()
      try {
        return reply.code(200).send(ok(now, await fn(req)))
      } catch (err) {
        if (isReasonError(err)) return reply.code(200).send(fail(now, err.reason, err.message))
        req.log.error({ err }, 'ticket api action failed')
        return reply.code(200).send(fail(now, 'SYSTEM_ERROR'))
      }
    }

  app.get(
    '/api/oauth2/access_token',
    answer(async (req) => {
      const p = q(req)
      const t = await s.tickets.issueAccessToken({
        appId: p.appId ?? p.app_id,
        secret: p.secret,
        grantType: p.grant_type,
        version: p.version,
      })
      return { access_token: t.token, expire_time: transactionTime(t.expiresAt), expire_in: t.expireIn }
    }),
  )

  app.get(
    '/api/oauth2/api_ticket',
    answer(async (req) => {
      const p = q(req)
      const t = await s.tickets.issueTicket({
        appId: p.appId ?? p.app_id,
        accessToken: p.access_token,
        type: p.type,
        version: p.version,
        userId: p.user_id,
      })
      return { tickets: [{ value: t.value, expire_in: t.expireIn, expire_time: transactionTime(t.expiresAt) }] }
    }),
  )

  const startFlow = (style: 'face' | 'h5face') =>
    answer(async (req) => {
      const body = bodyObject(req)
      const p = validated(checkUpload(body))
      const app = await s.tickets.app(p.appId ?? p.webankAppId)
      if (p.version !== '1.0.0') throw new ReasonError('VERSION_INVALID', 'version must be 1.0.0')
      if (style === 'h5face') {
        // geth5faceid signs 7 values and no nonce
        await s.tickets.verifySignTicket(app, [app.appId, p.orderNo, p.name, p.idNo, p.userId, p.version], p.sign)
      } else {
        if (!p.nonce) throw new ReasonError('MISSING_PARAMETER', 'nonce is required')
        await s.tickets.verifySignTicket(app, [app.appId, p.userId, p.version, p.nonce], p.sign)
      }
      const rule = await ruleFor(s, app, p.ruleId)
      let photo: Buffer | null = null
      if (p.sourcePhotoStr) {
        photo = decodeBase64Strict(p.sourcePhotoStr)
        if (!photo) throw new ReasonError('REFERENCE_DECODE_FAILED', 'sourcePhotoStr is not valid base64')
      }
      const created = await s.verifications.create({
        app,
        rule: photo ? { ...rule, compareSource: 'photo' } : rule,
        family: 'sdk',
        name: p.name ?? null,
        idNumber: p.idNo ?? null,
        photo,
        orderNo: p.orderNo,
        userId: p.userId,
        tokenStyle: style,
      })
      if (created.outcome)
        throw new ReasonError(created.outcome.reason, 'the identity could not be used for verification')
      const id = created.verification.token
      return {
        result: {
          bizSeqNo: bizSeqNo(),
          transactionTime: transactionTime(s.clock.now()),
          orderNo: p.orderNo,
          ...(style === 'h5face' ? { h5faceId: id } : { faceId: id }),
          optimalDomain: publicHost(s.config, req),
          success: true,
        },
      }
    })

  const uploadOpts = { bodyLimit: TICKET_BODY_LIMIT }
  app.post('/api/server/getfaceid', uploadOpts, startFlow('face'))
  app.post('/api/server/getAdvFaceId', uploadOpts, startFlow('face'))
  app.post('/api/server/getPlusFaceId', uploadOpts, startFlow('face'))
  app.post('/api/server/h5/geth5faceid', uploadOpts, startFlow('h5face'))

  app.post(
    '/api/v2/base/queryfacerecord',
    answer(async (req) => {
      const p = validated(checkQuery({ ...q(req), ...bodyObject(req) }))
      const app = await s.tickets.app(p.appId ?? p.app_id ?? p.webankAppId)
      if (p.version !== '1.0.0') throw new ReasonError('VERSION_INVALID', 'version must be 1.0.0')
      const orderNo = p.orderNo ?? p.order_no
      if (!orderNo) throw new ReasonError('MISSING_PARAMETER', 'orderNo is required')
      await s.tickets.verifySignTicket(app, [app.appId, orderNo, p.version, p.nonce ?? p.nonceStr], p.sign)
      const v = await s.verifications.byOrderNo(app.appId, orderNo)
      // past the app's retention (or erased) the record is gone as the vendor's is after its 3 days:
      // 66660011 无此查询结果 (seed: "当前订单或用户无人脸验证结果")
      if (v && v.purgeAfter <= s.clock.now().toISOString())
        throw new ReasonError('RESULT_NOT_FOUND', "this order's result is no longer kept (retention period ended)")
      const reason = v ? s.verifications.currentReason(v) : null
      if (!v || !reason) throw new ReasonError('RESULT_NOT_FOUND', 'no verification result for this order yet')
      const code = toCode('sdk', reason)
      const wantPhoto = p.getFile === '1' || p.getFile === '2'
      const wantVideo = p.getFile === '1' || p.getFile === '3'
      const attempts = await s.verifications.attempts(v.id)
      const last = attempts.filter((a) => a.state === 'finished').at(-1)
      const liveRate =
        typeof last?.signals?.liveScore === 'number'
          ? String(Math.round((last.signals.liveScore as number) * 100))
          : null
      const result = {
        bizSeqNo: bizSeqNo(),
        transactionTime: transactionTime(s.clock.now()),
        orderNo,
        appId: app.appId,
        liveRate,
        similarity: v.similarity === null ? null : v.similarity.toFixed(2),
        occurredTime: v.finishedAt ? transactionTime(new Date(v.finishedAt)) : null,
        photo: wantPhoto ? ((await s.verifications.blob(v.bestFrameBlob))?.toString('base64') ?? null) : null,
        video: wantVideo ? ((await s.verifications.blob(v.videoBlob))?.toString('base64') ?? null) : null,
        success: reason === 'PASS',
        ...(p.queryVersion === '1.0' && { sdkVersion: null, trtcFlag: null }),
        // shiren's own fields, ignored by clients that do not know them: the face is enrolled under another ID
        // number; the version of the rule the verification was created under (and judged by)
        shirenDuplicateOf: await s.verifications.duplicateOf(v),
        shirenRuleVersion: v.ruleVersion,
      }
      await s.verifications.resultFetched(v)
      if (reason === 'PASS') return { result }
      // a finished failure is still a record: the code says why, the result holds what was captured
      return { code: String(code.code), msg: code.messageZh, success: false, result }
    }),
  )

  /** Browser entry of the H5 flows: checks the NONCE signature, then hands over to the capture page. */
  app.get('/api/web/login', async (req, reply) => {
    const p = q(req)
    const now = s.clock.now()
    try {
      const app = await s.tickets.app(p.appId ?? p.webankAppId)
      if (p.version !== '1.0.0') throw new ReasonError('VERSION_INVALID', 'version must be 1.0.0')
      const faceId = p.h5faceId ?? p.faceId
      if (!p.userId || !p.orderNo || !faceId || !p.nonce)
        throw new ReasonError(
          'MISSING_PARAMETER',
          'appId, version, nonce, orderNo, h5faceId/faceId, userId and sign are required',
        )
      await s.tickets.consumeNonceTicket(
        app,
        p.userId,
        [app.appId, p.userId, p.orderNo, p.version, faceId, p.nonce],
        p.sign,
      )
      const v = await s.verifications.byOrderNo(app.appId, p.orderNo)
      if (!v || v.token !== faceId || v.userId !== p.userId)
        throw new ReasonError('SESSION_NOT_FOUND', 'no capture session for this faceId')
      if (v.state === 'finished') throw new ReasonError('ALREADY_COMPLETED', 'this verification is already completed')
      if (v.expiresAt <= now.toISOString()) throw new ReasonError('TOKEN_EXPIRED', 'the capture session has expired')
      const callback = p.url ? safeUrl(p.url) : null
      if (callback) await s.verifications.setRedirect(v.id, callback)
      const target = new URL(`${publicBase(s.config, req)}/capture`)
      target.searchParams.set('token', v.token)
      if (p.resultType) target.searchParams.set('resultType', p.resultType)
      if (p.redirectType) target.searchParams.set('redirectType', p.redirectType)
      return reply.redirect(target.toString(), 302)
    } catch (err) {
      const reason: Reason = isReasonError(err) ? err.reason : 'SYSTEM_ERROR'
      if (!isReasonError(err)) req.log.error({ err }, 'login failed')
      const body = fail(now, reason, isReasonError(err) ? err.message : undefined)
      return reply
        .code(reason === 'SIGNATURE_INVALID' ? 403 : 400)
        .type('text/html; charset=utf-8')
        .send(errorPage(body.code, body.msg, isReasonError(err) ? err.message : ''))
    }
  })
}

function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b))
    throw new ReasonError('INVALID_PARAMETER', 'the body must be a JSON object')
  return b as Record<string, unknown>
}

async function ruleFor(s: TicketApiDeps, app: App, ruleId: string | undefined) {
  if (ruleId) {
    const r = await s.apps.getRule(ruleId)
    if (!r || r.appId !== app.appId) throw new ReasonError('INVALID_PARAMETER', 'ruleId does not exist for this app')
    return r
  }
  // the ticket flow has no RuleId: the app's first enabled rule is its default
  const rule = (await s.apps.listRules(app.appId)).find((r) => r.enabled)
  if (!rule) throw new ReasonError('SERVICE_NOT_ENABLED', 'the app has no rule; create one with `shiren rule create`')
  return rule
}

function safeUrl(url: string): string {
  const ok = absoluteHttpUrl(url)
  if (!ok) throw new ReasonError('INVALID_PARAMETER', 'url must be an absolute http(s) URL')
  return ok
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function errorPage(code: string, msg: string, detail: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>shiren · ${escapeHtml(code)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem"><h1 style="font-size:1.3rem">${escapeHtml(msg)}</h1><p>code <b>${escapeHtml(code)}</b></p><p style="color:#555">${escapeHtml(detail)}</p></body></html>`
}
