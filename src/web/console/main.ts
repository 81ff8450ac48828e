import { h, initialLang, pick, saveLang, type Bi, type Lang } from '../shared/i18n.js'
import { C, type CKey } from './texts.js'
import type { ConsoleKit } from './kit.js'
import { ruleEditorPage } from './rules.js'
import { auditPage } from './audit.js'
import { webhooksPage } from './webhooks.js'
import { replayPage } from './replay.js'
import { retentionCell } from './retention.js'
import { jobsPage } from './jobs.js'
import { lightSignalsCard } from './light.js'

/**
 * The operator console: apps, rules, verifications, identity registry, usage. It calls the
 * management API (/v1/…) and its own /console/api/… with the session cookie and the console header.
 */

const root = document.getElementById('app')!
const nav = document.getElementById('nav')!
const langBtn = document.getElementById('lang') as HTMLButtonElement
let lang: Lang = initialLang()
let redraw: () => void = () => {}

const t = (k: CKey, vars: Record<string, string | number> = {}) => {
  let s = C[k][lang]
  for (const [a, b] of Object.entries(vars)) s = s.replace(`{${a}}`, String(b))
  return s
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  document.title = `${t('console')} · shiren`
  langBtn.textContent = lang === 'zh' ? 'English' : '中文'
  const brand = document.querySelector('.brand')
  if (brand) brand.textContent = `shiren · ${t('console')}`
}
langBtn.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  saveLang(lang)
  applyLang()
  navigate()
})
applyLang()

// ---------- API ----------

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function api<R = any>(method: string, path: string, body?: unknown): Promise<R> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { 'x-shiren-console': '1', ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  if (res.status === 401 && !path.endsWith('/login')) {
    loginScreen()
    throw new ApiError(401, t('loginRequired'))
  }
  const text = await res.text()
  const json = text ? JSON.parse(text) : null
  if (!res.ok) throw new ApiError(res.status, json?.error?.message ?? `HTTP ${res.status}`)
  return json as R
}

async function blobUrl(path: string): Promise<string | null> {
  const res = await fetch(path, { headers: { 'x-shiren-console': '1' }, credentials: 'same-origin' })
  if (!res.ok) return null
  return URL.createObjectURL(await res.blob())
}

// ---------- helpers ----------

function btn(label: string, onClick: () => void, kind = 'primary', id?: string) {
  const b = h('button', { type: 'button', class: `cbtn ${kind}`, ...(id && { id }) }, label)
  b.addEventListener('click', onClick)
  return b
}

function field(label: string, input: HTMLElement, hint?: string) {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null)
}

function input(name: string, attrs: Record<string, string> = {}) {
  return h('input', { name, id: `f-${name}`, ...attrs }) as HTMLInputElement
}

function select(name: string, options: Array<[string, string]>, value?: string) {
  const s = h('select', { name, id: `f-${name}` }) as HTMLSelectElement
  for (const [v, l] of options) {
    const o = h('option', { value: v }, l)
    if (v === value) o.selected = true
    s.append(o)
  }
  return s
}

function table(
  head: string[],
  rows: Array<Array<Node | string>>,
  opts: { id?: string; onRow?: (i: number) => void } = {},
) {
  const tb = h('tbody')
  rows.forEach((r, i) => {
    const tr = h('tr', opts.onRow ? { class: 'click', tabindex: '0' } : {}, ...r.map((c) => h('td', {}, c)))
    if (opts.onRow) {
      tr.addEventListener('click', () => opts.onRow!(i))
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') opts.onRow!(i)
      })
    }
    tb.append(tr)
  })
  if (!rows.length) tb.append(h('tr', {}, h('td', { colspan: String(head.length), class: 'empty' }, t('none'))))
  return h(
    'div',
    { class: 'tablewrap' },
    h(
      'table',
      { ...(opts.id && { id: opts.id }) },
      h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
      tb,
    ),
  )
}

function notice(text: string, kind: 'ok' | 'err' = 'ok', id = 'notice') {
  return h('p', { class: `notice ${kind}`, id, role: 'status' }, text)
}

