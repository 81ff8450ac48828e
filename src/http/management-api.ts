import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { constantTimeEqual } from '../crypto/index.js'
import { ReasonError, isReasonError, listCodes, type Reason } from '../codes/index.js'
import { BillingService } from '../billing/index.js'
import {
  COMPARE_SOURCES,
  DUPLICATE_ACTIONS,
  IDCARD_STEPS,
  LIVENESS_MODES,
  LIGHT_FALLBACKS,
  SERVICES,
  type AppService,
} from '../apps/index.js'
import type { RegistryService } from '../registry/index.js'
import type { VerificationService } from '../verifications/index.js'
import { decodeBase64Strict } from './params.js'
import { consoleSessionValid, type ConsoleSessionDeps } from './console-api.js'
import { guardInput } from './edge.js'
import { ConsoleAuthUnavailableError } from '../console-auth/index.js'

/** What the management API uses, and nothing more. */
export interface ManagementApiDeps extends ConsoleSessionDeps {
  adminToken: string
  apps: Pick<AppService, 'createApp' | 'listApps' | 'updateApp' | 'rotateSecret' | 'createRule' | 'listRules'>
  registry: Pick<RegistryService, 'enroll' | 'remove' | 'count' | 'list' | 'search'>
  billing: Pick<BillingService, 'usage'>
  verifications: Pick<VerificationService, 'search' | 'maskedIdentity' | 'currentReason'>
}

/**
 * The operator's management API (apps, rules, registry, usage, codes), described by the OpenAPI
 * document at /docs/json. One schema per route gives validation, documentation and response
 * filtering: a field not declared in a response schema never leaves the server.
 */
const ErrorBody = Type.Object(
  { error: Type.Object({ reason: Type.String(), message: Type.String() }) },
  { $id: 'ManagementError' },
)

const App = Type.Object({
  appId: Type.String(),
  name: Type.String(),
  secretVersion: Type.Integer(),
  services: Type.Array(Type.String()),
  validUntil: Type.Union([Type.String(), Type.Null()]),
  dailyLimitPerPerson: Type.Integer(),
  concurrencyLimit: Type.Integer(),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
})
const Rule = Type.Object({
  ruleId: Type.String(),
  appId: Type.String(),
  name: Type.String(),
  liveness: Type.String(),
  compareSource: Type.String(),
  threshold: Type.Number(),
  maxAttempts: Type.Integer(),
  tokenTtlS: Type.Integer(),
  actionCount: Type.Integer(),
  idcardStep: Type.String(),
  duplicateAction: Type.String(),
  lightFallback: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  enabled: Type.Boolean(),
  createdAt: Type.String(),
})
const CodeRow = Type.Object({
  family: Type.String(),
  code: Type.Integer(),
  aliases: Type.Array(Type.Integer()),
  billable: Type.Boolean(),
  message_zh: Type.String(),
  message_en: Type.String(),
  remedy: Type.Union([Type.Object({ zh: Type.String(), en: Type.String() }), Type.Null()]),
  stage: Type.String(),
  reasons: Type.Array(Type.String()),
})
/** the columns are 32-bit integers: a larger number is a 400 here, not a database error */
const INT32_MAX = 2 ** 31 - 1
const FaceMatch = Type.Object({
  personId: Type.String(),
  score: Type.Number(),
  far: Type.Number({ description: 'false-accept rate per pair at this score (from score 80 up: at most 1e-4)' }),
})
const DuplicateMatch = Type.Object({
  personId: Type.String(),
  name: Type.String({ description: 'masked' }),
  idNumber: Type.String({ description: 'masked' }),
  score: Type.Number(),
  far: Type.Number(),
})
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const literalUnion = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)))

const STATUS: Partial<Record<Reason, number>> = {
  APP_NOT_FOUND: 404,
  NOT_FOUND: 404,
  BUSINESS_REQUEST_INVALID: 422,
  // no face model loaded here: search is not supported (not the caller's fault)
  VISION_ENGINE_UNAVAILABLE: 501,
}

