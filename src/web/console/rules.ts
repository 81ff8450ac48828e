import { h } from '../shared/i18n.js'
import type { ConsoleKit } from './kit.js'
import type { CKey } from './texts.js'

/**
 * The rule editor (#/rules/<ruleId>): the rule's settings in a form, saved with PATCH /v1/rules/{id}
 * (only what changed is sent; the server validates as at creation), and its version history, each
 * version with what it changed. A verification keeps the version it was created under, so an edit
 * here changes only verifications created after it.
 */

/** the settings the editor shows, in the order of the form; kinds say how a field is edited */
type Kind = 'text' | 'number' | 'choice' | 'boolean'
interface SettingField {
  key: string
  label: CKey
  kind: Kind
  attrs?: Record<string, string>
  choices?: Array<[string, CKey]>
}

const FIELDS: SettingField[] = [
  { key: 'name', label: 'rvName', kind: 'text', attrs: { maxlength: '128', required: 'true' } },
  {
    key: 'liveness',
    label: 'liveness',
    kind: 'choice',
    choices: [
      ['silent', 'silent'],
      ['action', 'action'],
      ['digital', 'digital'],
    ],
  },
  {
    key: 'compareSource',
    label: 'compare',
    kind: 'choice',
    choices: [
      ['photo', 'comparePhoto'],
      ['registry', 'compareRegistry'],
      ['idcard', 'compareIdcard'],
      ['none', 'compareNone'],
    ],
  },
  {
    key: 'idcardStep',
    label: 'idcardStep',
    kind: 'choice',
    choices: [
      ['none', 'idcardNone'],
      ['front', 'idcardFront'],
      ['both', 'idcardBoth'],
    ],
  },
  { key: 'threshold', label: 'threshold', kind: 'number', attrs: { min: '0', max: '100', step: 'any' } },
  { key: 'maxAttempts', label: 'maxAttempts', kind: 'number', attrs: { min: '1', max: '20', step: '1' } },
  { key: 'tokenTtlS', label: 'ttl', kind: 'number', attrs: { min: '60', max: '86400', step: '1' } },
  { key: 'actionCount', label: 'actionCount', kind: 'number', attrs: { min: '1', max: '4', step: '1' } },
  {
    key: 'duplicateAction',
    label: 'rvDuplicate',
    kind: 'choice',
    choices: [
      ['flag', 'rvDuplicateFlag'],
      ['fail', 'rvDuplicateFail'],
    ],
  },
  { key: 'enabled', label: 'enabled', kind: 'boolean' },
]

type Settings = Record<string, unknown>

const show = (k: ConsoleKit, f: SettingField | undefined, v: unknown): string => {
  if (typeof v === 'boolean') return v ? k.t('rvYes') : k.t('rvNo')
  const choice = f?.choices?.find(([c]) => c === v)
  return choice ? k.t(choice[1]) : String(v)
}

/** what a version changed against the one before it, one line per setting */
function changes(k: ConsoleKit, prev: Settings | null, cur: Settings): string[] {
  if (!prev) return [k.t('rvFirst')]
  const out: string[] = []
  const keys = new Set([...Object.keys(prev), ...Object.keys(cur)])
  for (const key of keys) {
    if (JSON.stringify(prev[key]) === JSON.stringify(cur[key])) continue
    const f = FIELDS.find((x) => x.key === key)
    out.push(`${f ? k.t(f.label) : key}: ${show(k, f, prev[key])} → ${show(k, f, cur[key])}`)
  }
  return out.length ? out : [k.t('rvNoChange')]
}

