import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { WebhookService } from '../webhooks/index.js'

/** What the webhook routes use. */
export interface WebhookApiDeps {
  webhooks: Pick<WebhookService, 'show' | 'set' | 'rotate' | 'remove' | 'events' | 'retry'>
}

const Webhook = Type.Object({
  appId: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  previousSecretUntil: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})
const Delivery = Type.Object({
  id: Type.String(),
  at: Type.String(),
  trigger: Type.String({ description: 'auto (the queue) or manual (the retry button)' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Integer(),
})
const Event = Type.Object({
  id: Type.String(),
  appId: Type.String(),
  verificationId: Type.String(),
  type: Type.String(),
  idempotencyKey: Type.String(),
  state: Type.String({ description: 'pending, delivered or failed (gave up after 24 h)' }),
  createdAt: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'the outcome as sent' }),
  deliveries: Type.Array(Delivery),
})
const AppParams = Type.Object({ appId: Type.String({ maxLength: 32 }) })
const Err = Type.Ref('ManagementError')

/**
 * Completion webhooks in the management API: registered by managementApi inside its admin scope
 * (same token/console session check, same error shape).
 */
export async function webhookRoutes(
  root: FastifyInstance,
  s: WebhookApiDeps,
  security: Array<Record<string, string[]>>,
) {
  const a = root.withTypeProvider<TypeBoxTypeProvider>()
  a.get(
    '/v1/apps/:appId/webhook',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The app's completion webhook (never its secret)",
        security,
        params: AppParams,
        response: { 200: Webhook, 404: Err },
      },
    },
    async (req, reply) => {
      const w = await s.webhooks.show(req.params.appId)
      if (!w)
        return reply
          .code(404)
          .send({ error: { reason: 'NOT_FOUND', message: `app ${req.params.appId} has no webhook` } })
      return w
    },
  )

  a.put(
    '/v1/apps/:appId/webhook',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Set the webhook URL; the first time, the signing secret is returned (once)',
        security,
        params: AppParams,
        body: Type.Object(
          { url: Type.String({ minLength: 1, maxLength: 2048 }), enabled: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ webhook: Webhook, secret: Type.Optional(Type.String()) }), 400: Err, 404: Err },
      },
    },
    async (req) => s.webhooks.set(req.params.appId, req.body),
  )

  a.post(
    '/v1/apps/:appId/webhook/rotate',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'New signing secret; the old one also signs (second v1=) for overlapS seconds (default 86400)',
        security,
        params: AppParams,
        body: Type.Optional(
          Type.Object(
            { overlapS: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Type.Object({ webhook: Webhook, secret: Type.String() }), 400: Err, 404: Err },
      },
    },
    async (req) => s.webhooks.rotate(req.params.appId, req.body?.overlapS ?? 86400),
  )

  a.delete(
    '/v1/apps/:appId/webhook',
    { schema: { tags: ['webhooks'], security, params: AppParams, response: { 204: Type.Null(), 404: Err } } },
    async (req, reply) => {
      await s.webhooks.remove(req.params.appId)
      return reply.code(204).send()
    },
  )

  a.get(
    '/v1/webhooks/events',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'The delivery log: events, newest first, each with its tries',
        security,
        querystring: Type.Object({
          appId: Type.Optional(Type.String({ maxLength: 32 })),
          verificationId: Type.Optional(Type.String({ maxLength: 40 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: { 200: Type.Array(Event) },
      },
    },
    async (req) => s.webhooks.events(req.query),
  )

  a.post(
    '/v1/webhooks/events/:eventId/retry',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Deliver an event once more (same event id, body and idempotency key)',
        security,
        params: Type.Object({ eventId: Type.String({ maxLength: 40 }) }),
        response: { 202: Type.Object({ queued: Type.Boolean() }), 404: Err },
      },
    },
    async (req, reply) => {
      await s.webhooks.retry(req.params.eventId)
      return reply.code(202).send({ queued: true })
    },
  )
}
