/**
 * `shiren registry erase|export` and `shiren app retention`: the data-subject rights and the per-app
 * retention, on the same data directory (or database) as a running server.
 */
import { InvalidArgumentError, type Command } from 'commander'
import type { Shiren } from '../../compose.js'
import type { PersonRef } from '../../privacy/index.js'

type WithShiren = <T>(fn: (s: Shiren) => Promise<T>) => Promise<T>

function personRef(personId: string | undefined, idNumber: string | undefined): PersonRef {
  if (personId && idNumber) throw new InvalidArgumentError('give a person id or --id-number, not both')
  if (personId) return { personId }
  if (idNumber) return { idNumber }
  throw new InvalidArgumentError('give a person id (per_…) or --id-number <number>')
}

export function registerPrivacyCommands(program: Command, withShiren: WithShiren): void {
  const registry =
    program.commands.find((c) => c.name() === 'registry') ?? program.command('registry').description('the registry')
  registry
    .command('erase')
    .description(
      'erase one person everywhere: registry entry, face embedding, photo, and (matched by the ID number in every app) their verifications’ media and personal fields',
    )
    .argument('[personId]', 'the registry person id (per_…)')
    .option('--id-number <number>', 'find the person by ID number instead (also when not in the registry)')
    .option('--yes', 'confirm: the erasure cannot be undone')
    .option('--json', 'print JSON')
    .action(async (personId: string | undefined, o: { idNumber?: string; yes?: boolean; json?: boolean }) => {
      const ref = personRef(personId, o.idNumber)
      if (!o.yes) {
        process.stderr.write('shiren: an erasure cannot be undone: add --yes to confirm\n')
        process.exitCode = 1
        return
      }
      const r = await withShiren((s) => s.privacy.erase(ref, { actor: 'cli' }))
      process.stdout.write(
        (o.json
          ? JSON.stringify(r)
          : `erased${r.personId ? ` ${r.personId}` : ''}: registry entry ${r.registry ? 'deleted' : 'none'}, ` +
            `${r.verifications} verification(s), ${r.mediaObjects} media object(s)`) + '\n',
      )
    })
  registry
    .command('export')
    .description('print, as JSON, what is held about one person (decrypted: handle the output as personal data)')
    .argument('[personId]', 'the registry person id (per_…)')
    .option('--id-number <number>', 'find the person by ID number instead')
    .option('--media', 'include the media (base64) and the face embedding, not only their list')
    .action(async (personId: string | undefined, o: { idNumber?: string; media?: boolean }) => {
      const ref = personRef(personId, o.idNumber)
      const r = await withShiren((s) => s.privacy.export(ref, { includeMedia: !!o.media }))
      process.stdout.write(JSON.stringify(r, null, 2) + '\n')
    })

  const app = program.commands.find((c) => c.name() === 'app') ?? program.command('app').description('apps')
  app
    .command('retention')
    .description(
      "show or set how many days an app keeps media and personal data (0–365; 'default': the server's SHIREN_RETENTION_S)",
    )
    .argument('<appId>')
    .argument('[days]', "0–365, or 'default'")
    .option('--json', 'print JSON')
    .action(async (appId: string, days: string | undefined, o: { json?: boolean }) => {
      let value: number | null | undefined
      if (days === undefined) value = undefined
      else if (days === 'default') value = null
      else {
        value = Number(days)
        if (!/^\d+$/.test(days) || value > 365) throw new InvalidArgumentError("days must be 0–365 or 'default'")
      }
      const r = await withShiren(async (s) => {
        if (value === undefined) {
          const a = await s.apps.getApp(appId)
          if (!a) throw new InvalidArgumentError(`no app ${appId}`)
          return { app: a, rescheduled: 0, defaultS: s.config.retentionS }
        }
        return { ...(await s.privacy.setRetention(appId, value, { actor: 'cli' })), defaultS: s.config.retentionS }
      })
      const d = r.app.retentionDays
      process.stdout.write(
        (o.json
          ? JSON.stringify({ appId, retentionDays: d, defaultS: r.defaultS, rescheduled: r.rescheduled })
          : `${appId} retention: ${d === null ? `server default (${r.defaultS} s)` : `${d} day(s)`}` +
            (d === 0 ? ' (until the result is first fetched)' : '') +
            (value !== undefined ? `; ${r.rescheduled} verification(s) rescheduled` : '')) + '\n',
      )
    })
}
