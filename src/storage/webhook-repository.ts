import type { Kysely, Selectable } from 'kysely'
import type { Database, WebhookDeliveryTable, WebhookEventTable, WebhookTable } from './schema.js'
import type { WebhookDeliveryRow, WebhookEventRow, WebhookEventState, WebhookRepository, WebhookRow } from './ports.js'

const toWebhook = (r: Selectable<WebhookTable>): WebhookRow => ({
  appId: r.app_id,
  url: r.url,
  secretSealed: r.secret_sealed,
  previousSecretSealed: r.previous_secret_sealed,
  previousUntil: r.previous_until,
  enabled: Number(r.enabled) !== 0,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

const toEvent = (r: Selectable<WebhookEventTable>): WebhookEventRow => ({
  id: r.id,
  appId: r.app_id,
  verificationId: r.verification_id,
  type: r.type,
  idempotencyKey: r.idempotency_key,
  body: r.body,
  state: r.state as WebhookEventState,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

const toDelivery = (r: Selectable<WebhookDeliveryTable>): WebhookDeliveryRow => ({
  id: r.id,
  eventId: r.event_id,
  verificationId: r.verification_id,
  at: r.at,
  trigger: r.trigger === 'manual' ? 'manual' : 'auto',
  statusCode: r.status_code === null ? null : Number(r.status_code),
  error: r.error,
  durationMs: Number(r.duration_ms),
})

const count = (res: { numUpdatedRows?: bigint; numDeletedRows?: bigint; numInsertedOrUpdatedRows?: bigint }) =>
  Number(res.numUpdatedRows ?? res.numDeletedRows ?? res.numInsertedOrUpdatedRows ?? 0n)

export function webhookRepository(db: Kysely<Database>): WebhookRepository {
  return {
    async get(appId) {
      const r = await db.selectFrom('webhooks').selectAll().where('app_id', '=', appId).executeTakeFirst()
      return r ? toWebhook(r) : null
    },
    async insert(w) {
      await db
        .insertInto('webhooks')
        .values({
          app_id: w.appId,
          url: w.url,
          secret_sealed: w.secretSealed,
          previous_secret_sealed: w.previousSecretSealed,
          previous_until: w.previousUntil,
          enabled: w.enabled ? 1 : 0,
          created_at: w.createdAt,
          updated_at: w.updatedAt,
        })
        .execute()
    },
    async update(appId, patch, now) {
      const res = await db
        .updateTable('webhooks')
        .set({
          ...(patch.url !== undefined && { url: patch.url }),
          ...(patch.enabled !== undefined && { enabled: patch.enabled ? 1 : 0 }),
          updated_at: now,
        })
        .where('app_id', '=', appId)
        .executeTakeFirst()
      return count(res)
    },
    async rotate(appId, s, now) {
      const res = await db
        .updateTable('webhooks')
        .set({
          secret_sealed: s.secretSealed,
          previous_secret_sealed: s.previousSecretSealed,
          previous_until: s.previousUntil,
          updated_at: now,
        })
        .where('app_id', '=', appId)
        .executeTakeFirst()
      return count(res)
    },
    async delete(appId) {
      return count(await db.deleteFrom('webhooks').where('app_id', '=', appId).executeTakeFirst())
    },
    async insertEvent(e) {
      const res = await db
        .insertInto('webhook_events')
        .values({
          id: e.id,
          app_id: e.appId,
          verification_id: e.verificationId,
          type: e.type,
          idempotency_key: e.idempotencyKey,
          body: e.body,
          state: e.state,
          created_at: e.createdAt,
          updated_at: e.createdAt,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .executeTakeFirst()
      return count(res) === 1
    },
    async getEvent(id) {
      const r = await db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toEvent(r) : null
    },
    async setEventState(id, state, now) {
      await db.updateTable('webhook_events').set({ state, updated_at: now }).where('id', '=', id).execute()
    },
    async listEvents(q) {
      let s = db.selectFrom('webhook_events').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc')
      if (q.appId) s = s.where('app_id', '=', q.appId)
      if (q.verificationId) s = s.where('verification_id', '=', q.verificationId)
      if (q.state) s = s.where('state', '=', q.state)
      return (await s.limit(q.limit).execute()).map(toEvent)
    },
    async addDelivery(d) {
      await db
        .insertInto('webhook_deliveries')
        .values({
          id: d.id,
          event_id: d.eventId,
          verification_id: d.verificationId,
          at: d.at,
          trigger: d.trigger,
          status_code: d.statusCode,
          error: d.error,
          duration_ms: d.durationMs,
        })
        .execute()
    },
    async deliveriesFor(eventIds) {
      if (!eventIds.length) return []
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('event_id', 'in', eventIds)
        .orderBy('at')
        .orderBy('id')
        .execute()
      return rows.map(toDelivery)
    },
    async expiredUnnotified(now, limit) {
      const rows = await db
        .selectFrom('verifications as v')
        .innerJoin('webhooks as w', 'w.app_id', 'v.app_id')
        .select('v.id')
        .where('w.enabled', '=', 1)
        .where('v.state', 'in', ['created', 'capturing'])
        .where('v.expires_at', '<=', now)
        // a webhook set today does not announce last year's expiries
        .whereRef('v.expires_at', '>=', 'w.created_at')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_events as e')
                .select('e.id')
                .whereRef('e.verification_id', '=', 'v.id')
                .where('e.type', '=', 'verification.expired'),
            ),
          ),
        )
        .orderBy('v.expires_at')
        .limit(limit)
        .execute()
      return rows.map((r) => r.id)
    },
    async deleteForVerification(verificationId) {
      await db.deleteFrom('webhook_deliveries').where('verification_id', '=', verificationId).execute()
      return count(
        await db.deleteFrom('webhook_events').where('verification_id', '=', verificationId).executeTakeFirst(),
      )
    },
    async deletePurged(now) {
      const due = (eb: any) =>
        eb.and([
          eb('state', '!=', 'pending'),
          eb(
            'verification_id',
            'in',
            eb.selectFrom('verifications').select('verifications.id').where('verifications.purge_after', '<=', now),
          ),
        ])
      await db
        .deleteFrom('webhook_deliveries')
        .where((eb) =>
          eb(
            'event_id',
            'in',
            eb
              .selectFrom('webhook_events')
              .select('webhook_events.id')
              .where(due as never),
          ),
        )
        .execute()
      return count(
        await db
          .deleteFrom('webhook_events')
          .where(due as never)
          .executeTakeFirst(),
      )
    },
  }
}