function page(title: string, ...children: Array<Node | null>) {
  root.replaceChildren(h('h1', {}, title), ...children.filter((c): c is Node => c !== null))
}

async function guarded(fn: () => Promise<void>) {
  try {
    await fn()
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return
    root.append(notice((e as Error).message, 'err', 'error'))
  }
}

const fmtTime = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) : '—'
const today = () => new Date().toISOString().slice(0, 10)
const daysAgo = (n: number) => new Date(Date.now() - n * 86400_000).toISOString().slice(0, 10)

// ---------- login ----------

function loginScreen() {
  nav.replaceChildren()
  const pw = input('password', { type: 'password', autocomplete: 'current-password', required: 'true' })
  const msg = h('p', { class: 'notice err', id: 'login-error', hidden: true })
  const form = h(
    'form',
    { class: 'card login', id: 'login' },
    h('h1', {}, t('login')),
    field(t('password'), pw, t('passwordHint')),
    msg,
    h('button', { type: 'submit', class: 'cbtn primary', id: 'login-submit' }, t('loginBtn')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void api('POST', '/console/api/login', { password: pw.value })
      .then(() => {
        location.hash = '#/verifications'
        navigate()
      })
      .catch((err: Error) => {
        msg.hidden = false
        msg.textContent = err.message
      })
  })
  root.replaceChildren(form)
  redraw = loginScreen
  pw.focus()
}

const SECTIONS: Array<[string, CKey]> = [
  ['apps', 'apps'],
  ['rules', 'rules'],
  ['verifications', 'verifications'],
  ['registry', 'registry'],
  ['usage', 'usage'],
  ['webhooks', 'webhooks'],
  ['audit', 'audit'],
  ['replay', 'replay'],
  ['jobs', 'jobs'],
]

function drawNav(active: string) {
  nav.replaceChildren(
    ...SECTIONS.map(([k, label]) =>
      h('a', { href: `#/${k}`, class: k === active ? 'on' : '', id: `nav-${k}` }, t(label)),
    ),
    btn(t('logout'), () => void api('POST', '/console/api/logout').then(loginScreen), 'link', 'logout'),
  )
}

// ---------- apps ----------

const SERVICES = ['h5', 'sdk', 'action', 'digital', 'silent', 'light']

async function appsPage() {
  const apps = await api<any[]>('GET', '/v1/apps')
  const name = input('name', { required: 'true', maxlength: '128' })
  const svc = h(
    'div',
    { class: 'checks' },
    ...SERVICES.map((s) =>
      h('label', {}, h('input', { type: 'checkbox', name: 'svc', value: s, checked: true }), ` ${s}`),
    ),
  )
  const daily = input('daily', { type: 'number', min: '0', value: '0' })
  const conc = input('concurrency', { type: 'number', min: '0', value: '0' })
  const out = h('div', { id: 'app-out' })
  const form = h(
    'form',
    { class: 'card form', id: 'app-form' },
    h('h2', {}, t('createApp')),
    h(
      'div',
      { class: 'grid' },
      field(t('name'), name),
      field(t('dailyLimit'), daily, t('zeroUnlimited')),
      field(t('concurrency'), conc, t('zeroUnlimited')),
    ),
    field(t('services'), svc),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'app-create' }, t('create')),
    out,
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const services = [...svc.querySelectorAll('input:checked')].map((x) => (x as HTMLInputElement).value)
    void guarded(async () => {
      const r = await api('POST', '/v1/apps', {
        name: name.value,
        services,
        dailyLimitPerPerson: Number(daily.value),
        concurrencyLimit: Number(conc.value),
      })
      await appsPage()
      root.append(secretBox(r.app.appId, r.secret))
    })
  })
  page(
    t('apps'),
    table(
      [t('appId'), t('name'), t('services'), t('dailyLimit'), t('concurrency'), t('retention'), t('status'), ''],
      apps.map((a) => [
        h('code', {}, a.appId),
        a.name,
        a.services.join(' '),
        String(a.dailyLimitPerPerson || '∞'),
        String(a.concurrencyLimit || '∞'),
        retentionCell(a, { api, t, guarded, saved: appsPage }),
        a.enabled ? t('enabled') : t('disabled'),
        h(
          'span',
          { class: 'rowbtns' },
          btn(
            t('rotate'),
            () => {
              if (!confirm(t('rotateConfirm'))) return
              void guarded(async () => {
                const r = await api('POST', `/v1/apps/${a.appId}/rotate-secret`)
                await appsPage()
                root.append(secretBox(a.appId, r.secret))
              })
            },
            'small',
          ),
          btn(
            a.enabled ? t('disable') : t('enable'),
            () =>
              void guarded(async () => {
                await api('PATCH', `/v1/apps/${a.appId}`, { enabled: !a.enabled })
                await appsPage()
              }),
            'small',
          ),
        ),
      ]),
      { id: 'apps' },
    ),
    form,
  )
  redraw = () => void guarded(appsPage)
}

