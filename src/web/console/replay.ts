import { h } from '../shared/i18n.js'
import type { ConsoleKit } from './kit.js'

/**
 * The console's what-if replay: pick a rule, change some of its settings, and see which stored
 * verifications would flip (pass → fail, fail → pass, another code), with the counts, each one's old
 * and new code and similarity, and those whose media are purged (not replayable). It calls
 * POST /v1/rules/{id}/replay, which writes nothing. main.ts hands over its helpers.
 */
/** the helpers of main.ts this view uses (src/web/console/kit.ts) */
export type ReplayPageUi = Pick<
  ConsoleKit,
  'api' | 't' | 'page' | 'table' | 'field' | 'input' | 'select' | 'notice' | 'guarded' | 'fmtTime' | 'setRedraw'
>

interface Rule {
  ruleId: string
  appId: string
  name: string
  liveness: string
  threshold: number
  maxAttempts: number
  actionCount: number
  duplicateAction: string
}

interface Judgement {
  reason: string
  code: number
  similarity: number | null
}

interface Report {
  changed: string[]
  reanalysed: boolean
  current: Record<string, string | number>
  replayed: Record<string, string | number>
  counts: Record<'verifications' | 'passToFail' | 'failToPass' | 'codeChanged' | 'unchanged' | 'notReplayable', number>
  verifications: Array<{
    id: string
    token: string
    orderNo: string | null
    createdAt: string
    old: Judgement
    new: Judgement | null
    flip: 'pass-to-fail' | 'fail-to-pass' | 'code-changed' | null
    notReplayable: string | null
  }>
}

const sim = (x: number | null) => (x === null ? '—' : x.toFixed(2))

export async function replayPage(ui: ReplayPageUi, params: URLSearchParams): Promise<void> {
  const { api, t } = ui
  const rules = await api<Rule[]>('GET', '/v1/rules')
  ui.setRedraw(() => void ui.guarded(() => replayPage(ui, params)))
  if (!rules.length) {
    ui.page(t('replay'), ui.notice(t('rpNoRules'), 'ok', 'rp-empty'))
    return
  }
  const ruleSel = ui.select(
    'rp-rule',
    rules.map((r) => [r.ruleId, `${r.name} (${r.ruleId})`]),
    params.get('rule') ?? rules[0]!.ruleId,
  )
  const threshold = ui.input('rp-threshold', { type: 'number', min: '0', max: '100', step: '0.01' })
  const liveness = ui.select('rp-liveness', [
    ['action', t('rpAction')],
    ['silent', t('rpSilent')],
    ['digital', t('rpDigital')],
  ])
  const actionCount = ui.input('rp-actions', { type: 'number', min: '1', max: '4' })
  const maxAttempts = ui.input('rp-attempts', { type: 'number', min: '1', max: '20' })
  const duplicate = ui.select('rp-duplicate', [
    ['flag', 'flag'],
    ['fail', 'fail'],
  ])
  const from = ui.input('rp-from', { type: 'date' })
  const to = ui.input('rp-to', { type: 'date' })
  const fill = () => {
    const r = rules.find((x) => x.ruleId === ruleSel.value)!
    threshold.value = String(r.threshold)
    liveness.value = r.liveness
    actionCount.value = String(r.actionCount)
    maxAttempts.value = String(r.maxAttempts)
    duplicate.value = r.duplicateAction
  }
  fill()
  ruleSel.addEventListener('change', fill)
  const out = h('div', { id: 'rp-out' })
  const form = h(
    'form',
    { class: 'card form', id: 'rp-form' },
    h('h2', {}, t('rpWhatIf')),
    h('p', { class: 'muted' }, t('rpHint')),
    h(
      'div',
      { class: 'grid' },
      ui.field(t('rule'), ruleSel),
      ui.field(t('threshold'), threshold),
      ui.field(t('rpLiveness'), liveness, t('rpLivenessHint')),
      ui.field(t('rpActionCount'), actionCount),
      ui.field(t('rpMaxAttempts'), maxAttempts),
      ui.field(t('rpDuplicate'), duplicate),
      ui.field(t('from'), from),
      ui.field(t('to'), to),
    ),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'rp-run' }, t('rpRun')),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void ui.guarded(async () => {
      const r = rules.find((x) => x.ruleId === ruleSel.value)!
      // only what differs from the rule as stored
      const set: Record<string, string | number> = {}
      if (Number(threshold.value) !== r.threshold) set.threshold = Number(threshold.value)
      if (liveness.value !== r.liveness) set.liveness = liveness.value
      if (Number(actionCount.value) !== r.actionCount) set.actionCount = Number(actionCount.value)
      if (Number(maxAttempts.value) !== r.maxAttempts) set.maxAttempts = Number(maxAttempts.value)
      if (duplicate.value !== r.duplicateAction) set.duplicateAction = duplicate.value
      out.replaceChildren(h('p', { class: 'muted', id: 'rp-running' }, t('rpRunning')))
      try {
        const report = await api<Report>('POST', `/v1/rules/${encodeURIComponent(r.ruleId)}/replay`, {
          set,
          ...(from.value && { from: from.value }),
          ...(to.value && { to: to.value }),
        })
        out.replaceChildren(diff(ui, report))
      } catch (err) {
        out.replaceChildren(ui.notice((err as Error).message, 'err', 'rp-error'))
      }
    })
  })
  ui.page(t('replay'), form, out)
}

