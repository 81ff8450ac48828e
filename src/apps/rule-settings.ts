import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

/**
 * What a rule decides, in one place: the TypeBox schema of its settings (bounds included), their
 * defaults, and the checks that span several settings. Creating a rule, editing it (PATCH, the CLI's
 * `--set`, the console) and reading a stored version all go through here, and each rule version
 * stores these settings as JSON (`rule_versions.settings`).
 *
 * A new rule option is one property in RULE_SETTINGS and its default in RULE_DEFAULTS: versions
 * stored before it existed read with the default, and no column is needed. The management API's
 * PATCH schema and the CLI's `--set key=value` parsing are derived from RULE_SETTINGS.
 */

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

export const DUPLICATE_ACTIONS = ['flag', 'fail'] as const
export type DuplicateAction = (typeof DUPLICATE_ACTIONS)[number]

/** What a light-reflection rule may offer a person who declines the screen flashes (the person never picks it). */
export const LIGHT_FALLBACKS = ['action', 'silent', 'digital'] as const
export type LightFallback = (typeof LIGHT_FALLBACKS)[number]

const oneOf = <T extends readonly string[]>(xs: T, description: string) =>
  Type.Union(
    xs.map((x) => Type.Literal(x)),
    { description },
  ) as unknown as TSchema & { static: T[number] }

export const RULE_SETTINGS = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'shown in the console and the lists' }),
    liveness: oneOf(LIVENESS_MODES, 'the liveness mode'),
    compareSource: oneOf(COMPARE_SOURCES, 'what the live face is compared with'),
    threshold: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'pass threshold on the calibrated 0–100 similarity scale (70 ≈ FAR 1e-3, 80 ≈ FAR 1e-4)',
    }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, description: 'attempts per verification' }),
    tokenTtlS: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      description: 'how long the verification token may be used to capture',
    }),
    actionCount: Type.Integer({ minimum: 1, maximum: 4, description: 'actions asked for by action liveness' }),
    idcardStep: oneOf(IDCARD_STEPS, 'ID-card step before the face step'),
    duplicateAction: oneOf(
      DUPLICATE_ACTIONS,
      "a passed face enrolled under another ID number: 'flag' (duplicateOf) or 'fail'",
    ),
    lightFallback: Type.Union([...LIGHT_FALLBACKS.map((x) => Type.Literal(x)), Type.Null()], {
      description:
        'light rules only: the mode offered to a person who declines the screen flashes (null: none, they cannot decline)',
    }) as unknown as TSchema & { static: LightFallback | null },
    enabled: Type.Boolean({ description: 'a disabled rule starts no new verification' }),
  },
  { additionalProperties: false },
)

export interface RuleSettings {
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
  lightFallback: LightFallback | null
  enabled: boolean
}

// the hand-written interface (for readable hover types) and the schema must not drift apart
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const _same: Same<RuleSettings, Static<typeof RULE_SETTINGS>> = true
void _same

export type RuleSettingKey = keyof RuleSettings
export const RULE_SETTING_KEYS = Object.keys(RULE_SETTINGS.properties) as RuleSettingKey[]

/** Every setting but those a new rule must name (liveness, compare source) and its name (derived from them). */
export const RULE_DEFAULTS: Omit<RuleSettings, 'name' | 'liveness' | 'compareSource'> = {
  threshold: 70,
  maxAttempts: 3,
  tokenTtlS: 7200,
  actionCount: 2,
  idcardStep: 'none',
  duplicateAction: 'flag',
  lightFallback: null,
  enabled: true,
}

/** Capabilities this build can really judge; a rule asking for another is refused, never faked. */
export const SUPPORTED_LIVENESS: readonly LivenessMode[] = ['action', 'silent', 'digital', 'light']

/** A setting that cannot be used, and why: the service turns it into its ReasonError. */
export interface RuleSettingsProblem {
  /** INVALID_PARAMETER for a bad value; BUSINESS_REQUEST_INVALID for a capability this build lacks */
  reason: 'INVALID_PARAMETER' | 'BUSINESS_REQUEST_INVALID'
  field: string
  message: string
  unsupported?: boolean
}

const compiled = TypeCompiler.Compile(RULE_SETTINGS)

/**
 * Checks a complete set of settings: each field against the schema, then the rules that span
 * fields. Returns the first problem, naming the field (the value itself is never echoed).
 */
