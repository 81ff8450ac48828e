/**
 * Liveness on real clips from ../shared/data/videos and videos derived from them or from the face
 * photos with ffmpeg (trimmed, concatenated, rendered from one still image). Reasons and codes of
 * both families are asserted. Models are loaded once, in-process.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCode } from '../codes/index.js'
import type { Reason } from '../codes/index.js'
import { ffmpegPath } from '../media/index.js'
import { analyse, closeModels, loadModels, type LoadedModels } from './analyser.js'
import type { AnalyseRequest } from './types.js'
import { scanVideo } from '../vision/index.js'
import { judgeActions } from '../liveness/index.js'
import { judgeSilent } from '../liveness/index.js'

const shared = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'))
const data = join(shared, 'data')
const modelsDir = join(shared, 'models')
const hasData = existsSync(join(data, 'videos')) && existsSync(join(modelsDir, 'antispoof_minifasv2se_128.onnx'))
if (!hasData) console.log(`SKIP vision video tests: ${data} or ${modelsDir} is absent`)

let m: LoadedModels
let dir = ''
const v = (p: string) => join(data, 'videos', p)

function codes(reason: Reason) {
  return { reason, h5: toCode('h5', reason).code, sdk: toCode('sdk', reason).code }
}

function ffmpeg(args: string[]): void {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args])
  if (r.status !== 0) throw new Error(r.stderr.toString())
}

/** a 2.4 s video rendered from one still image */
function stillVideo(image: string, name: string): string {
  const out = join(dir, name)
  ffmpeg([
    '-loop',
    '1',
    '-i',
    image,
    '-t',
    '2.4',
    '-r',
    '25',
    '-vf',
    'scale=480:480:force_original_aspect_ratio=decrease,pad=480:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    out,
  ])
  return out
}

const run = (path: string, req: Partial<AnalyseRequest>) =>
  analyse(m, { media: { path, kind: 'video' }, liveness: 'none', threshold: 70, ...req })

describe.skipIf(!hasData)('video liveness on real clips', () => {
  beforeAll(async () => {
    m = await loadModels(modelsDir)
    dir = mkdtempSync(join(tmpdir(), 'shiren-video-'))
  }, 120_000)
  afterAll(async () => {
    if (m) await closeModels(m)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('d18 (mouth opening, then a blink): action sequences and silent liveness', async () => {
    const pass = await run(v('liveportrait/d18.mp4'), { liveness: 'action', actions: ['mouth', 'blink'] })
    expect(pass.reason).toBe('PASS')
    expect(pass.bestFrame?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    // other sequences on the same timeline (one decode): the judge analyse() runs
    const { samples } = await scanVideo(m.detector, v('liveportrait/d18.mp4'))
    expect(codes(judgeActions(samples, ['left', 'mouth']).reason)).toEqual(codes('FIRST_ACTION_MISSING'))
    expect(codes(judgeActions(samples, ['mouth', 'right']).reason)).toEqual(codes('NO_HEAD_TURN'))
    expect(judgeSilent(samples, [{ p128: 0.99, p80: 0.99 }]).reason).toBe('PASS')
  }, 120_000)

  it('silent liveness on a live clip passes with the anti-spoof score of several frames', async () => {
    const silent = await run(v('grid/lbax4n.mpg'), { liveness: 'silent' })
    expect(silent.reason).toBe('PASS')
    expect(silent.signals.independentMotion).toBe(true)
    expect(Number(silent.signals.liveProbability)).toBeGreaterThan(0.5)
  }, 120_000)

  it('NO_BLINK: d18 cut before its first blink; NO_MOUTH_OPEN: a GRID speaker who blinks but never opens wide', async () => {
    const head = join(dir, 'd18-head.mp4')
    ffmpeg(['-i', v('liveportrait/d18.mp4'), '-t', '2.6', '-an', '-c:v', 'libx264', '-preset', 'veryfast', head])
    expect(codes((await run(head, { liveness: 'action', actions: ['mouth', 'blink'] })).reason)).toEqual(
      codes('NO_BLINK'),
    )
    expect(
      codes((await run(v('grid/bbaf2n.mpg'), { liveness: 'action', actions: ['blink', 'mouth'] })).reason),
    ).toEqual(codes('NO_MOUTH_OPEN'))
  }, 120_000)

  it('d3 (head turns, then a wide mouth): turns found, ACTION_ORDER_WRONG when asked the other way round', async () => {
    const { samples } = await scanVideo(m.detector, v('liveportrait/d3.mp4'))
    expect(judgeActions(samples, ['right', 'left', 'mouth']).reason).toBe('PASS')
    expect(codes(judgeActions(samples, ['mouth', 'right']).reason)).toEqual(codes('ACTION_ORDER_WRONG'))
  }, 120_000)

  it('STILL_IMAGE_VIDEO: a video rendered from one face photo fails silent and action liveness', async () => {
    const still = stillVideo(join(data, 'faces/deepface/Jeff_Bezos/img20.jpg'), 'still.mp4')
    const r = await run(still, { liveness: 'silent' })
    expect(codes(r.reason)).toEqual(codes('STILL_IMAGE_VIDEO'))
    expect(r.signals.independentMotion).toBe(false)
    expect(codes((await run(still, { liveness: 'action', actions: ['blink'] })).reason)).toEqual(
      codes('STILL_IMAGE_VIDEO'),
    )
  }, 120_000)

  it('NO_FACE_IN_VIDEO, MULTIPLE_FACES and VIDEO_TOO_SHORT on derived and real clips', async () => {
    const office = join(dir, 'office.jpg')
    ffmpeg(['-i', join(data, 'spoof/vietmoney/true_002.jpg'), '-vf', 'crop=380:380:0:0', office])
    expect(codes((await run(stillVideo(office, 'empty.mp4'), {})).reason)).toEqual(codes('NO_FACE_IN_VIDEO'))
    expect(
      codes((await run(stillVideo(join(data, 'faces/deepface/_multi/couple.jpg'), 'couple.mp4'), {})).reason),
    ).toEqual(codes('MULTIPLE_FACES'))
    expect(codes((await run(v('liveportrait/d1.mp4'), { liveness: 'action', actions: ['blink'] })).reason)).toEqual(
      codes('VIDEO_TOO_SHORT'),
    )
  }, 120_000)

  it('FACE_SWAPPED: two GRID speakers in one clip; the same clip of one speaker compares normally', async () => {
    const swapped = join(dir, 'swapped.mp4')
    ffmpeg([
      '-i',
      v('grid/bbaf2n.mpg'),
      '-i',
      v('grid/brbk7n.mpg'),
      '-filter_complex',
      '[0:v]trim=0:1.5,setpts=PTS-STARTPTS[a];[1:v]trim=0:1.5,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[out]',
      '-map',
      '[out]',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      swapped,
    ])
    const reference = { path: join(data, 'faces/lfw/Hun_Sen/Hun_Sen_0001.jpg') }
    const r = await run(swapped, { reference })
    expect(codes(r.reason)).toEqual(codes('FACE_SWAPPED'))
    const same = await run(v('grid/bbaf2n.mpg'), { reference })
    expect(codes(same.reason)).toEqual(codes('SIMILARITY_BELOW_THRESHOLD'))
    expect(Number(same.signals.identityConsistency)).toBeGreaterThan(70)
  }, 120_000)
})
