export {
  RegistryService,
  MAX_REGISTRY_PHOTO_BYTES,
  DEFAULT_DUPLICATE_SCORE,
  type EnrollInput,
  type RegistryMatch,
  type FaceEmbedder,
  type FaceSearchSetup,
  type FaceMatch,
  type DuplicateMatch,
  type PersonMatch,
} from './service.js'
export { RegistryFaces, sealEmbedding, openEmbedding, RERANK } from './faces.js'
export { FaceIndex, FACE_DIMENSIONS, quantise, type FaceIndexOptions, type FaceHit } from './face-index.js'
export { importEntries, entriesFromCsv, entriesFromFolder, type ImportReport, type ImportEntry } from './import.js'
