export * from './types.js'
export { AppService, SUPPORTED_LIVENESS, publicApp, type NewAppInput, type NewRuleInput } from './service.js'
