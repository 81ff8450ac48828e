/**
 * `shiren replay --rule <id> --set threshold=75 [--set liveness=silent] [--from --to] [--json]`: what a
 * rule change would flip, judged on the stored attempts (read-only). A change that needs the stored
 * media analysed again (liveness, actionCount) starts the analysis engine (one worker).
 */
import { InvalidArgumentError, type Command } from 'commander'
import type { Shiren } from '../../compose.js'
import type { ReplayReport } from '../../replay/index.js'

type WithShiren = <T>(fn: (s: Shiren) => Promise<T>) => Promise<T>

/** settings that change what the analyser computes: the engine is needed */
const NEEDS_ENGINE = new Set(['liveness', 'actionCount'])

function keyValue(v: string, prev: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=')
  if (i <= 0) throw new InvalidArgumentError('expected key=value, e.g. threshold=75')
  return { ...prev, [v.slice(0, i).trim()]: v.slice(i + 1).trim() }
}

export function registerReplayCommand(program: Command, withShiren: WithShiren, withEngine: WithShiren): void {
  program
    .command('replay')
    .description(
      "what-if: re-judge a rule's stored attempts under changed settings and list what would flip (writes nothing)",
    )
    .requiredOption('--rule <ruleId>', 'RuleId')
    .option(
      '--set <key=value>',
      'a changed setting: threshold, duplicateAction, maxAttempts, liveness, actionCount (repeatable)',
      keyValue,
      {},
    )
    .option('--from <date>', 'created at or after (YYYY-MM-DD or ISO time)')
    .option('--to <date>', 'created up to and including this day (YYYY-MM-DD) or before this ISO time')
    .option('--limit <n>', 'newest verifications, at most (default 200)', (v) => Number(v))
    .option('--json', 'print JSON')
    .action(
      async (o: {
        rule: string
        set: Record<string, string>
        from?: string
        to?: string
        limit?: number
        json?: boolean
      }) => {
        if (!Object.keys(o.set).length) throw new InvalidArgumentError('give at least one --set key=value')
        const run = Object.keys(o.set).some((k) => NEEDS_ENGINE.has(k)) ? withEngine : withShiren
        const r = await run((s) =>
          s.replay.replay({
            ruleId: o.rule,
            set: o.set,
            ...(o.from && { from: o.from }),
            ...(o.to && { to: o.to }),
            ...(o.limit !== undefined && { limit: o.limit }),
          }),
        )
        process.stdout.write((o.json ? JSON.stringify(r) : text(r)) + '\n')
      },
    )
}

const sim = (x: number | null) => (x === null ? '—' : x.toFixed(2))

function text(r: ReplayReport): string {
  const c = r.counts
  const lines = [
    `rule ${r.ruleId}: ${r.changed.map((k) => `${k} ${String(r.current[k])} → ${String(r.replayed[k])}`).join(', ') || 'no change'}${r.reanalysed ? ' (stored media analysed again)' : ''}`,
    `${c.verifications} verifications: ${c.passToFail} pass → fail, ${c.failToPass} fail → pass, ${c.codeChanged} code changed, ${c.unchanged} unchanged, ${c.notReplayable} not replayable`,
  ]
  for (const v of r.verifications) {
    const who = v.orderNo ?? v.token
    if (v.notReplayable) lines.push(`  not replayable  ${who}  ${v.old.code}  ${v.notReplayable}`)
    else if (v.flip)
      lines.push(
        `  ${v.flip.padEnd(15)} ${who}  ${v.old.code} → ${v.new!.code}  similarity ${sim(v.old.similarity)} → ${sim(v.new!.similarity)}  (${v.old.reason} → ${v.new!.reason})`,
      )
  }
  return lines.join('\n')
}