function secretBox(appId: string, secret: string) {
  return h(
    'div',
    { class: 'card secret', id: 'secret' },
    h('h2', {}, t('secretOnce')),
    h('p', {}, `AppID `, h('code', {}, appId)),
    h('p', {}, `Secret `, h('code', { id: 'secret-value' }, secret)),
  )
}

// ---------- rules ----------

const idcardLabel = (step: string) =>
  step === 'front' ? t('idcardFront') : step === 'both' ? t('idcardBoth') : t('idcardNone')

async function rulesPage() {
  const [apps, rules, far] = await Promise.all([
    api<any[]>('GET', '/v1/apps'),
    api<any[]>('GET', '/v1/rules'),
    api('GET', '/console/api/far'),
  ])
  const anchors = far.anchors as Array<{ far: number; score: number }>
  const farOf = (th: number) => {
    // the calibrated scale is linear between anchors; quote the rate of the nearest anchor at or below
    const a = [...anchors].reverse().find((x) => th >= x.score)
    return a ? `≤ ${(a.far * 100).toPrecision(2).replace(/\.?0+$/, '')} %` : '> 50 %'
  }
  const appSel = select(
    'app',
    apps.map((a) => [a.appId, `${a.name} (${a.appId})`]),
  )
  const liveness = select('liveness', [
    ['silent', t('silent')],
    ['action', t('action')],
    ['digital', t('digital')],
    ['light', t('light')],
  ])
  const compare = select('compare', [
    ['photo', t('comparePhoto')],
    ['registry', t('compareRegistry')],
    ['idcard', t('compareIdcard')],
    ['none', t('compareNone')],
  ])
  // compare "idcard" needs a card step: the API answers 400 without one, shown like any error
  const idcardStep = select('idcardStep', [
    ['none', t('idcardNone')],
    ['front', t('idcardFront')],
    ['both', t('idcardBoth')],
  ])
  const threshold = input('threshold', { type: 'number', min: '0', max: '100', step: '1', value: '70' })
  const farHint = h('small', { id: 'far-hint' }, `FAR ${farOf(70)}`)
  threshold.addEventListener('input', () => {
    farHint.textContent = `FAR ${farOf(Number(threshold.value))}`
  })
  const attempts = input('attempts', { type: 'number', min: '1', max: '20', value: '3' })
  const ttl = input('ttl', { type: 'number', min: '60', max: '86400', value: '7200' })
  const actions = input('actions', { type: 'number', min: '1', max: '4', value: '2' })
  const form = h(
    'form',
    { class: 'card form', id: 'rule-form' },
    h('h2', {}, t('createRule')),
    h(
      'div',
      { class: 'grid' },
      field(t('app'), appSel),
      field(t('liveness'), liveness),
      field(t('compare'), compare),
      field(t('idcardStep'), idcardStep),
      h('label', { class: 'field' }, h('span', {}, t('threshold')), threshold, farHint),
      field(t('maxAttempts'), attempts),
      field(t('ttl'), ttl),
      field(t('actionCount'), actions),
    ),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'rule-create' }, t('create')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void guarded(async () => {
      const r = await api('POST', '/v1/rules', {
        appId: appSel.value,
        liveness: liveness.value,
        compare: compare.value,
        idcardStep: idcardStep.value,
        threshold: Number(threshold.value),
        maxAttempts: Number(attempts.value),
        tokenTtlS: Number(ttl.value),
        actionCount: Number(actions.value),
      })
      await rulesPage()
      root.append(notice(`${t('ruleCreated')} RuleId ${r.ruleId}`, 'ok', 'rule-created'))
    })
  })
  const farTable = h(
    'div',
    { class: 'card' },
    h('h2', {}, t('farTitle')),
    h('p', { class: 'muted' }, t('farText', { n: far.impostorPairs, model: far.model })),
    table(
      [t('threshold'), 'FAR'],
      anchors.map((a) => [String(a.score), `${a.far * 100} %`]),
      { id: 'far' },
    ),
  )
  page(
    t('rules'),
    table(
      [
        'RuleId',
        t('app'),
        t('liveness'),
        t('compare'),
        t('idcardStep'),
        t('threshold'),
        'FAR',
        t('maxAttempts'),
        t('ttl'),
        t('rvVersion'),
      ],
      rules.map((r) => [
        h('code', {}, r.ruleId),
        r.appId,
        t(r.liveness as CKey),
        r.compareSource,
        idcardLabel(r.idcardStep),
        String(r.threshold),
        farOf(r.threshold),
        String(r.maxAttempts),
        `${r.tokenTtlS} s`,
        h(
          'a',
          { href: `#/rules/${encodeURIComponent(r.ruleId)}`, class: 'cbtn small' },
          `v${r.version} · ${t('rvEditBtn')}`,
        ),
      ]),
      { id: 'rules' },
    ),
    form,
    farTable,
  )
  redraw = () => void guarded(rulesPage)
}

