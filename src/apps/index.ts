export * from './types.js'
export {
  AppService,
  SUPPORTED_LIVENESS,
  publicApp,
  checkRetentionDays,
  type NewAppInput,
  type NewRuleInput,
} from './service.js'