export async function ruleEditorPage(k: ConsoleKit, ruleId: string, saved?: number): Promise<void> {
  const id = encodeURIComponent(ruleId)
  const [rule, versions, far] = await Promise.all([
    k.api('GET', `/v1/rules/${id}`),
    k.api<any[]>('GET', `/v1/rules/${id}/versions`),
    k.api('GET', '/console/api/far'),
  ])
  const anchors = far.anchors as Array<{ far: number; score: number }>
  const farOf = (th: number) => {
    const a = [...anchors].reverse().find((x) => th >= x.score)
    return a ? `FAR ≤ ${(a.far * 100).toPrecision(2).replace(/\.?0+$/, '')} %` : 'FAR > 50 %'
  }

  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>()
  const fields = FIELDS.map((f) => {
    let el: HTMLInputElement | HTMLSelectElement
    if (f.kind === 'choice') {
      el = k.select(
        `rv-${f.key}`,
        f.choices!.map(([v, l]) => [v, k.t(l)]),
        String(rule[f.key]),
      )
    } else if (f.kind === 'boolean') {
      el = k.input(`rv-${f.key}`, { type: 'checkbox' })
      ;(el as HTMLInputElement).checked = Boolean(rule[f.key])
    } else {
      el = k.input(`rv-${f.key}`, { type: f.kind, ...f.attrs, value: String(rule[f.key] ?? '') })
    }
    inputs.set(f.key, el)
    if (f.key === 'threshold') {
      const hint = h('small', { id: 'rv-far' }, farOf(Number(rule.threshold)))
      el.addEventListener('input', () => {
        hint.textContent = farOf(Number(el.value))
      })
      return h('label', { class: 'field' }, h('span', {}, k.t(f.label)), el, hint)
    }
    return k.field(k.t(f.label), el)
  })

  const valueOf = (f: SettingField): unknown => {
    const el = inputs.get(f.key)!
    if (f.kind === 'boolean') return (el as HTMLInputElement).checked
    if (f.kind === 'number') return el.value === '' ? NaN : Number(el.value)
    return el.value
  }

  const form = h(
    'form',
    { class: 'card form', id: 'rule-edit' },
    h('h2', {}, k.t('rvEdit', { v: rule.version })),
    h('p', { class: 'muted' }, k.t('rvEditHint')),
    h('div', { class: 'grid' }, ...fields),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'rule-save' }, k.t('rvSave')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const patch: Settings = {}
    for (const f of FIELDS) {
      const v = valueOf(f)
      if (JSON.stringify(v) !== JSON.stringify(rule[f.key])) patch[f.key] = v
    }
    if (!Object.keys(patch).length) {
      k.root.append(k.notice(k.t('rvNothing'), 'err', 'error'))
      return
    }
    void k.guarded(async () => {
      // NaN from an emptied number field travels as null: the server refuses it with its message
      const r = await k.api('PATCH', `/v1/rules/${id}`, patch)
      await ruleEditorPage(k, ruleId, r.version)
    })
  })

  // oldest first to compute each version's changes, shown newest first
  const ordered = [...versions].sort((a, b) => a.version - b.version)
  const rows = ordered
    .map((v, i) => ({ v, lines: changes(k, i ? ordered[i - 1].settings : null, v.settings) }))
    .reverse()
    .map(({ v, lines }) => [
      h('b', {}, `v${v.version}${v.version === rule.version ? ` · ${k.t('rvCurrent')}` : ''}`),
      k.fmtTime(v.createdAt),
      v.createdBy,
      h('span', { class: 'rv-changes' }, ...lines.flatMap((l, j) => (j ? [h('br'), l] : [l]))),
      `${v.settings.threshold} · ${show(k, FIELDS[1], v.settings.liveness)}`,
    ])

  k.page(
    `${k.t('rule')} ${rule.name}`,
    h('p', {}, h('a', { href: '#/rules' }, `← ${k.t('rules')}`)),
    h(
      'p',
      { class: 'muted', id: 'rv-summary' },
      `RuleId `,
      h('code', {}, rule.ruleId),
      ` · ${k.t('app')} ${rule.appId} · ${k.t('rvVersion')} `,
      h('b', { id: 'rv-version' }, `v${rule.version}`),
      ` · ${k.fmtTime(rule.updatedAt)}`,
    ),
    saved ? k.notice(k.t('rvSaved', { v: saved }), 'ok', 'rule-saved') : null,
    form,
    h(
      'div',
      { class: 'card' },
      h('h2', {}, k.t('rvHistory')),
      h('p', { class: 'muted' }, k.t('rvHistoryHint')),
      k.table(
        [k.t('rvVersion'), k.t('rvWhen'), k.t('rvBy'), k.t('rvChanges'), `${k.t('threshold')} · ${k.t('liveness')}`],
        rows,
        { id: 'rule-versions' },
      ),
    ),
  )
  k.setRedraw(() => void k.guarded(() => ruleEditorPage(k, ruleId)))
}
