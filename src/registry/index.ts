export { RegistryService, MAX_REGISTRY_PHOTO_BYTES, type EnrollInput, type RegistryMatch } from './service.js'
export { importEntries, entriesFromCsv, entriesFromFolder, type ImportReport, type ImportEntry } from './import.js'