function diff(ui: ReplayPageUi, r: Report): HTMLElement {
  const { t } = ui
  const c = r.counts
  const flipLabel = (f: string) =>
    f === 'pass-to-fail' ? t('rpPassToFail') : f === 'fail-to-pass' ? t('rpFailToPass') : t('rpCodeChanged')
  const stat = (label: string, n: number, kind: string, id: string) =>
    h('div', { class: `rp-stat ${kind}`, id }, h('strong', {}, String(n)), h('span', {}, label))
  const flipped = r.verifications.filter((v) => v.flip)
  const gone = r.verifications.filter((v) => v.notReplayable)
  const who = (v: Report['verifications'][number]) =>
    h('span', {}, h('code', {}, v.orderNo ?? v.token), h('br'), h('small', { class: 'muted' }, ui.fmtTime(v.createdAt)))
  return h(
    'div',
    { class: 'card', id: 'rp-diff' },
    h('h2', {}, t('rpResult')),
    h(
      'p',
      { class: 'muted', id: 'rp-change' },
      r.changed.length
        ? r.changed.map((k) => `${k}: ${String(r.current[k])} → ${String(r.replayed[k])}`).join(' · ')
        : t('rpNoChange'),
      r.reanalysed ? ` · ${t('rpReanalysed')}` : '',
    ),
    h(
      'div',
      { class: 'rp-stats' },
      stat(t('rpPassToFail'), c.passToFail, 'err', 'rp-pass-fail'),
      stat(t('rpFailToPass'), c.failToPass, 'ok', 'rp-fail-pass'),
      stat(t('rpCodeChanged'), c.codeChanged, '', 'rp-code-changed'),
      stat(t('rpUnchanged'), c.unchanged, '', 'rp-unchanged'),
      stat(t('rpNotReplayable'), c.notReplayable, 'gone', 'rp-not-replayable'),
    ),
    ui.table(
      [t('rpVerification'), t('rpFlip'), t('code'), t('similarity'), t('rpReason')],
      flipped.map((v) => [
        who(v),
        h('span', { class: `pill ${v.flip === 'fail-to-pass' ? 'ok' : 'err'}` }, flipLabel(v.flip!)),
        `${v.old.code} → ${v.new!.code}`,
        `${sim(v.old.similarity)} → ${sim(v.new!.similarity)}`,
        `${v.old.reason} → ${v.new!.reason}`,
      ]),
      { id: 'rp-flips' },
    ),
    gone.length
      ? h(
          'div',
          { id: 'rp-gone' },
          h('h3', {}, t('rpNotReplayable')),
          ui.table(
            [t('rpVerification'), t('code'), t('rpWhy')],
            gone.map((v) => [who(v), String(v.old.code), v.notReplayable!]),
          ),
        )
      : null,
  )
}
