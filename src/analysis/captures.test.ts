/**
 * Real capture conditions (section E of ../shared/data): the live phone and webcam selfies, the attack
 * videos, and clips derived from them with ffmpeg — two people spliced, a camera cut, a second face for
 * one second, a covered face, a blurred one, a head turned away, a photo moved in front of the camera.
 * Each fails with its reason, asserted with its codes in both families. Models load once, in-process.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toCode, type Reason } from '../codes/index.js'
import { ffmpegPath } from '../media/index.js'
import { analyse, closeModels, loadModels, type LoadedModels } from './analyser.js'

const shared = resolve(process.env.SHIREN_SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared'))
const data = join(shared, 'data')
const modelsDir = join(shared, 'models')
const hasData =
  existsSync(join(data, 'videos', 'selfie', 'lestari_real.mp4')) &&
  existsSync(join(modelsDir, 'antispoof_minifasv2se_128.onnx'))
if (!hasData) console.log(`SKIP capture tests: ${data}/videos/selfie or ${modelsDir} is absent`)

let m: LoadedModels
let dir = ''
const v = (p: string) => join(data, 'videos', p)
const LESTARI = v('selfie/lestari_real.mp4') // 1080×720 webcam, dim room, sits still, 3.8 s
const KRZYSIEK = v('selfie/krzysiek_real.mp4') // 1920×1080 webcam WebM, head turns
const BAOSHENG = v('selfie/baosheng_480_1.mp4') // phone selfie, 480×854

function codes(reason: Reason) {
  return { reason, h5: toCode('h5', reason).code, sdk: toCode('sdk', reason).code }
}

function ffmpeg(name: string, args: string[]): string {
  const out = join(dir, name)
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...args,
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    out,
  ])
  if (r.status !== 0) throw new Error(r.stderr.toString())
  return out
}

async function silent(path: string, reference?: string) {
  return analyse(m, {
    media: { path, kind: 'video' },
    liveness: 'silent',
    threshold: 70,
    ...(reference && { reference: { path: reference } }),
  })
}

describe.skipIf(!hasData)('real captures and clips derived from them', () => {
  beforeAll(async () => {
    m = await loadModels(modelsDir)
    dir = mkdtempSync(join(tmpdir(), 'shiren-captures-'))
  }, 120_000)
  afterAll(async () => {
    if (m) await closeModels(m)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('live phone and webcam selfies pass silent liveness: a dim still webcam user, a phone selfie turning the head', async () => {
    for (const clip of [LESTARI, v('selfie/tranvanluyt_real.mp4')]) {
      const r = await silent(clip)
      expect({ clip, reason: r.reason }).toEqual({ clip, reason: 'PASS' })
    }
  }, 300_000)

  it('FACE_SWAPPED: two people spliced into one clip', async () => {
    const p = ffmpeg('splice.mp4', [
      '-t',
      '2.5',
      '-i',
      KRZYSIEK,
      '-t',
      '2.5',
      '-i',
      BAOSHENG,
      '-filter_complex',
      '[0:v]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[a];[1:v]scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25[b];[a][b]concat=n=2:v=1[out]',
      '-map',
      '[out]',
    ])
    const r = await silent(p)
    expect(codes(r.reason)).toEqual(codes('FACE_SWAPPED'))
    expect(r.signals.identityConsistency).toBeLessThan(50)
  }, 120_000)

  it('SUSPECTED_RECORDING: a camera cut to a wider shot of the same person', async () => {
    const p = ffmpeg('cut.mp4', [
      '-i',
      LESTARI,
      '-filter_complex',
      '[0:v]trim=0:1.9,setpts=PTS-STARTPTS[a];[0:v]trim=1.9:3.8,setpts=PTS-STARTPTS,scale=540:360,pad=1080:720:270:180[b];[a][b]concat=n=2:v=1[out]',
      '-map',
      '[out]',
    ])
    const r = await silent(p)
    expect(codes(r.reason)).toEqual(codes('SUSPECTED_RECORDING'))
    expect(r.signals.maxFaceJump).toBeGreaterThan(1)
  }, 120_000)

  it('MULTIPLE_FACES: a second person in the picture for one second', async () => {
    // krzysiek's face (cut from his own webcam clip) beside lestari from 1 s to 2 s
    const p = ffmpeg('second-face.mp4', [
      '-i',
      LESTARI,
      '-i',
      KRZYSIEK,
      '-filter_complex',
      "[1:v]crop=560:620:680:380,scale=380:420,setpts=PTS-STARTPTS+1/TB[k];[0:v][k]overlay=x=700:y=300:enable='between(t,1,2)':eof_action=pass[out]",
      '-map',
      '[out]',
      '-t',
      '3.8',
    ])
    const r = await silent(p)
    expect(codes(r.reason)).toEqual(codes('MULTIPLE_FACES'))
    expect(r.signals.secondFaceS).toBeGreaterThanOrEqual(0.5)
  }, 120_000)

  it('FACE_OCCLUDED_IN_VIDEO, or BEST_FRAME_OCCLUDED when a comparison was asked: nose and mouth covered throughout', async () => {
    const p = ffmpeg('covered.mp4', ['-i', LESTARI, '-vf', 'drawbox=x=390:y=450:w=260:h=190:color=0x8CB8DA@1:t=fill'])
    expect(codes((await silent(p)).reason)).toEqual(codes('FACE_OCCLUDED_IN_VIDEO'))
    const ref = join(data, 'faces/lfw/Hun_Sen/Hun_Sen_0001.jpg')
    expect(codes((await silent(p, ref)).reason)).toEqual(codes('BEST_FRAME_OCCLUDED'))
  }, 120_000)

  it('BEST_FRAME_BLURRED: no frame sharp enough to be the comparison photo', async () => {
    const p = ffmpeg('blurred.mp4', ['-i', LESTARI, '-vf', 'gblur=sigma=9'])
    expect(codes((await silent(p)).reason)).toEqual(codes('BEST_FRAME_BLURRED'))
  }, 120_000)

  it('FACE_NOT_FRONTAL: a head turned away in every frame', async () => {
    const p = ffmpeg('turned.mp4', ['-ss', '2.9', '-t', '2.3', '-i', v('selfie/tranvanluyt_real.mp4')])
    expect(codes((await silent(p)).reason)).toEqual(codes('FACE_NOT_FRONTAL'))
  }, 120_000)

  it('attacks: a screen replay fails as SCREEN_REPLAY_DETECTED, a worn rigid mask as SILENT_LIVENESS_BELOW_THRESHOLD, a photo on a phone as SPOOF_DETECTED', async () => {
    const screen = await silent(v('attacks/tranvanluyt_fake.mp4'))
    expect(codes(screen.reason)).toEqual(codes('SCREEN_REPLAY_DETECTED'))
    const mask = await silent(v('attacks/baosheng_Mask_Half_44.mp4'))
    expect(codes(mask.reason)).toEqual(codes('SILENT_LIVENESS_BELOW_THRESHOLD'))
    expect(mask.signals.ownMotion).toBe(false)
    const photo = await silent(v('attacks/lestari_fake.mp4'))
    expect(codes(photo.reason)).toEqual(codes('SPOOF_DETECTED'))
  }, 300_000)

  it('VIDEO_LIVENESS_FAILED: a photo moved, zoomed and turned in front of the camera', async () => {
    const p = ffmpeg('moved.mp4', [
      '-loop',
      '1',
      '-i',
      join(data, 'faces/deepface/Jeff_Bezos/img20.jpg'),
      '-t',
      '2.4',
      '-r',
      '25',
      '-vf',
      "scale=960:960:force_original_aspect_ratio=decrease,pad=960:960:(ow-iw)/2:(oh-ih)/2,zoompan=z='1.25+0.1*sin(on/12)':x='iw/2-(iw/zoom/2)+30*sin(on/9)':y='ih/2-(ih/zoom/2)+20*cos(on/7)':d=1:s=480x480:fps=25,rotate=0.06*sin(t*3)",
    ])
    expect(codes((await silent(p)).reason)).toEqual(codes('VIDEO_LIVENESS_FAILED'))
  }, 120_000)
})
