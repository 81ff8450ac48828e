/** What an app may use; a request for a service the app has not enabled is refused (66660030 / Nonactivated). */
export const SERVICES = ['h5', 'sdk', 'action', 'digital', 'silent', 'light'] as const
export type Service = (typeof SERVICES)[number]

export {
  COMPARE_SOURCES,
  DUPLICATE_ACTIONS,
  IDCARD_STEPS,
  LIGHT_FALLBACKS,
  LIVENESS_MODES,
  RULE_DEFAULTS,
  RULE_SETTING_KEYS,
  RULE_SETTINGS,
  readRuleSettings,
  writeRuleSettings,
  type CompareSource,
  type DuplicateAction,
  type IdCardStep,
  type LightFallback,
  type LivenessMode,
  type RuleSettingKey,
  type RuleSettings,
} from './rule-settings.js'
import type { RuleSettings } from './rule-settings.js'

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
  /**
   * Days this app's media and personal data are kept after a verification ends (0–365); null: the
   * server default (SHIREN_RETENTION_S). 0: until the result is first fetched, at most the token's lifetime.
   */
  retentionDays: number | null
}

/** The bounds of an app's retention, in days. */
export const MAX_RETENTION_DAYS = 365

/**
 * A rule as it stands at one version: its settings (src/apps/rule-settings.ts) and which version they
 * are. Every edit writes a new version; a verification keeps the version it was created under.
 */
export interface Rule extends RuleSettings {
  ruleId: string
  appId: string
  /** 1 at creation, +1 at every edit */
  version: number
  createdAt: string
  /** when this version was written */
  updatedAt: string
}

/** One immutable version of a rule: its settings, who wrote it and when. */
export interface RuleVersion {
  ruleId: string
  version: number
  settings: RuleSettings
  /** the kind of operator who wrote it (api, console, cli, system, migration) */
  createdBy: string
  createdAt: string
}
