import { sql } from 'kysely'
import type { Db } from './db.js'

/** Readiness: the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely)
}

/**
 * When the oldest job still waiting to run was queued (null when none waits): the queue-age gauge
 * of /metrics, for the database queue that has no `stats()` of its own.
 */
export async function oldestQueuedJobAt(db: Db): Promise<string | null> {
  const r = await db.kysely
    .selectFrom('jobs')
    .select((eb) => eb.fn.min('created_at').as('at'))
    .where('state', '=', 'queued')
    .executeTakeFirst()
  return r?.at ? String(r.at) : null
}