// ---------- verifications ----------

async function verificationsPage(params = new URLSearchParams()) {
  const orderNo = input('orderNo', { value: params.get('orderNo') ?? '', placeholder: t('orderNo') })
  const code = input('code', { value: params.get('code') ?? '', inputmode: 'numeric', placeholder: t('code') })
  const from = input('from', { type: 'date', value: params.get('from') ?? '' })
  const to = input('to', { type: 'date', value: params.get('to') ?? '' })
  const q = new URLSearchParams({ limit: '100' })
  if (orderNo.value) q.set('orderNo', orderNo.value)
  if (code.value) q.set('code', code.value)
  if (from.value) q.set('from', `${from.value}T00:00:00.000Z`)
  if (to.value) q.set('to', `${to.value}T23:59:59.999Z`)
  const rows = await api<any[]>('GET', `/v1/verifications?${q}`)
  const form = h(
    'form',
    { class: 'card search', id: 'search' },
    field(t('orderNo'), orderNo),
    field(t('code'), code),
    field(t('from'), from),
    field(t('to'), to),
    h('button', { type: 'submit', class: 'cbtn primary' }, t('search')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const p = new URLSearchParams()
    for (const [k, el] of [
      ['orderNo', orderNo],
      ['code', code],
      ['from', from],
      ['to', to],
    ] as const)
      if (el.value) p.set(k, el.value)
    location.hash = `#/verifications?${p}`
  })
  page(
    t('verifications'),
    form,
    table(
      [t('created'), t('app'), t('family'), t('orderNo'), t('person'), t('state'), t('code'), t('similarity')],
      rows.map((v) => [
        fmtTime(v.createdAt),
        v.appId,
        v.family,
        v.orderNo ?? '—',
        [v.name, v.idNumber].filter(Boolean).join(' ') || '—',
        v.state,
        v.code === null
          ? '—'
          : h('span', { class: `pill ${v.code === 0 || v.reason === 'PASS' ? 'ok' : 'err'}` }, String(v.code)),
        v.similarity === null ? '—' : v.similarity.toFixed(2),
      ]),
      {
        id: 'verifications',
        onRow: (i) => {
          location.hash = `#/verifications/${rows[i].id}`
        },
      },
    ),
  )
  redraw = () => void guarded(() => verificationsPage(params))
}

