import { ReasonError } from '../codes/index.js'
import { randomToken, type PersonalDataVault } from '../crypto/index.js'
import type { AppRow, Store } from '../storage/index.js'
import { AuditLog, type AuditBy } from '../audit/index.js'
import { systemClock, type Clock } from '../clock/index.js'
import { MAX_RETENTION_DAYS, SERVICES, type App, type Rule, type RuleVersion, type Service } from './types.js'
import {
  RULE_DEFAULTS,
  RULE_SETTING_KEYS,
  checkRuleSettings,
  type CompareSource,
  type DuplicateAction,
  type IdCardStep,
  type LivenessMode,
  type RuleSettings,
} from './rule-settings.js'

export interface NewAppInput {
  name: string
  services?: Service[]
  validUntil?: string | null
  dailyLimitPerPerson?: number
  concurrencyLimit?: number
  /** days media and personal data are kept (0–365); null or absent: the server default */
  retentionDays?: number | null
}

/** An app's retention as given, checked: an integer 0–365 days, or null for the server default. */
export function checkRetentionDays(days: number | null): number | null {
  if (days === null) return null
  if (!Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS)
    throw new ReasonError(
      'INVALID_PARAMETER',
      `retentionDays must be an integer 0-${MAX_RETENTION_DAYS} (or null for the server default)`,
    )
  return days
}

/** A new rule: its app, liveness mode and compare source; any other setting, or its default. */
export type NewRuleInput = { appId: string } & Pick<RuleSettings, 'liveness' | 'compareSource'> &
  Partial<Omit<RuleSettings, 'liveness' | 'compareSource'>>

/** A change to a rule: any of its settings (src/apps/rule-settings.ts); the rest stay as they are. */
export type RulePatch = Partial<RuleSettings>

/** who did it, when nobody said: shiren itself (tests, the demo app at first start) */
const SYSTEM: AuditBy = { actor: 'system' }

/** the name the demo app is recorded under (and its name as an app) */
const DEMO = 'demo'

/** another process recorded the demo app first: this one's is rolled back */
class DemoRecordedMeanwhile extends Error {}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export function publicApp(a: AppRow): App {
  const { secretSealed: _sealed, ...rest } = a
  return rest
}

