/**
 * The one clock every service reads "now" from. Services take it as an argument so that tests can
 * move time (token expiry, NONCE windows, retention) without waiting.
 */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that stands still until moved: for tests of expiry and time windows. */
export function fixedClock(
  start: Date | string = '2026-01-01T00:00:00Z',
): Clock & { advance(ms: number): void; set(at: Date | string): void } {
  let t = new Date(start).getTime()
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms
    },
    set(at: Date | string) {
      t = new Date(at).getTime()
    },
  }
}
