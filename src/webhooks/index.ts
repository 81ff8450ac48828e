export {
  WebhookService,
  checkWebhookUrl,
  retryDelayMs,
  triesFor,
  type WebhookSettings,
  type WebhookView,
  type WebhookEventView,
  type WebhookEventType,
} from './service.js'
export { checkAddress, parseAllowList, type AddressPolicy, type AddressVerdict } from './address.js'
export { postJson, guardedLookup, type PostResult } from './deliver.js'
export { signatureHeader } from './sign.js'
