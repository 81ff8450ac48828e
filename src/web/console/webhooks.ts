import { h } from '../shared/i18n.js'
import type { ConsoleKit } from './kit.js'

/**
 * The console's webhook page: an app's completion webhook (URL, signing secret and its rotation with
 * an overlap) and its delivery log, one row per event with every try and a retry button. main.ts
 * hands over its helpers, so this page looks and behaves like the others.
 */
/** the helpers of main.ts this view uses (src/web/console/kit.ts) */
export type WebhookPageUi = Pick<
  ConsoleKit,
  'api' | 't' | 'page' | 'table' | 'btn' | 'field' | 'input' | 'select' | 'notice' | 'guarded' | 'fmtTime' | 'setRedraw'
>

interface Delivery {
  id: string
  at: string
  trigger: string
  statusCode: number | null
  error: string | null
  durationMs: number
}

interface WebhookEvent {
  id: string
  type: string
  idempotencyKey: string
  state: string
  createdAt: string
  data: Record<string, unknown>
  deliveries: Delivery[]
}

export async function webhooksPage(ui: WebhookPageUi, params: URLSearchParams): Promise<void> {
  const { api, t } = ui
  const apps = await api<Array<{ appId: string; name: string }>>('GET', '/v1/apps')
  const appId = params.get('app') ?? apps[0]?.appId ?? ''
  const redraw = () => void ui.guarded(() => webhooksPage(ui, new URLSearchParams({ app: appId })))
  ui.setRedraw(redraw)
  if (!appId) {
    ui.page(t('webhooks'), ui.notice(t('whNoApps'), 'ok', 'wh-empty'))
    return
  }
  const appSel = ui.select(
    'wh-app',
    apps.map((a) => [a.appId, `${a.name} (${a.appId})`]),
    appId,
  )
  appSel.addEventListener('change', () => {
    location.hash = `#/webhooks?app=${encodeURIComponent(appSel.value)}`
  })

  let hook: { url: string; enabled: boolean; previousSecretUntil: string | null } | null = null
  try {
    hook = await api('GET', `/v1/apps/${encodeURIComponent(appId)}/webhook`)
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e
  }
  const events = hook
    ? await api<WebhookEvent[]>('GET', `/v1/webhooks/events?appId=${encodeURIComponent(appId)}&limit=50`)
    : []

  const url = ui.input('wh-url', { type: 'url', required: 'true', maxlength: '2048', placeholder: 'https://…' })
  url.value = hook?.url ?? ''
  const out = h('div', { id: 'wh-out' })
  const form = h(
    'form',
    { class: 'card form', id: 'wh-form' },
    h('h2', {}, t('whConfig')),
    ui.field(t('whUrl'), url, t('whUrlHint')),
    h(
      'p',
      { class: 'muted' },
      hook
        ? `${hook.enabled ? t('enabled') : t('disabled')}${hook.previousSecretUntil ? ` · ${t('whOverlapUntil', { at: ui.fmtTime(hook.previousSecretUntil) })}` : ''}`
        : t('whNone'),
    ),
    h('button', { type: 'submit', class: 'cbtn primary', id: 'wh-save' }, t('save')),
    out,
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void ui.guarded(async () => {
      const r = await api('PUT', `/v1/apps/${encodeURIComponent(appId)}/webhook`, { url: url.value })
      await webhooksPage(ui, new URLSearchParams({ app: appId }))
      if (r.secret) showSecretAfter(r.secret)
    })
  })
  // after a redraw the new page's #wh-out shows the secret, once
  const showSecretAfter = (secret: string, extra?: string) =>
    document
      .getElementById('wh-out')
      ?.replaceChildren(
        h(
          'div',
          { class: 'card secret', id: 'wh-secret' },
          h('h2', {}, t('secretOnce')),
          h('p', {}, h('code', { id: 'wh-secret-value' }, secret)),
          extra ? h('p', {}, extra) : null,
        ),
      )

  const overlap = ui.select(
    'wh-overlap',
    [
      ['86400', t('whOverlap24h')],
      ['3600', t('whOverlap1h')],
      ['0', t('whOverlapNone')],
    ],
    '86400',
  )
  const rotate = hook
    ? h(
        'div',
        { class: 'card form', id: 'wh-rotate' },
        h('h2', {}, t('whRotate')),
        ui.field(t('whOverlap'), overlap, t('whOverlapHint')),
        ui.btn(
          t('whRotate'),
          () =>
            void ui.guarded(async () => {
              const r = await api('POST', `/v1/apps/${encodeURIComponent(appId)}/webhook/rotate`, {
                overlapS: Number(overlap.value),
              })
              await webhooksPage(ui, new URLSearchParams({ app: appId }))
              showSecretAfter(
                r.secret,
                r.webhook.previousSecretUntil
                  ? t('whOverlapUntil', { at: ui.fmtTime(r.webhook.previousSecretUntil) })
                  : undefined,
              )
            }),
          'secondary',
          'wh-rotate-btn',
        ),
      )
    : null

  const tries = (e: WebhookEvent) =>
    h(
      'ul',
      { class: 'tries' },
      ...e.deliveries.map((d) =>
        h(
          'li',
          { class: d.statusCode !== null && d.statusCode >= 200 && d.statusCode < 300 ? 'ok' : 'err' },
          `${ui.fmtTime(d.at)} · ${d.statusCode ?? '—'} · ${d.durationMs} ms${d.trigger === 'manual' ? ` · ${t('whManual')}` : ''}${d.error && d.statusCode === null ? ` · ${d.error}` : ''}`,
        ),
      ),
    )
  const stateLabel = (s: string) =>
    s === 'delivered' ? t('whDelivered') : s === 'failed' ? t('whFailed') : t('whPending')
  const log = ui.table(
    [t('whWhen'), t('whEvent'), t('whOutcome'), t('status'), t('whTries'), ''],
    events.map((e) => [
      ui.fmtTime(e.createdAt),
      h('span', {}, e.type, h('br'), h('code', { class: 'small' }, e.idempotencyKey)),
      h('span', {}, `${String(e.data.code)} · ${String(e.data.reason)}`, h('br'), h('code', {}, String(e.data.token))),
      h(
        'span',
        { class: `pill ${e.state === 'delivered' ? 'ok' : e.state === 'failed' ? 'err' : ''}` },
        stateLabel(e.state),
      ),
      tries(e),
      ui.btn(
        t('whRetry'),
        () =>
          void ui.guarded(async () => {
            await api('POST', `/v1/webhooks/events/${encodeURIComponent(e.id)}/retry`)
            await webhooksPage(ui, new URLSearchParams({ app: appId }))
            document.getElementById('app')?.append(ui.notice(t('whRetried'), 'ok', 'wh-retried'))
          }),
        'small',
        `wh-retry-${e.id}`,
      ),
    ]),
    { id: 'wh-log' },
  )
  ui.page(
    t('webhooks'),
    h('div', { class: 'search' }, ui.field(t('app'), appSel)),
    h('div', { class: 'cols' }, form, rotate),
    h(
      'div',
      { class: 'card', id: 'wh-log-card' },
      h('h2', {}, t('whLog')),
      h('p', { class: 'muted' }, t('whLogHint')),
      log,
    ),
  )
}
