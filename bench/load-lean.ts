/**
 * `npm run bench:load -- --lean`: the leanest DetectAuth that still does what the action must do, as a bound on
 * what any implementation on this stack can reach, NOT shiren: Fastify (logger off), the body as bytes, the TC3
 * check exactly as shiren makes it (src/auth), the app's secret by one prepared SQLite look-up, and the new
 * verification written by one prepared insert in its own transaction (better-sqlite3, WAL, synchronous NORMAL, as
 * shiren opens SQLite); the answer is the action's JSON. No rule, no idempotency key, no logging, no metrics, no
 * request id, no edge checks. `LEAN_SKIP=tc3`, `LEAN_SKIP=insert` or both (comma-separated) leave parts out to
 * show what each costs. Prints its URL on stdout once listening; stops on SIGTERM.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Fastify from 'fastify'
import SQLite from 'better-sqlite3'
import { parseAuthorization, verifyTc3 } from '../src/auth/index.js'

const skip = new Set((process.env.LEAN_SKIP ?? '').split(',').filter(Boolean))
const db = new SQLite(join(process.env.LEAN_DIR ?? '.', 'lean.db'))
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.exec(`create table if not exists apps (app_id text primary key, secret text not null);
create table if not exists verifications (id text primary key, biz_token text not null unique, app_id text not null,
  rule_id text not null, extra text, created_at text not null)`)
db.prepare('insert or replace into apps values (?, ?)').run(process.env.LEAN_APP_ID, process.env.LEAN_SECRET)
const secretOf = db.prepare<[string], { secret: string }>('select secret from apps where app_id = ?')
const insert = db.prepare('insert into verifications values (?, ?, ?, ?, ?, ?)')
const create = db.transaction((row: unknown[]) => insert.run(...row))

const fail = (code: string) => ({ Response: { Error: { Code: code, Message: code }, RequestId: randomUUID() } })
const app = Fastify({ logger: false })
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
app.post('/', async (req) => {
  const auth = parseAuthorization(req.headers.authorization)
  if (!auth) return fail('AuthFailure.InvalidAuthorization')
  const app = secretOf.get(auth.secretId)
  if (!app) return fail('AuthFailure.SecretIdNotFound')
  const body = req.body as Buffer
  if (!skip.has('tc3')) {
    const bad = verifyTc3(
      { method: req.method, path: '/', query: '', headers: req.headers, body },
      auth,
      app.secret,
      Math.floor(Date.now() / 1000),
      300,
    )
    if (bad) return fail(bad.error)
  }
  const p = JSON.parse(body.toString('utf8')) as { RuleId?: string; Extra?: string }
  const token = randomUUID()
  if (!skip.has('insert'))
    create([randomUUID(), token, auth.secretId, String(p.RuleId), p.Extra ?? null, new Date().toISOString()])
  return { Response: { BizToken: token, Url: `http://127.0.0.1/capture?token=${token}`, RequestId: randomUUID() } }
})
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${url}\n`)
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
