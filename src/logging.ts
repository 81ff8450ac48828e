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
    destination ?? bufferedStdout(),
  )
}

/** at most this long between a line and its write, however quiet the server */
const LOG_FLUSH_MS = 50

/**
 * Standard output, written by 4 KB rather than line by line: pino's default writes each line on its
 * own (an fs.write handed to libuv's thread pool per request line at info), which cost the server
 * ≈ 25 µs of CPU per request (bench:load, info against warn). Lines wait at most LOG_FLUSH_MS, and
 * pino's exit hook writes what is left when the process exits; a SIGKILL loses at most that much.
 */
function bufferedStdout(): pino.DestinationStream {
  const out = pino.destination({ dest: process.stdout.fd ?? 1, minLength: 4096, sync: false })
  setInterval(() => {
    // sonic-boom's count of bytes waiting (not part of its typed API): nothing waiting, nothing written
    const { destroyed, _len: waiting } = out as unknown as { destroyed: boolean; _len?: number }
    if (!destroyed && waiting !== 0) out.flush()
  }, LOG_FLUSH_MS).unref()
  return out
}

/**
 * The one line per answered request, on the same destination and level as `log` but without the
 * redaction pass: its fields are fixed (request id, method, path without the query string, status,
 * time), none of which is personal or secret, and redacting them cost ≈ 9 µs of the ≈ 12 µs a line
 * took (docs/benchmarks.md, bench:load). Everything else a request logs goes through `log`.
 */
export interface RequestLine {
  reqId: string
  method: string
  path: string
  status: number
  ms: number
}

export function requestLogger(log: Logger): ((line: RequestLine) => void) | null {
  if (!log.isLevelEnabled('info')) return null
  const stream = (log as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]
  const plain = pino({ level: 'info', base: { service: 'shiren' } }, stream)
  return (line) => plain.info(line, 'request')
}
