/**
 * `npm run bench:load [-- --duration S --warmup S --connections C --uploads N --db sqlite,postgres
 *   --log info,warn --only detectauth,info,getfaceid,upload,healthz --quick --no-hello --no-static --no-drain
 *   --drain-only --drain N --no-pin --baseline DIR --prof DIR --node-flags "…" --lean]`
 *
 * shiren under load from a SEPARATE process (bench/load-client.ts, autocannon) with pre-signed
 * requests, against a ceiling measured in the same run: Fastify hello-world, logger off, on the same
 * machine. shiren runs as operators run it (`node dist/cli/main.js serve`, its logs to a file) on
 *   - SQLite with the default logging (info: one line per request),
 *   - SQLite with SHIREN_LOG_LEVEL=warn,
 *   - PostgreSQL (a fresh schema in 127.0.0.1:5432/test; SHIREN_TEST_PG_URL overrides),
 * and each is measured on DetectAuth, GetDetectInfoEnhanced (h5, TC3), getfaceid (sdk, SHA-1 SIGN
 * ticket) and the capture upload path (rps, p50, p99, ratio to hello-world).
 *
 * `--lean` adds, after hello-world, the leanest DetectAuth on the same stack (bench/load-lean.ts, not shiren): how far
 * any implementation of the action can go here, with and without its signature check and its insert.
 *
 * Then the queue drain: N uploaded attempts are enqueued with no worker running (an api-role server),
 * then 1 and, on a second batch, 2 `serve --role worker` processes of one analysis thread each
 * (SHIREN_WORKERS=1) drain them; the rate is attempts per second from the moment every worker listens
 * to the last verdict. Each worker process is pinned to a CPU of its own (taskset; see `pin`), so that
 * "one single-thread worker" means one core. Where this build has no worker role, that part says so
 * and is skipped.
 *
 * The bench builds dist/ first (package.json script), so the server measured is the source checked out.
 */
import { fork, spawn, execFileSync, type ChildProcess } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logging.js'
import { compose } from '../src/compose.js'
import { freshPostgresSchema, postgresReachable, PG_URL } from '../test/support/env.js'
import type { LoadKind, LoadResult, LoadSpec } from './load-client.js'

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback
}
const quick = flag('quick')
/** `--drain-only`: only the queue drain (no hello-world, no HTTP measurements) */
const drainOnly = flag('drain-only')
const duration = Number(arg('duration', quick ? '3' : '10'))
const connections = Number(arg('connections', '32'))
const uploads = Number(arg('uploads', quick ? '100' : '400'))
const drainN = Number(arg('drain', quick ? '6' : '20'))
/**
 * `--warmup S` (default 3; 0 with --quick): each server first gets S seconds of the same load, not
 * measured, so that the figures are its steady state rather than its JIT warm-up (the first seconds
 * of a fresh node process cost shiren ≈ 40 % more CPU per request; hello-world warms up at once)
 */
const warmup = Number(arg('warmup', quick ? '0' : '3'))
/**
 * The drain's worker processes each get one CPU of their own (taskset): worker 1 → CPU 0, worker 2 →
 * CPU 1. On by default where the machine has ≥ 2 CPUs and taskset (util-linux) is there; `--no-pin`
 * turns it off, `--pin` insists. A "single-thread" worker is one analysis thread, but its process also
 * runs the main thread (queue, database, sealing), V8's helpers and ffmpeg: unpinned, one of them used
 * ≈ 1.1 cores, so two of them could not double the rate on two cores whatever the code did.
 */
let pinned: boolean | undefined
/** decided at the first drain (probing taskset is one more process: none for an HTTP-only run) */
const pin = (): boolean => (pinned ??= pinning())
function pinning(): boolean {
  if (flag('no-pin')) return false
  let taskset = false
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    taskset = true
  } catch {
    if (flag('pin')) throw new Error('--pin needs taskset (util-linux)')
  }
  return taskset && (flag('pin') || cpus().length >= 2)
}
const dbs = arg('db', 'sqlite,postgres').split(',')
const only = arg('only', 'detectauth,info,getfaceid,upload').split(',') as LoadKind[]
/** `--log info,warn`: the SQLite setups measured (log levels) */
const sqliteLogs = arg('log', 'info,warn').split(',')
/** `--baseline DIR`: also measure the shiren built in DIR (its dist/cli/main.js), e.g. main before a change */
const baseline = arg('baseline', '')
/** `--prof DIR`: each shiren server writes a V8 CPU profile there (node --cpu-prof) */
const profDir = arg('prof', '')
/** `--node-flags "…"`: extra node options for each shiren server (e.g. --trace-deopt) */
const nodeFlags = arg('node-flags', '').split(' ').filter(Boolean)

