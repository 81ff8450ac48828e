import { createHmac } from 'node:crypto'

/**
 * The `Shiren-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one
 * v1 per secret in force (two during a rotation's overlap), as Stripe's `Stripe-Signature` does.
 */
export function signatureHeader(secrets: string[], timestamp: number, rawBody: string): string {
  const signed = `${timestamp}.${rawBody}`
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${createHmac('sha256', s).update(signed).digest('hex')}`)].join(
    ',',
  )
}
