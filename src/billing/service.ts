import { ReasonError } from '../codes/index.js'
import { stringify } from 'csv-stringify/sync'
import type { Store, UsageRow } from '../storage/index.js'

export interface UsageQuery {
  from: string
  to: string
  appId?: string
}

export interface UsageSummary {
  from: string
  to: string
  rows: UsageRow[]
  totals: { billable: number; free: number }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/**
 * Billable and free attempts per app, day and code, straight from the ledger. The ledger is only
 * written inside the transaction that finishes an attempt, so it cannot disagree with the verdicts.
 */
export class BillingService {
  constructor(private readonly store: Store) {}

  async usage(q: UsageQuery): Promise<UsageSummary> {
    if (!DAY.test(q.from) || !DAY.test(q.to))
      throw new ReasonError('INVALID_PARAMETER', 'from and to must be dates as YYYY-MM-DD')
    if (q.from > q.to) throw new ReasonError('INVALID_PARAMETER', 'from must not be after to')
    const rows = await this.store.ledger.usage(q)
    const totals = rows.reduce((t, r) => ({ billable: t.billable + r.billable, free: t.free + r.free }), {
      billable: 0,
      free: 0,
    })
    return { from: q.from, to: q.to, rows, totals }
  }

  static toCsv(summary: UsageSummary): string {
    return stringify(
      summary.rows.map((r) => [r.appId, r.day, r.family, r.code, r.billable, r.free]),
      {
        header: true,
        columns: ['app_id', 'day', 'family', 'code', 'billable', 'free'],
      },
    )
  }
}
