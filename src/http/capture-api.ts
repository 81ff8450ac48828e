import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ReasonError, isReasonError, toCode, type Family, type Reason } from '../codes/index.js'
import type { Config } from '../config/index.js'
import type { AppService } from '../apps/index.js'
import type { TicketService } from '../auth/index.js'
import type { IdCardStepService, Verification, VerificationService } from '../verifications/index.js'
import { guardInput, type InputProblem } from './edge.js'

/** What the capture endpoints use, and nothing more. */
export interface CaptureApiDeps {
  config: Pick<Config, 'uploadLimit'>
  apps: Pick<AppService, 'getApp' | 'getRuleVersion'>
  tickets: Pick<TicketService, 'redirectSign'>
  verifications: Pick<VerificationService, 'byToken' | 'challenge' | 'upload' | 'attempts' | 'currentReason'>
  idcards: Pick<IdCardStepService, 'submit' | 'status'>
}

/**
 * The endpoints the capture page talks to, addressed by the verification token. Answers carry the
 * code of the verification's own family, so the page shows what the caller will later read.
 */
const STATUS: Partial<Record<Reason, number>> = {
  NOT_FOUND: 404,
  TOKEN_EXPIRED: 410,
  ALREADY_COMPLETED: 409,
  ATTEMPTS_EXHAUSTED: 409,
  DAILY_LIMIT_EXCEEDED: 429,
  BUSINESS_REQUEST_INVALID: 409,
  BODY_TOO_LARGE: 413,
  SYSTEM_ERROR: 500,
  BLOB_WRITE_FAILED: 503,
  DB_INSERT_FAILED: 503,
  IMAGE_SIZE_INVALID: 413,
  FILE_FORMAT_INVALID: 415,
  SERVICE_NOT_ENABLED: 503,
  QUEUE_BUSY: 503,
}

function statusOf(err: unknown, reason: Reason): number {
  // a busy or failed OCR engine is worth a retry; other internal errors are not the caller's to retry
  if (isReasonError(err) && err.detail?.retry === true) return 503
  return STATUS[reason] ?? 400
}

function describe(family: Family, reason: Reason) {
  const c = toCode(family, reason)
  return {
    reason,
    code: c.code,
    billable: c.billable,
    message: { zh: c.messageZh, en: c.messageEn },
    remedy: c.remedy,
  }
}

function token(req: FastifyRequest): string {
  const t = (req.query as Record<string, unknown>).token
  return typeof t === 'string' ? t : ''
}

