import { createHash, randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { constantTimeEqual, randomToken } from '../crypto/index.js'

/**
 * The operator console's password: kept only as a scrypt hash in <data dir>/admin-password (or given
 * by SHIREN_ADMIN_PASSWORD). Used by the console's login endpoint and by `shiren admin set-password`.
 */

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }

const passwordFile = (dataDir: string) => join(dataDir, 'admin-password')

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scrypt(pw, salt, 32, SCRYPT)
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function verifyPassword(pw: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.trim().split('$')
  if (kind !== 'scrypt' || !salt || !key) return false
  const want = Buffer.from(key, 'base64')
  const got = await scrypt(pw, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  })
  return got.length === want.length && timingSafeEqual(got, want)
}

export async function setAdminPassword(dataDir: string, pw: string): Promise<void> {
  if (pw.length < 8) throw new RangeError('the console password must have at least 8 characters')
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(passwordFile(dataDir), (await hashPassword(pw)) + '\n', { mode: 0o600 })
}

/**
 * At first start: a random password, hashed into the data dir and returned once so that the caller
 * prints it; null when one is already set (or SHIREN_ADMIN_PASSWORD provides it).
 */
export async function ensureAdminPassword(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  if (env.SHIREN_ADMIN_PASSWORD || existsSync(passwordFile(dataDir))) return null
  const pw = randomToken(16)
  mkdirSync(dataDir, { recursive: true })
  try {
    writeFileSync(passwordFile(dataDir), (await hashPassword(pw)) + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null
    throw err
  }
  return pw
}

/** The console login's check: SHIREN_ADMIN_PASSWORD when set, else the hash in the data dir. */
export async function checkAdminPassword(
  dataDir: string,
  pw: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<'ok' | 'wrong' | 'unset'> {
  const fromEnv = env.SHIREN_ADMIN_PASSWORD
  const file = passwordFile(dataDir)
  if (!fromEnv && !existsSync(file)) return 'unset'
  if (!pw) return 'wrong'
  const ok = fromEnv ? constantTimeEqual(pw, fromEnv) : await verifyPassword(pw, readFileSync(file, 'utf8'))
  return ok ? 'ok' : 'wrong'
}

let fpCache: { key: string; fp: string } | null = null
/**
 * What a session remembers of the password it was opened with: a digest of the stored scrypt hash
 * (salted, so the digest says nothing about the password), or of a fixed-salt scrypt of
 * SHIREN_ADMIN_PASSWORD. A new password gives a new fingerprint, which ends every older session.
 * Cached by the file's mtime and size, so a check costs one stat.
 */
export function passwordFingerprint(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SHIREN_ADMIN_PASSWORD
  let key: string
  if (fromEnv) key = `env:${createHash('sha256').update(fromEnv).digest('hex')}`
  else {
    const st = statSync(passwordFile(dataDir), { throwIfNoEntry: false })
    key = st ? `file:${dataDir}:${st.mtimeMs}:${st.size}:${st.ino}` : 'unset'
  }
  if (fpCache?.key === key) return fpCache.fp
  const source = fromEnv
    ? scryptSync(fromEnv, 'shiren-console-fingerprint', 32, SCRYPT)
    : key === 'unset'
      ? Buffer.from('unset')
      : readFileSync(passwordFile(dataDir))
  const fp = createHash('sha256').update(source).digest('hex')
  fpCache = { key, fp }
  return fp
}
