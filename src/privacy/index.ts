export { PrivacyService, type PersonRef, type PersonExport, type ErasureReport, type HeldMedia } from './service.js'
