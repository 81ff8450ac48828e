import { ReasonError, type Reason } from '../codes/index.js'

/**
 * A media file the intake refuses: the reason says why (corrupt, too large, too short …), so the
 * caller's family code follows from it. Thrown by the decoders, caught by the vision engine,
 * which turns it into the attempt's reason instead of crashing the worker.
 */
export class MediaRejectedError extends ReasonError {
  override name = 'MediaRejectedError'
  declare readonly detail: Record<string, number | string | boolean | null>
  constructor(reason: Reason, message: string, detail: Record<string, number | string | boolean | null> = {}) {
    super(reason, message, detail)
  }
}
