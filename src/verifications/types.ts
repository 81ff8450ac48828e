import type { Family, Reason } from '../codes/index.js'
import type { LivenessMode } from '../apps/types.js'
import type { LightColour } from '../liveness/index.js'

export type VerificationState = 'created' | 'capturing' | 'analysing' | 'finished'

export type Action = 'blink' | 'mouth' | 'left' | 'right'

export type Challenge =
  | { mode: 'action'; actions: Action[]; declinedLight?: true }
  | { mode: 'digital'; digits: string; declinedLight?: true }
  | { mode: 'silent'; declinedLight?: true }
  | LightChallenge

/**
 * Light-reflection liveness (issue 17): the colour sequence stays on the server and is revealed to the
 * page one colour at a time (`revealed` so far, with the server times of each reveal); `used` once an
 * upload consumed it: a challenge is never judged twice.
 */
export interface LightChallenge {
  mode: 'light'
  nonce: string
  steps: Array<{ colour: LightColour; ms: number }>
  revealed: number
  revealedAt: string[]
  used: boolean
}

/** The liveness mode a verification is judged in: a light rule's fallback once the person declined the flashes. */
export function effectiveLiveness(ruleLiveness: LivenessMode, c: Challenge | null): LivenessMode {
  return ruleLiveness === 'light' && c && c.mode !== 'light' && c.declinedLight ? c.mode : ruleLiveness
}

/** What the page may see of a challenge: a light challenge without its colours. */
export type PublicChallenge =
  | Exclude<Challenge, LightChallenge>
  | { mode: 'light'; nonce: string; count: number; baselineMs: number; revealed: number; expiresAt: string | null }

export interface Verification {
  id: string
  appId: string
  ruleId: string
  /** the version of its rule the verification was created under: its settings judge it */
  ruleVersion: number
  family: Family
  /** BizToken (h5) or faceId (sdk): what the capture page and the caller hold */
  token: string
  orderNo: string | null
  userId: string | null
  /** blind index of the ID number; the number itself stays sealed */
  idHash: string | null
  hasIdentity: boolean
  referenceBlob: string | null
  referenceOrigin: 'photo' | 'registry' | null
  /** 'request': the caller declared name and number; 'idcard': they were read from the card; null: none */
  identityOrigin: 'request' | 'idcard' | null
  redirectUrl: string | null
  extra: string | null
  state: VerificationState
  attemptsUsed: number
  maxAttempts: number
  challenge: Challenge | null
  challengeExpiresAt: string | null
  /** when the live challenge was issued; null for verifications from before migration 0011 */
  challengeIssuedAt: string | null
  finalReason: Reason | null
  finalCode: number | null
  finalBillable: boolean | null
  similarity: number | null
  bestFrameBlob: string | null
  videoBlob: string | null
  createdAt: string
  expiresAt: string
  finishedAt: string | null
  purgeAfter: string
}

export interface Attempt {
  id: string
  verificationId: string
  seq: number
  state: 'queued' | 'analysing' | 'finished'
  mediaBlob: string | null
  mediaKind: 'video' | 'image' | null
  reason: Reason | null
  code: number | null
  billable: boolean | null
  similarity: number | null
  signals: Record<string, unknown> | null
  bestFrameBlob: string | null
  createdAt: string
  finishedAt: string | null
}

/** The operator's search over verifications (management API), newest first. */
export interface VerificationQuery {
  appId?: string
  /** the verifications created under one rule (the what-if replay) */
  ruleId?: string
  orderNo?: string
  code?: number
  from?: string
  to?: string
  limit: number
}

export interface Outcome {
  reason: Reason
  similarity: number | null
  signals: Record<string, unknown>
  bestFrameBlob: string | null
}

export type { LivenessMode }