export function checkRuleSettings(s: unknown): RuleSettingsProblem | null {
  if (!compiled.Check(s)) {
    const first = compiled.Errors(s).First()
    const field = first?.path.replace(/^\//, '') || 'settings'
    const prop = (RULE_SETTINGS.properties as Record<string, TSchema>)[field]
    let hint = first?.message ?? 'invalid'
    if (prop && 'anyOf' in prop)
      hint = `must be one of ${(prop.anyOf as Array<{ const: string }>).map((x) => x.const).join(', ')}`
    else if (prop && (prop.type === 'number' || prop.type === 'integer'))
      hint = `must be ${prop.type === 'integer' ? 'an integer' : 'a number'} ${prop.minimum}-${prop.maximum}`
    else if (!prop && first?.path) hint = `is not a rule setting; known: ${RULE_SETTING_KEYS.join(', ')}`
    return { reason: 'INVALID_PARAMETER', field, message: `${field} ${hint}` }
  }
  const r = s as RuleSettings
  if (!SUPPORTED_LIVENESS.includes(r.liveness))
    return {
      reason: 'BUSINESS_REQUEST_INVALID',
      field: 'liveness',
      message: `liveness mode "${r.liveness}" is not supported by this build yet (supported: ${SUPPORTED_LIVENESS.join(', ')})`,
      unsupported: true,
    }
  if (r.compareSource === 'idcard' && r.idcardStep === 'none')
    return {
      reason: 'INVALID_PARAMETER',
      field: 'idcardStep',
      message:
        'compare "idcard" compares with the portrait on the ID card: the rule needs an ID-card step (idcardStep front or both)',
    }
  if (r.lightFallback !== null && r.liveness !== 'light')
    return {
      reason: 'INVALID_PARAMETER',
      field: 'lightFallback',
      message: 'lightFallback is for liveness "light" rules only',
    }
  if (!r.name.trim()) return { reason: 'INVALID_PARAMETER', field: 'name', message: 'name must not be blank' }
  return null
}

/**
 * A stored version's settings as the code of today reads them: options added after the version was
 * written take their defaults; keys no longer known are dropped.
 */
export function readRuleSettings(json: string): RuleSettings {
  const stored = JSON.parse(json) as Record<string, unknown>
  const out: Record<string, unknown> = { ...RULE_DEFAULTS }
  for (const k of RULE_SETTING_KEYS) if (stored[k] !== undefined) out[k] = stored[k]
  return out as unknown as RuleSettings
}

/** The settings as a version stores them: every key, in the schema's order. */
export function writeRuleSettings(s: RuleSettings): string {
  const out: Record<string, unknown> = {}
  for (const k of RULE_SETTING_KEYS) out[k] = s[k]
  return JSON.stringify(out)
}

/**
 * `key=value` as typed on the command line, converted by the setting's type in the schema. Also
 * takes the names of `shiren rule create`'s options (compare, attempts, ttl, actions, idcard, duplicate).
 */
export const RULE_SETTING_ALIASES: Record<string, RuleSettingKey> = {
  compare: 'compareSource',
  attempts: 'maxAttempts',
  ttl: 'tokenTtlS',
  actions: 'actionCount',
  idcard: 'idcardStep',
  duplicate: 'duplicateAction',
}

export function parseRuleAssignment(
  assignment: string,
): { ok: true; key: RuleSettingKey; value: unknown } | { ok: false; message: string } {
  const i = assignment.indexOf('=')
  if (i <= 0) return { ok: false, message: `"${assignment}" is not key=value` }
  const raw = assignment.slice(0, i).trim()
  const key = (RULE_SETTING_ALIASES[raw] ?? raw) as RuleSettingKey
  const prop = (RULE_SETTINGS.properties as Record<string, TSchema>)[key]
  if (!prop) return { ok: false, message: `${raw} is not a rule setting; known: ${RULE_SETTING_KEYS.join(', ')}` }
  const text = assignment.slice(i + 1).trim()
  if (prop.type === 'number' || prop.type === 'integer') {
    const n = text === '' ? NaN : Number(text)
    if (!Number.isFinite(n)) return { ok: false, message: `${key} must be a number` }
    return { ok: true, key, value: n }
  }
  if (prop.type === 'boolean') {
    if (text !== 'true' && text !== 'false') return { ok: false, message: `${key} must be true or false` }
    return { ok: true, key, value: text === 'true' }
  }
  return { ok: true, key, value: text }
}
