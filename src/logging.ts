import pino from 'pino'

export type Logger = pino.Logger

/**
 * Names, ID numbers, secrets, tokens, signatures and media never reach the logs: request bodies
 * and query strings are not logged at all, and these paths are censored wherever they appear.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'secret',
  '*.secret',
  'Secret',
  '*.Secret',
  'access_token',
  '*.access_token',
  'sign',
  '*.sign',
  'nonce',
  '*.nonce',
  'name',
  '*.name',
  'Name',
  '*.Name',
  'idNo',
  '*.idNo',
  'IdCard',
  '*.IdCard',
  'idNumber',
  '*.idNumber',
  'ImageBase64',
  '*.ImageBase64',
  'sourcePhotoStr',
  '*.sourcePhotoStr',
  'body',
  '*.body',
]

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'shiren' } },
    destination,
  )
}
