import type { Reason } from '../codes/index.js'
import { median, type FrameSample } from './timeline.js'

export type Action = 'blink' | 'mouth' | 'left' | 'right'

/**
 * Thresholds of the action judge (mirrored in docs/vision.md). EAR = eye aspect ratio, mouth =
 * inner-lip gap over mouth width, yaw in degrees (Human's estimate from the mesh).
 */
export const ACTION_THRESHOLDS = {
  /** blink: EAR falls to this share of the open level seen in the preceding window … */
  blinkDropRatio: 0.72,
  /** … and comes back to at least this share of the open level in the following window (d1.mp4 ends while the eyes reopen: 0.78) */
  blinkRecoverRatio: 0.75,
  blinkWindowS: 0.7,
  /** mouth: inner-lip gap over width reaches this (talking stays below ~0.36 on the GRID and retalking clips) */
  mouthOpen: 0.4,
  /** … having been below this before (a mouth that opens, not one that is always open) */
  mouthClosed: 0.25,
  /** head turn: yaw leaves the starting pose by at least this many degrees */
  turnDeg: 10,
  /** "straight ahead" is the median yaw of the whole clip: a user spends most of it facing the camera */
} as const

export interface ActionEvent {
  action: Action
  /** seconds from the start where the action is first complete */
  t: number
  /** strength: EAR ratio, mouth opening, or yaw change in degrees */
  value: number
}

/**
 * Subject-relative direction: `left` is the subject turning to their own left, which in a
 * non-mirrored capture moves the nose towards the image's right. Human's yaw is negative then
 * (checked on d3.mp4: nose offset +0.34 of the face width at yaw −15.6°), so left ⇔ yaw decreases.
 */
export const YAW_SIGN_OF_LEFT = -1

/** Every action the timeline shows, each at its first occurrence after `after` (seconds). */
export function detectActions(samples: FrameSample[], straightYaw?: number, after = -Infinity): ActionEvent[] {
  const T = ACTION_THRESHOLDS
  const faces = samples.filter((s) => s.face)
  const events: ActionEvent[] = []
  // blink: a dip of the EAR relative to its recent open level, recovered afterwards
  for (let i = 0; i < faces.length; i++) {
    const cur = faces[i]!
    if (cur.t <= after) continue
    const before = faces.filter((s) => s.t < cur.t && s.t >= cur.t - T.blinkWindowS).map((s) => s.face!.ear)
    const next = faces.filter((s) => s.t > cur.t && s.t <= cur.t + T.blinkWindowS).map((s) => s.face!.ear)
    if (!before.length || !next.length) continue
    const open = Math.max(...before)
    const ratio = cur.face!.ear / open
    if (ratio <= T.blinkDropRatio && Math.max(...next) >= T.blinkRecoverRatio * open) {
      events.push({ action: 'blink', t: cur.t, value: ratio })
      break
    }
  }
  // mouth: opens wide after having been closed
  let seenClosed = false
  for (const s of faces) {
    if (s.t <= after) continue
    if (s.face!.mouthOpen < T.mouthClosed) seenClosed = true
    else if (seenClosed && s.face!.mouthOpen >= T.mouthOpen) {
      events.push({ action: 'mouth', t: s.t, value: s.face!.mouthOpen })
      break
    }
  }
  // head turns relative to the starting pose
  if (faces.length) {
    const start = straightYaw ?? median(faces.map((s) => s.face!.yawDeg))
    let left: ActionEvent | null = null
    let right: ActionEvent | null = null
    for (const s of faces) {
      if (s.t <= after) continue
      const d = (s.face!.yawDeg - start) * YAW_SIGN_OF_LEFT
      if (!left && d >= T.turnDeg) left = { action: 'left', t: s.t, value: d }
      if (!right && d <= -T.turnDeg) right = { action: 'right', t: s.t, value: -d }
    }
    if (left) events.push(left)
    if (right) events.push(right)
  }
  return events.sort((a, b) => a.t - b.t)
}

const MISSING: Record<Action, Reason> = {
  blink: 'NO_BLINK',
  mouth: 'NO_MOUTH_OPEN',
  left: 'NO_HEAD_TURN',
  right: 'NO_HEAD_TURN',
}

export interface ActionVerdict {
  reason: Reason
  events: ActionEvent[]
  /** time at which each asked action was matched, in order; null where not matched */
  matched: Array<number | null>
}

/**
 * Check the server-chosen sequence: each action must happen, in the order asked. The first action
 * missing altogether → FIRST_ACTION_MISSING; a later one missing → its own code; all present but
 * out of order → ACTION_ORDER_WRONG.
 */
export function judgeActions(samples: FrameSample[], asked: Action[]): ActionVerdict {
  const events = detectActions(samples)
  const all = allOccurrences(samples)
  const matched: Array<number | null> = []
  let after = -Infinity
  let orderBroken = false
  for (const a of asked) {
    const times = all[a]
    const next = times.find((t) => t > after)
    if (next === undefined) {
      matched.push(null)
      if (times.length) orderBroken = true
    } else {
      matched.push(next)
      after = next
    }
  }
  for (let i = 0; i < asked.length; i++) {
    if (!all[asked[i]!].length)
      return { reason: i === 0 ? 'FIRST_ACTION_MISSING' : MISSING[asked[i]!], events, matched }
  }
  if (orderBroken) return { reason: 'ACTION_ORDER_WRONG', events, matched }
  return { reason: 'PASS', events, matched }
}

/**
 * Every time each action happens (not only the first), so that a sequence like blink → mouth → blink
 * can be matched in order. Splits the timeline at each detected occurrence and searches again.
 */
export function allOccurrences(samples: FrameSample[]): Record<Action, number[]> {
  const out: Record<Action, number[]> = { blink: [], mouth: [], left: [], right: [] }
  const faces = samples.filter((s) => s.face)
  if (!faces.length) return out
  const straight = median(faces.map((s) => s.face!.yawDeg))
  for (const action of ['blink', 'mouth', 'left', 'right'] as const) {
    let from = -Infinity
    for (let guard = 0; guard < 20; guard++) {
      const ev = detectActions(faces, straight, from).find((e) => e.action === action)
      if (!ev) break
      out[action].push(ev.t)
      // the same action must end before it can count again: skip past its recovery
      from = ev.t + ACTION_THRESHOLDS.blinkWindowS
    }
  }
  return out
}
