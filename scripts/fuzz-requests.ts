import { createHash, createHmac } from 'node:crypto'
import { request as httpRequest, Agent } from 'node:http'
import fc from 'fast-check'

/**
 * Seeded hostile requests for every API family, shared by the suite's fuzz tests
 * (test/fuzz.test.ts), `npm run fuzz` and `npm run bench:soak`. Each family mixes valid
 * credentials and tokens (so requests get past authentication and reach the handlers and the
 * database) with NUL bytes, repeated parameters, non-finite numbers, wrong types, junk bytes and
 * wrong content types. `answerProblem` says what no answer may be: a 5xx, or one showing internals.
 */

export type FuzzFamily = 'h5' | 'sdk' | 'capture' | 'management' | 'console'
export const FUZZ_FAMILIES: FuzzFamily[] = ['h5', 'sdk', 'capture', 'management', 'console']

/** What a fuzzed request may use: a real app, rule, capture token, admin token and console session. */
export interface FuzzTarget {
  appId: string
  secret: string
  ruleId: string
  token: string
  adminToken: string
  consoleCookie: string
}

export interface FuzzRequest {
  family: FuzzFamily
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** path and query, already encoded */
  url: string
  headers: Record<string, string>
  body?: Buffer
  /** h5 requests are signed when sent, with the host they are sent to */
  sign?: { action: string; secretId: string; secretKey: string; badSignature: boolean }
}

export interface FuzzAnswer {
  status: number
  body: string
}

// ---- values ----

const NASTY = [
  '\u0000',
  'a\u0000b',
  '1e309',
  '-1e309',
  'Infinity',
  'NaN',
  '-1',
  '0',
  '',
  ' ',
  "' or 1=1 --",
  '"; drop table apps; --',
  '../../etc/passwd',
  '%00',
  '%',
  '<script>alert(1)</script>',
  '🙂',
  '\uD800',
  '\uFFFF',
  'x'.repeat(3000),
  '9'.repeat(40),
  '2026-02-30',
  '0000-00-00',
  'true',
  'null',
  '[]',
  '{}',
]

const junkString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
)

const jsonScalar = fc.oneof(junkString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null))
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: jsonScalar },
  { weight: 1, arbitrary: fc.array(jsonScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), jsonScalar, { maxKeys: 4 }) },
)

/** a field either gets a plausible value (so the request goes deeper) or a hostile one */
const field = (good: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 4, arbitrary: good },
    { weight: 1, arbitrary: jsonValue },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 1, arbitrary: fc.constantFrom('\u0000', 'x\u0000', '1e309', 'Infinity') },
  )

