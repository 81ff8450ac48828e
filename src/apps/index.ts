export * from './types.js'
export {
  AppService,
  publicApp,
  settingsOf,
  checkRetentionDays,
  type NewAppInput,
  type NewRuleInput,
  type RulePatch,
} from './service.js'
export {
  SUPPORTED_LIVENESS,
  RULE_SETTING_ALIASES,
  checkRuleSettings,
  parseRuleAssignment,
  type RuleSettingsProblem,
} from './rule-settings.js'