async function verificationPage(id: string) {
  const v = await api('GET', `/console/api/verifications/${encodeURIComponent(id)}`)
  const img = h('img', { id: 'best-frame', alt: t('bestFrame'), class: 'frame' }) as HTMLImageElement
  const vid = h('video', { id: 'video', controls: true, playsinline: true, class: 'frame' }) as HTMLVideoElement
  const codeCell = (c: any) =>
    c ? `${c.code}${c.billable ? ` · ${t('billable')}` : ` · ${t('free')}`} · ${pick(c.message as Bi, lang)}` : '—'
  const signalRows = (sig: Record<string, unknown> | null) =>
    Object.entries(sig ?? {}).map(([k, val]) => [
      h('code', {}, k),
      typeof val === 'number' ? String(Math.round(val * 1000) / 1000) : String(val),
    ])
  page(
    `${t('verification')} ${v.orderNo ?? v.id}`,
    h('p', {}, h('a', { href: '#/verifications' }, `← ${t('verifications')}`)),
    h(
      'div',
      { class: 'detail' },
      h(
        'div',
        { class: 'card media' },
        h('h2', {}, t('bestFrame')),
        v.hasBestFrame ? img : h('p', { class: 'muted' }, t('noMedia')),
        h('h2', {}, t('video')),
        v.hasVideo ? vid : h('p', { class: 'muted' }, t('noMedia')),
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, t('verdict')),
        h(
          'dl',
          { class: 'kv', id: 'verdict' },
          h('dt', {}, t('reason')),
          h('dd', { id: 'reason' }, v.reason ?? t('inProgress')),
          h('dt', {}, 'h5'),
          h('dd', { id: 'code-h5' }, codeCell(v.codes?.h5)),
          h('dt', {}, 'sdk'),
          h('dd', { id: 'code-sdk' }, codeCell(v.codes?.sdk)),
          h('dt', {}, t('similarity')),
          h(
            'dd',
            { id: 'sim' },
            v.similarity === null ? '—' : `${v.similarity.toFixed(2)} (${t('threshold')} ${v.threshold})`,
          ),
          h('dt', {}, t('rule')),
          h(
            'dd',
            { id: 'rule-version' },
            h('a', { href: `#/rules/${encodeURIComponent(v.ruleId)}` }, `${v.ruleId} v${v.ruleVersion}`),
            ` · ${v.liveness} · ${v.compareSource}`,
          ),
          h('dt', {}, t('family')),
          h('dd', {}, v.family),
          h('dt', {}, t('person')),
          h('dd', {}, [v.name, v.idNumber].filter(Boolean).join(' ') || '—'),
          h('dt', {}, t('attempts')),
          h('dd', {}, `${v.attemptsUsed} / ${v.maxAttempts}`),
          h('dt', {}, t('created')),
          h('dd', {}, fmtTime(v.createdAt)),
          h('dt', {}, t('finished')),
          h('dd', {}, fmtTime(v.finishedAt)),
        ),
        h('p', { class: 'muted' }, t('reasonExplain')),
      ),
    ),
    ...(v.attempts as any[]).map((a) =>
      h(
        'div',
        { class: 'card' },
        h(
          'h2',
          {},
          `${t('attempt')} ${a.seq} · ${a.reason ?? a.state} · h5 ${a.codes?.h5?.code ?? '—'} / sdk ${a.codes?.sdk?.code ?? '—'}`,
        ),
        lightSignalsCard(a.signals, a.seq, t),
        table([t('signal'), t('value')], signalRows(a.signals), { id: `signals-${a.seq}` }),
      ),
    ),
  )
  if (v.hasBestFrame)
    void blobUrl(`/console/api/verifications/${v.id}/best-frame`).then((u) => {
      if (u) img.src = u
    })
  if (v.hasVideo)
    void blobUrl(`/console/api/verifications/${v.id}/video`).then((u) => {
      if (u) vid.src = u
    })
  redraw = () => void guarded(() => verificationPage(id))
}

// ---------- registry ----------

const toBase64 = (f: Blob) =>
  new Promise<string>((resolve, reject) => {
    const r = new FileReader()
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''))
    r.onerror = () => reject(r.error)
    r.readAsDataURL(f)
  })

