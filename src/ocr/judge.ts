/**
 * The ID-card judge: turns a reading (and the number the caller declared) into a reason.
 */
import type { Reason } from '../codes/index.js'
import { idNumberChecksumValid } from '../identity/index.js'
import type { IdCardReading } from './reader.js'

export type IdCardReason = Extract<Reason, 'PASS' | 'IDCARD_NUMBER_MISMATCH' | 'IDCARD_EXPIRED' | 'OCR_FAILED'>

function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}.${p(d.getMonth() + 1)}.${p(d.getDate())}`
}

function differingPositions(a: string, b: string): number {
  let n = Math.abs(a.length - b.length)
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++
  return n
}

/**
 * - no card found (side 'none') → OCR_FAILED
 * - front present:
 *   - no 18-character number read → OCR_FAILED (unreadable)
 *   - a declared number that differs → IDCARD_NUMBER_MISMATCH, except when the number read
 *     fails the GB 11643 checksum and is within two characters of the declared one: that is
 *     a misread, not another card → OCR_FAILED
 *   - nothing declared and the number read fails the checksum → OCR_FAILED
 * - back present:
 *   - validity end unreadable → OCR_FAILED
 *   - validity end ('YYYY.MM.DD', the last valid day) before `today` → IDCARD_EXPIRED ('长期' never expires)
 * - otherwise PASS. Number checks come before expiry.
 * `today` is compared as a local calendar date.
 */
export function judgeIdCard(reading: IdCardReading, declared: { idNumber?: string | null }, today: Date): IdCardReason {
  if (reading.side === 'none' || (!reading.front && !reading.back)) return 'OCR_FAILED'
  if (reading.front) {
    const read = reading.front.idNumber
    if (!read || read.length !== 18) return 'OCR_FAILED'
    const valid = idNumberChecksumValid(read)
    const want = declared.idNumber?.trim().toUpperCase() || null
    if (want !== null) {
      if (read !== want) {
        if (!valid && differingPositions(read, want) <= 2) return 'OCR_FAILED'
        return 'IDCARD_NUMBER_MISMATCH'
      }
    } else if (!valid) {
      return 'OCR_FAILED'
    }
  }
  if (reading.back) {
    const to = reading.back.validTo
    if (!to) return 'OCR_FAILED'
    if (to !== '长期' && to < localDate(today)) return 'IDCARD_EXPIRED'
  }
  return 'PASS'
}
