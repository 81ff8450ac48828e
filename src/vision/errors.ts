/**
 * A capability's model file is absent. The capability answers "not supported" instead of a guess;
 * the message names the file and how to get it.
 */
export class ModelMissingError extends Error {
  readonly modelId: string
  readonly file: string
  constructor(modelId: string, file: string, hint: string) {
    super(`model ${modelId} is missing: ${file} does not exist. ${hint}`)
    this.name = 'ModelMissingError'
    this.modelId = modelId
    this.file = file
  }
}

/** A model file is present but its sha256 differs from the pinned one. */
export class ModelChecksumError extends Error {
  constructor(
    readonly modelId: string,
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`model ${modelId} at ${file} has sha256 ${actual}, expected ${expected}; run \`shiren models pull\` again`)
    this.name = 'ModelChecksumError'
  }
}

/** The engine was asked for something it does not do (yet): e.g. 'digital' liveness. */
export class CapabilityNotSupportedError extends Error {
  readonly capability: string
  constructor(capability: string, why: string) {
    super(`${capability} is not supported by the vision engine: ${why}`)
    this.name = 'CapabilityNotSupportedError'
    this.capability = capability
  }
}

/** Errors cross the worker boundary as plain objects; this rebuilds the typed class on the caller side. */
export interface SerializedVisionError {
  name: string
  message: string
  modelId?: string
  file?: string
  capability?: string
}

export function serializeVisionError(err: unknown): SerializedVisionError | null {
  if (err instanceof ModelMissingError)
    return { name: err.name, message: err.message, modelId: err.modelId, file: err.file }
  if (err instanceof CapabilityNotSupportedError)
    return { name: err.name, message: err.message, capability: err.capability }
  if (err instanceof ModelChecksumError)
    return { name: err.name, message: err.message, modelId: err.modelId, file: err.file }
  return null
}

export function reviveVisionError(s: SerializedVisionError): Error {
  let err: Error
  if (s.name === 'ModelMissingError') {
    err = new ModelMissingError(s.modelId ?? '?', s.file ?? '?', '')
  } else if (s.name === 'CapabilityNotSupportedError') {
    err = new CapabilityNotSupportedError(s.capability ?? '?', '')
  } else {
    err = new Error()
    err.name = s.name
  }
  err.message = s.message
  return err
}
