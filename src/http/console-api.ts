import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isReasonError, lookup, toCode, type Reason } from '../codes/index.js'
import { CALIBRATION, FAR_ANCHORS } from '../vision/index.js'
import { sniffVideo } from '../media/index.js'
import type { AppService } from '../apps/index.js'
import type { AuditLog } from '../audit/index.js'
import type { BillingService } from '../billing/index.js'
import type { Clock } from '../clock/index.js'
import type { Config } from '../config/index.js'
import type { VerificationService } from '../verifications/index.js'
import {
  checkAdminPassword,
  ConsoleAuthUnavailableError,
  SESSION_MAX_MS,
  type ConsoleAuth,
} from '../console-auth/index.js'
import { securityHeaders, sendPage } from './capture-page.js'
import { guardInput } from './edge.js'

/**
 * The operator console's own endpoints (login, verification detail with media, the FAR table, daily
 * usage) under /console/api/. Everything else the console shows comes from the management API, which
 * accepts the console's session cookie as well as the bearer token (see `consoleSessionValid`).
 *
 * The password is kept only as a scrypt hash in <data dir>/admin-password; sessions live server-side
 * (src/console-auth: Redis when configured, else the database), so logout and a password change end
 * them in every process.
 */

const COOKIE = 'shiren_console'
/** sent by the console's own fetches; a cross-site form or image cannot add it, so the cookie alone never authorises a change */
export const CONSOLE_HEADER = 'x-shiren-console'

function readCookie(req: FastifyRequest, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return null
}

/** What checking a console session needs: the server-side sessions. */
export interface ConsoleSessionDeps {
  consoleAuth: Pick<ConsoleAuth, 'sessions'>
}

/** A live server-side console session, its cookie sent together with the console's header. */
export async function consoleSessionValid(req: FastifyRequest, s: ConsoleSessionDeps): Promise<boolean> {
  if (!req.headers[CONSOLE_HEADER]) return false
  const c = readCookie(req, COOKIE)
  return c ? s.consoleAuth.sessions.check(c) : false
}

