#!/usr/bin/env -S node --single-threaded-gc
import { Command, InvalidArgumentError } from 'commander'
import { existsSync, statSync } from 'node:fs'
import { loadConfig, parseRole, type Config } from '../config/index.js'
import { compose, loadOrCreateAdminToken, type Shiren } from '../compose.js'
import { createLogger } from '../logging.js'
import { listCodes, isReasonError } from '../codes/index.js'
import { BillingService } from '../billing/index.js'
import { entriesFromCsv, entriesFromFolder, importEntries } from '../registry/index.js'
import { createAnalysisEngine } from '../analysis/index.js'
import { maskIdNumber, maskName } from '../identity/index.js'
import { readFile } from 'node:fs/promises'
import { startServer } from '../server.js'
import { migrateToLatest, openDatabase } from '../storage/index.js'
import {
  parseRuleAssignment,
  type LivenessMode,
  type CompareSource,
  type IdCardStep,
  type RulePatch,
  type Service,
  type Rule,
} from '../apps/index.js'
import type { AuditBy } from '../audit/index.js'
import { registerAdminCommands } from './commands/admin.js'
import { ensureAdminPassword } from '../console-auth/index.js'
import { registerOcrCommand } from './commands/ocr.js'
import { registerVisionCommands } from './commands/vision.js'
import { registerDigitsCommand } from './commands/digits.js'
import { registerWebhookCommands } from './commands/webhook.js'
import { registerReplayCommand } from './commands/replay.js'
import { registerPrivacyCommands } from './commands/privacy.js'

/**
 * `shiren …`: every command works on the same data directory as a running server (SQLite in WAL
 * mode, or PostgreSQL), so operators can script apps, rules and imports while it serves.
 */
const program = new Command()
program.name('shiren').description('Self-hosted real-person identity verification (人脸核身)').version('0.1.0')
program.option('--data <dir>', 'data directory (SHIREN_DATA_DIR, default ./.shiren)')

function config(extra: Partial<Config> = {}): Config {
  const data = program.opts<{ data?: string }>().data
  return loadConfig(process.env, { ...(data && { dataDir: data }), ...extra })
}

/** Commands other than serve log only warnings, to stderr, so their stdout stays machine-readable. */
async function withShiren<T>(fn: (s: Shiren) => Promise<T>): Promise<T> {
  const s = await compose(config(), createLogger('warn', process.stderr as never))
  try {
    return await fn(s)
  } finally {
    await s.close()
  }
}

/**
 * The registry commands that embed faces start the analysis engine (one worker). Where `required`
 * is false and the models are missing, photos are stored but not indexed, and the command says so.
 */
async function withRegistryFaces<T>(required: boolean, fn: (s: Shiren) => Promise<T>): Promise<T> {
  const cfg = config()
  let engine: Awaited<ReturnType<typeof createAnalysisEngine>> | null = null
  try {
    engine = await createAnalysisEngine({ modelsDir: cfg.modelsDir, workers: 1 })
  } catch (err) {
    if (required) throw err
    process.stderr.write(`shiren: face analysis unavailable (${(err as Error).message}): faces are not indexed\n`)
  }
  const s = await compose(cfg, createLogger('warn', process.stderr as never), { embedder: engine })
  try {
    return await fn(s)
  } finally {
    await s.close()
    await engine?.close()
  }
}

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer')
  return n
}
const num = (v: string) => {
  const n = Number(v)
  if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number')
  return n
}
/** what the CLI's changes are recorded as in the audit log: someone with a shell on the server */
const CLI: AuditBy = { actor: 'cli' }

const print = (json: boolean, data: unknown, text: () => string) =>
  process.stdout.write((json ? JSON.stringify(data) : text()) + '\n')

