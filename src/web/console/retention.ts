import { h } from '../shared/i18n.js'
import type { CKey } from './texts.js'

/**
 * The retention control of one app on the console's apps page: days (0–365) or the server default,
 * saved through PATCH /v1/apps/{appId} (which also reschedules the app's verifications still held).
 */
export interface RetentionDeps {
  api: (method: string, path: string, body?: unknown) => Promise<unknown>
  t: (k: CKey, vars?: Record<string, string | number>) => string
  guarded: (fn: () => Promise<void>) => Promise<void>
  /** redraws the page after a save */
  saved: () => Promise<void>
}

export function retentionCell(app: { appId: string; retentionDays: number | null }, d: RetentionDeps): HTMLElement {
  const days = h('input', {
    type: 'number',
    min: '0',
    max: '365',
    step: '1',
    class: 'days',
    id: `retention-${app.appId}`,
    placeholder: d.t('retentionDefault'),
    'aria-label': d.t('retention'),
    value: app.retentionDays === null ? '' : String(app.retentionDays),
  }) as HTMLInputElement
  const save = h(
    'button',
    { type: 'button', class: 'cbtn small', id: `retention-save-${app.appId}` },
    d.t('retentionSave'),
  )
  save.addEventListener('click', () => {
    const raw = days.value.trim()
    const value = raw === '' ? null : Number(raw)
    if (value !== null && !(Number.isInteger(value) && value >= 0 && value <= 365)) {
      days.setCustomValidity(d.t('retentionRange'))
      days.reportValidity()
      return
    }
    days.setCustomValidity('')
    if (
      value !== null &&
      (app.retentionDays === null || value < app.retentionDays) &&
      !confirm(d.t('retentionConfirm'))
    )
      return
    void d.guarded(async () => {
      await d.api('PATCH', `/v1/apps/${app.appId}`, { retentionDays: value })
      await d.saved()
    })
  })
  const shown =
    app.retentionDays === null
      ? d.t('retentionDefault')
      : app.retentionDays === 0
        ? d.t('retentionZero')
        : d.t('retentionDays', { n: app.retentionDays })
  return h('span', { class: 'rowbtns retention' }, h('small', {}, shown), days, save)
}
