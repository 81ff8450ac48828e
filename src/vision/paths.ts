import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Package directories, resolved through Node's own resolution so the code works the same from
 * `src/` (vitest, tsx) and from the built `dist/`.
 */
const require = createRequire(import.meta.url)

export function packageDir(name: string): string {
  // Some packages (Human) have an `exports` map that blocks `package.json`; walk up from the main entry instead.
  let entry: string
  try {
    return dirname(require.resolve(`${name}/package.json`))
  } catch {
    entry = require.resolve(name)
  }
  let dir = dirname(entry)
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`cannot find the package directory of ${name}`)
    dir = up
  }
  return dir
}

/** The repository (or installed package) root: the folder holding package.json above this file. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) return process.cwd()
    dir = up
  }
  return dir
}

/** `../shared` next to the repository root, where the developer data and staged models live. */
export function sharedDir(): string {
  return process.env.SHIREN_SHARED_DIR ?? resolve(projectRoot(), '..', 'shared')
}