const SHARED = resolve('..', 'shared')
const VIDEO = join(SHARED, 'data', 'videos', 'selfie', 'baosheng_480_1.mp4')
const MODELS = join(SHARED, 'models')
const MAIN = resolve('dist', 'cli', 'main.js')
const quiet = createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }) as never)
const work = mkdtempSync(join(tmpdir(), 'shiren-load-'))
const la = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => ok(port))
    })
  })
}

async function waitFor(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up in ${timeoutMs} ms`)
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(t)
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return null
  }
}

/** CPU seconds per thread of a process (/proc/PID/task; the main thread's id is the pid) and of its waited-for children. */
function threadSeconds(pid: number | undefined): Map<string, number> {
  const by = new Map<string, number>()
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ')
      by.set(t, (Number(f[11]) + Number(f[12])) / 100)
    }
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    by.set('children', (Number(f[13]) + Number(f[14])) / 100)
  } catch {
    // not Linux, or the process is gone
  }
  return by
}

/**
 * Where a worker's CPU went between two snapshots: its main thread (queue, database, sealing), its
 * busiest other thread (the analysis thread), all its other threads (V8's and libuv's helpers,
 * onnxruntime's pools) and its children (ffmpeg). Node names every thread "node", hence by id.
 */
function threadCpu(pid: number | undefined, before: Map<string, number>): string {
  const after = threadSeconds(pid)
  if (!after.size) return '(no /proc)'
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0)
  const others = [...after.keys()].filter((k) => k !== String(pid) && k !== 'children').map((k) => d(k))
  others.sort((a, b) => b - a)
  const rest = others.slice(1).reduce((x, y) => x + y, 0)
  return `main thread ${d(String(pid)).toFixed(1)} s, analysis thread ${(others[0] ?? 0).toFixed(1)} s, other threads ${rest.toFixed(1)} s, ffmpeg ${d('children').toFixed(1)} s`
}

/** CPU seconds of a process and of the children it has waited for (ffmpeg), from /proc; null elsewhere. */
function cpuWithChildren(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100
  } catch {
    return null
  }
}

/**
 * One measurement in a fresh client process. `serverPid`: the server's CPU time per request is
 * measured too — on a busy shared machine req/s moves with the neighbours, CPU per request much less.
 */
async function drive(spec: LoadSpec, serverPid?: number): Promise<LoadResult & { cpuUs?: number }> {
  // the uploads are counted out (each token once): no warm-up run spends them
  if (warmup > 0 && spec.kind !== 'upload') await driveOnce({ ...spec, duration: warmup })
  const before = cpuSeconds(serverPid)
  const r = await driveOnce(spec)
  const after = cpuSeconds(serverPid)
  return before !== null && after !== null ? { ...r, cpuUs: Math.round(((after - before) / r.requests) * 1e6) } : r
}

function driveOnce(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((ok, fail) => {
    const client = fork(new URL('./load-client.ts', import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let result: LoadResult | null = null
    client.once('message', (m) => (result = m as LoadResult))
    client.once('exit', (code) => (result ? ok(result) : fail(new Error(`load client exited with ${code}`))))
    client.send(spec)
  })
}

interface Seeded {
  appId: string
  secret: string
  ruleId: string
  infoTokens: string[]
  uploadTokens: string[]
  signTicket: string
}

/**
 * App, rule, tokens and a SIGN ticket, written through shiren's own services before the server starts:
 * those of the build measured (`main`), so that a baseline's server finds its own schema.
 */
async function seed(
  dataDir: string,
  databaseUrl: string,
  infoN: number,
  uploadN: number,
  main = MAIN,
): Promise<Seeded> {
  const dist = resolve(main, '..', '..')
  const own =
    main === MAIN
      ? { compose, loadConfig }
      : {
          compose: ((await import(join(dist, 'compose.js'))) as { compose: typeof compose }).compose,
          loadConfig: ((await import(join(dist, 'config', 'index.js'))) as { loadConfig: typeof loadConfig })
            .loadConfig,
        }
  const s = await own.compose(
    own.loadConfig({}, { dataDir, databaseUrl, modelsDir: join(dataDir, 'no-models') }),
    quiet,
  )
  try {
    const { app, secret } = await s.apps.createApp({ name: 'load' })
    const rule = await s.apps.createRule({
      appId: app.appId,
      liveness: 'silent',
      compareSource: 'none',
      maxAttempts: 1,
    })
    const make = async () =>
      (await s.verifications.create({ app, rule, family: 'h5', tokenStyle: 'biz' })).verification.token
    const infoTokens: string[] = []
    for (let i = 0; i < infoN; i++) infoTokens.push(await make())
    const uploadTokens: string[] = []
    for (let i = 0; i < uploadN; i++) {
      const t = await make()
      await s.verifications.challenge(t)
      uploadTokens.push(t)
    }
    const at = await s.tickets.issueAccessToken({
      appId: app.appId,
      secret,
      grantType: 'client_credential',
      version: '1.0.0',
    })
    const sign = await s.tickets.issueTicket({
      appId: app.appId,
      accessToken: at.token,
      type: 'SIGN',
      version: '1.0.0',
    })
    return { appId: app.appId, secret, ruleId: rule.ruleId, infoTokens, uploadTokens, signTicket: sign.value }
  } finally {
    await s.close()
  }
}

interface Server {
  url: string
  child: ChildProcess
  log: string
}

async function startShiren(
  dataDir: string,
  databaseUrl: string,
  env: Record<string, string>,
  args: string[] = [],
  main = MAIN,
  /** run the process (its threads and every child it starts, ffmpeg included) on this CPU only */
  cpu?: number,
): Promise<Server> {
  const port = await freePort()
  const log = join(dataDir, `server-${port}.log`)
  const fd = openSync(log, 'a')
  // taskset execs node in place (same pid); the affinity is inherited by its threads and children
  const command = cpu === undefined ? process.execPath : 'taskset'
  const child = spawn(
    command,
    [
      ...(cpu === undefined ? [] : ['-c', String(cpu), process.execPath]),
      ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(profDir)] : []),
      ...nodeFlags,
      main,
      '--data',
      dataDir,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      ...args,
    ],
    {
      env: {
        ...process.env,
        SHIREN_DATABASE_URL: databaseUrl,
        SHIREN_MODELS_DIR: join(dataDir, 'no-models'),
        // a worker listens only on its ops listener: on the free port too (every worker on the default
        // 9464 would leave all but the first one dead with EADDRINUSE)
        ...(args.includes('worker') && { SHIREN_OPS_HOST: '127.0.0.1', SHIREN_OPS_PORT: String(port) }),
        ...env,
      },
      // logs go where an operator's would: a file (stdout), not a pipe this process must drain
      stdio: ['ignore', fd, fd],
    },
  )
  const url = `http://127.0.0.1:${port}`
  // a worker answers /healthz on its ops listener once its models are loaded (it listens after loading them)
  await waitFor(`${url}/healthz`, child, args.includes('worker') ? 300_000 : 120_000)
  return { url, child, log }
}

