import { h } from '../shared/i18n.js'
import type { ConsoleKit } from './kit.js'

/**
 * The console's job queue view: how many analysis jobs wait and run, how long the oldest has waited,
 * and the dead letters (jobs that failed their last try) with their last error and a requeue button.
 * It reads GET /console/api/jobs and posts /console/api/jobs/<id>/requeue; main.ts hands it its helpers.
 */
/** the helpers of main.ts this view uses (src/web/console/kit.ts) */
export type JobsPageUi = Pick<
  ConsoleKit,
  'api' | 't' | 'btn' | 'table' | 'page' | 'notice' | 'guarded' | 'fmtTime' | 'root'
>

interface Overview {
  stats: { queued: number; running: number; dead: number; oldestQueuedAgeS: number }
  dead: Array<{ id: string; kind: string; key: string; tries: number; lastError: string | null; diedAt: string }>
}

const age = (s: number) => (s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`)

export async function jobsPage(ui: JobsPageUi): Promise<void> {
  const { t } = ui
  const o = await ui.api<Overview>('GET', '/console/api/jobs?limit=200')
  // the usage page's figure cards (console.css .totals / .stat)
  const stat = (id: string, label: string, value: string) =>
    h('div', { class: 'card stat' }, h('b', { id: `jobs-${id}` }, value), h('span', {}, label))
  ui.page(
    t('jobs'),
    h(
      'div',
      { class: 'totals', id: 'jobs-stats' },
      stat('queued', t('jobsQueued'), String(o.stats.queued)),
      stat('running', t('jobsRunning'), String(o.stats.running)),
      stat('dead', t('jobsDead'), String(o.stats.dead)),
      stat('oldest', t('jobsOldest'), o.stats.queued ? age(o.stats.oldestQueuedAgeS) : '—'),
    ),
    h('h2', {}, t('jobsDeadTitle')),
    h('p', { class: 'muted' }, t('jobsDeadHint')),
    ui.table(
      [t('jobsKind'), t('jobsKey'), t('jobsTries'), t('jobsError'), t('jobsDiedAt'), ''],
      o.dead.map((j) => [
        j.kind,
        j.key,
        String(j.tries),
        j.lastError ?? '—',
        ui.fmtTime(j.diedAt),
        ui.btn(
          t('jobsRequeue'),
          () =>
            void ui.guarded(async () => {
              await ui.api('POST', `/console/api/jobs/${encodeURIComponent(j.id)}/requeue`)
              await jobsPage(ui)
              ui.root.append(ui.notice(t('jobsRequeued'), 'ok', 'requeued'))
            }),
          'secondary',
          `requeue-${j.id}`,
        ),
      ]),
      { id: 'dead-jobs' },
    ),
  )
}
