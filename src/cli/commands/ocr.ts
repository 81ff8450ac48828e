/**
 * `shiren ocr <image…> [--json] [--id-number N] [--today YYYY-MM-DD] [--portrait-dir DIR]`:
 * read resident ID cards and print, per image, the fields, whether the number passes GB 11643
 * (checksumValid), the reason and codes the ID-card check would give, and timings.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { hasCode, toCode } from '../../codes/index.js'
import { createIdCardReader, judgeIdCard, type IdCardReading } from '../../ocr/index.js'

interface OcrOptions {
  json?: boolean
  idNumber?: string
  today?: Date
  portraitDir?: string
}

function parseDay(v: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)
  if (!m) throw new InvalidArgumentError('expected YYYY-MM-DD')
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
}

function code(family: 'h5' | 'sdk', reason: Parameters<typeof toCode>[1]): number | null {
  return hasCode(family, reason) ? toCode(family, reason).code : null
}

export function registerOcrCommand(program: Command): void {
  program
    .command('ocr')
    .description('read resident ID card images (front, back or both; any rotation) and judge them')
    .argument('<image...>', 'image files (JPEG, PNG, WebP …)')
    .option('--json', 'print one JSON array instead of text')
    .option('--id-number <n>', 'declared ID number to compare with (code 301 when it differs)')
    .option('--today <YYYY-MM-DD>', 'date to check expiry against (default: today)', parseDay)
    .option('--portrait-dir <dir>', 'write the portrait crop of each front as <dir>/<image>.portrait.jpg')
    .action(async (images: string[], opts: OcrOptions) => {
      const t0 = performance.now()
      const reader = await createIdCardReader()
      const loadMs = performance.now() - t0
      const today = opts.today ?? new Date()
      const rows: unknown[] = []
      let failed = false
      try {
        for (const file of images) {
          let bytes: Buffer
          try {
            bytes = await readFile(file)
          } catch (e) {
            failed = true
            const row = { file, error: `cannot read file: ${(e as Error).message}` }
            rows.push(row)
            if (!opts.json) process.stderr.write(`${file}: ${row.error}\n`)
            continue
          }
          const reading: IdCardReading = await reader.read(bytes)
          const reason = judgeIdCard(reading, { idNumber: opts.idNumber ?? null }, today)
          let portraitFile: string | null = null
          if (reading.portrait && opts.portraitDir) {
            await mkdir(opts.portraitDir, { recursive: true })
            portraitFile = path.join(opts.portraitDir, `${path.basename(file)}.portrait.jpg`)
            await writeFile(portraitFile, reading.portrait)
          }
          const row = {
            file,
            side: reading.side,
            rotation: reading.rotation,
            front: reading.front,
            back: reading.back,
            checksumValid: reading.checksumValid,
            reason,
            codes: { h5: code('h5', reason), sdk: code('sdk', reason) },
            portrait: reading.portrait ? { bytes: reading.portrait.length, file: portraitFile } : null,
            timings: { readMs: Math.round(reading.ms) },
          }
          rows.push(row)
          if (!opts.json) {
            const f = reading.front
            const b = reading.back
            const lines = [
              `${file}: ${reading.side}, rotated ${reading.rotation}°, ${Math.round(reading.ms)} ms`,
              ...(f
                ? [
                    `  姓名 ${f.name ?? '-'}  性别 ${f.gender ?? '-'}  民族 ${f.nation ?? '-'}  出生 ${f.birth ?? '-'}`,
                    `  住址 ${f.address ?? '-'}`,
                    `  公民身份号码 ${f.idNumber ?? '-'}  (GB 11643 checksum ${reading.checksumValid ? 'ok' : 'FAILS'})`,
                  ]
                : []),
              ...(b ? [`  签发机关 ${b.authority ?? '-'}  有效期限 ${b.validFrom ?? '-'} - ${b.validTo ?? '-'}`] : []),
              `  → ${reason} (h5 ${row.codes.h5 ?? '-'}, sdk ${row.codes.sdk ?? '-'})${portraitFile ? `  portrait: ${portraitFile}` : ''}`,
            ]
            process.stdout.write(`${lines.join('\n')}\n`)
          }
        }
      } finally {
        await reader.close()
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(rows)}\n`)
      else process.stderr.write(`models loaded in ${Math.round(loadMs)} ms\n`)
      if (failed) process.exitCode = 1
    })
}
