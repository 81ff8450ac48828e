import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { constantTimeEqual } from '../crypto/index.js'
import type { JobQueueAdmin } from '../queue/index.js'
import { consoleSessionValid, type ConsoleSessionDeps } from './console-api.js'
import { guardInput } from './edge.js'

/** What the job endpoints use: the queue's operator side, and the admin token or a console session. */
export interface JobsApiDeps extends ConsoleSessionDeps {
  adminToken: string
  queue: Pick<JobQueueAdmin, 'stats' | 'dead' | 'requeue'>
}

const Stats = Type.Object({
  queued: Type.Integer(),
  running: Type.Integer(),
  dead: Type.Integer(),
  oldestQueuedAgeS: Type.Number({ description: 'how long the oldest queued job has waited, in seconds' }),
})
const DeadJob = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  key: Type.String({ description: 'the subject of the job, e.g. analyse:<attempt id>' }),
  tries: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  diedAt: Type.String(),
})
const Overview = Type.Object({ stats: Stats, dead: Type.Array(DeadJob) })
const Err = Type.Object({ error: Type.Object({ reason: Type.String(), message: Type.String() }) })

/**
 * The job queue for operators: depth, running jobs and dead letters (jobs that failed their last
 * try), and requeueing a dead job. Served twice: under /v1/jobs for the admin token (and the
 * console's session, like the rest of the management API), and under /console/api/jobs for the
 * console's session alone. Payloads are never shown: only the job's kind, subject key and last error.
 */
export async function jobsApi(root: FastifyInstance, opts: { deps: JobsApiDeps }) {
  const s = opts.deps
  const app = root.withTypeProvider<TypeBoxTypeProvider>()
  guardInput(root, (_req, reply, p) =>
    reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: p.message } }),
  )
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (err.validation || (err.statusCode && err.statusCode < 500))
      return reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: err.message } })
    req.log.error({ err: err.message }, 'jobs api failure')
    return reply.code(500).send({ error: { reason: 'SYSTEM_ERROR', message: 'internal error' } })
  })

  const adminOrConsole = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    if (!given && (await consoleSessionValid(req, s))) return
    if (!given || !constantTimeEqual(given, s.adminToken))
      return reply.code(401).send({
        error: { reason: 'SIGNATURE_INVALID', message: 'send the admin token as `Authorization: Bearer <token>`' },
      })
  }
  const consoleOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await consoleSessionValid(req, s)))
      return reply.code(401).send({ error: { reason: 'LOGIN_REQUIRED', message: 'log in to the console first' } })
  }

  const overview = async (req: FastifyRequest<{ Querystring: { limit?: number } }>) => ({
    stats: await s.queue.stats(),
    dead: await s.queue.dead(req.query.limit ?? 50),
  })
  const requeue = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    if (!(await s.queue.requeue(req.params.id)))
      return reply.code(404).send({ error: { reason: 'NOT_FOUND', message: 'no dead job with this id' } })
    return { ok: true }
  }
  const listSchema = {
    tags: ['jobs'],
    summary: 'Queue depth, running jobs and the dead letters (newest first)',
    querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
    response: { 200: Overview, 401: Err },
  }
  const requeueSchema = {
    tags: ['jobs'],
    summary: 'Queue a dead job again with fresh tries',
    params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
    response: { 200: Type.Object({ ok: Type.Boolean() }), 401: Err, 404: Err },
  }

  app.register(async (admin) => {
    const a = admin.withTypeProvider<TypeBoxTypeProvider>()
    a.addHook('onRequest', adminOrConsole)
    a.get('/v1/jobs', { schema: { ...listSchema, security: [{ bearer: [] }] } }, overview)
    a.post('/v1/jobs/:id/requeue', { schema: { ...requeueSchema, security: [{ bearer: [] }] } }, requeue)
  })
  app.register(async (con) => {
    const c = con.withTypeProvider<TypeBoxTypeProvider>()
    c.addHook('onRequest', consoleOnly)
    c.get('/console/api/jobs', { schema: { ...listSchema, hide: true } }, overview)
    c.post('/console/api/jobs/:id/requeue', { schema: { ...requeueSchema, hide: true } }, requeue)
  })
}
