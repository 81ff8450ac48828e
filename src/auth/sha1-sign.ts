import { createHash } from 'node:crypto'
import { constantTimeEqual } from '../crypto/index.js'

/**
 * The ticket-flow signature: SHA-1 over the lexicographically sorted values (ticket included),
 * concatenated without separator. Upper-case hex, compared case-insensitively as the vendor docs say.
 */
export function ticketSign(values: Array<string | null | undefined>): string {
  const present = values.filter((v): v is string => v !== null && v !== undefined)
  // Java's Collections.sort on String compares UTF-16 code units, which is what JS's default sort does
  present.sort()
  return createHash('sha1').update(present.join(''), 'utf8').digest('hex').toUpperCase()
}

export function ticketSignMatches(given: string, values: Array<string | null | undefined>): boolean {
  return constantTimeEqual(ticketSign(values), given.toUpperCase())
}
