/** What an app may use; a request for a service the app has not enabled is refused (66660030 / Nonactivated). */
export const SERVICES = ['h5', 'sdk', 'action', 'digital', 'silent', 'light'] as const
export type Service = (typeof SERVICES)[number]

export const LIVENESS_MODES = ['action', 'digital', 'silent', 'light'] as const
export type LivenessMode = (typeof LIVENESS_MODES)[number]

/**
 * registry: the operator's identity library; photo: a reference photo sent with the request;
 * idcard: the portrait cut from the ID card the person showed (needs an ID-card step); none: liveness only
 */
export const COMPARE_SOURCES = ['registry', 'photo', 'idcard', 'none'] as const
export type CompareSource = (typeof COMPARE_SOURCES)[number]

/**
 * An ID-card step before the face step: none, the front (人像面) only, or front and back (国徽面,
 * which carries the validity period, so only 'both' can find an expired card).
 */
export const IDCARD_STEPS = ['none', 'front', 'both'] as const
export type IdCardStep = (typeof IDCARD_STEPS)[number]

export interface App {
  appId: string
  name: string
  secretVersion: number
  services: Service[]
  validUntil: string | null
  dailyLimitPerPerson: number
  concurrencyLimit: number
  enabled: boolean
  createdAt: string
}

/** What a light-reflection rule may offer a person who declines the screen flashes (the person never picks it). */
export const LIGHT_FALLBACKS = ['action', 'silent', 'digital'] as const
export type LightFallback = (typeof LIGHT_FALLBACKS)[number]

export const DUPLICATE_ACTIONS = ['flag', 'fail'] as const
export type DuplicateAction = (typeof DUPLICATE_ACTIONS)[number]

export interface Rule {
  ruleId: string
  appId: string
  name: string
  liveness: LivenessMode
  compareSource: CompareSource
  /** pass threshold on the calibrated 0–100 similarity scale (70 ≈ FAR 1e-3, 80 ≈ FAR 1e-4) */
  threshold: number
  maxAttempts: number
  /** how long the verification token may be used to capture */
  tokenTtlS: number
  actionCount: number
  idcardStep: IdCardStep
  /** a passed verification whose face is enrolled under another ID number: 'flag' (duplicateOf) or 'fail' */
  duplicateAction: DuplicateAction
  /** light rules: the operator's mode for a person who declines the flashes; null: none */
  lightFallback?: LightFallback | null
  enabled: boolean
  createdAt: string
}