program
  .command('serve')
  .description('start the HTTP server and/or the analysis worker (migrations run first)')
  .option('--port <port>', 'port (SHIREN_PORT, default 8080)', int)
  .option('--host <host>', 'interface to listen on (SHIREN_HOST, default 0.0.0.0)')
  .option(
    '--role <role>',
    'all: HTTP and analysis (default) | api: HTTP only | worker: analysis jobs only, with an ops listener (SHIREN_ROLE)',
  )
  .action(async (o: { port?: number; host?: string; role?: string }) => {
    const cfg = config({
      ...(o.port !== undefined && { port: o.port }),
      ...(o.host && { host: o.host }),
      ...(o.role !== undefined && { role: parseRole(o.role) }),
    })
    const log = createLogger(cfg.logLevel)
    const { token, created } = loadOrCreateAdminToken(cfg.dataDir)
    const consolePassword = cfg.role === 'worker' ? null : await ensureAdminPassword(cfg.dataDir)
    const running = await startServer(cfg, log)
    drainOnSignals(running, log)
    if (cfg.role === 'worker') {
      process.stdout.write(
        [
          '',
          `shiren worker is running (analysis jobs; ops listener at ${running.url}: /healthz /readyz /metrics)`,
          `  database         ${cfg.databaseUrl.startsWith('sqlite:') ? 'SQLite' : 'PostgreSQL'}`,
          `  face analysis    ${running.shiren.analyser ? 'on' : `unavailable: no models in ${cfg.modelsDir} (shiren models pull)`}`,
          '',
        ].join('\n') + '\n',
      )
      return
    }
    const demo = await running.shiren.apps.ensureDemo()
    const lines = [
      '',
      `shiren is running at ${running.url}${cfg.role === 'api' ? ' (role api: HTTP only, analysis on the workers)' : ''}`,
      `  data directory   ${cfg.dataDir}${cfg.databaseUrl.startsWith('sqlite:') ? ' (SQLite)' : ' (PostgreSQL)'}`,
      cfg.role === 'api'
        ? '  face analysis    on the worker processes (shiren serve --role worker)'
        : `  face analysis    ${running.shiren.analyser ? 'on' : `unavailable: no models in ${cfg.modelsDir} (shiren models pull)`}`,
      `  demo app         AppID ${demo.appId}  secret ${demo.secret}  RuleId ${demo.ruleId}`,
      `  management API   ${running.url}/v1 (Authorization: Bearer ${created ? token : '<data dir>/admin-token'})`,
      `  console          ${running.url}/console (password ${consolePassword ?? 'set earlier; change it with `shiren admin set-password`'})`,
      `  OpenAPI          ${running.url}/docs/json`,
      '',
    ]
    process.stdout.write(lines.join('\n') + '\n')
  })

/**
 * SIGTERM / SIGINT drain the process: no new request is accepted (in-flight ones are answered), no
 * new job is taken and the running ones finish, then connections close and the process exits 0.
 * A drain that outlasts SHIREN_SHUTDOWN_GRACE_S (default 60) exits 1: the jobs it held are taken over
 * by another worker when their lock runs out. A second signal exits at once.
 */
function drainOnSignals(running: Awaited<ReturnType<typeof startServer>>, log: ReturnType<typeof createLogger>) {
  const raw = Number(process.env.SHIREN_SHUTDOWN_GRACE_S || 60)
  const graceS = Number.isFinite(raw) && raw > 0 ? raw : 60
  let draining = false
  const drain = (signal: string) => {
    if (draining) {
      log.warn({ signal }, 'second signal: exiting without waiting for the drain')
      process.exit(1)
    }
    draining = true
    log.info({ signal, graceS }, 'draining: no new requests or jobs; waiting for the running ones')
    const timer = setTimeout(() => {
      log.error({ graceS }, 'the drain outlasted its grace period: exiting; running jobs will be taken over')
      process.exit(1)
    }, graceS * 1000)
    timer.unref()
    running.stop().then(
      () => {
        log.info('drained: exiting')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err: (err as Error)?.message }, 'the drain failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => drain('SIGINT'))
  process.on('SIGTERM', () => drain('SIGTERM'))
}

program
  .command('migrate')
  .description('create or update the database schema')
  .action(async () => {
    const cfg = config()
    const db = openDatabase(cfg.databaseUrl)
    try {
      const done = await migrateToLatest(db)
      process.stdout.write(done.length ? `applied: ${done.join(', ')}\n` : 'schema is up to date\n')
    } finally {
      await db.close()
    }
  })

const appCmd = program.command('app').description('apps (AppID + secret)')
appCmd
  .command('create')
  .requiredOption('--name <name>', 'app name')
  .option('--services <list>', 'comma-separated: h5,sdk,action,digital,silent,light (default all)')
  .option('--valid-until <date>', 'ISO date after which the app stops working')
  .option('--daily-limit <n>', 'attempts per person per day (0 = no limit)', int)
  .option('--concurrency <n>', 'verifications in flight at once (0 = no limit)', int)
  .option('--retention-days <n>', 'days media and personal data are kept (0–365; default: SHIREN_RETENTION_S)', int)
  .option('--json', 'print JSON')
  .action(
    async (o: {
      name: string
      services?: string
      validUntil?: string
      dailyLimit?: number
      concurrency?: number
      retentionDays?: number
      json?: boolean
    }) => {
      const r = await withShiren((s) =>
        s.apps.createApp(
          {
            name: o.name,
            ...(o.services && { services: o.services.split(',').map((x) => x.trim()) as Service[] }),
            ...(o.validUntil && { validUntil: o.validUntil }),
            ...(o.dailyLimit !== undefined && { dailyLimitPerPerson: o.dailyLimit }),
            ...(o.concurrency !== undefined && { concurrencyLimit: o.concurrency }),
            ...(o.retentionDays !== undefined && { retentionDays: o.retentionDays }),
          },
          CLI,
        ),
      )
      print(!!o.json, { appId: r.app.appId, secret: r.secret }, () => `AppID  ${r.app.appId}\nsecret ${r.secret}`)
    },
  )
appCmd
  .command('list')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    const apps = await withShiren((s) => s.apps.listApps())
    print(
      !!o.json,
      apps,
      () =>
        apps
          .map(
            (a) =>
              `${a.appId}  ${a.name}  services=${a.services.join(',')}` +
              `  retention=${a.retentionDays === null ? 'default' : `${a.retentionDays}d`}${a.enabled ? '' : '  (disabled)'}`,
          )
          .join('\n') || '(no apps)',
    )
  })
