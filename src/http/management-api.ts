import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { constantTimeEqual } from '../crypto/index.js'
import { ReasonError, isReasonError, listCodes, type Reason } from '../codes/index.js'
import { BillingService } from '../billing/index.js'
import {
  RULE_SETTINGS,
  RULE_SETTING_KEYS,
  SERVICES,
  type AppService,
  type NewRuleInput,
  type RulePatch,
} from '../apps/index.js'
import { AUDIT_ACTORS, type AuditBy, type AuditLog } from '../audit/index.js'
import type { RegistryService } from '../registry/index.js'
import type { PrivacyService } from '../privacy/index.js'
import type { VerificationService } from '../verifications/index.js'
import { decodeBase64Strict } from './params.js'
import { consoleSessionValid, type ConsoleSessionDeps } from './console-api.js'
import { guardInput } from './edge.js'
import { ConsoleAuthUnavailableError } from '../console-auth/index.js'
import { webhookRoutes, type WebhookApiDeps } from './webhook-api.js'
import { replayRoutes, type ReplayApiDeps } from './replay-api.js'

/** What the management API uses, and nothing more. */
export interface ManagementApiDeps extends ConsoleSessionDeps, WebhookApiDeps, ReplayApiDeps {
  adminToken: string
  apps: Pick<
    AppService,
    | 'createApp'
    | 'listApps'
    | 'updateApp'
    | 'rotateSecret'
    | 'createRule'
    | 'listRules'
    | 'getRule'
    | 'updateRule'
    | 'ruleVersions'
  >
  audit: Pick<AuditLog, 'record' | 'list'>
  registry: Pick<RegistryService, 'enroll' | 'remove' | 'count' | 'list' | 'search'>
  billing: Pick<BillingService, 'usage'>
  verifications: Pick<VerificationService, 'search' | 'maskedIdentity' | 'currentReason'>
  privacy: Pick<PrivacyService, 'setRetention' | 'erase' | 'export'>
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
  retentionDays: Type.Union([Type.Integer(), Type.Null()], {
    description:
      'days media and personal data are kept after a verification ends; null: the server default (SHIREN_RETENTION_S); 0: until the result is first fetched',
  }),
})
/**
 * One JSON type list, not a union: with the body coercion on, Ajv would try the integer branch of a union
 * first and turn `null` (the server default) into 0 (delete at the first fetch).
 */
