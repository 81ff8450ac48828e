import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ReplayService } from '../replay/index.js'

/** What the replay route uses. */
export interface ReplayApiDeps {
  replay: Pick<ReplayService, 'replay'>
}

const Judgement = Type.Object({
  reason: Type.String(),
  code: Type.Integer({ description: "in the verification's family" }),
  billable: Type.Boolean(),
  similarity: Type.Union([Type.Number(), Type.Null()]),
})
const Settings = Type.Object({
  threshold: Type.Number(),
  duplicateAction: Type.String(),
  maxAttempts: Type.Integer(),
  liveness: Type.String(),
  actionCount: Type.Integer(),
})
const Report = Type.Object({
  ruleId: Type.String(),
  appId: Type.String(),
  current: Settings,
  replayed: Settings,
  changed: Type.Array(Type.String()),
  reanalysed: Type.Boolean({ description: 'the change needed the stored media analysed again' }),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  counts: Type.Object({
    verifications: Type.Integer(),
    replayed: Type.Integer(),
    notReplayable: Type.Integer(),
    passToFail: Type.Integer(),
    failToPass: Type.Integer(),
    codeChanged: Type.Integer(),
    unchanged: Type.Integer(),
  }),
  verifications: Type.Array(
    Type.Object({
      id: Type.String(),
      token: Type.String(),
      orderNo: Type.Union([Type.String(), Type.Null()]),
      family: Type.String(),
      createdAt: Type.String(),
      old: Judgement,
      new: Type.Union([Judgement, Type.Null()]),
      flip: Type.Union([Type.String({ description: 'pass-to-fail, fail-to-pass or code-changed' }), Type.Null()]),
      notReplayable: Type.Union([Type.String(), Type.Null()]),
      attempts: Type.Array(
        Type.Object({
          seq: Type.Integer(),
          old: Judgement,
          new: Type.Union([Judgement, Type.Null()]),
          from: Type.String({
            description: 'signals, media (analysed again), kept (decided without analysis) or none',
          }),
          note: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
  ),
})
const Err = Type.Ref('ManagementError')

/**
 * What-if replay in the management API: registered by managementApi inside its admin scope (same
 * token/console session check, same error shape). A POST because it takes a body, but it writes nothing.
 */
export async function replayRoutes(root: FastifyInstance, s: ReplayApiDeps, security: Array<Record<string, string[]>>) {
  const a = root.withTypeProvider<TypeBoxTypeProvider>()
  a.post(
    '/v1/rules/:ruleId/replay',
    {
      schema: {
        tags: ['rules'],
        summary:
          "What-if replay: the rule's stored attempts judged again under changed settings (read-only: no verdict, ledger row or webhook changes)",
        security,
        params: Type.Object({ ruleId: Type.String({ maxLength: 64 }) }),
        body: Type.Object(
          {
            set: Type.Record(
              Type.String({ maxLength: 64 }),
              Type.Union([Type.String({ maxLength: 64 }), Type.Number()]),
              {
                description: 'threshold, duplicateAction, maxAttempts, liveness, actionCount',
              },
            ),
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Report, 400: Err, 404: Err, 501: Err },
      },
    },
    async (req) =>
      s.replay.replay({
        ruleId: req.params.ruleId,
        set: req.body.set,
        ...(req.body.from !== undefined && { from: req.body.from }),
        ...(req.body.to !== undefined && { to: req.body.to }),
        ...(req.body.limit !== undefined && { limit: req.body.limit }),
      }),
  )
}
