/**
 * The audio module on real recordings: GRID talking clips (English), LivePortrait clips without a
 * track or with a silent track, and the Mandarin spoken digits of ../shared/data/speech (audio only:
 * those recordings have no matching video, so they test syllable counting, never lips).
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyseAudioFile,
  decodeAudio,
  isDigitalSilence,
  verifyDigits,
  decideDigits,
  alignHeard,
  digitsInTokens,
  normaliseDigits,
  SileroVad,
  toDbfs,
} from './index.js'

const data = join(resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared')), 'data')
const hasData = existsSync(join(data, 'videos', 'grid')) && existsSync(join(data, 'speech', 'zh'))
if (!hasData) console.log(`SKIP audio tests on real recordings: ${data}/videos or ${data}/speech is absent`)

describe('recogniser extension point', () => {
  it('a version-1 recogniser (recognise only) verifies by equality, nothing tolerated', async () => {
    const v1 = (heard: string | null) => ({ name: 'v1', recognise: async () => heard })
    const pcm = new Float32Array(16000)
    expect(await verifyDigits(v1('3581'), pcm, '3581')).toMatchObject({ pass: true, heard: '3581', margin: 0 })
    expect(await verifyDigits(v1('3587'), pcm, '3581')).toMatchObject({ pass: false, scores: [1, 1, 1, 0] })
    expect((await verifyDigits(v1(null), pcm, '3581')).pass).toBe(false)
  })
  it('pinyin tokens to digits: only the digit syllables, 幺 as 1', () => {
    const t = ['s', 'ān', 'n', 'ǐ', 'w', 'ǔ', 'b', 'ā', 'y', 'āo', 'èr']
    const d = digitsInTokens(
      t,
      t.map((_, i) => i / 10),
      t.map(() => Math.log(0.5)),
    )
    expect(d.map((x) => x.digit).join('')).toBe('35812')
    expect(d[0]!.p).toBeCloseTo(0.5)
    expect(d[1]!.t).toBeCloseTo(0.4)
  })
  it('alignment allows unheard issued digits only; the decision takes the best hypothesis', () => {
    expect(alignHeard('358', '3581')).toEqual({ matched: [0, 1, 2, -1], unheard: 1, foreign: 0 })
    expect(alignHeard('3681', '3581')).toMatchObject({ unheard: 1, foreign: 1 })
    expect(alignHeard('5381', '3581')).toMatchObject({ unheard: 1, foreign: 1 })
    const h = (s: string) => [...s].map((digit) => ({ digit, t: 0, p: 0.8 }))
    const ok = decideDigits([h('581'), h('3581'), h('35')], '3581')
    expect(ok).toMatchObject({ pass: true, heard: '3581', margin: 2, unheard: 0, foreign: 0 })
    // every decoding alike (the rule's votes do not bind)
    const all = (s: string) => [h(s), h(s), h(s), h(s)]
    expect(decideDigits(all('81'), '3581')).toMatchObject({ pass: true, margin: 0, scores: [0, 0, 0.8, 0.8] })
    expect(decideDigits(all('1'), '3581')).toMatchObject({ pass: false, margin: -1 })
    expect(decideDigits(all('3681'), '3581')).toMatchObject({ pass: false, margin: -2 })
    expect(decideDigits(all(''), '3581')).toMatchObject({ pass: false, heard: null })
    // a short string: silence does not pass, and at least two digits must be heard
    expect(decideDigits(all(''), '35')).toMatchObject({ pass: false, heard: null })
    expect(decideDigits(all('5'), '35')).toMatchObject({ pass: false })
    expect(decideDigits(all('35'), '35')).toMatchObject({ pass: true, margin: 0 })
    expect(decideDigits(all('5'), '358')).toMatchObject({ pass: false })
    expect(decideDigits(all('58'), '358')).toMatchObject({ pass: true, margin: 0 })
  })
  it('votes: without an exact decoding, a digit counts only where at least two decodings hear it in place', () => {
    const h = (s: string) => [...s].map((digit) => ({ digit, t: 0, p: 0.8 }))
    // a replay the model mishears: one decoding hears two issued digits in order, the others something else
    const replay = decideDigits([h('0'), h('01'), h('0'), h('08')], '7086')
    expect(replay).toMatchObject({ pass: false, unheard: 3, foreign: 0, votes: [0, 4, 1, 0] })
    // the rule before (minVotes 1) passed it
    expect(decideDigits([h('0'), h('01'), h('0'), h('08')], '7086', { maxUnheard: 2, minVotes: 1 }).pass).toBe(true)
    // a genuine reading whose first digit only one decoding hears and whose last one half of them drop: passes,
    // with both counted as unheard
    const genuine = decideDigits([h('358'), h('58'), h('581'), h('581')], '3581')
    expect(genuine).toMatchObject({ pass: true, unheard: 2, margin: 0, votes: [1, 4, 4, 2], heard: '358' })
    const dropped = decideDigits([h('358'), h('58'), h('58'), h('5')], '3581')
    expect(dropped).toMatchObject({ pass: true, unheard: 2, votes: [1, 4, 3, 0], scores: [0, 0.8, 0.8, 0] })
    // an exact decoding passes as it is, whatever the others heard
    expect(decideDigits([h('1'), h('3581')], '3581')).toMatchObject({ pass: true, unheard: 0, margin: 2 })
  })
  it('the second pass (benchmarks only) hears an unheard digit only in its segment and only without a foreign digit', () => {
    const at = (s: string, t0: number) => [...s].map((digit, k) => ({ digit, t: t0 + 0.5 * k, p: 0.7 }))
    // 3 _ _ 1 heard at 0.0 and 1.5 s: the segment around 5 and 8 is 0.0 − 0.3 … 1.5 + 0.4 s
    const asked: Array<[number, number]> = []
    const decode = (heard: string) => (a: number, b: number) => {
      asked.push([a, b])
      return [at(heard, a + 0.3)]
    }
    const free = [at('3', 0).concat(at('1', 1.5))]
    const rescued = decideDigits(free, '3581', { maxUnheard: 1, minVotes: 1 }, { decode: decode('358'), soundS: 3 })
    expect(asked).toEqual([[0, 1.9]])
    expect(rescued).toMatchObject({ pass: true, unheard: 0, rescued: 2, heard: '3581', margin: 1 })
    // a foreign digit in the segment: nothing is rescued
    expect(
      decideDigits(free, '3581', { maxUnheard: 1, minVotes: 1 }, { decode: decode('398'), soundS: 3 }),
    ).toMatchObject({
      pass: false,
      unheard: 2,
      rescued: 0,
    })
    // within the tolerance, or with a foreign digit in the free decoding, it is not run
    asked.length = 0
    decideDigits([at('351', 0)], '3581', { maxUnheard: 1, minVotes: 1 }, { decode: decode('8'), soundS: 3 })
    decideDigits([at('3961', 0)], '3581', { maxUnheard: 1, minVotes: 1 }, { decode: decode('8'), soundS: 3 })
    expect(asked).toEqual([])
  })
  it('normalises Chinese and English digit words', () => {
    expect(normaliseDigits('四 八 二 九')).toBe('4829')
    expect(normaliseDigits('one two, 3')).toBe('123')
    expect(normaliseDigits('hello')).toBeNull()
  })
  it('digital silence is exact zeros or one-LSB noise, not a quiet room', () => {
    expect(isDigitalSilence(new Float32Array(1000))).toBe(true)
    const quiet = Float32Array.from({ length: 16000 }, (_, i) => 0.001 * Math.sin(i))
    expect(isDigitalSilence(quiet)).toBe(false)
    expect(toDbfs(1)).toBe(0)
  })
})

describe.skipIf(!hasData)('audio of real recordings', () => {
  let vad: SileroVad
  beforeAll(async () => {
    vad = await SileroVad.load()
  })
  afterAll(async () => vad?.close())

  it('decodes a GRID clip to 16 kHz mono and finds its one sentence of speech', async () => {
    const a = await analyseAudioFile(vad, join(data, 'videos/grid/bbaf2n.mpg'))
    expect(a.hasTrack).toBe(true)
    expect(a.durationS).toBeCloseTo(2.98, 1)
    expect(a.digitalSilence).toBe(false)
    expect(a.speech.length).toBe(1)
    expect(a.speechS).toBeGreaterThan(1)
    expect(a.speechS).toBeLessThan(2)
    expect(a.speechDbfs).toBeGreaterThan(-20)
  })

  it('tells a missing track from a silent one', async () => {
    const none = await decodeAudio(join(data, 'videos/liveportrait/d0.mp4'))
    expect(none.hasTrack).toBe(false)
    const silent = await analyseAudioFile(vad, join(data, 'videos/liveportrait/d5.mp4'))
    expect(silent.hasTrack).toBe(true)
    expect(silent.digitalSilence).toBe(true)
  })

  it('counts one syllable per Mandarin digit: the 10-digit string 3486790251 and isolated digits', async () => {
    const s = await analyseAudioFile(vad, join(data, 'speech/zh/wenya_tw/3486790251_0.wav'))
    expect(s.syllables).toBe(10)
    const zh = join(data, 'speech/zh/zhengyima')
    const counts: number[] = []
    for (const f of readdirSync(zh).sort()) counts.push((await analyseAudioFile(vad, join(zh, f))).syllables)
    // measured: 39/50 exactly one, every one within ±1 (nasal codas and diphthongs sometimes split)
    expect(counts.filter((c) => c === 1).length / counts.length).toBeGreaterThanOrEqual(0.7)
    expect(counts.every((c) => c >= 0 && c <= 2)).toBe(true)
  }, 60_000)
})