export async function captureApi(app: FastifyInstance, opts: { deps: CaptureApiDeps }) {
  const s = opts.deps

  // only media bodies are read here: JSON, text or forms never reach a handler (a 415 with the route's code)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    [
      'video/webm',
      'video/mp4',
      'video/mpeg',
      'video/quicktime',
      'image/jpeg',
      'image/png',
      'image/webp',
      'application/octet-stream',
    ],
    { parseAs: 'buffer', bodyLimit: s.config.uploadLimit },
    (_req, body, done) => done(null, body),
  )

  // the error handler can run before the edge check (a body that fails parsing): look up only a plain token
  const familyOf = async (t: string): Promise<Family> => {
    if (!t || t.length > 128 || /[^\x21-\x7e]/.test(t)) return 'h5'
    try {
      return (await s.verifications.byToken(t))?.family ?? 'h5'
    } catch {
      return 'h5'
    }
  }
  const refuse = (reply: FastifyReply, status: number, reason: Reason, detail: string) =>
    reply.code(status).send({ error: { ...describe('h5', reason), detail } })

  // the edge check of this family, before the token is looked up: the family is not known yet, so h5's code
  guardInput(app, (_req, reply, p: InputProblem) => refuse(reply, 400, 'INVALID_PARAMETER', p.message))

  const fail = async (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const reason: Reason = isReasonError(err) ? err.reason : 'SYSTEM_ERROR'
    if (!isReasonError(err)) req.log.error({ err }, 'capture api failure')
    const family = await familyOf(token(req))
    // admission control says when to come back
    const after = isReasonError(err) ? err.detail?.retryAfterS : undefined
    if (typeof after === 'number') reply.header('retry-after', String(after))
    return reply
      .code(statusOf(err, reason))
      .send({ error: { ...describe(family, reason), detail: isReasonError(err) ? err.message : 'internal error' } })
  }

  app.setErrorHandler(async (err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const family = await familyOf(token(req))
      return reply.code(413).send({
        error: {
          ...describe(family, 'VIDEO_SIZE_INVALID'),
          detail: `the upload is larger than ${s.config.uploadLimit} bytes`,
        },
      })
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const family = await familyOf(token(req))
      const card = req.routeOptions.url === '/capture/api/idcard'
      const upload = req.routeOptions.url === '/capture/api/upload'
      return reply.code(415).send({
        error: {
          ...describe(family, card ? 'FILE_FORMAT_INVALID' : upload ? 'VIDEO_FORMAT_INVALID' : 'INVALID_PARAMETER'),
          detail: card
            ? 'send the card photo as image/jpeg, image/png or image/webp'
            : upload
              ? 'send the recording as video/webm, video/mp4 or application/octet-stream'
              : 'this endpoint takes no body',
        },
      })
    }
    // any other failure to read the request (fastify's own 4xx) is the caller's, never a 500
    if (!isReasonError(err) && err.statusCode && err.statusCode < 500) {
      const family = await familyOf(token(req))
      return reply
        .code(400)
        .send({ error: { ...describe(family, 'INVALID_PARAMETER'), detail: 'the request could not be read' } })
    }
    return fail(req, reply, err)
  })

  // errors thrown below reach the error handler above, which answers in the verification's family
  const session = async (req: FastifyRequest, reply: FastifyReply) => {
    const v = await s.verifications.byToken(token(req))
    if (!v) throw notFound()
    return reply.send(await sessionView(s, v))
  }
  app.get('/capture/api/session', session)
  app.get('/capture/api/result', session)

  app.post('/capture/api/challenge', async (req, reply) =>
    reply.send({ challenge: await s.verifications.challenge(token(req)) }),
  )

  // one photo of one side of the ID card; the answer says whether it was accepted and what comes next
  app.post('/capture/api/idcard', async (req: FastifyRequest<{ Body: unknown }>, reply) => {
    const side = (req.query as Record<string, unknown>).side
    if (side !== 'front' && side !== 'back') throw new ReasonError('INVALID_PARAMETER', 'side must be front or back')
    if (!Buffer.isBuffer(req.body))
      throw new ReasonError(
        'FILE_FORMAT_INVALID',
        'send the card photo as the request body (image/jpeg, image/png or image/webp)',
      )
    const r = await s.idcards.submit(token(req), side, req.body)
    const v = (await s.verifications.byToken(token(req)))!
    return reply.send({
      side: r.side,
      accepted: r.reason === 'PASS',
      verdict: describe(v.family, r.reason),
      shown: r.shown,
      idcard: r.step,
      session: await sessionView(s, v),
    })
  })

  app.post('/capture/api/upload', async (req: FastifyRequest<{ Body: unknown }>, reply) => {
    if (!Buffer.isBuffer(req.body)) throw new ReasonError('VIDEO_FETCH_FAILED', 'the upload body is empty')
    // the capture page says how long its recorder ran (ms): the analysis checks the file against it
    const recMs = (req.query as Record<string, unknown>).recMs
    let recording: { durationMs: number; mimeType: string } | undefined
    if (recMs !== undefined) {
      const ms = Number(recMs)
      if (typeof recMs !== 'string' || !/^\d{1,6}$/.test(recMs) || ms < 100 || ms > 600_000)
        throw new ReasonError('INVALID_PARAMETER', 'recMs must be the recording length in milliseconds (100–600000)')
      recording = {
        durationMs: ms,
        mimeType: String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim(),
      }
    }
    // the request id travels with the analysis job, into the worker's logs
    const r = await s.verifications.upload(token(req), req.body, recording, { requestId: req.id })
    // a repeated upload (the page retrying after a dropped connection) gets its first answer again
    return reply.code(202).send({ attemptId: r.attempt.id, seq: r.attempt.seq, state: r.attempt.state })
  })
}

function notFound() {
  return new ReasonError('NOT_FOUND', 'unknown verification token')
}

async function sessionView(s: CaptureApiDeps, v: Verification) {
  const rule = await s.apps.getRuleVersion(v.ruleId, v.ruleVersion)
  const liveness = rule?.liveness ?? null
  const reason = s.verifications.currentReason(v)
  const attempts = await s.verifications.attempts(v.id)
  const last = attempts.at(-1)
  const lastVerdict = last?.state === 'finished' && last.reason ? describe(v.family, last.reason) : null
  const done = reason !== null
  return {
    family: v.family,
    state: done ? 'finished' : v.state,
    liveness,
    idcard: rule && rule.idcardStep !== 'none' ? await s.idcards.status(v, rule) : null,
    challenge: v.challenge,
    attemptsUsed: v.attemptsUsed,
    attemptsLeft: Math.max(0, v.maxAttempts - v.attemptsUsed),
    expiresAt: v.expiresAt,
    analysing: v.state === 'analysing',
    lastAttempt: lastVerdict,
    result: done ? describe(v.family, reason) : null,
    redirect: done ? await redirectFor(s, v, reason) : null,
  }
}

/** Where the person goes at the end, with the parameters each family's callers read. */
async function redirectFor(s: CaptureApiDeps, v: Verification, reason: Reason): Promise<string | null> {
  if (!v.redirectUrl) return null
  const url = new URL(v.redirectUrl)
  if (v.family === 'h5') {
    url.searchParams.set('token', v.token)
    url.searchParams.set('BizToken', v.token)
    return url.toString()
  }
  const code = String(toCode('sdk', reason).code)
  const app = await s.apps.getApp(v.appId)
  url.searchParams.set('code', code)
  url.searchParams.set('orderNo', v.orderNo ?? '')
  url.searchParams.set(v.token.startsWith('tx') ? 'faceId' : 'h5faceId', v.token)
  if (app) {
    const sign = await s.tickets.redirectSign(app, [app.appId, v.orderNo ?? '', code])
    if (sign) {
      url.searchParams.set('newSign', sign)
      url.searchParams.set('newSignature', sign)
    }
  }
  return url.toString()
}