/** JSON text with the chosen fields; sometimes with a literal 1e309, sometimes not JSON at all */
function jsonBody(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Buffer> {
  const obj = fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, field(a)])), {
    requiredKeys: [],
  }) as fc.Arbitrary<Record<string, unknown>>
  return fc.oneof(
    { weight: 6, arbitrary: obj.map((o) => Buffer.from(JSON.stringify(o))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(obj, fc.constantFrom(...Object.keys(fields)))
        .map(([o, k]) => Buffer.from(JSON.stringify({ ...o, [k]: 7 }).replace(`"${k}":7`, `"${k}":1e309`))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', 'null', '[]', '"x"', '{"a":', '\u0000').map((s) => Buffer.from(s)),
    },
  )
}

/** percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD instead of throwing like encodeURIComponent) */
export function enc(s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** a query string that may repeat names and carry raw percent sequences */
function query(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const names = Object.keys(fields)
  const pair = fc
    .constantFrom(...names)
    .chain((k) =>
      field(fields[k]!).map((v) => `${enc(k)}=${enc(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`),
    )
  const raw = fc.constantFrom('%00', '%', '%zz', '%C0%80', '%FF', '%E0%A4%A', '&&', '=', '[]=1', 'a[b]=1')
  const repeated = fc
    .array(fc.oneof({ weight: 6, arbitrary: pair }, { weight: 1, arbitrary: raw.map((r) => `${names[0]}=${r}`) }), {
      maxLength: 8,
    })
    .map((ps) => (ps.length ? `?${ps.join('&')}` : ''))
  // most queries name each parameter once, mostly with plausible values, so requests reach the handlers
  const once = fc
    .record(Object.fromEntries(names.map((k) => [k, field(fields[k]!)])), { requiredKeys: [] })
    .map((o) => {
      const ps = Object.entries(o).map(
        ([k, v]) => `${enc(k)}=${enc(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`,
      )
      return ps.length ? `?${ps.join('&')}` : ''
    })
  return fc.oneof({ weight: 3, arbitrary: once }, { weight: 1, arbitrary: repeated })
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'video/webm',
  'image/jpeg',
  'application/octet-stream',
  '',
  'application/json; charset=latin1',
)

// ---- families ----

function h5(t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const body = jsonBody({
    RuleId: fc.constant(t.ruleId),
    BizToken: fc.constant(t.token),
    FaceIdToken: fc.constant(t.token),
    TerminalType: fc.constantFrom('WEB', 'MINI'),
    IdCard: fc.constant('11010519491231002X'),
    Name: fc.constant('张三'),
    RedirectUrl: fc.constantFrom('https://example.com/back', 'javascript:alert(1)'),
    Extra: junkString,
    ImageBase64: fc.constantFrom('AAAA', '/9j/4AAQ', 'not base64'),
    InfoType: fc.constantFrom('0', '1234', '7'),
    BestFramesCount: fc.integer({ min: -5, max: 100 }),
    CompareLib: fc.constantFrom('LOCAL', 'BUSINESS'),
    IsNeedVideo: fc.boolean(),
    Encryption: fc.constant({}),
    Config: fc.constant({}),
  })
  return fc
    .record({
      action: fc.oneof(
        {
          weight: 8,
          arbitrary: fc.constantFrom(
            'DetectAuth',
            'GetDetectInfoEnhanced',
            'GetDetectInfo',
            'GetFaceIdToken',
            'GetFaceIdResult',
          ),
        },
        { weight: 1, arbitrary: fc.constantFrom('Liveness', 'Nope', '') },
      ),
      body,
      bad: fc.nat(9),
      q: fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: query({ a: junkString }) }),
    })
    .map(({ action, body, bad, q }): FuzzRequest => ({
      family: 'h5' as const,
      method: 'POST' as const,
      url: `/${q}`,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      sign: { action, secretId: bad === 0 ? 'AKIDnope' : t.appId, secretKey: t.secret, badSignature: bad === 1 },
    }))
}

function sdk(t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const common = {
    appId: fc.constant(t.appId),
    app_id: fc.constant(t.appId),
    version: fc.constant('1.0.0'),
    secret: fc.constant(t.secret),
    grant_type: fc.constant('client_credential'),
    access_token: junkString,
    type: fc.constantFrom('SIGN', 'NONCE'),
    user_id: fc.constant('u1'),
    orderNo: fc.constant('o1'),
    nonce: fc.constant('n1'),
    sign: fc.constant('0'.repeat(40)),
  }
  const upload = {
    ...common,
    name: fc.constant('张三'),
    idNo: fc.constant('11010519491231002X'),
    userId: fc.constant('u1'),
    sourcePhotoStr: fc.constantFrom('AAAA', '%%%'),
    sourcePhotoType: fc.constantFrom('1', '2'),
    ruleId: fc.constant(t.ruleId),
    getFile: fc.constantFrom('1', '2', '3'),
  }
  const get = fc
    .tuple(
      fc.constantFrom('/api/oauth2/access_token', '/api/oauth2/api_ticket', '/api/web/login'),
      query({ ...common, h5faceId: fc.constant(t.token), faceId: fc.constant(t.token), url: fc.constant('https://x') }),
    )
    .map(([p, q]) => ({ family: 'sdk' as const, method: 'GET' as const, url: p + q, headers: {} }))
  const post = fc
    .tuple(
      fc.constantFrom(
        '/api/server/getfaceid',
        '/api/server/getAdvFaceId',
        '/api/server/h5/geth5faceid',
        '/api/v2/base/queryfacerecord',
      ),
      query(common),
      jsonBody(upload),
      contentType,
    )
    .map(([p, q, body, ct]): FuzzRequest => ({
      family: 'sdk' as const,
      method: 'POST' as const,
      url: p + q,
      headers: ct ? { 'content-type': ct } : {},
      body,
    }))
  return fc.oneof(get, post)
}

function capture(t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const q = query({ token: fc.constant(t.token), side: fc.constantFrom('front', 'back') })
  return fc
    .record({
      path: fc.constantFrom('session', 'result', 'page', 'challenge', 'upload', 'idcard'),
      q,
      ct: contentType,
      body: fc.oneof(
        fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u)),
        fc.constant(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81])),
        fc.constant(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])),
        fc.constant(Buffer.alloc(0)),
      ),
    })
    .map(({ path, q, ct, body }): FuzzRequest => {
      const post = path === 'challenge' || path === 'upload' || path === 'idcard'
      return {
        family: 'capture' as const,
        method: post ? ('POST' as const) : ('GET' as const),
        url: `/capture/api/${path}${q}`,
        headers: post && ct ? { 'content-type': ct } : {},
        ...(post && { body }),
      }
    })
}