export async function managementApi(root: FastifyInstance, opts: { deps: ManagementApiDeps }) {
  const s = opts.deps
  const app = root.withTypeProvider<TypeBoxTypeProvider>()
  app.addSchema(ErrorBody)

  // the edge check of this family: before the schemas coerce a query string ("1e309" would become Infinity)
  // the schemas here coerce body strings too ("Infinity" would become an integer field's value)
  guardInput(
    root,
    (_req, reply, p) => reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: p.message } }),
    { coercedBody: true },
  )

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    if (err instanceof ConsoleAuthUnavailableError)
      return reply
        .code(503)
        .send({ error: { reason: 'CACHE_UNAVAILABLE', message: 'the session store is unavailable: retry shortly' } })
    if (isReasonError(err))
      return reply.code(STATUS[err.reason] ?? 400).send({ error: { reason: err.reason, message: err.message } })
    if (err instanceof RangeError)
      return reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: err.message } })
    if (err.validation) return reply.code(400).send({ error: { reason: 'INVALID_PARAMETER', message: err.message } })
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: { reason: 'BODY_TOO_LARGE', message: 'the body is too large' } })
    if (err.statusCode && err.statusCode < 500)
      return reply.code(err.statusCode).send({ error: { reason: 'INVALID_PARAMETER', message: err.message } })
    req.log.error({ err }, 'management api failure')
    return reply.code(500).send({ error: { reason: 'SYSTEM_ERROR', message: 'internal error' } })
  })

  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    // the operator console's signed session cookie (with its header) stands for the token
    if (!given && (await consoleSessionValid(req, s))) return
    if (!given || !constantTimeEqual(given, s.adminToken)) {
      return reply.code(401).send({
        error: {
          reason: 'SIGNATURE_INVALID',
          message:
            'send the admin token as `Authorization: Bearer <token>` (printed at first start, kept in <data dir>/admin-token)',
        },
      })
    }
  }
  const security = [{ bearer: [] as string[] }]

  app.get(
    '/v1/codes',
    {
      schema: {
        tags: ['codes'],
        summary: 'The result-code catalog of both families',
        response: { 200: Type.Array(CodeRow) },
      },
    },
    async () => listCodes(),
  )

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }))

  app.register(async (admin) => {
    const a = admin.withTypeProvider<TypeBoxTypeProvider>()
    a.addHook('onRequest', requireAdmin)

    a.post(
      '/v1/apps',
      {
        schema: {
          tags: ['apps'],
          summary: 'Create an app (AppID + secret)',
          security,
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 128 }),
              services: Type.Optional(Type.Array(literalUnion(SERVICES))),
              validUntil: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
              dailyLimitPerPerson: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
              concurrencyLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ app: App, secret: Type.String() }), 400: Type.Ref('ManagementError') },
        },
      },
      async (req, reply) => reply.code(201).send(await s.apps.createApp(req.body as never)),
    )

    a.get('/v1/apps', { schema: { tags: ['apps'], security, response: { 200: Type.Array(App) } } }, async () =>
      s.apps.listApps(),
    )

    a.patch(
      '/v1/apps/:appId',
      {
        schema: {
          tags: ['apps'],
          security,
          params: Type.Object({ appId: Type.String({ maxLength: 32 }) }),
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
              services: Type.Optional(Type.Array(literalUnion(SERVICES))),
              validUntil: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
              dailyLimitPerPerson: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
              concurrencyLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: App, 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.apps.updateApp(req.params.appId, req.body as never),
    )

    a.post(
      '/v1/apps/:appId/rotate-secret',
      {
        schema: {
          tags: ['apps'],
          summary: 'Issue a new secret; every token and ticket of the old one stops working',
          security,
          params: Type.Object({ appId: Type.String({ maxLength: 32 }) }),
          response: { 200: Type.Object({ appId: Type.String(), secret: Type.String() }) },
        },
      },
      async (req) => ({ appId: req.params.appId, secret: await s.apps.rotateSecret(req.params.appId) }),
    )

    a.post(
      '/v1/rules',
      {
        schema: {
          tags: ['rules'],
          summary: 'Create a rule (RuleId)',
          security,
          body: Type.Object(
            {
              appId: Type.String({ maxLength: 32 }),
              name: Type.Optional(Type.String({ maxLength: 128 })),
              liveness: literalUnion(LIVENESS_MODES),
              compare: literalUnion(COMPARE_SOURCES),
              threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
              maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
              tokenTtlS: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
              actionCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
              idcardStep: Type.Optional(literalUnion(IDCARD_STEPS)),
              duplicateAction: Type.Optional(literalUnion(DUPLICATE_ACTIONS)),
              /** light rules: the mode offered to a person who declines the flashes */
              lightFallback: Type.Optional(Type.Union([literalUnion(LIGHT_FALLBACKS), Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Rule,
            400: Type.Ref('ManagementError'),
            404: Type.Ref('ManagementError'),
            422: Type.Ref('ManagementError'),
          },
        },
      },
      async (req, reply) => {
        const b = req.body
        const rule = await s.apps.createRule({
          appId: b.appId,
          liveness: b.liveness as never,
          compareSource: b.compare as never,
          ...(b.name !== undefined && { name: b.name }),
          ...(b.threshold !== undefined && { threshold: b.threshold }),
          ...(b.maxAttempts !== undefined && { maxAttempts: b.maxAttempts }),
          ...(b.tokenTtlS !== undefined && { tokenTtlS: b.tokenTtlS }),
          ...(b.actionCount !== undefined && { actionCount: b.actionCount }),
          ...(b.idcardStep !== undefined && { idcardStep: b.idcardStep as never }),
          ...(b.duplicateAction !== undefined && { duplicateAction: b.duplicateAction as never }),
          ...(b.lightFallback !== undefined && { lightFallback: b.lightFallback as never }),
        })
        return reply.code(201).send(rule)
      },
    )

    a.get(
      '/v1/rules',
      {
        schema: {
          tags: ['rules'],
          security,
          querystring: Type.Object({ appId: Type.Optional(Type.String({ maxLength: 32 })) }),
          response: { 200: Type.Array(Rule) },
        },
      },
      async (req) => s.apps.listRules(req.query.appId),
    )

    a.post(
      '/v1/registry',
      {
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags: ['registry'],
          summary: 'Enroll a person in the identity registry (or update them)',
          security,
          body: Type.Object(
            {
              name: Type.String({ maxLength: 64 }),
              idNumber: Type.String({ maxLength: 32 }),
              photoBase64: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              id: Type.String(),
              status: Type.String(),
              hasPhoto: Type.Boolean(),
              face: Type.String(),
              duplicateOf: Type.Array(DuplicateMatch),
            }),
            400: Type.Ref('ManagementError'),
          },
        },
      },
      async (req) => {
        const photo = req.body.photoBase64 ? decodeBase64Strict(req.body.photoBase64) : null
        if (req.body.photoBase64 && !photo)
          throw new ReasonError('INVALID_PARAMETER', 'photoBase64 is not valid base64')
        return s.registry.enroll({ name: req.body.name, idNumber: req.body.idNumber, photo })
      },
    )

    a.post(
      '/v1/registry/search',
      {
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags: ['registry'],
          summary:
            'Find a face in the registry: the top persons with the 0–100 score and the false-accept rate it means',
          security,
          body: Type.Object(
            { photoBase64: Type.String(), top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              faces: Type.Integer(),
              matches: Type.Array(FaceMatch),
              ms: Type.Integer(),
            }),
            400: Type.Ref('ManagementError'),
          },
        },
      },
      async (req) => {
        const photo = decodeBase64Strict(req.body.photoBase64)
        if (!photo) throw new ReasonError('INVALID_PARAMETER', 'photoBase64 is not valid base64')
        return s.registry.search(photo, req.body.top ?? 5)
      },
    )

    a.post(
      '/v1/registry/delete',
      {
        schema: {
          tags: ['registry'],
          summary: 'Remove a person and their photo (the ID number travels in the body, never in a URL)',
          security,
          body: Type.Object({ idNumber: Type.String({ maxLength: 32 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ deleted: Type.Boolean() }) },
        },
      },
      async (req) => ({ deleted: await s.registry.remove(req.body.idNumber) }),
    )

    a.get(
      '/v1/registry',
      {
        schema: {
          tags: ['registry'],
          summary: 'Enrolled people, masked',
          security,
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, maximum: INT32_MAX })),
          }),
          response: {
            200: Type.Object({
              total: Type.Integer(),
              people: Type.Array(
                Type.Object({
                  id: Type.String(),
                  name: Type.String(),
                  idNumber: Type.String(),
                  hasPhoto: Type.Boolean(),
                  createdAt: Type.String(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => ({
        total: await s.registry.count(),
        people: await s.registry.list(req.query.limit ?? 50, req.query.offset ?? 0),
      }),
    )

    a.get(
      '/v1/usage',
      {
        schema: {
          tags: ['usage'],
          summary: 'Billable and free attempts per app, day and code (format=csv for a CSV file)',
          security,
          querystring: Type.Object({
            from: Day,
            to: Day,
            appId: Type.Optional(Type.String({ maxLength: 32 })),
            format: Type.Optional(literalUnion(['json', 'csv'])),
          }),
        },
      },
      async (req, reply) => {
        const summary = await s.billing.usage({
          from: req.query.from,
          to: req.query.to,
          ...(req.query.appId && { appId: req.query.appId }),
        })
        if (req.query.format === 'csv')
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="usage-${summary.from}-${summary.to}.csv"`)
            .send(BillingService.toCsv(summary))
        return summary
      },
    )

    a.get(
      '/v1/verifications',
      {
        schema: {
          tags: ['verifications'],
          summary: 'Search verifications (personal data masked)',
          security,
          querystring: Type.Object({
            appId: Type.Optional(Type.String({ maxLength: 32 })),
            orderNo: Type.Optional(Type.String({ maxLength: 64 })),
            code: Type.Optional(Type.Integer({ minimum: -INT32_MAX, maximum: INT32_MAX })),
            from: Type.Optional(Type.String()),
            to: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          }),
        },
      },
      async (req) => {
        const rows = await s.verifications.search({ ...req.query, limit: req.query.limit ?? 50 })
        return Promise.all(
          rows.map(async (v) => {
            const id = await s.verifications.maskedIdentity(v)
            return {
              id: v.id,
              appId: v.appId,
              ruleId: v.ruleId,
              family: v.family,
              orderNo: v.orderNo,
              state: v.state,
              attemptsUsed: v.attemptsUsed,
              reason: s.verifications.currentReason(v),
              code: v.finalCode,
              billable: v.finalBillable,
              similarity: v.similarity,
              name: id.name,
              idNumber: id.idNumber,
              createdAt: v.createdAt,
              finishedAt: v.finishedAt,
            }
          }),
        )
      },
    )
  })
}
