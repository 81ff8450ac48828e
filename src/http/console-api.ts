import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { constantTimeEqual, randomToken } from '../crypto/index.js'
import { lookup, toCode, type Reason } from '../codes/index.js'
import { CALIBRATION, FAR_ANCHORS } from '../vision/index.js'
import { maskIdNumber, maskName } from '../registry/index.js'
import type { Shiren } from '../compose.js'
import { checkAdminPassword } from '../console-auth/index.js'
import { securityHeaders, sendPage } from './capture-page.js'
import { guardInput } from './edge.js'

/**
 * The operator console's own endpoints (login, verification detail with media, the FAR table, daily
 * usage) under /console/api/. Everything else the console shows comes from the management API, which
 * accepts the console's session cookie as well as the bearer token (see `consoleSessionValid`).
 *
 * The password is kept only as a scrypt hash in <data dir>/admin-password; sessions are cookies
 * signed with a key in <data dir>/console-key, so every process on the same data dir accepts them.
 */

const COOKIE = 'shiren_console'
const SESSION_S = 12 * 3600
/** sent by the console's own fetches; a cross-site form or image cannot add it, so the cookie alone never authorises a change */
export const CONSOLE_HEADER = 'x-shiren-console'

function cookieKey(dataDir: string): Buffer {
  const file = join(dataDir, 'console-key')
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true })
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url')
}

function readCookie(req: FastifyRequest, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim()
  }
  return null
}

/** A valid, unexpired console session cookie, sent together with the console's header. */
export function consoleSessionValid(req: FastifyRequest, s: Shiren): boolean {
  if (!req.headers[CONSOLE_HEADER]) return false
  const c = readCookie(req, COOKIE)
  if (!c) return false
  const [exp, nonce, mac] = c.split('.')
  if (!exp || !nonce || !mac) return false
  if (!constantTimeEqual(mac, sign(cookieKey(s.config.dataDir), `${exp}.${nonce}`))) return false
  return Number(exp) > s.clock.now().getTime() / 1000
}

function setSession(req: FastifyRequest, reply: FastifyReply, s: Shiren) {
  const exp = Math.floor(s.clock.now().getTime() / 1000) + SESSION_S
  const payload = `${exp}.${randomBytes(12).toString('base64url')}`
  const secure = req.protocol === 'https' ? '; Secure' : ''
  reply.header(
    'set-cookie',
    `${COOKIE}=${payload}.${sign(cookieKey(s.config.dataDir), payload)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_S}${secure}`,
  )
}

const day = (d: Date) => d.toISOString().slice(0, 10)

export async function consoleApi(app: FastifyInstance, opts: { shiren: Shiren }) {
  const s = opts.shiren
  // a slow hash and a pause per failure keep guessing slow; counted per process
  const failures = new Map<string, { n: number; until: number }>()
  guardInput(app, (_req, reply, p) =>
    reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: p.message } }),
  )

  app.get('/console', async (req, reply) => sendPage(reply, 'console', req.headers['accept-encoding'] ?? ''))

  app.post('/console/api/login', async (req, reply) => {
    const ip = req.ip
    const f = failures.get(ip)
    if (f && f.until > Date.now())
      return reply
        .code(429)
        .send({ error: { reason: 'TOO_MANY_ATTEMPTS', message: 'too many wrong passwords: wait a minute' } })
    const pw =
      typeof (req.body as { password?: unknown } | null)?.password === 'string'
        ? (req.body as { password: string }).password
        : ''
    const check = await checkAdminPassword(s.config.dataDir, pw)
    const ok = check === 'ok'
    if (!ok) {
      const n = (f?.n ?? 0) + 1
      failures.set(ip, { n, until: n >= 5 ? Date.now() + 60_000 : 0 })
      return reply.code(401).send({
        error: {
          reason: 'PASSWORD_INVALID',
          message: check === 'unset' ? 'no console password is set: run `shiren admin set-password`' : 'wrong password',
        },
      })
    }
    failures.delete(ip)
    setSession(req, reply, s)
    return reply.send({ ok: true })
  })

  app.post('/console/api/logout', async (_req, reply) =>
    reply.header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).send({ ok: true }),
  )

  app.register(async (priv) => {
    priv.addHook('onRequest', async (req, reply) => {
      if (!consoleSessionValid(req, s))
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
      const v = await s.store.verifications.getById((req.params as { id: string }).id)
      if (!v) return reply.code(404).send({ error: { reason: 'NOT_FOUND', message: 'no such verification' } })
      const attempts = await s.verifications.attempts(v.id)
      const id = await s.verifications.identity(v)
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
      const rule = await s.store.rules.get(v.ruleId)
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
        threshold: rule?.threshold ?? null,
        liveness: rule?.liveness ?? null,
        compareSource: rule?.compareSource ?? null,
        similarity: v.similarity,
        attemptsUsed: v.attemptsUsed,
        maxAttempts: v.maxAttempts,
        createdAt: v.createdAt,
        finishedAt: v.finishedAt,
        expiresAt: v.expiresAt,
        name: id.name ? maskName(id.name) : null,
        idNumber: id.idNumber ? maskIdNumber(id.idNumber) : null,
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
      const v = await s.store.verifications.getById((req.params as { id: string }).id)
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
      const type =
        which === 'frame'
          ? 'image/jpeg'
          : data.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))
            ? 'video/webm'
            : 'video/mp4'
      return securityHeaders(reply).header('cache-control', 'private, no-store').type(type).send(data)
    }
    priv.get('/console/api/verifications/:id/best-frame', async (req, reply) => media(req, reply, 'frame'))
    priv.get('/console/api/verifications/:id/video', async (req, reply) => media(req, reply, 'video'))

    /** Usage per day and per code, both families, for the charts. */
    priv.get('/console/api/usage', async (req) => {
      const q = req.query as { from?: string; to?: string; appId?: string }
      const now = s.clock.now()
      const to = q.to ?? day(now)
      const from = q.from ?? day(new Date(now.getTime() - 29 * 86400_000))
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
