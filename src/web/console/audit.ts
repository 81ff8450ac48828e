import { h } from '../shared/i18n.js'
import type { ConsoleKit } from './kit.js'
import type { CKey } from './texts.js'

/**
 * The audit log (#/audit): operator actions newest first, from GET /v1/audit, filtered by day and
 * by action family. The entries hold no personal data (the server masks and omits it).
 */

const FAMILIES: Array<[string, CKey]> = [
  ['', 'auAll'],
  ['rule', 'auRule'],
  ['app', 'auApp'],
  ['webhook', 'auWebhook'],
  ['console', 'auConsole'],
  ['person', 'auPerson'],
  ['registry', 'auRegistry'],
]

/** a value as short text: lists joined, objects as `key value` pairs */
function flat(v: unknown): string {
  if (Array.isArray(v)) return v.map(flat).join(', ')
  if (v && typeof v === 'object')
    return Object.entries(v)
      .map(([k, x]) => `${k} ${flat(x)}`)
      .join(', ')
  return String(v)
}

/** details as short `key value` text; a rule change as `setting: from → to` */
function describe(details: Record<string, unknown>): string {
  const parts: string[] = []
  for (const [key, v] of Object.entries(details)) {
    if (key === 'changes' && Array.isArray(v)) {
      for (const c of v as Array<{ setting: string; from: unknown; to: unknown }>)
        parts.push(`${c.setting}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    } else parts.push(`${key} ${flat(v)}`)
  }
  return parts.join(' · ')
}

export async function auditPage(k: ConsoleKit, params = new URLSearchParams()): Promise<void> {
  const from = k.input('au-from', { type: 'date', value: params.get('from') ?? '' })
  const to = k.input('au-to', { type: 'date', value: params.get('to') ?? '' })
  const family = k.select(
    'au-action',
    FAMILIES.map(([v, l]) => [v, k.t(l)]),
    params.get('action') ?? '',
  )
  const q = new URLSearchParams({ limit: '200' })
  for (const [name, el] of [
    ['from', from],
    ['to', to],
    ['action', family],
  ] as const)
    if (el.value) q.set(name, el.value)
  const rows = await k.api<any[]>('GET', `/v1/audit?${q}`)
  const form = h(
    'form',
    { class: 'card search', id: 'audit-form' },
    k.field(k.t('from'), from),
    k.field(k.t('to'), to),
    k.field(k.t('auAction'), family),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'audit-show' }, k.t('show')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const p = new URLSearchParams()
    if (from.value) p.set('from', from.value)
    if (to.value) p.set('to', to.value)
    if (family.value) p.set('action', family.value)
    location.hash = `#/audit?${p}`
  })
  k.page(
    k.t('audit'),
    h('p', { class: 'muted' }, k.t('auHint')),
    form,
    k.table(
      [k.t('auWhen'), k.t('auActor'), k.t('auSource'), k.t('auAction'), k.t('auSubject'), k.t('auDetails')],
      rows.map((r) => [
        k.fmtTime(r.at),
        r.actor,
        r.source ?? '—',
        h('code', {}, r.action),
        r.subject ?? '—',
        h('span', { class: 'au-details' }, describe(r.details ?? {})),
      ]),
      { id: 'audit' },
    ),
  )
  k.setRedraw(() => void k.guarded(() => auditPage(k, params)))
}
