import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Config } from '../config/index.js'
import { constantTimeEqual } from '../crypto/index.js'
import { routeFamily, type ReadinessReport, type ShirenMetrics } from '../ops/index.js'
import type { Logger } from '../logging.js'

/** What the ops endpoints use: the process's readiness checks and its metrics. */
export interface OpsApiDeps {
  config: Pick<Config, 'role' | 'metricsToken'>
  adminToken: string
  ops: {
    readiness(): Promise<ReadinessReport>
    metrics: ShirenMetrics
  }
}

/**
 * /readyz and /metrics, on the main port of `all` and `api` processes and on the ops listener of
 * `worker` ones. /readyz answers 503 with the list of what failed, so a load balancer stops sending
 * work (the reasons only with the token below: they name internal hosts). /metrics is Prometheus text behind a bearer token: SHIREN_METRICS_TOKEN when set (give
 * Prometheus that one), else the admin token. The metrics carry counts and timings, never personal
 * data, but they describe the traffic of every app, which is the operator's to see.
 */
export async function opsApi(app: FastifyInstance, opts: { deps: OpsApiDeps; healthz?: boolean }) {
  const s = opts.deps
  if (opts.healthz) app.get('/healthz', async () => ({ ok: true }))

  const authorised = (req: FastifyRequest): boolean => {
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    return given !== '' && constantTimeEqual(given, s.config.metricsToken ?? s.adminToken)
  }

  // what failed, by name, for anyone (a load balancer); why (an internal address, a path) only with the token
  app.get('/readyz', async (req, reply) => {
    const r = await s.ops.readiness()
    const checks = authorised(req)
      ? r.checks
      : Object.fromEntries(Object.entries(r.checks).map(([k, v]) => [k, v === 'ok' ? 'ok' : 'failed']))
    return reply
      .code(r.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ ready: r.ready, role: s.config.role, failed: r.failed, checks })
  })
  app.get('/metrics', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!authorised(req))
      return reply.code(401).send({
        error: {
          reason: 'SIGNATURE_INVALID',
          message: 'send `Authorization: Bearer <token>`: SHIREN_METRICS_TOKEN, or the admin token when it is not set',
        },
      })
    return reply
      .header('cache-control', 'no-store')
      .type(s.ops.metrics.contentType)
      .send(await s.ops.metrics.render())
  })
}

/**
 * The request id: X-Request-Id from a trusted reverse proxy (SHIREN_TRUST_PROXY) when it is a short
 * plain token, else a fresh UUID. It is in every log line of the request and travels with the job.
 */
export function requestIdOf(trusted: boolean) {
  return (req: { headers: Record<string, string | string[] | undefined> }): string => {
    const h = req.headers['x-request-id']
    return trusted && typeof h === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(h) ? h : randomUUID()
  }
}

/** Counts every answer per route family (status class) and its latency, and names the request id. */
export function observeRequests(app: FastifyInstance, metrics: ShirenMetrics): void {
  // callback hooks: an async one costs a promise and a microtask on every answer
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id)
    done(null, payload)
  })
  app.addHook('onResponse', (req, reply, done) => {
    metrics.request(routeFamily(req.routeOptions.url, req.url), reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}

/**
 * The worker's only listener: /healthz, /readyz and /metrics on SHIREN_OPS_HOST:SHIREN_OPS_PORT.
 * A worker answers no caller; everything else is a 404.
 */
export async function buildOpsApp(s: OpsApiDeps & { log: Logger }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: s.log as unknown as FastifyBaseLogger,
    disableRequestLogging: true,
    genReqId: requestIdOf(false),
  })
  observeRequests(app, s.ops.metrics)
  await app.register(opsApi, { deps: s, healthz: true })
  return app
}
