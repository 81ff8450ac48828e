export { PersonalDataVault } from './vault.js'
export { loadOrCreateKeys, type VaultKeys } from './keys.js'
export { constantTimeEqual, randomToken } from './compare.js'
export { newUlid } from './ids.js'