appCmd
  .command('rotate-secret')
  .argument('<appId>')
  .option('--json', 'print JSON')
  .action(async (appId: string, o: { json?: boolean }) => {
    const secret = await withShiren((s) => s.apps.rotateSecret(appId, CLI))
    print(!!o.json, { appId, secret }, () => `secret ${secret}`)
  })

const ruleCmd = program.command('rule').description('rules (RuleId): liveness mode, compare source, threshold')
ruleCmd
  .command('create')
  .requiredOption('--app <appId>', 'AppID')
  .requiredOption('--liveness <mode>', 'action | digital | silent | light')
  .requiredOption('--compare <source>', 'registry | photo | idcard | none')
  .option('--threshold <n>', 'pass threshold on the 0-100 similarity scale (70 ≈ FAR 1e-3, 80 ≈ FAR 1e-4)', num)
  .option('--attempts <n>', 'attempts allowed per verification', int)
  .option('--ttl <seconds>', 'token lifetime for capture', int)
  .option('--actions <n>', 'number of actions in the action sequence', int)
  .option('--idcard <step>', 'ID-card step before the face step: none | front | both (only none is built yet)')
  .option('--duplicate <action>', 'a passed face enrolled under another ID number: flag (default) | fail')
  .option(
    '--light-fallback <mode>',
    'light rules: the mode offered to a person who declines the flashes (action | silent | digital)',
  )
  .option('--name <name>')
  .option('--json', 'print JSON')
  .action(
    async (o: {
      app: string
      liveness: string
      compare: string
      threshold?: number
      attempts?: number
      ttl?: number
      actions?: number
      idcard?: string
      duplicate?: string
      lightFallback?: string
      name?: string
      json?: boolean
    }) => {
      const rule = await withShiren((s) =>
        s.apps.createRule(
          {
            appId: o.app,
            liveness: o.liveness as LivenessMode,
            compareSource: o.compare as CompareSource,
            ...(o.threshold !== undefined && { threshold: o.threshold }),
            ...(o.attempts !== undefined && { maxAttempts: o.attempts }),
            ...(o.ttl !== undefined && { tokenTtlS: o.ttl }),
            ...(o.actions !== undefined && { actionCount: o.actions }),
            ...(o.idcard !== undefined && { idcardStep: o.idcard as IdCardStep }),
            ...(o.duplicate !== undefined && { duplicateAction: o.duplicate as 'flag' | 'fail' }),
            ...(o.lightFallback !== undefined && { lightFallback: o.lightFallback as 'action' | 'silent' | 'digital' }),
            ...(o.name && { name: o.name }),
          },
          CLI,
        ),
      )
      print(!!o.json, { ruleId: rule.ruleId }, () => `RuleId ${rule.ruleId}`)
    },
  )
ruleCmd
  .command('list')
  .option('--app <appId>')
  .option('--json', 'print JSON')
  .action(async (o: { app?: string; json?: boolean }) => {
    const rules = await withShiren((s) => s.apps.listRules(o.app))
    print(!!o.json, rules, () => rules.map(ruleLine).join('\n') || '(no rules)')
  })
ruleCmd
  .command('update')
  .description('change settings of a rule: a new version (verifications created before keep theirs)')
  .argument('<ruleId>')
  .requiredOption(
    '--set <key=value...>',
    'settings to change, e.g. threshold=80 maxAttempts=2 enabled=false (also: compare, attempts, ttl, actions, idcard, duplicate)',
  )
  .option('--json', 'print JSON')
  .action(async (ruleId: string, o: { set: string[]; json?: boolean }) => {
    const patch: Record<string, unknown> = {}
    for (const a of o.set) {
      const p = parseRuleAssignment(a)
      if (!p.ok) throw new InvalidArgumentError(p.message)
      patch[p.key] = p.value
    }
    const rule = await withShiren((s) => s.apps.updateRule(ruleId, patch as RulePatch, CLI))
    print(!!o.json, rule, () => `${ruleLine(rule)}  version=${rule.version}`)
  })
