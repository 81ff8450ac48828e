import { ReasonError } from '../codes/index.js'
import { randomToken, type PersonalDataVault } from '../crypto/index.js'
import type { AppRow, Store } from '../storage/index.js'
import {
  COMPARE_SOURCES,
  DUPLICATE_ACTIONS,
  IDCARD_STEPS,
  LIGHT_FALLBACKS,
  LIVENESS_MODES,
  SERVICES,
  type App,
  type CompareSource,
  type DuplicateAction,
  type IdCardStep,
  type LightFallback,
  type LivenessMode,
  type Rule,
  type Service,
} from './types.js'

export interface NewAppInput {
  name: string
  services?: Service[]
  validUntil?: string | null
  dailyLimitPerPerson?: number
  concurrencyLimit?: number
}

export interface NewRuleInput {
  appId: string
  name?: string
  liveness: LivenessMode
  compareSource: CompareSource
  threshold?: number
  maxAttempts?: number
  tokenTtlS?: number
  actionCount?: number
  idcardStep?: IdCardStep
  duplicateAction?: DuplicateAction
  lightFallback?: LightFallback | null
}

/** Capabilities this build can really judge; a rule asking for another is refused, never faked. */
export const SUPPORTED_LIVENESS: readonly LivenessMode[] = ['action', 'silent', 'digital', 'light']

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export function publicApp(a: AppRow): App {
  const { secretSealed: _sealed, ...rest } = a
  return rest
}

export class AppService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
  ) {}

  async createApp(input: NewAppInput): Promise<{ app: App; secret: string }> {
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
      if (await this.store.apps.get(appId)) continue
      await this.store.apps.insert({
        appId,
        name,
        secretSealed: this.vault.seal(secret),
        services,
        validUntil: input.validUntil ? new Date(input.validUntil).toISOString() : null,
        dailyLimitPerPerson: limit(input.dailyLimitPerPerson, 'dailyLimitPerPerson'),
        concurrencyLimit: limit(input.concurrencyLimit, 'concurrencyLimit'),
      })
      const app = await this.store.apps.get(appId)
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
    return app ? { app: publicApp(app), secret: this.vault.open(app.secretSealed) } : null
  }

  async rotateSecret(appId: string): Promise<string> {
    if (!(await this.store.apps.get(appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${appId}`)
    const secret = randomToken(64)
    await this.store.apps.rotateSecret(appId, this.vault.seal(secret))
    return secret
  }

  async updateApp(appId: string, patch: Partial<NewAppInput & { enabled: boolean }>): Promise<App> {
    if (!(await this.store.apps.get(appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${appId}`)
    if (patch.services)
      for (const s of patch.services)
        if (!SERVICES.includes(s)) throw new ReasonError('INVALID_PARAMETER', `unknown service "${s}"`)
    await this.store.apps.update(appId, {
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.services !== undefined && { services: patch.services }),
      ...(patch.validUntil !== undefined && {
        validUntil: patch.validUntil ? new Date(patch.validUntil).toISOString() : null,
      }),
      ...(patch.dailyLimitPerPerson !== undefined && { dailyLimitPerPerson: patch.dailyLimitPerPerson }),
      ...(patch.concurrencyLimit !== undefined && { concurrencyLimit: patch.concurrencyLimit }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled }),
    })
    return (await this.getApp(appId))!
  }

  async createRule(input: NewRuleInput): Promise<Rule> {
    if (!(await this.store.apps.get(input.appId))) throw new ReasonError('APP_NOT_FOUND', `no app ${input.appId}`)
    if (!LIVENESS_MODES.includes(input.liveness))
      throw new ReasonError('INVALID_PARAMETER', `liveness must be one of ${LIVENESS_MODES.join(', ')}`)
    if (!SUPPORTED_LIVENESS.includes(input.liveness)) {
      throw new ReasonError(
        'BUSINESS_REQUEST_INVALID',
        `liveness mode "${input.liveness}" is not supported by this build yet (supported: ${SUPPORTED_LIVENESS.join(', ')})`,
        { unsupported: true },
      )
    }
    if (!COMPARE_SOURCES.includes(input.compareSource))
      throw new ReasonError('INVALID_PARAMETER', `compare must be one of ${COMPARE_SOURCES.join(', ')}`)
    const threshold = input.threshold ?? 70
    if (!(threshold >= 0 && threshold <= 100))
      throw new ReasonError('INVALID_PARAMETER', 'threshold must be between 0 and 100')
    const maxAttempts = input.maxAttempts ?? 3
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20)
      throw new ReasonError('INVALID_PARAMETER', 'maxAttempts must be 1-20')
    const tokenTtlS = input.tokenTtlS ?? 7200
    if (!Number.isInteger(tokenTtlS) || tokenTtlS < 60 || tokenTtlS > 86_400)
      throw new ReasonError('INVALID_PARAMETER', 'tokenTtlS must be 60-86400')
    const actionCount = input.actionCount ?? 2
    if (!Number.isInteger(actionCount) || actionCount < 1 || actionCount > 4)
      throw new ReasonError('INVALID_PARAMETER', 'actionCount must be 1-4')
    const idcardStep = input.idcardStep ?? 'none'
    if (!IDCARD_STEPS.includes(idcardStep))
      throw new ReasonError('INVALID_PARAMETER', `idcardStep must be one of ${IDCARD_STEPS.join(', ')}`)
    if (input.compareSource === 'idcard' && idcardStep === 'none') {
      throw new ReasonError(
        'INVALID_PARAMETER',
        'compare "idcard" compares with the portrait on the ID card: the rule needs an ID-card step (idcardStep front or both)',
      )
    }
    const duplicateAction = input.duplicateAction ?? 'flag'
    if (!DUPLICATE_ACTIONS.includes(duplicateAction))
      throw new ReasonError('INVALID_PARAMETER', `duplicateAction must be one of ${DUPLICATE_ACTIONS.join(', ')}`)
    const lightFallback = input.lightFallback ?? null
    if (lightFallback !== null) {
      if (input.liveness !== 'light')
        throw new ReasonError('INVALID_PARAMETER', 'lightFallback is for liveness "light" rules only')
      if (!LIGHT_FALLBACKS.includes(lightFallback))
        throw new ReasonError('INVALID_PARAMETER', `lightFallback must be one of ${LIGHT_FALLBACKS.join(', ')}`)
    }
    const ruleId = randomToken(12, UPPER)
    await this.store.rules.insert({
      ruleId,
      appId: input.appId,
      name: input.name?.trim() || `${input.liveness}/${input.compareSource}`,
      liveness: input.liveness,
      compareSource: input.compareSource,
      threshold,
      maxAttempts,
      tokenTtlS,
      actionCount,
      idcardStep,
      duplicateAction,
      lightFallback,
    })
    return (await this.store.rules.get(ruleId))!
  }

  getRule(ruleId: string): Promise<Rule | null> {
    return this.store.rules.get(ruleId)
  }

  listRules(appId?: string): Promise<Rule[]> {
    return this.store.rules.list(appId)
  }
}
