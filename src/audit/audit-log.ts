import { monotonicFactory } from 'ulid'
import { maskIdNumber, maskName } from '../identity/index.js'
import type { Clock } from '../clock/index.js'
import type { AuditQuery, AuditRow, Store } from '../storage/index.js'

/**
 * The audit log of operator actions: who (the kind of operator and, for HTTP, the client address)
 * did what to which subject, when. Append-only (the repository has no update or delete, and the
 * database refuses both), and without personal data: subjects and details name things by their
 * ids; a name or ID number that slips into the details anyway is masked, secrets and media omitted.
 */

/**
 * Who acted: `api` (the admin token), `console` (a console session), `cli` (a shell on the server),
 * `system` (shiren itself: retention, migrations, jobs).
 */
export type AuditActor = 'api' | 'console' | 'cli' | 'system'
export const AUDIT_ACTORS: readonly AuditActor[] = ['api', 'console', 'cli', 'system']

/** Who acted and from where: what an edge (HTTP, CLI) hands to the service it calls. */
export interface AuditBy {
  actor: AuditActor
  /** the client address for HTTP (what SHIREN_TRUST_PROXY lets fastify believe); null elsewhere */
  source?: string | null
}

export interface AuditEntry extends AuditBy {
  /** `<subject kind>.<verb>`, lower case: `rule.update`, `app.rotate-secret`, `console.login`, `person.erase` */
  action: string
  /** what it was done to, by id: `rule:ABC…`, `app:IDA…`, `person:per_…`, `webhook:IDA…` */
  subject?: string | null
  /** plain values; no names, ID numbers, photos, secrets (masked or omitted if present) */
  details?: Record<string, unknown>
}

export type AuditRecord = AuditRow

/** ULIDs that grow within one millisecond too: entries of one process keep their order */
const ulid = monotonicFactory()

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/
/** keys whose values are a person's name or ID number: kept masked */
const NAME_KEYS = new Set(['name', 'personname', 'fullname'])
const ID_KEYS = new Set(['idnumber', 'idcard', 'idno', 'id_number'])
/** keys whose values never belong in a log (`secret`, `accessToken`, `photoBase64` …): omitted */
const SECRET_KEYS =
  /(secret|password|token|photo|image|video|media|embedding|base64|sealed|signature|cookie|authorization)$/i
/** a GB 11643 number (18 characters) or a first-generation one (15 digits) anywhere in a text */
const ID_IN_TEXT = /(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g
const MAX_TEXT = 500
const MAX_DETAILS_JSON = 8 * 1024

/** Masks what looks like an ID number inside a text; bounds its length. */
function scrubText(s: string): string {
  const t = s.replace(ID_IN_TEXT, (m) => maskIdNumber(m.toUpperCase()))
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}…` : t
}

function scrubValue(key: string, v: unknown, depth: number): unknown {
  const k = key.toLowerCase()
  if (SECRET_KEYS.test(k)) return '[omitted]'
  if (typeof v === 'string') {
    if (NAME_KEYS.has(k)) return maskName(v.trim())
    if (ID_KEYS.has(k)) return maskIdNumber(v.trim().toUpperCase())
    return scrubText(v)
  }
  if (v === null || typeof v === 'boolean') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (depth >= 4) return '[nested]'
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => scrubValue(key, x, depth + 1))
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [kk, vv] of Object.entries(v as Record<string, unknown>).slice(0, 50))
      out[scrubText(kk)] = scrubValue(kk, vv, depth + 1)
    return out
  }
  return String(v) === v ? v : null
}

/** What an entry's details become before they are written: no personal data, bounded size. */
export function scrubDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = (scrubValue('', details ?? {}, 0) ?? {}) as Record<string, unknown>
  if (JSON.stringify(out).length > MAX_DETAILS_JSON) return { truncated: true, keys: Object.keys(out).slice(0, 20) }
  return out
}

export class AuditLog {
  constructor(
    private readonly store: Pick<Store, 'audit' | 'guards'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one entry. Pass `tx` (the service's transaction) to write it together with the change
   * it describes: both or neither.
   */
  async record(entry: AuditEntry, tx?: Pick<Store, 'audit'>): Promise<AuditRecord> {
    if (!ACTION.test(entry.action) || entry.action.length > 64)
      throw new TypeError(`audit action "${entry.action}" is not <kind>.<verb> in lower case`)
    if (!AUDIT_ACTORS.includes(entry.actor)) throw new TypeError(`audit actor "${entry.actor}" is unknown`)
    const now = this.clock.now()
    const row: AuditRecord = {
      id: `aud_${ulid(now.getTime()).toLowerCase()}`,
      at: now.toISOString(),
      actor: entry.actor,
      source: entry.source ? entry.source.slice(0, 64) : null,
      action: entry.action,
      subject: entry.subject ? scrubText(entry.subject).slice(0, 128) : null,
      details: scrubDetails(entry.details),
    }
    await (tx ?? this.store).audit.append(row)
    return row
  }

  /**
   * Records at most one entry per `key` every `seconds` (e.g. logins refused by the throttle, which an
   * attacker could repeat without end); true when it was recorded.
   */
  async recordAtMostEvery(key: string, seconds: number, entry: AuditEntry): Promise<boolean> {
    const now = this.clock.now()
    const until = new Date(now.getTime() + seconds * 1000).toISOString()
    if (!(await this.store.guards.claim('audit', `${entry.action}:${key}`.slice(0, 128), now.toISOString(), until)))
      return false
    await this.record(entry)
    return true
  }

  /** Newest first; `to` given as a day (YYYY-MM-DD) includes that whole day. */
  list(q: AuditQuery): Promise<AuditRecord[]> {
    const day = /^\d{4}-\d{2}-\d{2}$/
    return this.store.audit.list({
      ...q,
      ...(q.from && { from: day.test(q.from) ? `${q.from}T00:00:00.000Z` : q.from }),
      ...(q.to && { to: day.test(q.to) ? `${q.to}T23:59:59.999Z` : q.to }),
    })
  }
}