interface Row {
  setup: string
  endpoint: string
  r: LoadResult & { cpuUs?: number }
}
const rows: Row[] = []
const label: Record<LoadKind, string> = {
  hello: 'hello-world',
  'hello-static': 'hello (static req.)',
  healthz: '/healthz (no database)',
  detectauth: 'DetectAuth',
  info: 'GetDetectInfoEnhanced',
  getfaceid: 'getfaceid',
  upload: `upload (${Math.round((existsSync(VIDEO) ? statSync(VIDEO).size : 400_000) / 1024)} KB)`,
}

function videoFile(): string {
  if (existsSync(VIDEO)) return VIDEO
  // without ../shared: an MP4-typed buffer of the same order of size (the sniffing passes, the analysis would not)
  const f = join(work, 'synthetic.mp4')
  const buf = randomBytes(400_000)
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]).copy(buf)
  writeFileSync(f, buf)
  return f
}

async function measureShiren(
  setup: string,
  databaseUrl: string,
  dataDir: string,
  env: Record<string, string>,
  main = MAIN,
) {
  mkdirSync(dataDir, { recursive: true })
  const seeded = await seed(dataDir, databaseUrl, 1000, only.includes('upload') ? uploads : 0, main)
  const srv = await startShiren(dataDir, databaseUrl, env, [], main)
  try {
    for (const kind of only) {
      const r = await drive(
        {
          url: srv.url,
          kind,
          connections,
          duration,
          ...(kind === 'upload' && { amount: uploads, tokens: seeded.uploadTokens, videoFile: videoFile() }),
          ...(kind === 'info' && { tokens: seeded.infoTokens }),
          appId: seeded.appId,
          secret: seeded.secret,
          ruleId: seeded.ruleId,
          signTicket: seeded.signTicket,
        },
        srv.child.pid,
      )
      rows.push({ setup, endpoint: label[kind], r })
      print(rows.at(-1)!)
    }
  } finally {
    await stop(srv.child)
  }
  const bytes = statSync(srv.log).size
  console.log(`  (${setup}: the server wrote ${(bytes / 2 ** 20).toFixed(1)} MB of log)`)
  if (nodeFlags.length) {
    // the node flags' output (traces) went to the server's log: keep it
    const kept = join(tmpdir(), `shiren-load-${setup.replace(/[^a-z0-9]+/gi, '-')}.log`)
    copyFileSync(srv.log, kept)
    console.log(`  (its log: ${kept})`)
  }
}