ruleCmd
  .command('versions')
  .description('every version of a rule, newest first')
  .argument('<ruleId>')
  .option('--json', 'print JSON')
  .action(async (ruleId: string, o: { json?: boolean }) => {
    const versions = await withShiren((s) => s.apps.ruleVersions(ruleId))
    print(!!o.json, versions, () =>
      versions
        .map(
          (v) =>
            `v${v.version}  ${v.createdAt}  by ${v.createdBy}  ${v.settings.liveness}/${v.settings.compareSource}  threshold=${v.settings.threshold}  attempts=${v.settings.maxAttempts}${v.settings.enabled ? '' : '  (disabled)'}`,
        )
        .join('\n'),
    )
  })

program
  .command('audit')
  .description('the audit log of operator actions, newest first (no personal data)')
  .option('--from <date>', 'YYYY-MM-DD or ISO date-time')
  .option('--to <date>', 'YYYY-MM-DD (the whole day) or ISO date-time')
  .option('--action <action>', 'exact (rule.update) or a family (rule)')
  .option('--limit <n>', '1-1000 (default 100)', int)
  .option('--json', 'print JSON')
  .action(async (o: { from?: string; to?: string; action?: string; limit?: number; json?: boolean }) => {
    if (o.limit !== undefined && (o.limit < 1 || o.limit > 1000))
      throw new InvalidArgumentError('--limit must be 1-1000')
    for (const d of [o.from, o.to])
      if (d !== undefined && Number.isNaN(Date.parse(d))) throw new InvalidArgumentError(`${d} is not a date`)
    const rows = await withShiren((s) =>
      s.audit.list({
        ...(o.from && { from: o.from }),
        ...(o.to && { to: o.to }),
        ...(o.action && { action: o.action }),
        limit: o.limit ?? 100,
      }),
    )
    print(
      !!o.json,
      rows,
      () =>
        rows
          .map(
            (r) =>
              `${r.at}  ${r.actor}${r.source ? `@${r.source}` : ''}  ${r.action}  ${r.subject ?? ''}  ${JSON.stringify(r.details)}`,
          )
          .join('\n') || '(no entries)',
    )
  })

function ruleLine(r: Rule): string {
  return `${r.ruleId}  app=${r.appId}  v${r.version}  ${r.liveness}/${r.compareSource}  threshold=${r.threshold}  attempts=${r.maxAttempts}  idcard=${r.idcardStep}${r.enabled ? '' : '  (disabled)'}`
}

program
  .command('codes')
  .description('the result-code catalog of both families')
  .option('--json', 'print JSON')
  .option('--family <f>', 'h5 or sdk')
  .action((o: { json?: boolean; family?: string }) => {
    const rows = listCodes().filter((r) => !o.family || r.family === o.family)
    print(!!o.json, rows, () =>
      rows
        .map(
          (r) =>
            `${r.family.padEnd(3)} ${String(r.code).padStart(9)}${r.aliases.length ? '/' + r.aliases.join('/') : ''}  ${r.billable ? 'billable' : 'free    '}  ${r.message_zh}  (${r.reasons.join(', ')})`,
        )
        .join('\n'),
    )
  })

program
  .command('usage')
  .description('billable and free attempts per app, day and code')
  .requiredOption('--from <day>', 'YYYY-MM-DD')
  .requiredOption('--to <day>', 'YYYY-MM-DD')
  .option('--app <appId>')
  .option('--csv', 'print CSV')
  .option('--json', 'print JSON')
  .action(async (o: { from: string; to: string; app?: string; csv?: boolean; json?: boolean }) => {
    const summary = await withShiren((s) => s.billing.usage({ from: o.from, to: o.to, ...(o.app && { appId: o.app }) }))
    if (o.csv) return void process.stdout.write(BillingService.toCsv(summary))
    print(!!o.json, summary, () =>
      [
        ...summary.rows.map(
          (r) =>
            `${r.appId}  ${r.day}  ${r.family}  ${String(r.code).padStart(9)}  billable=${r.billable}  free=${r.free}`,
        ),
        `total billable=${summary.totals.billable} free=${summary.totals.free}`,
      ].join('\n'),
    )
  })

