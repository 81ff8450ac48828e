/**
 * `shiren compare`, `shiren inspect`, `shiren models list|pull`: the vision engine from the command
 * line, for operators and for our own checks. Models load once per command, in-process.
 *   compare <imageA> <imageB> [--json]                     → {similarity, score, faces, reason, codes, ms}
 *   compare --pairs <pairs.tsv> --root <dir> [--json]      → one JSON line per pair
 *   inspect <image|video>… [--liveness silent|action|digital|none] [--actions blink,mouth,left,right] [--digits 3581]
 *           [--reference <image>] [--best-frame-dir <dir>] [--json]  → one JSON line per file
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { hasCode, toCode } from '../../codes/index.js'
import type { Reason } from '../../codes/index.js'
import { analyse, closeModels, compareImages, loadModels } from '../../analysis/index.js'
import { defaultModelsDir, listModels, pullModels } from '../../vision/index.js'
import { LIGHT_COLOURS, type Action, type LightShown, type LightStep } from '../../liveness/index.js'

const ACTIONS: readonly Action[] = ['blink', 'mouth', 'left', 'right']
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp'])

function codes(reason: Reason): { h5: number | null; sdk: number | null } {
  return {
    h5: hasCode('h5', reason) ? toCode('h5', reason).code : null,
    sdk: hasCode('sdk', reason) ? toCode('sdk', reason).code : null,
  }
}

function threshold(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError('a number from 0 to 100')
  return n
}

function actionList(v: string): Action[] {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const a of list)
    if (!(ACTIONS as readonly string[]).includes(a))
      throw new InvalidArgumentError(`unknown action ${a} (blink, mouth, left, right)`)
  return list as Action[]
}

function out(json: boolean, obj: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${human}\n`)
}

interface CompareOptions {
  json?: boolean
  pairs?: string
  root?: string
  threshold: number
  modelsDir?: string
}

interface InspectOptions {
  json?: boolean
  liveness: 'silent' | 'action' | 'none' | 'digital' | 'light'
  actions?: Action[]
  digits?: string
  light?: string
  reference?: string
  threshold: number
  bestFrameDir?: string
  modelsDir?: string
}

export function registerVisionCommands(program: Command): void {
  program
    .command('compare')
    .description(
      'similarity (0–100, calibrated: 70 ≈ FAR 1e-3, 80 ≈ FAR 1e-4) of the main faces of two photos, or of every pair of a pairs.tsv',
    )
    .argument('[imageA]')
    .argument('[imageB]')
    .option('--pairs <tsv>', 'tab-separated file_a, file_b[, same] rows (a header row is skipped)')
    .option('--root <dir>', 'folder the paths of --pairs are relative to', '.')
    .option('--threshold <n>', 'pass threshold on the 0–100 scale', threshold, 70)
    .option('--models-dir <dir>', 'models directory (default SHIREN_MODELS_DIR or <data dir>/models)')
    .option('--json', 'one JSON object per line')
    .action(async (a: string | undefined, b: string | undefined, opts: CompareOptions) => {
      if (!opts.pairs && (!a || !b)) throw new InvalidArgumentError('give two images, or --pairs <tsv>')
      const models = await loadModels(resolve(opts.modelsDir ?? defaultModelsDir()))
      try {
        if (opts.pairs) {
          const rows = (await readFile(opts.pairs, 'utf8'))
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .map((l) => l.split('\t'))
          if (rows[0] && rows[0][0] === 'file_a') rows.shift()
          for (const [fa, fb] of rows) {
            if (!fa || !fb) continue
            const r = await compareImages(
              models,
              join(opts.root ?? '.', fa),
              join(opts.root ?? '.', fb),
              opts.threshold,
            )
            out(
              !!opts.json,
              { file_a: fa, file_b: fb, similarity: r.similarity, score: r.score, reason: r.reason },
              `${fa}\t${fb}\t${r.similarity ?? '-'}\t${r.reason}`,
            )
          }
          return
        }
        const r = await compareImages(models, a!, b!, opts.threshold)
        out(
          !!opts.json,
          {
            similarity: r.similarity,
            score: r.score,
            faces: r.faces,
            reason: r.reason,
            codes: codes(r.reason),
            ms: r.ms,
          },
          `similarity ${r.similarity ?? '-'} (cosine ${r.score ?? '-'}), faces ${r.faces.a}/${r.faces.b}, ${r.reason}, ${r.ms} ms`,
        )
      } finally {
        await closeModels(models)
      }
    })

  program
    .command('inspect')
    .description(
      'judge images or videos as the engine would for an attempt: reason, codes of both families, signals, best frame',
    )
    .argument('<files...>')
    .option('--liveness <mode>', 'silent | action | digital | none', 'none')
    .option('--actions <list>', 'for --liveness action: the sequence, e.g. blink,mouth,left', actionList)
    .option('--digits <digits>', 'for --liveness digital: the digits issued, e.g. 3581')
    .option(
      '--light <file>',
      'for --liveness light: JSON {"steps":[{"colour","ms"}…],"shown":{"steps":[{"seq","colour","startMs"}…],"endMs"}}',
    )
    .option('--reference <image>', 'compare with this photo')
    .option('--threshold <n>', 'pass threshold on the 0–100 scale', threshold, 70)
    .option('--best-frame-dir <dir>', 'write each best frame as <dir>/<file>.best.jpg')
    .option('--models-dir <dir>', 'models directory (default SHIREN_MODELS_DIR or <data dir>/models)')
    .option('--json', 'one JSON object per line')
    .action(async (files: string[], opts: InspectOptions) => {
      if (!['silent', 'action', 'none', 'digital', 'light'].includes(opts.liveness))
        throw new InvalidArgumentError('--liveness silent | action | digital | light | none')
      let light: { steps: LightStep[]; shown: LightShown } | undefined
      if (opts.liveness === 'light') {
        if (!opts.light) throw new InvalidArgumentError('--liveness light needs --light <file.json>')
        try {
          light = JSON.parse(await readFile(opts.light, 'utf8')) as { steps: LightStep[]; shown: LightShown }
        } catch (err) {
          throw new InvalidArgumentError(`--light: ${(err as Error).message}`)
        }
        const known = new Set<string>(LIGHT_COLOURS)
        if (
          !Array.isArray(light.steps) ||
          !light.steps.length ||
          !light.steps.every((s) => known.has(s.colour) && Number.isFinite(s.ms)) ||
          !light.shown ||
          !Array.isArray(light.shown.steps)
        )
          throw new InvalidArgumentError('--light: steps (colour, ms) and shown (steps, endMs) are required')
      }
      if (opts.liveness === 'action' && !opts.actions?.length)
        throw new InvalidArgumentError('--liveness action needs --actions')
      if (opts.liveness === 'digital' && !/^[0-9]{1,12}$/.test(opts.digits ?? ''))
        throw new InvalidArgumentError('--liveness digital needs --digits (e.g. 3581)')
      const models = await loadModels(resolve(opts.modelsDir ?? defaultModelsDir()), {
        ...(process.env.SHIREN_DIGIT_RECOGNIZER && { digitRecognizer: process.env.SHIREN_DIGIT_RECOGNIZER }),
      })
      try {
        if (opts.bestFrameDir) await mkdir(opts.bestFrameDir, { recursive: true })
        for (const file of files) {
          const kind = IMAGE_EXT.has(extname(file).toLowerCase()) ? 'image' : 'video'
          const r = await analyse(models, {
            media: { path: file, kind },
            liveness: opts.liveness,
            actions: opts.actions,
            ...(opts.digits && { digits: opts.digits }),
            ...(light && { light }),
            reference: opts.reference ? { path: opts.reference } : null,
            threshold: opts.threshold,
          })
          let bestFrame: { bytes: number; path?: string } | null = null
          if (r.bestFrame) {
            bestFrame = { bytes: r.bestFrame.length }
            if (opts.bestFrameDir) {
              const p = join(opts.bestFrameDir, `${basename(file)}.best.jpg`)
              await writeFile(p, r.bestFrame)
              bestFrame.path = p
            }
          }
          out(
            !!opts.json,
            {
              file,
              reason: r.reason,
              codes: codes(r.reason),
              similarity: r.similarity,
              signals: r.signals,
              bestFrame,
              ms: r.ms,
            },
            `${file}\t${r.reason}\th5 ${codes(r.reason).h5} sdk ${codes(r.reason).sdk}\t${r.similarity ?? ''}\t${r.ms} ms`,
          )
        }
      } finally {
        await closeModels(models)
      }
    })

  const models = program.command('models').description('the model files of the vision engine')
  models
    .command('list')
    .description('every model: capability, where it resolves, whether its sha256 matches, licence and source')
    .option('--models-dir <dir>', 'models directory (default SHIREN_MODELS_DIR or <data dir>/models)')
    .option('--json', 'JSON lines')
    .action(async (opts: { modelsDir?: string; json?: boolean }) => {
      for (const m of await listModels(resolve(opts.modelsDir ?? defaultModelsDir()))) {
        out(
          !!opts.json,
          { ...m },
          `${m.present ? (m.sha256ok ? 'ok     ' : 'BAD SUM') : 'MISSING'}  ${m.id.padEnd(18)} ${m.capability.padEnd(32)} ${m.path}`,
        )
      }
    })
  models
    .command('pull')
    .description('fill the models directory from the pinned source URLs (or copy from --from), checking every sha256')
    .option('--from <dir>', 'copy from a local folder (e.g. a staged ../shared/models) instead of downloading')
    .option('--models-dir <dir>', 'models directory (default SHIREN_MODELS_DIR or <data dir>/models)')
    .option('--json', 'JSON lines')
    .action(async (opts: { from?: string; modelsDir?: string; json?: boolean }) => {
      const results = await pullModels(resolve(opts.modelsDir ?? defaultModelsDir()), { from: opts.from })
      for (const r of results)
        out(
          !!opts.json,
          { ...r },
          `${r.action.padEnd(10)} ${r.id.padEnd(16)} ${r.file}${r.error ? `  (${r.error})` : ''}`,
        )
      if (results.some((r) => r.action === 'failed')) process.exitCode = 1
    })
}