let hello: (LoadResult & { cpuUs?: number }) | null = null
function print(row: Row): void {
  const ratio =
    hello && row.r.kind !== 'hello' && row.r.kind !== 'hello-static'
      ? `${((row.r.rps / hello.rps) * 100).toFixed(1)} %`
      : ''
  console.log(
    [
      row.setup.padEnd(22),
      row.endpoint.padEnd(22),
      String(row.r.rps).padStart(7),
      String(row.r.p50).padStart(7),
      String(row.r.p99).padStart(7),
      ratio.padStart(8),
      String(row.r.cpuUs ?? '').padStart(7),
      String(row.r.failures).padStart(6),
      row.r.firstFailure ? ` first failure: ${row.r.firstFailure}` : '',
    ].join(' '),
  )
}

// ── the queue drain ───────────────────────────────────────────────────────────

function hasWorkerRole(): boolean {
  try {
    return execFileSync(process.execPath, [MAIN, 'serve', '--help'], { encoding: 'utf8' }).includes('--role')
  } catch {
    return false
  }
}

/** N attempts uploaded through an api-role server (no worker), then drained by `workers` worker processes. */
async function drain(workers: number): Promise<{
  rate: number
  seconds: number
  counted: number
  cpuPerAttempt: number
  verdicts: Record<string, number>
  threads: string[]
}> {
  const dataDir = join(work, `drain-${workers}`)
  const databaseUrl = `sqlite:${join(dataDir, 'shiren.db')}`
  mkdirSync(dataDir, { recursive: true })
  const seeded = await seed(dataDir, databaseUrl, 0, drainN)
  const video = readFileSync(videoFile())
  const api = await startShiren(dataDir, databaseUrl, { SHIREN_MODELS_DIR: MODELS }, ['--role', 'api'])
  try {
    for (const t of seeded.uploadTokens) {
      const res = await fetch(`${api.url}/capture/api/upload?token=${t}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: new Uint8Array(Buffer.concat([video, randomBytes(8)])),
      })
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`)
    }
  } finally {
    await stop(api.child)
  }
  const s = await compose(loadConfig({}, { dataDir, databaseUrl, modelsDir: join(dataDir, 'no-models') }), quiet)
  // all worker processes start together; the clock starts once every one of them listens (models
  // loaded), and counts the verdicts written after that: model loading is not queue draining
  const starting = Array.from({ length: workers }, (_, i) =>
    startShiren(
      dataDir,
      databaseUrl,
      { SHIREN_MODELS_DIR: MODELS, SHIREN_WORKERS: '1' },
      ['--role', 'worker'],
      MAIN,
      pin() ? i % cpus().length : undefined,
    ),
  )
  const procs: Server[] = []
  try {
    for (const p of starting) procs.push(await p)
    const ready = Date.now()
    const cpu = () => procs.reduce((sum, p) => sum + (cpuWithChildren(p.child.pid) ?? NaN), 0)
    const cpu0 = cpu()
    const threads0 = procs.map((p) => threadSeconds(p.child.pid))
    const t0 = Date.now()
    for (;;) {
      const rows = await s.db.kysely.selectFrom('attempts').select(['state', 'finished_at', 'reason']).execute()
      const done = rows.filter((r) => r.state === 'finished' && r.finished_at)
      if (done.length >= drainN) {
        const at = done.map((r) => Date.parse(r.finished_at!)).sort((a, b) => a - b)
        const after = at.filter((t) => t > ready)
        const span = (at.at(-1)! - ready) / 1000
        const verdicts: Record<string, number> = {}
        for (const r of done) verdicts[r.reason ?? '?'] = (verdicts[r.reason ?? '?'] ?? 0) + 1
        // the workers' CPU (ffmpeg included) per attempt drained: what the machine had to give them
        const cpuPerAttempt = (cpu() - cpu0) / after.length
        return {
          rate: after.length / span,
          seconds: span,
          counted: after.length,
          verdicts,
          cpuPerAttempt,
          threads: procs.map((p, i) => threadCpu(p.child.pid, threads0[i]!)),
        }
      }
      const dead = procs.find((p) => p.child.exitCode !== null)
      if (dead)
        throw new Error(
          `a worker process exited (${dead.child.exitCode}); its last log lines:\n${readFileSync(dead.log, 'utf8').slice(-2000)}`,
        )
      if (Date.now() - t0 > 20 * 60_000) throw new Error('the queue did not drain in 20 minutes')
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    await s.close()
    for (const p of starting)
      await p.then(
        (x) => stop(x.child),
        () => {},
      )
  }
}

// ── the run ───────────────────────────────────────────────────────────────────

if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` first')
console.log(
  `bench:load ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ` +
    `${duration} s per measurement after ${warmup} s of warm-up, ${connections} connections, ${uploads} uploads; load average before: ${la()}`,
)
async function measureHello(): Promise<void> {
  const helloProc = spawn(process.execPath, ['--import', 'tsx', new URL('./load-hello.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const helloUrl = await new Promise<string>((ok) => helloProc.stdout!.once('data', (d) => ok(String(d).trim())))
  try {
    hello = await drive({ url: helloUrl, kind: 'hello', connections, duration }, helloProc.pid)
    rows.push({ setup: 'fastify (logger off)', endpoint: label.hello, r: hello })
    print(rows.at(-1)!)
    if (!flag('no-static')) {
      const stat = await drive({ url: helloUrl, kind: 'hello-static', connections, duration }, helloProc.pid)
      rows.push({ setup: 'fastify (logger off)', endpoint: label['hello-static'], r: stat })
      print(rows.at(-1)!)
    }
  } finally {
    await stop(helloProc)
  }
}

/**
 * `--lean`: the bound below shiren (bench/load-lean.ts, not shiren): the leanest DetectAuth on the same stack, with
 * and without its TC3 check and its insert, against the hello-world of the same run.
 */
async function measureLean(): Promise<void> {
  const appId = 'IDALEAN0001'
  const secret = randomBytes(32).toString('hex')
  for (const [name, skip] of [
    ['lean bound', ''],
    ['lean, no TC3', 'tc3'],
    ['lean, no insert', 'insert'],
    ['lean, neither', 'tc3,insert'],
  ] as const) {
    const dir = mkdtempSync(join(work, 'lean-'))
    const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./load-lean.ts', import.meta.url).pathname], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LEAN_DIR: dir, LEAN_APP_ID: appId, LEAN_SECRET: secret, LEAN_SKIP: skip },
    })
    const url = await new Promise<string>((ok) => proc.stdout!.once('data', (d) => ok(String(d).trim())))
    try {
      const r = await drive({ url, kind: 'detectauth', connections, duration, appId, secret, ruleId: 'LEAN' }, proc.pid)
      rows.push({ setup: name, endpoint: label.detectauth, r })
      print(rows.at(-1)!)
    } finally {
      await stop(proc)
    }
  }
}

async function httpPart(): Promise<void> {
  console.log(
    `${'setup'.padEnd(22)} ${'endpoint'.padEnd(22)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'vs hello'.padStart(8)} ${'CPU µs'.padStart(7)} ${'fails'.padStart(6)}`,
  )
  /** `--no-hello`: no ceiling (profiling one endpoint); the ratios are then left blank */
  if (!flag('no-hello')) await measureHello()
  if (flag('lean')) await measureLean()

  if (baseline) {
    const main = resolve(baseline, 'dist', 'cli', 'main.js')
    // `--baseline-db sqlite,postgres`: the baseline on those databases (default SQLite only)
    const baseDbs = arg('baseline-db', 'sqlite').split(',')
    if (baseDbs.includes('sqlite')) {
      const d0 = join(work, 'baseline')
      await measureShiren('baseline: SQLite, info', `sqlite:${join(d0, 'shiren.db')}`, d0, {}, main)
    }
    if (baseDbs.includes('postgres') && (await postgresReachable())) {
      const pg = await freshPostgresSchema()
      try {
        await measureShiren('baseline: PostgreSQL', pg.url, join(work, 'baseline-pg'), {}, main)
      } finally {
        await pg.drop()
      }
    }
  }
  if (dbs.includes('sqlite')) {
    for (const level of sqliteLogs) {
      const d = join(work, `sqlite-${level}`)
      await measureShiren(`SQLite, log ${level}`, `sqlite:${join(d, 'shiren.db')}`, d, {
        ...(level !== 'info' && { SHIREN_LOG_LEVEL: level }),
      })
    }
  }
  if (dbs.includes('postgres')) {
    if (!(await postgresReachable())) console.log(`PostgreSQL: not reachable at ${PG_URL}, skipped`)
    else {
      const pg = await freshPostgresSchema()
      try {
        await measureShiren('PostgreSQL, log info', pg.url, join(work, 'pg-info'), {})
      } finally {
        await pg.drop()
      }
    }
  }
  console.log(`load average after the HTTP part: ${la()}`)
}

try {
  if (!drainOnly) await httpPart()
  if (!flag('no-drain')) {
    if (!hasWorkerRole()) console.log('queue drain: worker role not available in this build (`serve --role`), skipped')
    else if (!existsSync(MODELS) || !existsSync(VIDEO))
      console.log(`queue drain: needs ${MODELS} and ${VIDEO}, skipped`)
    else {
      console.log(
        pin()
          ? 'queue drain: each worker process pinned to one CPU of its own with taskset (worker 1 → CPU 0, worker 2 → CPU 1; ffmpeg inherits it)'
          : 'queue drain: worker processes NOT pinned (--no-pin, or no taskset / one CPU): each may use more than one core',
      )
      console.log(`load average before the drain: ${la()}`)
      const one = await drain(1)
      console.log(
        `queue drain, 1 worker process:  ${one.rate.toFixed(2)} attempts/s (${one.counted} of ${drainN} attempts in ${one.seconds.toFixed(1)} s, ${one.cpuPerAttempt.toFixed(2)} CPU s each) ${JSON.stringify(one.verdicts)}; load average ${la()}`,
      )
      console.log(`  threads: ${one.threads.join(' | ')}`)
      const two = await drain(2)
      console.log(
        `queue drain, 2 worker processes: ${two.rate.toFixed(2)} attempts/s (${two.counted} of ${drainN} attempts in ${two.seconds.toFixed(1)} s, ${two.cpuPerAttempt.toFixed(2)} CPU s each) ${JSON.stringify(two.verdicts)}; ${(two.rate / one.rate).toFixed(2)}× one; load average ${la()}`,
      )
      console.log(`  threads: ${two.threads.join(' | ')}`)
      console.log(`load average after the drain: ${la()}`)
    }
  }
  console.log(
    JSON.stringify({ hello: (hello as LoadResult | null)?.rps, rows: rows.map((r) => ({ setup: r.setup, ...r.r })) }),
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
