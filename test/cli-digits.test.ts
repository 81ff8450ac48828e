import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA, MODELS, tempDir } from './support/env.js'
import { buildReading, mulberry32, speakerTakes, wavBytes } from './support/digit-readings.js'

const speechZh = join(DATA, 'speech', 'zh')
const ready = existsSync(speechZh) && existsSync(join(MODELS, 'speech-zh-kws-zipformer-wenetspeech-3.3M'))
if (!ready)
  console.warn('[skip] ../shared/data/speech or the speech models are absent: `shiren digits` tests are skipped')

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SHIREN_MODELS_DIR: MODELS, SHIREN_DIGIT_RECOGNIZER: '' },
    timeout: 120_000,
  })

/** `shiren digits`: operators' audio-only check of a recording against the digits expected. */
describe.skipIf(!ready)('shiren digits', () => {
  it('one JSON line per file: a reading of 3517 passes, the same file against 9517 fails with 1103 / -5008, silence is NO_AUDIO', () => {
    const dir = tempDir()
    const reading = buildReading(speakerTakes(speechZh, 'josehung'), '3517', mulberry32(5), { phone: false })
    const said = join(dir, 'reading-3517.wav')
    writeFileSync(said, wavBytes(reading.pcm))
    const silent = join(dir, 'silent.wav')
    writeFileSync(silent, wavBytes(new Float32Array(48000)))
    const ok = cli('digits', said, silent, '--expect', '3517', '--json')
    const lines = ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines[0], ok.stderr).toMatchObject({ file: said, pass: true, reason: 'PASS', codes: { h5: 0, sdk: 0 } })
    expect(lines[0].scores).toHaveLength(4)
    expect(typeof lines[0].ms).toBe('number')
    expect(lines[1]).toMatchObject({ file: silent, pass: false, reason: 'NO_AUDIO', codes: { h5: 1101, sdk: -5010 } })
    expect(ok.status).toBe(1)
    const other = JSON.parse(cli('digits', said, '--expect', '9517', '--json').stdout)
    expect(other).toMatchObject({ pass: false, reason: 'SPEECH_MISMATCH', codes: { h5: 1103, sdk: -5008 } })
  }, 180_000)

  it('--lang en is refused as not supported; without the speech models every file is "not available" (1001 / -5000)', () => {
    const en = cli('digits', 'x.wav', '--expect', '12', '--lang', 'en', '--json')
    expect(en.status).toBe(2)
    expect(en.stderr).toContain('not supported')
    const none = cli('digits', 'x.wav', '--expect', '12', '--json', '--models-dir', tempDir())
    expect(JSON.parse(none.stdout)).toMatchObject({
      pass: false,
      reason: 'VISION_ENGINE_UNAVAILABLE',
      codes: { h5: 1001, sdk: -5000 },
    })
  }, 120_000)
})