const RetentionDays = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 0,
  maximum: 365,
  description: 'days (0–365); null: the server default (SHIREN_RETENTION_S)',
})
const Held = Type.Union([
  Type.Object({
    key: Type.String(),
    bytes: Type.Union([Type.Integer(), Type.Null()], { description: 'null: recorded but gone from the store' }),
    base64: Type.Optional(Type.String()),
  }),
  Type.Null(),
])
const Loose = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])
const NullableString = Type.Union([Type.String(), Type.Null()])
const NullableNumber = Type.Union([Type.Number(), Type.Null()])
const PersonExport = Type.Object({
  exportedAt: Type.String(),
  registry: Type.Union([
    Type.Object({
      personId: Type.String(),
      name: Type.String(),
      idNumber: Type.String(),
      createdAt: Type.String(),
      photo: Held,
      face: Type.Union([
        Type.Object({ model: NullableString, embedding: Type.Optional(Type.Array(Type.Number())) }),
        Type.Null(),
      ]),
    }),
    Type.Null(),
  ]),
  verifications: Type.Array(
    Type.Object({
      id: Type.String(),
      appId: Type.String(),
      ruleId: Type.String(),
      family: Type.String(),
      orderNo: NullableString,
      userId: NullableString,
      state: Type.String(),
      createdAt: Type.String(),
      finishedAt: NullableString,
      keptUntil: Type.String(),
      reason: NullableString,
      code: NullableNumber,
      similarity: NullableNumber,
      name: NullableString,
      idNumber: NullableString,
      identityOrigin: NullableString,
      extra: NullableString,
      media: Type.Object({ reference: Held, bestFrame: Held, video: Held }),
      attempts: Type.Array(
        Type.Object({
          seq: Type.Integer(),
          state: Type.String(),
          reason: NullableString,
          code: NullableNumber,
          createdAt: Type.String(),
          finishedAt: NullableString,
          media: Held,
          bestFrame: Held,
          signals: Loose,
        }),
      ),
      idCard: Type.Array(
        Type.Object({
          side: Type.String(),
          reason: Type.String(),
          readAt: Type.String(),
          fields: Loose,
          image: Held,
          portrait: Held,
        }),
      ),
    }),
  ),
  notes: Type.Array(Type.String()),
})
const ErasureReport = Type.Object({
  personId: NullableString,
  registry: Type.Boolean(),
  verifications: Type.Integer(),
  mediaObjects: Type.Integer(),
  evidenceScrubbed: Type.Integer(),
})
const PersonId = Type.String({ pattern: '^per_[0-9a-z]{1,40}$', maxLength: 44 })
/** a rule: its identity and version, then its settings as src/apps/rule-settings.ts declares them */
const Rule = Type.Object({
  ruleId: Type.String(),
  appId: Type.String(),
  version: Type.Integer({ description: 'the current version: 1 at creation, +1 at every change' }),
  createdAt: Type.String(),
  updatedAt: Type.String({ description: 'when the current version was written' }),
  ...RULE_SETTINGS.properties,
})
const RuleVersion = Type.Object({
  ruleId: Type.String(),
  version: Type.Integer(),
  settings: Type.Object(RULE_SETTINGS.properties),
  createdBy: Type.String({ description: 'api (admin token), console, cli, system or migration' }),
  createdAt: Type.String(),
})
const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String({ description: AUDIT_ACTORS.join(' | ') }),
  source: Type.Union([Type.String(), Type.Null()], { description: 'client address of an HTTP action' }),
  action: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  details: Type.Object({}, { additionalProperties: true }),
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
/** a registry person whose face matches (a search's answer, a duplicate alert), named masked */
const PersonMatch = Type.Object({
  personId: Type.String(),
  name: Type.String({ description: 'masked' }),
  idNumber: Type.String({ description: 'masked' }),
  score: Type.Number(),
  far: Type.Number({ description: 'false-accept rate per pair at this score (from score 80 up: at most 1e-4)' }),
})
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const literalUnion = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)))

