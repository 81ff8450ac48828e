import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, dirname } from 'node:path'

export interface VaultKeys {
  dataKey: Buffer
  indexKey: Buffer
}

/**
 * Keys come from SHIREN_MASTER_KEY (base64 of 64 bytes: data key then index key) when set,
 * which is how a multi-process deployment shares them; otherwise from `keys.json` in the data
 * dir, created with mode 0600 on first start. They are never written to the database.
 */
export function loadOrCreateKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): VaultKeys {
  const fromEnv = env.SHIREN_MASTER_KEY
  if (fromEnv) {
    const raw = Buffer.from(fromEnv, 'base64')
    if (raw.length !== 64) throw new Error('SHIREN_MASTER_KEY must be base64 of exactly 64 bytes')
    return { dataKey: raw.subarray(0, 32), indexKey: raw.subarray(32) }
  }
  const file = join(dataDir, 'keys.json')
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    const keys = { dataKey: randomBytes(32).toString('base64'), indexKey: randomBytes(32).toString('base64') }
    // 'wx' fails if a concurrent process created it first; then we read theirs
    try {
      writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  chmodSync(file, 0o600)
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { dataKey?: string; indexKey?: string }
  const dataKey = Buffer.from(parsed.dataKey ?? '', 'base64')
  const indexKey = Buffer.from(parsed.indexKey ?? '', 'base64')
  if (dataKey.length !== 32 || indexKey.length !== 32) throw new Error(`${file} is damaged: keys must be 32 bytes`)
  return { dataKey, indexKey }
}
