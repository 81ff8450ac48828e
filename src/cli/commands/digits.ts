/**
 * `shiren digits <audio-or-video>… --expect 3581 [--lang zh|en] [--json]`: does each file's sound say
 * the expected digits, in order? The same verification the digits judge uses (audio only: no lips),
 * one line per file: {file, pass, reason, codes: {h5, sdk}, digitsRecognized, scores, margin, ms}.
 * Any format ffmpeg reads. The recogniser is SHIREN_DIGIT_RECOGNIZER when set, else the built-in
 * Mandarin verifier from the models dir. English is not offered (docs/digits.md: the English model
 * does not meet the bar), so `--lang en` is refused as not supported.
 */
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { hasCode, toCode, type Reason } from '../../codes/index.js'
import {
  decodeAudio,
  isDigitalSilence,
  loadDigitRecognizer,
  verifyDigits,
  type DigitRecognizer,
} from '../../audio/index.js'
import { loadBuiltInRecognizer } from '../../analysis/index.js'
import { defaultModelsDir } from '../../vision/index.js'

interface DigitsOptions {
  expect: string
  lang: string
  json?: boolean
  modelsDir?: string
}

function codes(reason: Reason): { h5: number | null; sdk: number | null } {
  return {
    h5: hasCode('h5', reason) ? toCode('h5', reason).code : null,
    sdk: hasCode('sdk', reason) ? toCode('sdk', reason).code : null,
  }
}

function digitString(v: string): string {
  if (!/^[0-9]{1,12}$/.test(v)) throw new InvalidArgumentError('1–12 digits 0–9, e.g. 3581')
  return v
}

export function registerDigitsCommand(program: Command): void {
  program
    .command('digits')
    .description(
      'verify that each recording says the expected digits, in order (the sound only, as the digits judge hears it)',
    )
    .argument('<files...>')
    .requiredOption('--expect <digits>', 'the digits the recordings should say, e.g. 3581', digitString)
    .option('--lang <lang>', 'zh (Mandarin); en is not available', 'zh')
    .option('--models-dir <dir>', 'models directory (default SHIREN_MODELS_DIR or <data dir>/models)')
    .option('--json', 'one JSON object per line')
    .action(async (files: string[], opts: DigitsOptions) => {
      if (opts.lang !== 'zh') {
        process.stderr.write(
          `shiren digits: --lang ${opts.lang} is not supported: only Mandarin (zh) digits are verified (docs/digits.md)\n`,
        )
        process.exitCode = 2
        return
      }
      let recognizer: DigitRecognizer | null = null
      let unavailable: string | null = null
      try {
        recognizer = process.env.SHIREN_DIGIT_RECOGNIZER
          ? await loadDigitRecognizer(process.env.SHIREN_DIGIT_RECOGNIZER)
          : loadBuiltInRecognizer(resolve(opts.modelsDir ?? defaultModelsDir()))
      } catch (err) {
        unavailable = (err as Error).message
      }
      for (const file of files) {
        const t0 = performance.now()
        let reason: Reason
        let v: Awaited<ReturnType<typeof verifyDigits>> | null = null
        let error: string | undefined
        if (!recognizer) {
          reason = 'VISION_ENGINE_UNAVAILABLE'
          error = unavailable ?? 'no recogniser'
        } else {
          try {
            const a = await decodeAudio(file)
            if (!a.hasTrack || isDigitalSilence(a.pcm)) reason = 'NO_AUDIO'
            else {
              v = await verifyDigits(recognizer, a.pcm, opts.expect)
              reason = v.pass ? 'PASS' : 'SPEECH_MISMATCH'
            }
          } catch (err) {
            reason = 'DIGITS_VIDEO_FORMAT_INVALID'
            error = (err as Error).message.split('\n')[0]
          }
        }
        const ms = Math.round(performance.now() - t0)
        const line = {
          file,
          pass: reason === 'PASS',
          reason,
          codes: reason === 'PASS' ? { h5: 0, sdk: 0 } : codes(reason),
          digitsRecognized: v?.heard ?? null,
          scores: v?.scores ?? null,
          margin: v?.margin ?? null,
          recognizer: recognizer?.name ?? null,
          ms,
          ...(error && { error }),
        }
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(line)}\n`
            : `${file}\t${reason}\theard ${line.digitsRecognized ?? '-'}\tmargin ${line.margin ?? '-'}\t${ms} ms${error ? `\t${error}` : ''}\n`,
        )
        if (reason !== 'PASS') process.exitCode = 1
      }
    })
}
