import { describe, expect, it } from 'vitest'
import {
  RULE_DEFAULTS,
  checkRuleSettings,
  parseRuleAssignment,
  readRuleSettings,
  writeRuleSettings,
  type RuleSettings,
} from './rule-settings.js'
import { AppService } from './service.js'
import { memoryStore, testVault } from '../../test/support/fakes.js'

const base: RuleSettings = { ...RULE_DEFAULTS, name: 'r', liveness: 'silent', compareSource: 'none' }

describe('rule settings', () => {
  it('checks each field against the schema and the rules across fields, naming the field', () => {
    expect(checkRuleSettings(base)).toBeNull()
    expect(checkRuleSettings({ ...base, threshold: 100.5 })?.message).toBe('threshold must be a number 0-100')
    expect(checkRuleSettings({ ...base, maxAttempts: 2.5 })?.message).toBe('maxAttempts must be an integer 1-20')
    expect(checkRuleSettings({ ...base, liveness: 'psychic' })?.message).toBe(
      'liveness must be one of action, digital, silent, light',
    )
    expect(checkRuleSettings({ ...base, lightFallback: 'silent' })?.field).toBe('lightFallback')
    expect(checkRuleSettings({ ...base, liveness: 'light', lightFallback: 'silent' })).toBeNull()
    expect(checkRuleSettings({ ...base, liveness: 'light', lightFallback: 'light' })?.field).toBe('lightFallback')
    expect(checkRuleSettings({ ...base, colour: 'blue' })?.field).toBe('colour')
    expect(checkRuleSettings({ ...base, compareSource: 'idcard' })).toMatchObject({
      field: 'idcardStep',
      message: expect.stringContaining('needs an ID-card step'),
    })
    expect(checkRuleSettings({ ...base, compareSource: 'idcard', idcardStep: 'front' })).toBeNull()
    expect(checkRuleSettings({ ...base, name: '   ' })?.field).toBe('name')
  })

  it('a stored version reads with the defaults of settings added after it was written', () => {
    const { actionCount: _gone, ...older } = JSON.parse(writeRuleSettings({ ...base, threshold: 81 }))
    const read = readRuleSettings(JSON.stringify({ ...older, retired: true }))
    expect(read).toEqual({ ...base, threshold: 81, actionCount: RULE_DEFAULTS.actionCount })
    expect(read).not.toHaveProperty('retired')
  })

  it('parses key=value by the type of the setting, with the CLI option names as aliases', () => {
    expect(parseRuleAssignment('threshold=75.5')).toEqual({ ok: true, key: 'threshold', value: 75.5 })
    expect(parseRuleAssignment('attempts=2')).toEqual({ ok: true, key: 'maxAttempts', value: 2 })
    expect(parseRuleAssignment('enabled=false')).toEqual({ ok: true, key: 'enabled', value: false })
    expect(parseRuleAssignment('compare=photo')).toEqual({ ok: true, key: 'compareSource', value: 'photo' })
    expect(parseRuleAssignment('name=a=b')).toEqual({ ok: true, key: 'name', value: 'a=b' })
    expect(parseRuleAssignment('threshold=')).toMatchObject({ ok: false })
    expect(parseRuleAssignment('enabled=yes')).toMatchObject({ ok: false })
    expect(parseRuleAssignment('colour=blue')).toMatchObject({ ok: false })
    expect(parseRuleAssignment('threshold')).toMatchObject({ ok: false })
  })

  it('concurrent edits each apply to the latest version: none is lost, versions 2 and 3', async () => {
    const mem = await memoryStore()
    try {
      const apps = new AppService(mem.store, testVault())
      const { app } = await apps.createApp({ name: 'a' })
      const rule = await apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'none' })
      await Promise.all([
        apps.updateRule(rule.ruleId, { threshold: 80 }),
        apps.updateRule(rule.ruleId, { maxAttempts: 5 }),
      ])
      const now = await apps.getRule(rule.ruleId)
      expect(now).toMatchObject({ version: 3, threshold: 80, maxAttempts: 5 })
      expect((await apps.ruleVersions(rule.ruleId)).map((v) => v.version)).toEqual([3, 2, 1])
      expect(await apps.getRuleVersion(rule.ruleId, 1)).toMatchObject({ version: 1, threshold: 70, maxAttempts: 3 })
    } finally {
      await mem.close()
    }
  })
})