const registryCmd = program.command('registry').description("the operator's identity registry")
registryCmd
  .command('import')
  .argument('<source>', 'a CSV file (name,id_number,photo) or a folder of <name>_<id number>.jpg photos')
  .option('--json', 'print JSON')
  .action(async (source: string, o: { json?: boolean }) => {
    if (!existsSync(source)) throw new InvalidArgumentError(`${source} does not exist`)
    const entries = statSync(source).isDirectory() ? await entriesFromFolder(source) : await entriesFromCsv(source)
    const report = await withRegistryFaces(false, async (s) => {
      const r = await importEntries(
        s.registry,
        entries,
        (done, total) => {
          if (!o.json && process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`)
        },
        (e, r) => {
          // --json: one line per person enrolled, name and number masked as everywhere else
          if (o.json)
            print(
              true,
              {
                personId: r.id,
                name: maskName(e.name.trim()),
                idNumber: maskIdNumber(e.idNumber.trim().toUpperCase()),
                photo: r.hasPhoto,
                status: r.status,
                face: r.face,
                duplicateOf: r.duplicateOf,
              },
              () => '',
            )
        },
      )
      // one entry for the import, with its counts (the people themselves are named nowhere in the log)
      await s.audit.record({
        ...CLI,
        action: 'registry.import',
        details: { created: r.created, updated: r.updated, failed: r.failed.length },
      })
      return r
    })
    if (!o.json && process.stderr.isTTY) process.stderr.write('\n')
    if (o.json) for (const f of report.failed) process.stderr.write(JSON.stringify({ failed: f }) + '\n')
    else
      print(false, report, () =>
        [
          `created ${report.created}, updated ${report.updated}, failed ${report.failed.length}`,
          ...report.failed.map((f) => `  ${f.source}: ${f.reason} ${f.message}`),
        ].join('\n'),
      )
    if (report.failed.length) process.exitCode = 1
  })

registryCmd
  .command('search')
  .argument('<photos...>', 'photos to look for in the registry')
  .option('--top <k>', 'persons per photo (1–100, default 5)', int)
  .option('--json', 'print one JSON line per photo')
  .action(async (files: string[], o: { top?: number; json?: boolean }) => {
    await withRegistryFaces(true, async (s) => {
      for (const file of files) {
        try {
          const r = await s.registry.search(await readFile(file), o.top ?? 5)
          // the line operators' scripts read: ids, scores and FARs only (the API also names the persons, masked)
          const matches = r.matches.map(({ personId, score, far }) => ({ personId, score, far }))
          print(!!o.json, { file, matches, ms: r.ms }, () =>
            [`${file} (${r.ms} ms)`, ...r.matches.map((m) => `  ${m.personId}  score ${m.score}  FAR ${m.far}`)].join(
              '\n',
            ),
          )
        } catch (err) {
          const error = isReasonError(err)
            ? { reason: err.reason, message: err.message }
            : { reason: 'SYSTEM_ERROR', message: (err as Error).message }
          print(!!o.json, { file, error }, () => `${file}: ${error.reason} ${error.message}`)
          process.exitCode = 1
        }
      }
    })
  })

registryCmd
  .command('reindex')
  .description('re-embed every stored photo with the current face model (after a model change), with progress')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    const r = await withRegistryFaces(true, (s) =>
      s.registry.reindex((done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`)
      }),
    )
    if (process.stderr.isTTY) process.stderr.write('\n')
    print(!!o.json, r, () => `indexed ${r.indexed}, no face ${r.noFace}, failed ${r.failed}`)
    if (r.failed) process.exitCode = 1
  })

const adminCmd = program.command('admin').description('operator access: the management API token, the console password')
adminCmd
  .command('token')
  .description('print the admin token of the management API')
  .action(() => {
    process.stdout.write(loadOrCreateAdminToken(config().dataDir).token + '\n')
  })

registerAdminCommands(program)
registerVisionCommands(program)
registerOcrCommand(program)
registerDigitsCommand(program)
registerWebhookCommands(appCmd, withShiren)
registerReplayCommand(program, withShiren, async (fn) => {
  // a replay that analyses the stored media again needs the engine (one worker)
  const engine = await createAnalysisEngine({ modelsDir: config().modelsDir, workers: 1 })
  const s = await compose(config(), createLogger('warn', process.stderr as never), { analyser: engine })
  try {
    return await fn(s)
  } finally {
    await s.close()
    await engine.close()
  }
})
registerPrivacyCommands(program, withShiren)

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`shiren: ${isReasonError(err) ? `${err.reason}: ${err.message}` : (err as Error).message}\n`)
  process.exit(1)
})
