/**
 * `shiren app webhook set|show|rotate|remove|log|retry`: an app's completion webhook, on the same
 * data as a running server (which picks the change up at its next delivery).
 */
import { InvalidArgumentError, type Command } from 'commander'
import type { Shiren } from '../../compose.js'

type WithShiren = <T>(fn: (s: Shiren) => Promise<T>) => Promise<T>

function print(json: boolean, value: unknown, text: () => string) {
  process.stdout.write((json ? JSON.stringify(value, null, 2) : text()) + '\n')
}

function seconds(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number of seconds')
  return n
}

export function registerWebhookCommands(appCmd: Command, withShiren: WithShiren): void {
  const cmd = appCmd.command('webhook').description("an app's completion webhook (signed POST per outcome)")
  cmd
    .command('set')
    .argument('<appId>')
    .argument('<url>', 'http(s) URL the outcomes are POSTed to')
    .option('--disable', 'keep the webhook but stop delivering')
    .option('--enable', 'deliver again')
    .option('--json', 'print JSON')
    .action(async (appId: string, url: string, o: { disable?: boolean; enable?: boolean; json?: boolean }) => {
      const enabled = o.disable ? false : o.enable ? true : undefined
      const r = await withShiren((s) => s.webhooks.set(appId, { url, ...(enabled !== undefined && { enabled }) }))
      print(!!o.json, r, () =>
        [
          `webhook ${r.webhook.url}${r.webhook.enabled ? '' : '  (disabled)'}`,
          ...(r.secret ? [`signing secret ${r.secret}  (shown once: keep it)`] : []),
        ].join('\n'),
      )
    })
  cmd
    .command('show')
    .argument('<appId>')
    .option('--json', 'print JSON')
    .action(async (appId: string, o: { json?: boolean }) => {
      const w = await withShiren((s) => s.webhooks.show(appId))
      if (!w) throw new Error(`app ${appId} has no webhook`)
      print(!!o.json, w, () =>
        [
          `url      ${w.url}`,
          `enabled  ${w.enabled}`,
          ...(w.previousSecretUntil ? [`previous secret signs too until ${w.previousSecretUntil}`] : []),
        ].join('\n'),
      )
    })
  cmd
    .command('rotate')
    .argument('<appId>')
    .option('--overlap <seconds>', 'the old secret keeps signing (second v1=) this long', seconds, 86400)
    .option('--json', 'print JSON')
    .action(async (appId: string, o: { overlap: number; json?: boolean }) => {
      const r = await withShiren((s) => s.webhooks.rotate(appId, o.overlap))
      print(!!o.json, r, () =>
        [
          `signing secret ${r.secret}  (shown once: keep it)`,
          r.webhook.previousSecretUntil
            ? `the previous secret signs too until ${r.webhook.previousSecretUntil}`
            : 'the previous secret no longer signs',
        ].join('\n'),
      )
    })
  cmd
    .command('remove')
    .argument('<appId>')
    .action(async (appId: string) => {
      await withShiren((s) => s.webhooks.remove(appId))
      process.stdout.write(`webhook of ${appId} removed\n`)
    })
  cmd
    .command('log')
    .argument('<appId>')
    .option('--limit <n>', 'events, newest first', (v) => Number(v), 20)
    .option('--json', 'print JSON')
    .action(async (appId: string, o: { limit: number; json?: boolean }) => {
      const events = await withShiren((s) => s.webhooks.events({ appId, limit: o.limit }))
      print(
        !!o.json,
        events,
        () =>
          events
            .map((e) =>
              [
                `${e.id}  ${e.type}  ${e.state}  code=${String(e.data.code)}  key=${e.idempotencyKey}`,
                ...e.deliveries.map(
                  (d) =>
                    `  ${d.at}  ${d.trigger}  ${d.statusCode ?? '—'}  ${d.durationMs} ms${d.error ? `  ${d.error}` : ''}`,
                ),
              ].join('\n'),
            )
            .join('\n') || '(no events)',
      )
    })
  cmd
    .command('retry')
    .argument('<eventId>')
    .action(async (eventId: string) => {
      await withShiren((s) => s.webhooks.retry(eventId))
      process.stdout.write(`${eventId} queued again (a running server delivers it)\n`)
    })
}
