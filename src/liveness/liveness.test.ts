/**
 * The judges on timelines: synthetic ones pin the rules (order, first action, still evidence);
 * the real clips are in src/vision/video.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { allOccurrences, detectActions, judgeActions } from './action.js'
import { judgeSilent, motionEvidence } from './silent.js'
import type { FrameSample } from './timeline.js'

type Face = NonNullable<FrameSample['face']>
function timeline(n: number, f: (i: number, t: number) => Partial<Face>, fps = 10): FrameSample[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    t: i / fps,
    faceCount: 1,
    face: {
      ear: 0.3,
      mouthOpen: 0.03,
      yawDeg: 0,
      pitchDeg: 0,
      rollDeg: 0,
      width: 200,
      quality: 80,
      outsideFrac: 0,
      occlusion: 0,
      ...f(i, i / fps),
    },
    nonRigid: i ? 0.01 : null,
    pixelMotion: i ? 3 : null,
  }))
}

describe('action judge', () => {
  // blink at 1.0 s, mouth at 2.0 s, turn to the subject's left (yaw −20°) at 3.0 s
  const clip = timeline(45, (_, t) => ({
    ear: Math.abs(t - 1.0) < 0.05 ? 0.1 : 0.3,
    mouthOpen: Math.abs(t - 2.0) < 0.15 ? 0.5 : 0.03,
    yawDeg: t >= 3.0 && t < 3.5 ? -20 : 0,
  }))

  it('finds each action where it happens', () => {
    const ev = detectActions(clip)
    expect(ev.map((e) => [e.action, Math.round(e.t * 10) / 10])).toEqual([
      ['blink', 1],
      ['mouth', 1.9],
      ['left', 3],
    ])
  })

  it('passes the sequence in order, and names the failure otherwise', () => {
    expect(judgeActions(clip, ['blink', 'mouth', 'left']).reason).toBe('PASS')
    expect(judgeActions(clip, ['right', 'blink']).reason).toBe('FIRST_ACTION_MISSING')
    expect(judgeActions(clip, ['blink', 'right']).reason).toBe('NO_HEAD_TURN')
    expect(judgeActions(clip, ['left', 'mouth']).reason).toBe('ACTION_ORDER_WRONG')
    const noMouth = timeline(30, (_, t) => ({ ear: Math.abs(t - 1.0) < 0.05 ? 0.1 : 0.3 }))
    expect(judgeActions(noMouth, ['blink', 'mouth']).reason).toBe('NO_MOUTH_OPEN')
    expect(
      judgeActions(
        timeline(30, () => ({})),
        ['mouth', 'blink'],
      ).reason,
    ).toBe('FIRST_ACTION_MISSING')
    const mouthOnly = timeline(30, (_, t) => ({ mouthOpen: Math.abs(t - 1.0) < 0.15 ? 0.5 : 0.03 }))
    expect(judgeActions(mouthOnly, ['mouth', 'blink']).reason).toBe('NO_BLINK')
  })

  it('counts repeated actions, so blink → mouth → blink can be matched', () => {
    const twice = timeline(40, (_, t) => ({
      ear: Math.abs(t - 0.8) < 0.05 || Math.abs(t - 3.0) < 0.05 ? 0.1 : 0.3,
      mouthOpen: Math.abs(t - 2.0) < 0.15 ? 0.5 : 0.03,
    }))
    expect(allOccurrences(twice).blink.map((t) => Math.round(t * 10) / 10)).toEqual([0.8, 3])
    expect(judgeActions(twice, ['blink', 'mouth', 'blink']).reason).toBe('PASS')
  })

  it('does not take a mouth that is open all along, or a small yaw, for an action', () => {
    const open = timeline(30, (i) => ({ mouthOpen: 0.5, yawDeg: (i % 5) - 2 }))
    expect(detectActions(open)).toEqual([])
  })
})

describe('silent judge', () => {
  it('STILL_IMAGE_VIDEO when nothing moves but the whole picture', () => {
    const still = timeline(30, (i) => ({ mouthOpen: 0.22 + 0.02 * Math.sin(i), ear: 0.25 + 0.01 * Math.cos(i) }))
    expect(motionEvidence(still).independentMotion).toBe(false)
    expect(judgeSilent(still, [0.99]).reason).toBe('STILL_IMAGE_VIDEO')
  })

  it('PASS with independent mouth motion and a live anti-spoof score; SPOOF_DETECTED with a low one', () => {
    const talking = timeline(30, (i) => ({ mouthOpen: [0.02, 0.15, 0.3, 0.1][i % 4]! }))
    expect(judgeSilent(talking, [0.98, 0.99, 0.97]).reason).toBe('PASS')
    expect(judgeSilent(talking, [0.1, 0.3, 0.2]).reason).toBe('SPOOF_DETECTED')
  })

  it('SILENT_LIVENESS_FAILED with too few face frames', () => {
    expect(
      judgeSilent(
        timeline(3, () => ({ mouthOpen: 0.3 })),
        [0.99],
      ).reason,
    ).toBe('SILENT_LIVENESS_FAILED')
  })

  it('pixel-identical frames are still even when the mesh jitters', () => {
    const frozen = timeline(30, (i) => ({ mouthOpen: [0.02, 0.3][i % 2]! })).map((s) => ({
      ...s,
      pixelMotion: s.pixelMotion === null ? null : 0.1,
    }))
    expect(judgeSilent(frozen, [0.99]).reason).toBe('STILL_IMAGE_VIDEO')
  })
})