async function registryPage() {
  const list = await api('GET', '/v1/registry?limit=200')
  const name = input('rname', { required: 'true', maxlength: '64' })
  const idn = input('ridNumber', { required: 'true', maxlength: '18', autocomplete: 'off' })
  const photo = input('rphoto', { type: 'file', accept: 'image/jpeg,image/png,image/webp' })
  const enroll = h(
    'form',
    { class: 'card form', id: 'enroll' },
    h('h2', {}, t('enroll')),
    h('div', { class: 'grid' }, field(t('name'), name), field(t('idNumber'), idn), field(t('photo'), photo)),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'enroll-submit' }, t('enroll')),
  )
  enroll.addEventListener('submit', (e) => {
    e.preventDefault()
    void guarded(async () => {
      const f = photo.files?.[0]
      const r = await api('POST', '/v1/registry', {
        name: name.value,
        idNumber: idn.value,
        ...(f && { photoBase64: await toBase64(f) }),
      })
      await registryPage()
      root.append(notice(t('enrolled'), 'ok', 'enrolled'))
      if (r.duplicateOf?.length)
        root.append(
          notice(
            t('duplicateAlert', {
              who: r.duplicateOf.map((d: any) => `${d.name} ${d.idNumber} (${d.score})`).join('; '),
            }),
            'err',
            'duplicate',
          ),
        )
    })
  })
  // bulk: photos named <name>_<id number>.jpg, as `shiren registry import <folder>` reads them
  const files = input('bulk', { type: 'file', multiple: 'true', accept: 'image/jpeg,image/png,image/webp' })
  const bar = h('div', { class: 'bar-fill' })
  const status = h('p', { class: 'muted', id: 'bulk-status' })
  const bulk = h(
    'form',
    { class: 'card form', id: 'bulk' },
    h('h2', {}, t('bulk')),
    h('p', { class: 'muted' }, t('bulkHint')),
    files,
    h('div', { class: 'progress' }, bar),
    status,
    h('button', { type: 'submit', class: 'cbtn primary', id: 'bulk-submit' }, t('import')),
  )
  bulk.addEventListener('submit', (e) => {
    e.preventDefault()
    const fs = [...(files.files ?? [])]
    void (async () => {
      let ok = 0
      const failed: string[] = []
      for (const [i, f] of fs.entries()) {
        const m = /^(.+)_([0-9]{17}[0-9Xx])\.[a-z]+$/.exec(f.name)
        try {
          if (!m) throw new Error(t('badName'))
          await api('POST', '/v1/registry', {
            name: m[1],
            idNumber: m[2]!.toUpperCase(),
            photoBase64: await toBase64(f),
          })
          ok++
        } catch (err) {
          failed.push(`${f.name}: ${(err as Error).message}`)
        }
        bar.style.width = `${((i + 1) / fs.length) * 100}%`
        status.textContent = t('bulkProgress', { done: i + 1, total: fs.length, ok, failed: failed.length })
      }
      if (failed.length) bulk.append(h('ul', { class: 'errors' }, ...failed.map((x) => h('li', {}, x))))
    })()
  })
  // find a face: the registry's 1:N search; names and ID numbers are shown masked
  const probe = input('sphoto', { type: 'file', accept: 'image/jpeg,image/png,image/webp', required: 'true' })
  const found = h('div', { id: 'search-results' })
  const search = h(
    'form',
    { class: 'card form', id: 'search' },
    h('h2', {}, t('faceSearch')),
    h('p', { class: 'muted' }, t('faceSearchHint')),
    field(t('photo'), probe),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'search-submit' }, t('search')),
    found,
  )
  search.addEventListener('submit', (e) => {
    e.preventDefault()
    void guarded(async () => {
      const f = probe.files?.[0]
      if (!f) return
      // the answer names each person, masked: the registry may hold far more people than the list above
      const r = await api('POST', '/v1/registry/search', { photoBase64: await toBase64(f), top: 5 })
      found.replaceChildren(
        r.matches.length
          ? table(
              [t('name'), t('idNumber'), t('score'), t('far')],
              r.matches.map((m: any) => [
                m.name,
                h('code', {}, m.idNumber),
                String(m.score),
                m.far >= 0.01 ? String(m.far) : m.far.toExponential(0),
              ]),
              { id: 'matches' },
            )
          : h('p', { class: 'muted' }, t('noMatches')),
      )
    })
  })
  const delId = input('delId', { maxlength: '18', autocomplete: 'off' })
  const del = h(
    'form',
    { class: 'card form', id: 'delete' },
    h('h2', {}, t('delete')),
    h('p', { class: 'muted' }, t('deleteHint')),
    field(t('idNumber'), delId),
    h('button', { type: 'submit', class: 'cbtn danger', id: 'delete-submit' }, t('delete')),
  )
  del.addEventListener('submit', (e) => {
    e.preventDefault()
    void guarded(async () => {
      const r = await api('POST', '/v1/registry/delete', { idNumber: delId.value })
      await registryPage()
      root.append(notice(r.deleted ? t('deleted') : t('notFound'), r.deleted ? 'ok' : 'err', 'deleted'))
    })
  })
  page(
    t('registry'),
    h('p', { class: 'muted' }, t('registryCount', { n: list.total })),
    table(
      [t('name'), t('idNumber'), t('photo'), t('created')],
      list.people.map((p: any) => [p.name, h('code', {}, p.idNumber), p.hasPhoto ? '✓' : '—', fmtTime(p.createdAt)]),
      { id: 'people' },
    ),
    h('div', { class: 'cols' }, enroll, bulk, del, search),
  )
  redraw = () => void guarded(registryPage)
}

