import { existsSync } from 'node:fs'
import { mkdir, open, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

/**
 * Decrypted media for the engine (ffmpeg and the image decoders read files, and an MP4 whose index
 * sits at the end cannot be decoded from a pipe), held so that no plaintext is ever left on disk.
 *
 * On Linux the file is created empty, unlinked at once and only then written: it never has a name
 * while it holds data, and is reached through `/proc/<pid>/fd/<n>` (by this process's worker threads
 * and by the ffmpeg children it starts, which may open it as the same user). Whatever happens to the
 * process — a crash, SIGKILL, a power cut — the kernel frees the file with the last descriptor.
 * Elsewhere (no /proc) it is a 0600 file removed right after use; `sweepPrivateTemps` removes any
 * left behind by a crash, at startup.
 */
export interface PrivateTemp {
  /** a path the engine can open (and stat, and seek) for as long as the temp is not closed */
  readonly path: string
  close(): Promise<void>
}

const NAMELESS = process.platform === 'linux' && existsSync(`/proc/${process.pid}/fd`)
const SUFFIX = '.private'

export async function openPrivateTemp(dir: string, data: Uint8Array): Promise<PrivateTemp> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const name = join(dir, `${randomBytes(12).toString('hex')}${SUFFIX}`)
  if (!NAMELESS) {
    await writeFile(name, data, { mode: 0o600, flag: 'wx' })
    return { path: name, close: () => rm(name, { force: true }) }
  }
  const fh = await open(name, 'wx+', 0o600)
  try {
    await unlink(name)
    await fh.writeFile(data)
  } catch (err) {
    await fh.close().catch(() => {})
    await rm(name, { force: true })
    throw err
  }
  let closed = false
  return {
    path: `/proc/${process.pid}/fd/${fh.fd}`,
    async close() {
      if (closed) return
      closed = true
      await fh.close()
    },
  }
}

/** Removes private temps a crashed process left (only possible without /proc); returns how many. */
export async function sweepPrivateTemps(dir: string, olderThanMs = 0): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const n of names) {
    // also the plaintext copies of versions before this one (`<tag>-media`, `-ref`, `-registry`)
    if (!n.endsWith(SUFFIX) && !/^[0-9a-f]{16}-(media|ref|registry)$/.test(n)) continue
    const p = join(dir, n)
    try {
      if (Date.now() - (await stat(p)).mtimeMs < olderThanMs) continue
      await rm(p, { force: true })
      removed++
    } catch {
      // gone meanwhile
    }
  }
  return removed
}