/** `Secure` whenever the request came over HTTPS, directly or through a trusted proxy (SHIREN_TRUST_PROXY) */
function cookie(req: FastifyRequest, value: string, maxAgeS: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : ''
  return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`
}

const day = (d: Date) => d.toISOString().slice(0, 10)
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** What the console endpoints use, and nothing more. */
export interface ConsoleApiDeps {
  config: Pick<Config, 'dataDir'>
  clock: Clock
  consoleAuth: Pick<ConsoleAuth, 'sessions' | 'throttle'>
  apps: Pick<AppService, 'getRuleVersion'>
  audit: Pick<AuditLog, 'record' | 'recordAtMostEvery'>
  billing: Pick<BillingService, 'usage'>
  verifications: Pick<VerificationService, 'byId' | 'attempts' | 'maskedIdentity' | 'currentReason' | 'blob'>
}

export async function consoleApi(app: FastifyInstance, opts: { deps: ConsoleApiDeps }) {
  const s = opts.deps
  const { sessions, throttle } = s.consoleAuth
  guardInput(app, (_req, reply, p) =>
    reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: p.message } }),
  )

  // fastify's own refusals (content type, JSON syntax, length) in the console's error shape
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof ConsoleAuthUnavailableError) {
      req.log.warn({ err: err.message }, 'console session store unavailable')
      return reply
        .code(503)
        .send({ error: { reason: 'CACHE_UNAVAILABLE', message: 'the session store is unavailable: retry shortly' } })
    }
    if (isReasonError(err) && err.reason === 'INVALID_PARAMETER')
      return reply.code(400).send({ error: { reason: err.reason, message: err.message } })
    if (err.statusCode && err.statusCode < 500)
      return reply
        .code(err.statusCode)
        .send({ error: { reason: 'INVALID_PARAMETER', message: 'the request could not be read' } })
    req.log.error({ err }, 'console api failure')
    return reply.code(500).send({ error: { reason: 'SYSTEM_ERROR', message: 'internal error' } })
  })

  app.get('/console', async (req, reply) => sendPage(reply, 'console', req.headers['accept-encoding'] ?? ''))

  app.post('/console/api/login', async (req, reply) => {
    // the real client: X-Forwarded-For counts only from a proxy named in SHIREN_TRUST_PROXY
    const address = req.ip
    // every login is audited with its address; refusals by the throttle (which an attacker can repeat
    // without end) at most once a minute per address
    const audit = (outcome: string) =>
      s.audit.record({ actor: 'console', source: address, action: 'console.login', details: { outcome } })
    const gate = await throttle.allowed(address)
    if (!gate.ok) {
      await s.audit.recordAtMostEvery(address, 60, {
        actor: 'console',
        source: address,
        action: 'console.login',
        details: { outcome: 'throttled' },
      })
      return reply
        .code(429)
        .header('retry-after', String(gate.retryAfterS))
        .send({ error: { reason: 'TOO_MANY_ATTEMPTS', message: 'too many wrong passwords: wait and try again' } })
    }
    const pw =
      typeof (req.body as { password?: unknown } | null)?.password === 'string'
        ? (req.body as { password: string }).password
        : ''
    const check = await checkAdminPassword(s.config.dataDir, pw)
    if (check !== 'ok') {
      if (check === 'wrong') await throttle.failed(address)
      await audit(check === 'unset' ? 'no-password-set' : 'wrong-password')
      return reply.code(401).send({
        error: {
          reason: 'PASSWORD_INVALID',
          message: check === 'unset' ? 'no console password is set: run `shiren admin set-password`' : 'wrong password',
        },
      })
    }
    await throttle.succeeded(address)
    await audit('ok')
    // a new id at every login; an old cookie sent along is ended, not reused
    const old = readCookie(req, COOKIE)
    if (old) await sessions.end(old)
    const id = await sessions.start()
    return reply.header('set-cookie', cookie(req, id, SESSION_MAX_MS / 1000)).send({ ok: true })
  })

  app.post('/console/api/logout', async (req, reply) => {
    const c = readCookie(req, COOKIE)
    if (c && (await sessions.check(c)))
      await s.audit.record({ actor: 'console', source: req.ip, action: 'console.logout' })
    if (c) await sessions.end(c)
    return reply.header('set-cookie', cookie(req, '', 0)).send({ ok: true })
  })

  app.register(async (priv) => {
    priv.addHook('onRequest', async (req, reply) => {
      if (!(await consoleSessionValid(req, s)))
        return reply.code(401).send({ error: { reason: 'LOGIN_REQUIRED', message: 'log in to the console first' } })
    })

    priv.get('/console/api/me', async () => ({ ok: true }))

    /** What each threshold means: the false-accept rate measured on the calibration pairs. */
    priv.get('/console/api/far', async () => ({
      model: CALIBRATION.model,
      impostorPairs: CALIBRATION.impostorPairs,
      genuinePairs: CALIBRATION.genuinePairs,
      generatedAt: CALIBRATION.generatedAt,
      anchors: FAR_ANCHORS.map(([far, score]) => ({ far, score })),
    }))

    priv.get('/console/api/verifications/:id', async (req, reply) => {
      const v = await s.verifications.byId((req.params as { id: string }).id)
      if (!v) return reply.code(404).send({ error: { reason: 'NOT_FOUND', message: 'no such verification' } })
      const attempts = await s.verifications.attempts(v.id)
      const id = await s.verifications.maskedIdentity(v)
      const reason = s.verifications.currentReason(v)
      const both = (r: Reason | null) => {
        if (!r) return null
        const out: Record<string, unknown> = {}
        for (const fam of ['h5', 'sdk'] as const) {
          try {
            const c = toCode(fam, r)
            out[fam] = { code: c.code, billable: c.billable, message: { zh: c.messageZh, en: c.messageEn } }
          } catch {
            out[fam] = null
          }
        }
        return out
      }
      const rule = await s.apps.getRuleVersion(v.ruleId, v.ruleVersion)
      const last = [...attempts].reverse().find((a) => a.mediaBlob)
      return {
        id: v.id,
        appId: v.appId,
        ruleId: v.ruleId,
        family: v.family,
        orderNo: v.orderNo,
        state: v.state,
        reason,
        codes: both(reason),
        ruleVersion: v.ruleVersion,
        threshold: rule?.threshold ?? null,
        liveness: rule?.liveness ?? null,
        compareSource: rule?.compareSource ?? null,
        similarity: v.similarity,
        attemptsUsed: v.attemptsUsed,
        maxAttempts: v.maxAttempts,
        createdAt: v.createdAt,
        finishedAt: v.finishedAt,
        expiresAt: v.expiresAt,
        name: id.name,
        idNumber: id.idNumber,
        challenge: v.challenge,
        hasBestFrame: Boolean(v.bestFrameBlob ?? attempts.some((a) => a.bestFrameBlob)),
        hasVideo: Boolean(v.videoBlob ?? last?.mediaBlob),
        attempts: attempts.map((a) => ({
          seq: a.seq,
          state: a.state,
          reason: a.reason,
          codes: both(a.reason),
          similarity: a.similarity,
          signals: a.signals,
          createdAt: a.createdAt,
          finishedAt: a.finishedAt,
          hasBestFrame: Boolean(a.bestFrameBlob),
        })),
      }
    })

    const media = async (req: FastifyRequest, reply: FastifyReply, which: 'frame' | 'video') => {
      const v = await s.verifications.byId((req.params as { id: string }).id)
      if (!v) return reply.code(404).send({ error: { reason: 'NOT_FOUND', message: 'no such verification' } })
      const attempts = await s.verifications.attempts(v.id)
      const seq = Number((req.query as { seq?: string }).seq)
      const a = Number.isInteger(seq) ? attempts.find((x) => x.seq === seq) : undefined
      const key =
        which === 'frame'
          ? (a?.bestFrameBlob ??
            v.bestFrameBlob ??
            [...attempts].reverse().find((x) => x.bestFrameBlob)?.bestFrameBlob ??
            null)
          : (a?.mediaBlob ?? v.videoBlob ?? [...attempts].reverse().find((x) => x.mediaBlob)?.mediaBlob ?? null)
      const data = await s.verifications.blob(key)
      if (!data)
        return reply
          .code(404)
          .send({ error: { reason: 'NOT_FOUND', message: 'the media is gone (retention) or was never recorded' } })
      const type = which === 'frame' ? 'image/jpeg' : sniffVideo(data) === 'webm' ? 'video/webm' : 'video/mp4'
      return securityHeaders(reply).header('cache-control', 'private, no-store').type(type).send(data)
    }
    priv.get('/console/api/verifications/:id/best-frame', async (req, reply) => media(req, reply, 'frame'))
    priv.get('/console/api/verifications/:id/video', async (req, reply) => media(req, reply, 'video'))

    /** Usage per day and per code, both families, for the charts. */
    priv.get('/console/api/usage', async (req, reply) => {
      const q = req.query as { from?: string; to?: string; appId?: string }
      const now = s.clock.now()
      if ((q.from !== undefined && !DAY.test(q.from)) || (q.to !== undefined && !DAY.test(q.to)))
        return reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: 'from and to are YYYY-MM-DD' } })
      const to = q.to ?? day(now)
      const from = q.from ?? day(new Date(now.getTime() - 29 * 86400_000))
      if (Number.isNaN(Date.parse(`${from}T00:00:00Z`)) || Number.isNaN(Date.parse(`${to}T00:00:00Z`)))
        return reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: 'from and to are YYYY-MM-DD' } })
      const u = await s.billing.usage({ from, to, ...(q.appId && { appId: q.appId }) })
      const days: Array<{ day: string; billable: number; free: number }> = []
      for (
        let d = new Date(`${from}T00:00:00Z`);
        day(d) <= to && days.length < 400;
        d = new Date(d.getTime() + 86400_000)
      )
        days.push({ day: day(d), billable: 0, free: 0 })
      const byDay = new Map(days.map((d) => [d.day, d]))
      const byCode = new Map<
        string,
        { family: string; code: number; billable: number; free: number; message: { zh: string; en: string } | null }
      >()
      for (const r of u.rows) {
        const d = byDay.get(r.day)
        if (d) {
          d.billable += r.billable
          d.free += r.free
        }
        const k = `${r.family}:${r.code}`
        const e = lookup(r.family as 'h5' | 'sdk', r.code)
        const c = byCode.get(k) ?? {
          family: r.family,
          code: r.code,
          billable: 0,
          free: 0,
          message: e ? { zh: e.messageZh, en: e.messageEn } : null,
        }
        c.billable += r.billable
        c.free += r.free
        byCode.set(k, c)
      }
      return {
        from,
        to,
        totals: u.totals,
        days,
        codes: [...byCode.values()].sort((a, b) => b.billable + b.free - (a.billable + a.free)),
      }
    })
  })
}
