export { BillingService, type UsageQuery, type UsageSummary } from './service.js'