export class AppService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    /** operator actions (apps, secrets, rules) are recorded here, in the transaction of the change */
    private readonly audit: AuditLog = new AuditLog(store, systemClock),
    private readonly clock: Clock = systemClock,
  ) {}

  async createApp(input: NewAppInput, by: AuditBy = SYSTEM): Promise<{ app: App; secret: string }> {
    return this.insertApp(this.store, input, by)
  }

  /**
   * The demo app and its rule, printed at start-up so that a newcomer can call the API at once: made
   * on the first start, found on the next. Processes starting together on one empty database agree on
   * one: each makes an app and a rule and records them under the name `demo` in the same transaction;
   * the name is a unique key, so all but the first record nothing and roll their app back, then read
   * the first one's. A database from before the record keeps its earliest app named demo.
   */
  async ensureDemo(): Promise<{ appId: string; secret: string; ruleId: string }> {
    for (;;) {
      const known = await this.store.apps.wellKnown(DEMO)
      if (known) return { appId: known.appId, secret: (await this.secretOf(known.appId))!.secret, ruleId: known.ruleId }
      await this.store
        .transaction(
          async (tx) => {
            const earlier = (await tx.apps.list()).find((a) => a.name === DEMO)
            const appId = earlier?.appId ?? (await this.insertApp(tx, { name: DEMO }, SYSTEM)).app.appId
            const rule =
              (await tx.rules.list(appId))[0] ??
              (await this.insertRule(
                tx,
                {
                  appId,
                  name: 'demo: action liveness + reference photo',
                  liveness: 'action',
                  compareSource: 'photo',
                },
                SYSTEM,
              ))
            if (!(await tx.apps.recordWellKnown(DEMO, appId, rule.ruleId))) throw new DemoRecordedMeanwhile()
          },
          // SQLite: a process that started together with this one holds the write lock or wrote first
          { retryForMs: 60_000 },
        )
        .catch((err: unknown) => {
          // the first one's record is committed: the next round reads it
          if (!(err instanceof DemoRecordedMeanwhile)) throw err
        })
    }
  }

  private async insertApp(store: Store, input: NewAppInput, by: AuditBy): Promise<{ app: App; secret: string }> {
    const name = input.name.trim()
    if (!name || name.length > 128) throw new ReasonError('INVALID_PARAMETER', 'name must be 1-128 characters')
    const services = input.services ?? [...SERVICES]
    for (const s of services)
      if (!SERVICES.includes(s))
        throw new ReasonError('INVALID_PARAMETER', `unknown service "${s}"; known: ${SERVICES.join(', ')}`)
    if (input.validUntil != null && Number.isNaN(Date.parse(input.validUntil)))
      throw new ReasonError('INVALID_PARAMETER', 'validUntil must be an ISO date')
    const limit = (n: number | undefined, what: string) => {
      if (n === undefined) return 0
      if (!Number.isInteger(n) || n < 0 || n > 1_000_000)
        throw new ReasonError('INVALID_PARAMETER', `${what} must be an integer 0-1000000 (0 = no limit)`)
      return n
    }
    const secret = randomToken(64)
    for (let i = 0; i < 5; i++) {
      // WBappid-style: 8 characters, as the ticket-flow clients expect
      const appId = `IDA${randomToken(5, UPPER)}`
      if (await store.apps.get(appId)) continue
      const dailyLimitPerPerson = limit(input.dailyLimitPerPerson, 'dailyLimitPerPerson')
      const concurrencyLimit = limit(input.concurrencyLimit, 'concurrencyLimit')
      const retentionDays = checkRetentionDays(input.retentionDays ?? null)
      await store.transaction(async (tx) => {
        await tx.apps.insert({
          appId,
          name,
          secretSealed: this.vault.seal(secret),
          services,
          validUntil: input.validUntil ? new Date(input.validUntil).toISOString() : null,
          dailyLimitPerPerson,
          concurrencyLimit,
          retentionDays,
        })
        await this.audit.record(
          {
            ...by,
            action: 'app.create',
            subject: `app:${appId}`,
            details: { services, dailyLimitPerPerson, concurrencyLimit, retentionDays },
          },
          tx,
        )
      })
      const app = await store.apps.get(appId)
      return { app: publicApp(app!), secret }
    }
    throw new ReasonError('DB_INSERT_FAILED', 'could not allocate a unique AppID')
  }

  async getApp(appId: string): Promise<App | null> {
    const a = await this.store.apps.get(appId)
    return a ? publicApp(a) : null
  }

  async listApps(): Promise<App[]> {
    return (await this.store.apps.list()).map(publicApp)
  }

  /** The secret itself; only the signature checks need it. */
  async secretOf(appId: string): Promise<{ app: App; secret: string } | null> {
    const app = await this.store.apps.get(appId)
    return app ? { app: publicApp(app), secret: this.vault.openCredential(app.secretSealed) } : null
  }

  async rotateSecret(appId: string, by: AuditBy = SYSTEM): Promise<string> {
    if (!(await this.store.apps.get(appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${appId}`)
    const secret = randomToken(64)
    await this.store.transaction(async (tx) => {
      const version = await tx.apps.rotateSecret(appId, this.vault.seal(secret))
      await this.audit.record(
        { ...by, action: 'app.rotate-secret', subject: `app:${appId}`, details: { secretVersion: version } },
        tx,
      )
    })
    return secret
  }

  async updateApp(
    appId: string,
    patch: Partial<NewAppInput & { enabled: boolean }>,
    by: AuditBy = SYSTEM,
  ): Promise<App> {
    if (!(await this.store.apps.get(appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${appId}`)
    if (patch.services)
      for (const s of patch.services)
        if (!SERVICES.includes(s)) throw new ReasonError('INVALID_PARAMETER', `unknown service "${s}"`)
    if (patch.retentionDays !== undefined) checkRetentionDays(patch.retentionDays)
    const change = {
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.services !== undefined && { services: patch.services }),
      ...(patch.validUntil !== undefined && {
        validUntil: patch.validUntil ? new Date(patch.validUntil).toISOString() : null,
      }),
      ...(patch.dailyLimitPerPerson !== undefined && { dailyLimitPerPerson: patch.dailyLimitPerPerson }),
      ...(patch.concurrencyLimit !== undefined && { concurrencyLimit: patch.concurrencyLimit }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled }),
      ...(patch.retentionDays !== undefined && { retentionDays: patch.retentionDays }),
    }
    await this.store.transaction(async (tx) => {
      await tx.apps.update(appId, change)
      // the app's name is the operator's label, not a person's: recorded under appName
      const { name, ...rest } = change
      await this.audit.record(
        {
          ...by,
          action: 'app.update',
          subject: `app:${appId}`,
          details: { ...rest, ...(name !== undefined && { appName: name }) },
        },
        tx,
      )
    })
    return (await this.getApp(appId))!
  }

  async createRule(input: NewRuleInput, by: AuditBy = SYSTEM): Promise<Rule> {
    return this.insertRule(this.store, input, by)
  }

  private async insertRule(store: Store, input: NewRuleInput, by: AuditBy): Promise<Rule> {
    if (!(await store.apps.get(input.appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${input.appId}`)
    const { appId: _app, name, ...given } = input
    const settings = {
      ...RULE_DEFAULTS,
      ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
      name: name?.trim() || `${input.liveness}/${input.compareSource}`,
    } as RuleSettings
    checkOrThrow(settings)
    const ruleId = randomToken(12, UPPER)
    await store.transaction(async (tx) => {
      await tx.rules.insert({ ruleId, appId: input.appId, ...settings }, by.actor)
      await this.audit.record(
        {
          ...by,
          action: 'rule.create',
          subject: `rule:${ruleId}`,
          details: { appId: input.appId, version: 1, settings: auditSettings(settings) },
        },
        tx,
      )
    })
    return (await store.rules.get(ruleId))!
  }

  /**
   * Changes some of a rule's settings, validated as at creation: the result is a new version (the
   * old ones stay as they were: verifications created under them keep their settings). A patch
   * that changes nothing writes no version. Concurrent edits each apply to the latest version.
   */
  async updateRule(ruleId: string, patch: RulePatch, by: AuditBy = SYSTEM): Promise<Rule> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw new ReasonError('INVALID_PARAMETER', 'the change must be an object of rule settings')
    const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined)
    const unknown = keys.filter((k) => !(RULE_SETTING_KEYS as string[]).includes(k))
    if (unknown.length)
      throw new ReasonError(
        'INVALID_PARAMETER',
        `${unknown.join(', ')} ${unknown.length > 1 ? 'are not rule settings' : 'is not a rule setting'}; known: ${RULE_SETTING_KEYS.join(', ')}`,
      )
    if (!keys.length) throw new ReasonError('INVALID_PARAMETER', 'nothing to change: name at least one setting')
    for (let round = 0; round < 5; round++) {
      const current = await this.store.rules.get(ruleId)
      if (!current) throw new ReasonError('NOT_FOUND', `no rule ${ruleId}`)
      const before = settingsOf(current)
      const next = { ...before } as Record<string, unknown>
      for (const k of keys) next[k] = (patch as Record<string, unknown>)[k]
      if (typeof next.name === 'string') next.name = next.name.trim()
      checkOrThrow(next)
      const changes = RULE_SETTING_KEYS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(next[k])).map(
        (k) => ({ setting: k, from: before[k], to: next[k] }),
      )
      if (!changes.length) return current
      const at = this.clock.now().toISOString()
      const written = await this.store.transaction(async (tx) => {
        if (!(await tx.rules.addVersion(ruleId, current.version, next as unknown as RuleSettings, by.actor, at)))
          return false
        await this.audit.record(
          {
            ...by,
            action: 'rule.update',
            subject: `rule:${ruleId}`,
            details: { appId: current.appId, version: current.version + 1, changes },
          },
          tx,
        )
        return true
      })
      if (written) return (await this.store.rules.get(ruleId))!
    }
    throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the rule is being changed by someone else: try again')
  }

  /** Every version of a rule, newest first. */
  async ruleVersions(ruleId: string): Promise<RuleVersion[]> {
    if (!(await this.store.rules.get(ruleId))) throw new ReasonError('NOT_FOUND', `no rule ${ruleId}`)
    return this.store.rules.versions(ruleId)
  }

  /** The rule as it was at one version (what a verification created under it is judged by). */
  getRuleVersion(ruleId: string, version: number): Promise<Rule | null> {
    return this.store.rules.getVersion(ruleId, version)
  }

  getRule(ruleId: string): Promise<Rule | null> {
    return this.store.rules.get(ruleId)
  }

  listRules(appId?: string): Promise<Rule[]> {
    return this.store.rules.list(appId)
  }
}

/** the settings of a rule, without its identity and version */
export function settingsOf(rule: Rule): RuleSettings {
  const out: Record<string, unknown> = {}
  for (const k of RULE_SETTING_KEYS) out[k] = rule[k]
  return out as unknown as RuleSettings
}

function checkOrThrow(settings: unknown): asserts settings is RuleSettings {
  const p = checkRuleSettings(settings)
  if (p) throw new ReasonError(p.reason, p.message, p.unsupported ? { unsupported: true } : undefined)
}

/** a rule's settings in an audit entry: its name is the operator's label (not a person's), kept as ruleName */
function auditSettings(s: RuleSettings): Record<string, unknown> {
  const { name, ...rest } = s
  return { ruleName: name, ...rest }
}