// ---------- usage ----------

function barChart(days: Array<{ day: string; billable: number; free: number }>) {
  const NS = 'http://www.w3.org/2000/svg'
  const W = 720,
    H = 220,
    pad = 28
  const max = Math.max(1, ...days.map((d) => d.billable + d.free))
  const svg = document.createElementNS(NS, 'svg')
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  svg.setAttribute('class', 'chart')
  svg.setAttribute('id', 'usage-chart')
  svg.setAttribute('role', 'img')
  const el = (tag: string, a: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, tag)
    for (const [k, v] of Object.entries(a)) e.setAttribute(k, String(v))
    if (text) e.textContent = text
    svg.append(e)
    return e
  }
  const bw = (W - pad * 2) / Math.max(1, days.length)
  el('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, class: 'axis' })
  el('text', { x: pad - 4, y: pad + 4, class: 'tick', 'text-anchor': 'end' }, String(max))
  el('text', { x: pad - 4, y: H - pad, class: 'tick', 'text-anchor': 'end' }, '0')
  days.forEach((d, i) => {
    const x = pad + i * bw + bw * 0.15
    const hb = ((H - pad * 2) * d.billable) / max
    const hf = ((H - pad * 2) * d.free) / max
    if (hb)
      el('rect', { x, y: H - pad - hb, width: bw * 0.7, height: hb, class: 'billable', 'data-day': d.day }).append(
        Object.assign(document.createElementNS(NS, 'title'), { textContent: `${d.day}: ${d.billable}` }),
      )
    if (hf) el('rect', { x, y: H - pad - hb - hf, width: bw * 0.7, height: hf, class: 'free', 'data-day': d.day })
    if (days.length <= 14 || i % Math.ceil(days.length / 10) === 0)
      el('text', { x: x + bw * 0.35, y: H - pad + 14, class: 'tick', 'text-anchor': 'middle' }, d.day.slice(5))
  })
  return svg
}

