/**
 * The judges on timelines: synthetic ones pin the rules (order, first action, still evidence);
 * the real clips are in src/vision/video.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { allOccurrences, detectActions, judgeActions } from './action.js'
import { judgeSilent, motionEvidence, padProbability, padScore, SILENT_THRESHOLDS } from './silent.js'
import { continuityEvidence, judgeContinuity } from './continuity.js'
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
      centerX: 320,
      centerY: 240,
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
  const LIVE = [{ p128: 0.99, p80: 0.99 }]
  const SPOOF = [
    { p128: 0.1, p80: 0.05 },
    { p128: 0.3, p80: 0.2 },
  ]
  it('VIDEO_LIVENESS_FAILED when the face only travels as a whole (a flat picture moved), PASS when it sits still', () => {
    const moved = timeline(30, (i) => ({
      mouthOpen: 0.22 + 0.02 * Math.sin(i),
      ear: 0.25 + 0.01 * Math.cos(i),
      centerX: 320 + 40 * Math.sin(i / 4),
    }))
    expect(motionEvidence(moved).independentMotion).toBe(false)
    expect(judgeSilent(moved, LIVE).reason).toBe('VIDEO_LIVENESS_FAILED')
    // a still-sitting webcam user: no evidence against, both models convinced
    const sitting = timeline(30, (i) => ({ mouthOpen: 0.03 + 0.005 * Math.sin(i) }))
    expect(judgeSilent(sitting, LIVE).reason).toBe('PASS')
    // … but a face that neither moves its eyes nor its mouth must convince the 80-px model too
    expect(judgeSilent(sitting, [{ p128: 0.999, p80: 0.5 }]).reason).toBe('SILENT_LIVENESS_BELOW_THRESHOLD')
  })

  it('3-D head motion is independent motion; a flat picture is not, however far it travels', () => {
    const turning = timeline(30, (i) => ({ yawDeg: 25 * Math.sin(i / 5), centerX: 320 + 60 * Math.sin(i / 5) }))
    expect(motionEvidence(turning, 0.3).headMotion3d).toBe(true)
    expect(judgeSilent(turning, LIVE, 0.3).reason).toBe('PASS')
    expect(judgeSilent(turning, LIVE, 0.05).reason).toBe('VIDEO_LIVENESS_FAILED')
  })

  it('PASS with independent mouth motion and a live score; SCREEN_REPLAY_DETECTED with a low one (a replayed recording)', () => {
    const talking = timeline(30, (i) => ({ mouthOpen: [0.02, 0.15, 0.3, 0.1][i % 4]! }))
    const v = judgeSilent(talking, [LIVE[0]!, LIVE[0]!, { p128: 0.97, p80: 0.98 }])
    expect(v.reason).toBe('PASS')
    expect(v.liveProbability).toBeGreaterThan(0.9)
    expect(judgeSilent(talking, SPOOF).reason).toBe('SCREEN_REPLAY_DETECTED')
    // a photo (no motion of its own) with a low score: SPOOF_DETECTED
    const sitting = timeline(30, () => ({}))
    expect(judgeSilent(sitting, SPOOF).reason).toBe('SPOOF_DETECTED')
    // a single image has only the score
    expect(judgeSilent(null, SPOOF).reason).toBe('SPOOF_DETECTED')
    expect(judgeSilent(null, LIVE).reason).toBe('PASS')
  })

  it('the score fuses both models: one confident model outweighs a doubtful one', () => {
    expect(padScore([{ p128: 0.4, p80: 0.999 }])!).toBeGreaterThan(SILENT_THRESHOLDS.minPadScore)
    expect(padScore([{ p128: 0.6, p80: 0.5 }])!).toBeLessThan(SILENT_THRESHOLDS.minPadScore)
    expect(padProbability(SILENT_THRESHOLDS.minPadScore)).toBeGreaterThan(0.5)
  })

  it('SILENT_LIVENESS_FAILED with too few face frames', () => {
    expect(
      judgeSilent(
        timeline(3, () => ({ mouthOpen: 0.3 })),
        LIVE,
      ).reason,
    ).toBe('SILENT_LIVENESS_FAILED')
  })

  it('pixel-identical frames are still even when the mesh jitters', () => {
    const frozen = timeline(30, (i) => ({ mouthOpen: [0.02, 0.3][i % 2]! })).map((s) => ({
      ...s,
      pixelMotion: s.pixelMotion === null ? null : 0.1,
    }))
    expect(judgeSilent(frozen, LIVE).reason).toBe('STILL_IMAGE_VIDEO')
  })

  it('a picture fed as a camera is still although its encoder breaks some frames (seen at 0.86 identical in Chromium)', () => {
    const recorded = timeline(23, () => ({})).map((s) => ({
      ...s,
      pixelMotion: s.pixelMotion === null ? null : s.index % 7 === 0 ? 2.5 : 0.2,
    }))
    expect(motionEvidence(recorded).staticShare).toBeGreaterThan(0.8)
    expect(judgeSilent(recorded, LIVE).reason).toBe('STILL_IMAGE_VIDEO')
    // a webcam user sitting still: sensor noise makes most frames differ
    const sitting = timeline(23, () => ({})).map((s) => ({
      ...s,
      pixelMotion: s.pixelMotion === null ? null : s.index % 6 === 0 ? 0.4 : 1.2,
    }))
    expect(judgeSilent(sitting, LIVE).reason).toBe('PASS')
  })
})

describe('one person, one take', () => {
  it('a second face for a moment is tolerated, for half a second it is not', () => {
    const blip = timeline(40, (i) => ({}), 8).map((s, i) => ({ ...s, faceCount: i === 10 || i === 11 ? 2 : 1 }))
    expect(judgeContinuity(continuityEvidence(blip, 8), [90, 90, 90])).toBeNull()
    const stays = timeline(40, () => ({}), 8).map((s, i) => ({ ...s, faceCount: i >= 10 && i < 18 ? 2 : 1 }))
    expect(continuityEvidence(stays, 8).secondFaceS).toBe(1)
    expect(judgeContinuity(continuityEvidence(stays, 8), [90, 90, 90])).toBe('MULTIPLE_FACES')
    const crowd = stays.map((s) => ({ ...s, faceCount: s.faceCount > 1 ? 3 : 1 }))
    expect(judgeContinuity(continuityEvidence(crowd, 8), [90, 90, 90])).toBe('TOO_MANY_FACES')
  })

  it('FACE_SWAPPED when a sampled face is another person; SUSPECTED_RECORDING at a shot cut', () => {
    const smooth = timeline(40, (i) => ({ centerX: 300 + 3 * i }), 8)
    expect(judgeContinuity(continuityEvidence(smooth, 8), [95, 40, 92])).toBe('FACE_SWAPPED')
    const cut = timeline(40, (i) => (i < 20 ? {} : { centerX: 420, width: 320 }), 8)
    const e = continuityEvidence(cut, 8)
    expect(e.maxJumpT).toBeCloseTo(20 / 8)
    expect(judgeContinuity(e, [95, 93, 92])).toBe('SUSPECTED_RECORDING')
    expect(judgeContinuity(continuityEvidence(smooth, 8), [95, 93, 92])).toBeNull()
  })
})