function management(t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const params = {
    appId: fc.constant(t.appId),
    limit: fc.integer({ min: -2, max: 600 }),
    offset: fc.integer({ min: -2, max: 1e6 }),
    from: fc.constantFrom('2026-01-01', '2026-13-45', '2026-01-01T00:00:00Z'),
    action: fc.constantFrom('rule', 'rule.update', 'console.login', 'x%', 'Rule'),
    to: fc.constantFrom('2026-12-31', 'tomorrow'),
    state: fc.constantFrom('finished', 'created', 'x'),
    family: fc.constantFrom('h5', 'sdk'),
    orderNo: fc.constant('o1'),
  }
  const auth = fc.oneof(
    { weight: 8, arbitrary: fc.constant({ authorization: `Bearer ${t.adminToken}` }) },
    { weight: 1, arbitrary: fc.constant({ authorization: 'Bearer nope' }) },
    { weight: 1, arbitrary: fc.constant({} as Record<string, string>) },
  )
  const get = fc
    .tuple(
      fc.constantFrom(
        '/v1/apps',
        '/v1/rules',
        '/v1/verifications',
        '/v1/usage',
        '/v1/codes',
        '/v1/registry',
        '/v1/audit',
        `/v1/rules/${encodeURIComponent(t.ruleId)}`,
        `/v1/rules/${encodeURIComponent(t.ruleId)}/versions`,
        '/v1/rules/%00/versions',
        '/v1/persons/per_01jf0000000000000000000000/export',
        '/v1/persons/%00/export',
        '/v1/nope',
      ),
      query(params),
      auth,
    )
    .map(([p, q, a]) => ({ family: 'management' as const, method: 'GET' as const, url: p + q, headers: a }))
  const write = fc
    .tuple(
      fc.constantFrom<['POST' | 'PATCH' | 'DELETE', string]>(
        ['POST', '/v1/apps'],
        ['POST', '/v1/rules'],
        ['PATCH', `/v1/apps/${encodeURIComponent(t.appId)}`],
        ['PATCH', '/v1/apps/%00'],
        ['POST', '/v1/registry'],
        ['PATCH', `/v1/rules/${encodeURIComponent(t.ruleId)}`],
        ['PATCH', '/v1/rules/NOSUCHRULE00'],
        ['POST', '/v1/persons/export'],
        ['POST', '/v1/persons/erase'],
        ['DELETE', '/v1/persons/per_01jf0000000000000000000000'],
      ),
      jsonBody({
        name: fc.constant('fuzz'),
        appId: fc.constant(t.appId),
        liveness: fc.constantFrom('silent', 'action'),
        compareSource: fc.constantFrom('none', 'photo'),
        threshold: fc.integer({ min: -1, max: 101 }),
        maxAttempts: fc.integer({ min: 0, max: 20 }),
        enabled: fc.boolean(),
        dailyLimitPerPerson: fc.integer({ min: -1, max: 10 }),
        retentionDays: fc.oneof(fc.integer({ min: -1, max: 400 }), fc.constant(null)),
        idNumber: fc.constant('11010519491231002X'),
        photo: fc.constantFrom('AAAA', '***'),
      }),
      contentType,
      auth,
    )
    .map(([[m, p], body, ct, a]): FuzzRequest => ({
      family: 'management' as const,
      method: m,
      url: p,
      headers: { ...a, ...(ct && { 'content-type': ct }) },
      body,
    }))
  return fc.oneof({ weight: 3, arbitrary: get }, { weight: 1, arbitrary: write })
}

