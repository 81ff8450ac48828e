import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openPrivateTemp, sweepPrivateTemps } from './private-temp.js'
import { decodeVideoFrames } from './video.js'
import { DATA } from '../../test/support/env.js'

// Decrypted media for the engine never lie on disk under a name: not while the engine reads them,
// not after, not after the process is killed.

const linux = process.platform === 'linux'
const clip = join(DATA, 'videos', 'liveportrait', 'd1.mp4')
const dir = () => mkdtempSync(join(tmpdir(), 'shiren-private-'))

describe('private temp files', () => {
  it.runIf(linux)(
    'are readable through their path while open, have no name in the folder, and are gone when closed',
    async () => {
      const d = dir()
      const data = randomBytes(50_000)
      const t = await openPrivateTemp(d, data)
      expect(readFileSync(t.path).equals(data)).toBe(true)
      expect(readFileSync(t.path).equals(data)).toBe(true) // every open reads from the start
      expect(readdirSync(d)).toEqual([])
      await t.close()
      await t.close()
      expect(existsSync(t.path)).toBe(false)
    },
  )

  it.runIf(linux && existsSync(clip))(
    'ffmpeg probes and decodes a video through the nameless file (an MP4 needs seeking)',
    async () => {
      const d = dir()
      const t = await openPrivateTemp(d, readFileSync(clip))
      try {
        const { info, frames } = await decodeVideoFrames(t.path, { maxFrames: 3, ignoreDurationLimits: true })
        expect(info.probe.container).toBe('mov,mp4,m4a,3gp,3g2,mj2')
        expect(frames.length).toBeGreaterThan(0)
      } finally {
        await t.close()
      }
      expect(readdirSync(d)).toEqual([])
    },
  )

  it.runIf(linux)('a process killed while holding one leaves nothing behind', async () => {
    const d = dir()
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { openPrivateTemp } = await import('./src/media/private-temp.ts');
         const t = await openPrivateTemp(${JSON.stringify(d)}, Buffer.alloc(100000, 7));
         console.log(t.path); setInterval(() => {}, 1000)`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const path = await new Promise<string>((r) => child.stdout!.once('data', (b) => r(String(b).trim())))
    expect(readFileSync(path)).toEqual(Buffer.alloc(100000, 7)) // held by the live process
    expect(readdirSync(d)).toEqual([])
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(readdirSync(d)).toEqual([])
    expect(existsSync(path)).toBe(false)
  })

  it('the startup sweep removes plaintext copies a crash left (named temps, older versions), nothing else', async () => {
    const d = dir()
    writeFileSync(join(d, '0123456789abcdef-media'), 'x')
    writeFileSync(join(d, `${'ab'.repeat(12)}.private`), 'x')
    writeFileSync(join(d, 'keep.txt'), 'x')
    expect(await sweepPrivateTemps(d)).toBe(2)
    expect(readdirSync(d)).toEqual(['keep.txt'])
    expect(await sweepPrivateTemps(join(d, 'absent'))).toBe(0)
  })
})
