/**
 * codes: every internal outcome (a reason) and the code it becomes in the caller's family (h5 or sdk),
 * with the billing flag of that code. Pure data and functions; imports nothing outside src/codes.
 */
import { CATALOG, FAMILIES, FAMILY_ONLY, type CatalogEntry, type Family, type Origin, type Stage } from './catalog.js'
import { REASONS, REASON_NAMES, isReason, type Reason } from './reasons.js'
import {
  PERSON_FACING_REASONS,
  REMEDIES,
  isPersonFacing,
  remedyFor,
  remedyForReasons,
  type PersonFacingReason,
  type Remedy,
} from './remedies.js'

export { CATALOG, FAMILIES, FAMILY_ONLY, REASONS, REASON_NAMES, isReason }
export { PERSON_FACING_REASONS, REMEDIES, isPersonFacing, remedyFor, remedyForReasons }
export type { CatalogEntry, Family, Origin, Reason, Stage, PersonFacingReason, Remedy }

/** What a finished attempt records and a caller sees for one reason in one family. */
export interface CodeResult {
  code: number
  billable: boolean
  messageZh: string
  messageEn: string
  /** what the person can do about this reason (src/codes/remedies.ts); null when nothing */
  remedy: Remedy | null
  stage: Stage
}

/** One row of `shiren codes --json` and `GET /v1/codes`. */
export interface CodeRow {
  family: Family
  code: number
  aliases: number[]
  billable: boolean
  message_zh: string
  message_en: string
  /** what the person can do, from the row's person-facing reasons; null when the person can do nothing */
  remedy: Remedy | null
  stage: Stage
  reasons: Reason[]
}

/** Thrown by toCode for a reason that has no code in the family asked for. */
export class NoCodeError extends Error {
  readonly family: Family
  readonly reason: string
  constructor(family: Family, reason: string) {
    const only = isReason(reason) ? FAMILY_ONLY[reason] : undefined
    super(
      !isReason(reason)
        ? `unknown reason ${JSON.stringify(reason)}: not in src/codes/reasons.ts`
        : only
          ? `reason ${reason} has no ${family} code: it occurs only in the ${only.family} family (${only.why})`
          : `reason ${reason} has no ${family} code: add it to a ${family} row of src/codes/catalog.ts`,
    )
    this.name = 'NoCodeError'
    this.family = family
    this.reason = reason
  }
}

function buildIndexes(): {
  byReason: Record<Family, Map<Reason, CatalogEntry>>
  byCode: Record<Family, Map<number, CatalogEntry>>
} {
  const byReason: Record<Family, Map<Reason, CatalogEntry>> = { h5: new Map(), sdk: new Map() }
  const byCode: Record<Family, Map<number, CatalogEntry>> = { h5: new Map(), sdk: new Map() }
  for (const row of CATALOG) {
    for (const c of [row.code, ...row.aliases]) {
      const had = byCode[row.family].get(c)
      if (had)
        throw new Error(`codes catalog: ${row.family} code ${c} appears in two rows (${had.code} and ${row.code})`)
      byCode[row.family].set(c, row)
    }
    for (const reason of row.reasons) {
      const had = byReason[row.family].get(reason)
      if (had) {
        throw new Error(`codes catalog: reason ${reason} maps to two ${row.family} codes (${had.code} and ${row.code})`)
      }
      byReason[row.family].set(reason, row)
    }
  }
  return { byReason, byCode }
}

// A broken catalog is a programming error: fail at load rather than answer with the wrong code.
const { byReason: BY_REASON, byCode: BY_CODE } = buildIndexes()

/** True when the reason has a code in the family. */
export function hasCode(family: Family, reason: Reason): boolean {
  return BY_REASON[family]?.has(reason) ?? false
}

/** The code, billing flag and texts for a reason in a family; throws NoCodeError when it has none. */
export function toCode(family: Family, reason: Reason): CodeResult {
  const row = BY_REASON[family]?.get(reason)
  if (!row) throw new NoCodeError(family, reason)
  const out: CodeResult = {
    code: row.code,
    billable: row.billable,
    messageZh: row.messageZh,
    messageEn: row.messageEn,
    remedy: remedyFor(reason),
    stage: row.stage,
  }
  return out
}

/** The catalog row of a code in a family (the row's own code or one of its aliases). */
export function lookup(family: Family, code: number): CatalogEntry | undefined {
  return BY_CODE[family]?.get(code)
}

/** Every row, in catalog order (h5 then sdk), shaped for JSON output. */
export function listCodes(): CodeRow[] {
  return CATALOG.map((r) => ({
    family: r.family,
    code: r.code,
    aliases: [...r.aliases],
    billable: r.billable,
    message_zh: r.messageZh,
    message_en: r.messageEn,
    remedy: remedyForReasons(r.reasons),
    stage: r.stage,
    reasons: [...r.reasons],
  }))
}

export { ReasonError, isReasonError } from './reason-error.js'