function consoleApi(t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const session = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ cookie: `shiren_console=${t.consoleCookie}`, 'x-shiren-console': '1' }) },
    { weight: 1, arbitrary: junkString.map((c) => ({ cookie: `shiren_console=${enc(c)}`, 'x-shiren-console': '1' })) },
    { weight: 1, arbitrary: fc.constant({} as Record<string, string>) },
  )
  const get = fc
    .tuple(
      fc.constantFrom(
        '/console/api/me',
        '/console/api/far',
        '/console/api/usage',
        '/console/api/verifications/',
        '/console/api/verifications/x/best-frame',
        '/console/api/verifications/x/video',
      ),
      junkString,
      query({
        from: fc.constant('2026-01-01'),
        to: fc.constant('2026-12-31'),
        appId: fc.constant(t.appId),
        seq: fc.integer({ min: -1, max: 5 }),
      }),
      session,
    )
    .map(([p, id, q, h]): FuzzRequest => ({
      family: 'console' as const,
      method: 'GET' as const,
      url: (p.endsWith('/') ? p + enc(id || 'x') : p.replace('/x/', `/${enc(id || 'x')}/`)) + q,
      headers: h,
    }))
  const login = fc.tuple(jsonBody({ password: junkString }), contentType).map(([body, ct]): FuzzRequest => ({
    family: 'console' as const,
    method: 'POST' as const,
    url: '/console/api/login',
    headers: ct ? { 'content-type': ct } : {},
    body,
  }))
  return fc.oneof({ weight: 4, arbitrary: get }, { weight: 1, arbitrary: login })
}

export function fuzzRequests(family: FuzzFamily, t: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  return { h5, sdk, capture, management, console: consoleApi }[family](t)
}

// ---- sending and judging ----

/** TC3-HMAC-SHA256 headers for a body, as the official SDKs compute them */
export function tc3Headers(
  host: string,
  action: string,
  secretId: string,
  secretKey: string,
  body: Buffer,
  bad = false,
) {
  const ts = Math.floor(Date.now() / 1000)
  const date = new Date(ts * 1000).toISOString().slice(0, 10)
  const ct = 'application/json; charset=utf-8'
  const payloadHash = createHash('sha256').update(body).digest('hex')
  const canonical = ['POST', '/', '', `content-type:${ct}\nhost:${host}\n`, 'content-type;host', payloadHash].join('\n')
  const scope = `${date}/faceid/tc3_request`
  const sts = ['TC3-HMAC-SHA256', String(ts), scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  const h = (k: string | Buffer, m: string) => createHmac('sha256', k).update(m).digest()
  const sig = createHmac('sha256', h(h(h(`TC3${secretKey}`, date), 'faceid'), 'tc3_request'))
    .update(sts)
    .digest('hex')
  return {
    'content-type': ct,
    'x-tc-action': action,
    'x-tc-version': '2018-03-01',
    'x-tc-timestamp': String(ts),
    authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${bad ? sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sig}`,
  }
}

/** the headers a request is sent with, signed for `host` where it is an h5 request */
export function headersFor(r: FuzzRequest, host: string): Record<string, string> {
  if (!r.sign) return r.headers
  const { action, secretId, secretKey, badSignature } = r.sign
  return {
    ...r.headers,
    ...tc3Headers(host, action, secretId, secretKey, r.body ?? Buffer.alloc(0), badSignature),
    host,
  }
}

const INTERNAL =
  /invalid byte sequence|operator does not exist|invalid input syntax|SQLITE_|syntax error at|relation "|violates|at [\w.<>]+ \([^)]*:\d+:\d+\)|"stack"|\bTypeError\b|\bRangeError\b|\bSyntaxError\b|Error: |ECONNREFUSED|node_modules/

/** null when the answer is acceptable; else what is wrong with it */
export function answerProblem(r: FuzzRequest, a: FuzzAnswer): string | null {
  if (a.status >= 500) return `HTTP ${a.status}: ${a.body.slice(0, 300)}`
  const m = INTERNAL.exec(a.body)
  if (m) return `internal detail "${m[0]}" in: ${a.body.slice(0, 300)}`
  if (r.family === 'h5') {
    if (a.status !== 200) return `h5 answered HTTP ${a.status}`
    try {
      const j = JSON.parse(a.body) as { Response?: { RequestId?: string; Error?: { Code?: string } } }
      if (!j.Response?.RequestId) return 'h5 answer without Response.RequestId'
      if (j.Response.Error?.Code === 'InternalError') return 'h5 InternalError'
    } catch {
      return 'h5 answer is not JSON'
    }
  }
  if (r.family === 'sdk' && a.body.startsWith('{')) {
    try {
      if ((JSON.parse(a.body) as { code?: string }).code === '-1105') return 'sdk -1105 (server processing failed)'
    } catch {
      return 'sdk answer is not JSON'
    }
  }
  return null
}

/** Sends one request over a real socket (keep-alive agent). */
export function sendHttp(base: string, r: FuzzRequest, agent: Agent): Promise<FuzzAnswer & { ms: number }> {
  const u = new URL(base)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const headers = headersFor(r, u.host)
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: r.method,
        path: r.url,
        agent,
        headers: { ...headers, ...(r.body && { 'content-length': String(r.body.length) }) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}