const STATUS: Partial<Record<Reason, number>> = {
  APP_NOT_FOUND: 404,
  NOT_FOUND: 404,
  BUSINESS_REQUEST_INVALID: 422,
  // no face model loaded here: search is not supported (not the caller's fault)
  VISION_ENGINE_UNAVAILABLE: 501,
  // the media store failed (folder or S3 bucket): retry later, as the capture API answers it
  BLOB_WRITE_FAILED: 503,
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
  /** who acted, for the audit log: the admin token, or a console session (requireAdmin let it through) */
  const by = (req: FastifyRequest): AuditBy => {
    const h = req.headers.authorization ?? ''
    return { actor: h.startsWith('Bearer ') && h.length > 7 ? 'api' : 'console', source: req.ip }
  }

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
    await webhookRoutes(admin, s, security, by)
    await replayRoutes(admin, s, security)

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
              retentionDays: Type.Optional(RetentionDays),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ app: App, secret: Type.String() }), 400: Type.Ref('ManagementError') },
        },
      },
      async (req, reply) => reply.code(201).send(await s.apps.createApp(req.body as never, by(req))),
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
              retentionDays: Type.Optional(RetentionDays),
            },
            { additionalProperties: false },
          ),
          response: { 200: App, 400: Type.Ref('ManagementError'), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => {
        const { retentionDays, ...rest } = req.body
        const app = await s.apps.updateApp(req.params.appId, rest as never, by(req))
        // a new retention also reschedules the app's verifications still held
        return retentionDays === undefined ? app : (await s.privacy.setRetention(app.appId, retentionDays, by(req))).app
      },
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
      async (req) => ({ appId: req.params.appId, secret: await s.apps.rotateSecret(req.params.appId, by(req)) }),
    )

    a.post(
      '/v1/rules',
      {
        schema: {
          tags: ['rules'],
          summary: 'Create a rule (RuleId)',
          security,
          // the settings of src/apps/rule-settings.ts (a new one appears here by itself), with the
          // compare source named `compare` as `shiren rule create --compare` names it
          body: Type.Object(
            {
              ...Type.Partial(Type.Omit(RULE_SETTINGS, ['compareSource', 'liveness', 'name'])).properties,
              appId: Type.String({ maxLength: 32 }),
              name: Type.Optional(Type.String({ maxLength: 128, description: 'default: <liveness>/<compare>' })),
              liveness: RULE_SETTINGS.properties.liveness,
              compare: RULE_SETTINGS.properties.compareSource,
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
        const { compare, ...rest } = req.body as Record<string, unknown> & { compare: string }
        const rule = await s.apps.createRule({ ...rest, compareSource: compare } as NewRuleInput, by(req))
        return reply.code(201).send(rule)
      },
    )

    const RuleParams = Type.Object({ ruleId: Type.String({ maxLength: 32 }) })
    a.get(
      '/v1/rules/:ruleId',
      {
        schema: {
          tags: ['rules'],
          summary: 'A rule at its current version',
          security,
          params: RuleParams,
          response: { 200: Rule, 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => {
        const rule = await s.apps.getRule(req.params.ruleId)
        if (!rule) throw new ReasonError('NOT_FOUND', `no rule ${req.params.ruleId}`)
        return rule
      },
    )

    a.patch(
      '/v1/rules/:ruleId',
      {
        // the validator drops unknown properties silently (fastify's removeAdditional): a misspelt
        // setting must be refused before that, not ignored while the rest is applied
        preValidation: async (req) => {
          const b = req.body
          if (b === null || typeof b !== 'object' || Array.isArray(b))
            throw new ReasonError('INVALID_PARAMETER', 'the body must be an object of rule settings')
          const unknown = Object.keys(b).filter((k) => !(RULE_SETTING_KEYS as string[]).includes(k))
          if (unknown.length)
            throw new ReasonError(
              'INVALID_PARAMETER',
              `${unknown.join(', ')}: not a rule setting; known: ${RULE_SETTING_KEYS.join(', ')}`,
            )
        },
        schema: {
          tags: ['rules'],
          summary:
            'Change some settings of a rule, validated as at creation: a new version. Verifications created before keep the version they were created under.',
          security,
          params: RuleParams,
          body: Type.Partial(RULE_SETTINGS, { additionalProperties: false, minProperties: 1 }),
          response: {
            200: Rule,
            400: Type.Ref('ManagementError'),
            404: Type.Ref('ManagementError'),
            422: Type.Ref('ManagementError'),
          },
        },
      },
      async (req) => s.apps.updateRule(req.params.ruleId, req.body as RulePatch, by(req)),
    )

    a.get(
      '/v1/rules/:ruleId/versions',
      {
        schema: {
          tags: ['rules'],
          summary: 'Every version of a rule, newest first (settings, who wrote it, when)',
          security,
          params: RuleParams,
          response: { 200: Type.Array(RuleVersion), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.apps.ruleVersions(req.params.ruleId),
    )

    a.get(
      '/v1/audit',
      {
        schema: {
          tags: ['audit'],
          summary:
            'The audit log of operator actions, newest first (no personal data). from/to: ISO date-time, or a day (to includes it whole); action: exact (rule.update) or a family (rule)',
          security,
          querystring: Type.Object({
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9.-]*$', maxLength: 64 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
          response: { 200: Type.Array(AuditEntry), 400: Type.Ref('ManagementError') },
        },
      },
      async (req) => {
        const { from, to, action, limit } = req.query
        for (const [k, v] of [
          ['from', from],
          ['to', to],
        ] as const)
          if (
            v !== undefined &&
            (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) || Number.isNaN(Date.parse(v)))
          )
            throw new ReasonError('INVALID_PARAMETER', `${k} must be an ISO date (YYYY-MM-DD) or date-time`)
        const iso = (v: string) => (v.length === 10 ? v : new Date(v).toISOString())
        return s.audit.list({
          ...(from && { from: iso(from) }),
          ...(to && { to: iso(to) }),
          ...(action && { action }),
          limit: limit ?? 100,
        })
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
              duplicateOf: Type.Array(PersonMatch),
            }),
            400: Type.Ref('ManagementError'),
          },
        },
      },
      async (req) => {
        const photo = req.body.photoBase64 ? decodeBase64Strict(req.body.photoBase64) : null
        if (req.body.photoBase64 && !photo)
          throw new ReasonError('INVALID_PARAMETER', 'photoBase64 is not valid base64')
        const r = await s.registry.enroll({ name: req.body.name, idNumber: req.body.idNumber, photo })
        await s.audit.record({
          ...by(req),
          action: 'person.enroll',
          subject: `person:${r.id}`,
          details: { status: r.status, hasPhoto: r.hasPhoto, duplicates: r.duplicateOf.length },
        })
        return r
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
              matches: Type.Array(PersonMatch),
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
      async (req) => {
        const deleted = await s.registry.remove(req.body.idNumber)
        // the person is named by nobody here: the number was in the body, and the entry holds none of it
        await s.audit.record({ ...by(req), action: 'person.delete', details: { deleted } })
        return { deleted }
      },
    )

    a.delete(
      '/v1/persons/:personId',
      {
        schema: {
          tags: ['persons'],
          summary:
            'Erase a registry person everywhere: registry entry, face embedding and index entry, photo, and (by the blind index of the ID number, in every app) their verifications’ media and personal fields',
          security,
          params: Type.Object({ personId: PersonId }),
          response: { 200: ErasureReport, 400: Type.Ref('ManagementError'), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.privacy.erase({ personId: req.params.personId }, by(req)),
    )

    a.post(
      '/v1/persons/erase',
      {
        schema: {
          tags: ['persons'],
          summary:
            'Erase a person by ID number (in the body, never in a URL): their registry entry if any, and their verifications in every app',
          security,
          body: Type.Object(
            { idNumber: Type.String({ minLength: 1, maxLength: 32 }) },
            { additionalProperties: false },
          ),
          response: { 200: ErasureReport, 400: Type.Ref('ManagementError'), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.privacy.erase({ idNumber: req.body.idNumber }, by(req)),
    )

    a.get(
      '/v1/persons/:personId/export',
      {
        schema: {
          tags: ['persons'],
          summary:
            'What is held about a registry person (access request), decrypted: registry entry and verifications of every app; media listed, with their bytes when media=true',
          security,
          params: Type.Object({ personId: PersonId }),
          querystring: Type.Object({ media: Type.Optional(Type.Boolean()) }),
          response: { 200: PersonExport, 400: Type.Ref('ManagementError'), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.privacy.export({ personId: req.params.personId }, { includeMedia: req.query.media === true }),
    )

    a.post(
      '/v1/persons/export',
      {
        schema: {
          tags: ['persons'],
          summary: 'What is held about a person, found by ID number (in the body, never in a URL)',
          security,
          body: Type.Object(
            { idNumber: Type.String({ minLength: 1, maxLength: 32 }), media: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: PersonExport, 400: Type.Ref('ManagementError'), 404: Type.Ref('ManagementError') },
        },
      },
      async (req) => s.privacy.export({ idNumber: req.body.idNumber }, { includeMedia: req.body.media === true }),
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
              ruleVersion: v.ruleVersion,
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
