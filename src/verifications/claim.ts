import type { Store } from '../storage/index.js'
import type { Attempt, Verification } from './types.js'

export interface NewAttempt {
  id: string
  mediaBlob: string | null
  mediaKind: Attempt['mediaKind']
  mediaHash: string | null
  createdAt: string
}

/**
 * Takes the verification's next attempt, inside the caller's transaction: a compare-and-set on the
 * state and the attempts used, then the attempt row. False when another upload (or card photo)
 * took the attempt first; nothing is written then. The face upload and a rejected ID-card photo
 * both use up an attempt this way.
 */
export async function claimAttempt(
  tx: Store,
  v: Pick<Verification, 'id' | 'attemptsUsed'>,
  attempt: NewAttempt,
): Promise<{ claimed: false } | { claimed: true; seq: number }> {
  const seq = v.attemptsUsed + 1
  const moved = await tx.verifications.transition(v.id, ['created', 'capturing'], 'analysing', {
    attemptsUsed: seq,
    expectAttemptsUsed: v.attemptsUsed,
  })
  if (!moved) return { claimed: false }
  await tx.attempts.insert({ ...attempt, verificationId: v.id, seq })
  return { claimed: true, seq }
}
