import { Writable } from 'node:stream'
import { rmSync } from 'node:fs'
import { loadConfig, type Config } from '../../src/config/index.js'
import { createLogger } from '../../src/logging.js'
import { startServer, type Running } from '../../src/server.js'
import type { Analyser } from '../../src/verifications/index.js'
import { databaseUrl, tempDir, type DialectName } from './env.js'

/** A clock the test moves: the server under test reads time only through it. */
export class TestClock {
  offsetMs = 0
  now(): Date {
    return new Date(Date.now() + this.offsetMs)
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000
  }
}

export interface TestServer extends Running {
  clock: TestClock
  dataDir: string
  config: Config
  /** everything the server logged, as text, for the tests that prove what is never logged */
  logs(): string
  close(): Promise<void>
}

/** A real shiren listening on a random loopback port, on its own data dir and database. */
export async function startTestServer(
  opts: {
    dialect?: DialectName
    analyser?: Analyser | null
    env?: Record<string, string>
    startQueue?: boolean
    dataDir?: string
    databaseUrl?: string
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir()
  const db = opts.databaseUrl
    ? { url: opts.databaseUrl, drop: async () => {} }
    : // SHIREN_TEST_DIALECT=postgres runs the suites that do not choose a dialect on PostgreSQL
      await databaseUrl(
        opts.dialect ?? (process.env.SHIREN_TEST_DIALECT as DialectName | undefined) ?? 'sqlite',
        dataDir,
      )
  const config = loadConfig(
    { ...opts.env },
    { dataDir, port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'debug' },
  )
  let logged = ''
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logged += chunk.toString()
      cb()
    },
  })
  const clock = new TestClock()
  const running = await startServer(config, createLogger('debug', sink as never), {
    clock,
    analyser: opts.analyser ?? null,
    startQueue: opts.startQueue ?? true,
  })
  return {
    ...running,
    clock,
    dataDir,
    config,
    logs: () => logged,
    async close() {
      await running.stop()
      await db.drop()
      // a data folder this helper made is removed with the server (its database, sealed media and keys); one the
      // test passed in stays, for the test to start another server on it
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
