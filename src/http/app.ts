import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import type { Config } from '../config/index.js'
import { requestLogger, type Logger } from '../logging.js'
import { captureApi, type CaptureApiDeps } from './capture-api.js'
import { capturePage, type CapturePageDeps } from './capture-page.js'
import { cloudApi, type CloudApiDeps } from './cloud-api.js'
import { consoleApi, type ConsoleApiDeps } from './console-api.js'
import { managementApi, type ManagementApiDeps } from './management-api.js'
import { jobsApi, type JobsApiDeps } from './jobs-api.js'
import { ticketApi, TICKET_BODY_LIMIT, type TicketApiDeps } from './ticket-api.js'
import { addSecurityHeaders } from './edge.js'
import { observeRequests, opsApi, requestIdOf, type OpsApiDeps } from './ops-api.js'

/**
 * Everything the HTTP surface uses: the union of what its plugins declare. Each plugin is handed
 * this object but its type lets it see only its own dependencies; compose.ts's `Shiren` satisfies it.
 */
export type HttpDeps = CloudApiDeps &
  TicketApiDeps &
  CaptureApiDeps &
  CapturePageDeps &
  ManagementApiDeps &
  JobsApiDeps &
  ConsoleApiDeps &
  OpsApiDeps & {
    config: Pick<Config, 'bodyLimit' | 'trustProxy'>
    log: Logger
  }

/**
 * The HTTP surface: each API family in its own encapsulated context with its own body parsing,
 * authentication and error shape. Request logs carry method, path and status only: query strings
 * (tickets, secrets) and bodies (names, ID numbers, media) never reach them.
 */
export async function buildApp(s: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: s.log as unknown as FastifyBaseLogger,
    bodyLimit: Math.max(s.config.bodyLimit, TICKET_BODY_LIMIT),
    // X-Forwarded-* only from the proxies named by SHIREN_TRUST_PROXY (none by default)
    trustProxy: s.config.trustProxy,
    disableRequestLogging: true,
    // X-Request-Id only from a trusted proxy; else a fresh UUID (ops-api.ts)
    genReqId: requestIdOf(s.config.trustProxy !== false),
  })

  addSecurityHeaders(app)
  observeRequests(app, s.ops.metrics)
  const requestLine = requestLogger(s.log)
  if (requestLine)
    app.addHook('onResponse', (req, reply, done) => {
      const q = req.url.indexOf('?')
      requestLine({
        reqId: req.id,
        method: req.method,
        path: q < 0 ? req.url : req.url.slice(0, q),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      })
      done()
    })

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'shiren management API',
        version: '0.1.0',
        description:
          'Apps, rules, identity registry, usage and the result-code catalog. The two caller API families (Tencent Cloud API 3.0 at POST / and the ticket flow under /api/) are documented in README.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    // only the management routes are described; the caller families follow the vendor's contract
    transform: ({ schema, url }) => ({
      schema: (url.startsWith('/v1/') ? schema : { ...schema, hide: true }) as never,
      url,
    }),
  })
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(cloudApi, { deps: s })
  await app.register(ticketApi, { deps: s })
  await app.register(captureApi, { deps: s })
  await app.register(capturePage, { deps: s })
  await app.register(managementApi, { deps: s })
  await app.register(consoleApi, { deps: s })
  await app.register(opsApi, { deps: s })
  await app.register(jobsApi, { deps: s })
  return app
}
