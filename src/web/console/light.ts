import { h } from '../shared/i18n.js'
import type { CKey } from './texts.js'

/**
 * The light-reflection signals of one attempt (issue 17), at a glance: the colours issued, each
 * step's agreement (the cosine between the measured and the flashed change), and the figures the judge
 * decided on. Null when the attempt has no light signals. The full list stays in the signals table.
 */
export function lightSignalsCard(
  signals: Record<string, unknown> | null,
  seq: number,
  t: (k: CKey) => string,
): HTMLElement | null {
  if (!signals || typeof signals.lightColours !== 'string') return null
  const colours = signals.lightColours.split(',')
  const cosines = typeof signals.lightStepCosines === 'string' ? signals.lightStepCosines.split(',') : []
  const steps = colours.map((c, i) => {
    const cos = cosines[i] === undefined || cosines[i] === '' ? null : Number(cosines[i])
    const cell = h('span', { class: 'light-step', title: `${c}: ${cos ?? '—'}` }, cos === null ? '—' : cos.toFixed(2))
    cell.style.cssText = `display:inline-block;min-width:3.2em;margin:2px;padding:2px 4px;text-align:center;border-radius:4px;border-bottom:4px solid ${
      cos === null ? '#999' : cos >= 0.5 ? '#2a7' : '#d33'
    };background:${CSS_COLOUR[c] ?? '#888'};color:${c === 'black' || c === 'blue' ? '#fff' : '#000'}`
    return cell
  })
  const row = (k: CKey, v: unknown) => [h('dt', {}, t(k)), h('dd', {}, v === undefined || v === null ? '—' : String(v))]
  return h(
    'div',
    { class: 'card light', id: `light-${seq}` },
    h('h2', {}, t('lightTitle')),
    h('div', { class: 'light-steps' }, ...steps),
    h(
      'dl',
      { class: 'kv' },
      ...row('lightAgreement', signals.lightStepAgreement),
      ...row('lightCorrelation', signals.lightCorrelation),
      ...row('lightLag', signals.lightLagMs === undefined ? undefined : `${String(signals.lightLagMs)} ms`),
      ...row('lightStrength', signals.lightStrength),
      ...row('lightFlat', signals.lightFlatRatio),
      ...row('lightBackground', signals.lightBackgroundShare),
      ...row('lightFailure', signals.lightFailure ?? (signals.lightFlatRatio !== undefined ? 'PASS' : undefined)),
    ),
  )
}

const CSS_COLOUR: Record<string, string> = {
  white: '#fff',
  black: '#000',
  blue: '#00f',
  green: '#0f0',
  yellow: '#ff0',
  cyan: '#0ff',
  magenta: '#f0f',
}