async function usagePage(params = new URLSearchParams()) {
  const from = input('ufrom', { type: 'date', value: params.get('from') ?? daysAgo(13) })
  const to = input('uto', { type: 'date', value: params.get('to') ?? today() })
  const u = await api('GET', `/console/api/usage?from=${from.value}&to=${to.value}`)
  const form = h(
    'form',
    { class: 'card search', id: 'usage-form' },
    field(t('from'), from),
    field(t('to'), to),
    h('button', { type: 'submit', class: 'cbtn primary' }, t('show')),
    btn(
      t('csv'),
      () =>
        void (async () => {
          const url = await blobUrl(`/v1/usage?from=${from.value}&to=${to.value}&format=csv`)
          if (!url) return
          const a = h('a', { href: url, download: `usage-${from.value}-${to.value}.csv` })
          document.body.append(a)
          a.click()
          a.remove()
        })(),
      'secondary',
      'csv',
    ),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    location.hash = `#/usage?from=${from.value}&to=${to.value}`
  })
  page(
    t('usage'),
    form,
    h(
      'div',
      { class: 'totals' },
      h(
        'div',
        { class: 'card stat' },
        h('b', { id: 'total-billable' }, String(u.totals.billable)),
        h('span', {}, t('billable')),
      ),
      h('div', { class: 'card stat' }, h('b', { id: 'total-free' }, String(u.totals.free)), h('span', {}, t('free'))),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, t('perDay')),
      barChart(u.days),
      h(
        'p',
        { class: 'legend' },
        h('span', { class: 'sw billable' }),
        t('billable'),
        ' ',
        h('span', { class: 'sw free' }),
        t('free'),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, t('perCode')),
      table(
        [t('family'), t('code'), t('meaning'), t('billable'), t('free')],
        u.codes.map((c: any) => [c.family, String(c.code), pick(c.message, lang), String(c.billable), String(c.free)]),
        { id: 'usage-codes' },
      ),
    ),
  )
  redraw = () => void guarded(() => usagePage(params))
}

// ---------- views in their own files ----------

const kit: ConsoleKit = {
  root,
  api,
  t,
  lang: () => lang,
  btn,
  field,
  input,
  select,
  table,
  notice,
  page,
  guarded,
  fmtTime,
  setRedraw: (fn) => {
    redraw = fn
  },
}

// ---------- routing ----------

async function route() {
  const [path, qs] = (location.hash.replace(/^#\/?/, '') || 'verifications').split('?')
  const parts = (path ?? '').split('/')
  const section = parts[0] || 'verifications'
  try {
    await api('GET', '/console/api/me')
  } catch {
    return
  }
  drawNav(section)
  root.replaceChildren(h('p', { class: 'muted' }, t('loading')))
  const params = new URLSearchParams(qs ?? '')
  await guarded(async () => {
    if (section === 'apps') await appsPage()
    else if (section === 'rules' && parts[1]) await ruleEditorPage(kit, decodeURIComponent(parts[1]))
    else if (section === 'rules') await rulesPage()
    else if (section === 'audit') await auditPage(kit, params)
    else if (section === 'registry') await registryPage()
    else if (section === 'usage') await usagePage(params)
    else if (section === 'webhooks')
      await webhooksPage(
        { api, t, page, table, btn, field, input, select, notice, guarded, fmtTime, setRedraw: (f) => (redraw = f) },
        params,
      )
    else if (section === 'replay')
      await replayPage(
        { api, t, page, table, field, input, select, notice, guarded, fmtTime, setRedraw: (f) => (redraw = f) },
        params,
      )
    else if (section === 'jobs') await jobsPage({ api, t, btn, table, page, notice, guarded, fmtTime, root })
    else if (parts[1]) await verificationPage(decodeURIComponent(parts[1]))
    else await verificationsPage(params)
  })
  root.dataset.view = parts[1] ? (section === 'rules' ? 'rule' : 'verification') : section
}

// Routes run one after another and a route superseded while it waited is skipped: a slow page
// (usage under load) must not finish after the next click and draw over the page asked for last.
// The root is aria-busy from the moment a route is asked for until the last one asked for has drawn,
// so assistive technology (and the browser tests) know when the page is stable.
let routing: Promise<void> = Promise.resolve()
let wanted = 0
function navigate() {
  const n = ++wanted
  root.setAttribute('aria-busy', 'true')
  routing = routing
    .then(() => (n === wanted ? route() : undefined))
    .catch(() => {})
    .finally(() => {
      if (n === wanted) root.removeAttribute('aria-busy')
    })
}
window.addEventListener('hashchange', navigate)
navigate()
void redraw
