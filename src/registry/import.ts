import { readFile, readdir } from 'node:fs/promises'
import { dirname, extname, join, resolve, basename } from 'node:path'
import { parse } from 'csv-parse/sync'
import type { RegistryService } from './service.js'
import { isReasonError } from '../codes/index.js'

export interface ImportReport {
  created: number
  updated: number
  failed: Array<{ row: number; source: string; reason: string; message: string }>
}

export interface ImportEntry {
  source: string
  name: string
  idNumber: string
  photoPath: string | null
}

/** CSV with a header: name,id_number[,photo] — photo paths relative to the CSV file. */
export async function entriesFromCsv(file: string): Promise<ImportEntry[]> {
  const rows = parse(await readFile(file), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<
    Record<string, string>
  >
  const base = dirname(resolve(file))
  return rows.map((r, i) => ({
    source: `${basename(file)}:${i + 2}`,
    name: r.name ?? '',
    idNumber: r.id_number ?? r.idNumber ?? '',
    photoPath: r.photo ? resolve(base, r.photo) : null,
  }))
}

/** A folder of photos named `<name>_<id number>.jpg|png|webp`. */
export async function entriesFromFolder(dir: string): Promise<ImportEntry[]> {
  const files = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort()
  return files.map((f) => {
    const stem = basename(f, extname(f))
    const cut = stem.lastIndexOf('_')
    return {
      source: f,
      name: cut > 0 ? stem.slice(0, cut) : '',
      idNumber: cut > 0 ? stem.slice(cut + 1) : stem,
      photoPath: join(dir, f),
    }
  })
}

export async function importEntries(
  registry: RegistryService,
  entries: ImportEntry[],
  onProgress?: (done: number, total: number) => void,
  onEnrolled?: (entry: ImportEntry, result: Awaited<ReturnType<RegistryService['enroll']>>) => void,
): Promise<ImportReport> {
  const report: ImportReport = { created: 0, updated: 0, failed: [] }
  let done = 0
  for (const [i, e] of entries.entries()) {
    try {
      const photo = e.photoPath ? await readFile(e.photoPath) : null
      const r = await registry.enroll({ name: e.name, idNumber: e.idNumber, photo })
      report[r.status]++
      onEnrolled?.(e, r)
    } catch (err) {
      // one bad row must not stop the import; it is reported without the personal data itself
      report.failed.push({
        row: i + 1,
        source: e.source,
        reason: isReasonError(err) ? err.reason : 'SYSTEM_ERROR',
        message: isReasonError(err) ? err.message : (err as Error).message,
      })
    }
    onProgress?.(++done, entries.length)
  }
  return report
}
