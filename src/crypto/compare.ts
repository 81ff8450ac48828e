import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Compares two secrets without leaking where they differ. Both sides are hashed first so
 * that inputs of different lengths take the same time as equal-length ones.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest()
  const hb = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(ha, hb)
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Random letters and digits, unbiased (rejection sampling). */
export function randomToken(length: number, alphabet = ALNUM): string {
  let out = ''
  const limit = 256 - (256 % alphabet.length)
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length]
      if (out.length === length) break
    }
  }
  return out
}
