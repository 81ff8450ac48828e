// Verifying a shiren completion webhook (quoted by README.md; test/webhooks.test.ts checks every
// delivery with this very code). Node's standard library only.
import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * True when `Shiren-Signature` carries a valid signature of the raw body by `secret`, made within
 * `toleranceS` seconds of now. During a secret rotation the header holds two `v1=` values (new and
 * old secret): either one matching is enough.
 */
export function verifyShirenSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  toleranceS = 300,
  nowS = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false
  let t = NaN
  const v1: string[] = []
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2)
    if (k === 't') t = Number(v)
    else if (k === 'v1' && v) v1.push(v)
  }
  // a replay of an old delivery is refused: the timestamp is part of what is signed
  if (!Number.isInteger(t) || Math.abs(nowS - t) > toleranceS) return false
  const expected = createHmac('sha256', secret)
    .update(`${t}.`)
    .update(rawBody)
    .digest()
  // constant time: never compare signatures with === (it leaks how many leading bytes match)
  return v1.some((sig) => {
    const given = Buffer.from(sig, 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}

/**
 * Deliveries come at least once: the same event may arrive twice (a retry after a lost answer).
 * Handle each `Idempotency-Key` once — here in memory; in production a unique column in your DB.
 */
export function makeDeduper(): (idempotencyKey: string) => boolean {
  const seen = new Set<string>()
  return (key) => {
    if (seen.has(key)) return false
    seen.add(key)
    return true
  }
}
