import type { Reason } from './reasons.js'

/**
 * A domain failure with a named reason. Services throw it; each HTTP family turns the reason
 * into its own code (or platform error) in one place, so no service knows about status codes.
 */
export class ReasonError extends Error {
  override name = 'ReasonError'
  constructor(
    readonly reason: Reason,
    message?: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message ?? reason)
  }
}

export function isReasonError(err: unknown): err is ReasonError {
  return err instanceof ReasonError
}
