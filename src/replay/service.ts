import { ReasonError, toCode, type Family, type Reason } from '../codes/index.js'
import { DUPLICATE_ACTIONS, SUPPORTED_LIVENESS, type LivenessMode, type Rule } from '../apps/index.js'
import type { Store } from '../storage/index.js'
import type { Action, Attempt, AttemptAnalysis, Challenge, Verification } from '../verifications/index.js'
import { duplicatesIn, evidenceOf, judgeAttempt } from '../verdict/index.js'

/**
 * What-if replay: the stored attempts of a rule's verifications judged again under changed settings,
 * to show what a change would flip before it is made. It reads and never writes: no verdict, attempt,
 * ledger row or webhook event changes (its store is a read-only pick of the repositories).
 *
 * - threshold, duplicateAction, maxAttempts need no new analysis: the stored similarity, duplicate
 *   finding and attempt order are judged again by the same pure function as the live path
 *   (src/verdict).
 * - liveness and actionCount change what the analyser computes: the stored media run through the
 *   analysis engine again (same code path as the live analysis, `AttemptAnalysis.judge`), while the
 *   media are retained; attempts whose media were purged are listed as not replayable.
 */

/** The rule settings a replay can change, and how each is read from `--set key=value`. */
export interface ReplaySettings {
  threshold: number
  duplicateAction: Rule['duplicateAction']
  maxAttempts: number
  liveness: LivenessMode
  actionCount: number
}
export type ReplayKey = keyof ReplaySettings
export const REPLAY_KEYS: readonly ReplayKey[] = [
  'threshold',
  'duplicateAction',
  'maxAttempts',
  'liveness',
  'actionCount',
]

/** Rule settings that exist but do not change how a stored attempt is judged (or cannot be replayed). */
const NOT_REPLAYABLE_KEYS: Record<string, string> = {
  name: 'the name does not change a verdict',
  enabled: 'enabling a rule does not change a verdict',
  tokenTtlS: 'the token lifetime acts before any attempt is made',
  idcardStep: 'an ID-card step would have asked the person for a card they never showed',
  compareSource: 'another compare source needs a reference the verification never had (not supported by the replay)',
}

export interface ReplayRequest {
  ruleId: string
  /** changed settings: numbers or the strings of `--set key=value` */
  set: Record<string, unknown>
  /** created at or after (ISO time, or a day YYYY-MM-DD) */
  from?: string
  /** created before (ISO time), or up to and including a day YYYY-MM-DD */
  to?: string
  /** newest verifications first, at most this many (default 200, at most 1000) */
  limit?: number
}

export interface Judgement {
  reason: Reason
  code: number
  billable: boolean
  similarity: number | null
}

export type Flip = 'pass-to-fail' | 'fail-to-pass' | 'code-changed'

export interface ReplayedAttempt {
  seq: number
  old: Judgement
  /** null: not replayable (see `note`) */
  new: Judgement | null
  /** signals: judged again from the stored findings; media: analysed again; kept: decided without analysis */
  from: 'signals' | 'media' | 'kept' | 'none'
  note: string | null
}

export interface ReplayedVerification {
  id: string
  token: string
  orderNo: string | null
  family: Family
  createdAt: string
  old: Judgement
  /** null: not replayable */
  new: Judgement | null
  flip: Flip | null
  notReplayable: string | null
  attempts: ReplayedAttempt[]
}

export interface ReplayReport {
  ruleId: string
  appId: string
  /** the rule's settings as stored, and as replayed */
  current: ReplaySettings
  replayed: ReplaySettings
  changed: ReplayKey[]
  /** true when the change needed the stored media analysed again */
  reanalysed: boolean
  from: string | null
  to: string | null
  counts: {
    verifications: number
    replayed: number
    notReplayable: number
    passToFail: number
    failToPass: number
    codeChanged: number
    unchanged: number
  }
  /** newest first */
  verifications: ReplayedVerification[]
}

/** What the replay reads: repositories picked down to their read methods, so that it cannot write. */
export interface ReplayStore {
  rules: Pick<Store['rules'], 'get'>
  verifications: Pick<Store['verifications'], 'search'>
  attempts: Pick<Store['attempts'], 'listFor'>
}

/** Reasons the analysis answers when a stored file is gone: the attempt is not replayable, not judged. */
const MEDIA_GONE: ReadonlySet<Reason> = new Set<Reason>([
  'VIDEO_FETCH_FAILED',
  'DIGITS_VIDEO_READ_FAILED',
  'IMAGE_FETCH_FAILED',
  'REGISTRY_PHOTO_READ_FAILED',
  'COMPARE_FAILED',
])

const DAY = /^\d{4}-\d{2}-\d{2}$/

export class ReplayService {
  constructor(
    private readonly store: ReplayStore,
    /** the live analysis' reading and judging of one attempt (never its recording of a verdict) */
    private readonly analysis: Pick<AttemptAnalysis, 'judge'>,
  ) {}

  async replay(req: ReplayRequest): Promise<ReplayReport> {
    const rule = await this.store.rules.get(req.ruleId)
    if (!rule) throw new ReasonError('NOT_FOUND', `no rule ${req.ruleId}`)
    const current = settingsOf(rule)
    const replayed = { ...current, ...parseReplaySettings(req.set) }
    const changed = REPLAY_KEYS.filter((k) => replayed[k] !== current[k])
    const reanalyse =
      replayed.liveness !== current.liveness ||
      (replayed.liveness === 'action' && replayed.actionCount !== current.actionCount)
    const from = req.from ? bound(req.from, 'from') : null
    const to = req.to ? bound(req.to, 'to') : null
    if (from && to && from >= to) throw new ReasonError('INVALID_PARAMETER', 'from must be before to')
    const limit = req.limit ?? 200
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ReasonError('INVALID_PARAMETER', 'limit must be an integer 1-1000')

    const found = await this.store.verifications.search({
      ruleId: rule.ruleId,
      ...(from && { from }),
      ...(to && { to }),
      limit,
    })
    const out: ReplayedVerification[] = []
    for (const v of found) {
      // a verification still in flight has no verdict to compare with
      if (v.state !== 'finished' || !v.finalReason || v.finalCode === null) continue
      out.push(await this.replayOne(v, rule, replayed, reanalyse))
    }
    const count = (f: Flip) => out.filter((r) => r.flip === f).length
    const notReplayable = out.filter((r) => r.notReplayable).length
    return {
      ruleId: rule.ruleId,
      appId: rule.appId,
      current,
      replayed,
      changed,
      reanalysed: reanalyse,
      from,
      to,
      counts: {
        verifications: out.length,
        replayed: out.length - notReplayable,
        notReplayable,
        passToFail: count('pass-to-fail'),
        failToPass: count('fail-to-pass'),
        codeChanged: count('code-changed'),
        unchanged: out.filter((r) => !r.notReplayable && !r.flip).length,
      },
      verifications: out,
    }
  }

  private async replayOne(
    v: Verification,
    rule: Rule,
    s: ReplaySettings,
    reanalyse: boolean,
  ): Promise<ReplayedVerification> {
    const attempts = (await this.store.attempts.listFor(v.id))
      .filter((a) => a.state === 'finished' && a.reason)
      .sort((a, b) => a.seq - b.seq)
    const judged: ReplayedAttempt[] = []
    for (const a of attempts) {
      const last = a.seq === attempts[attempts.length - 1]!.seq
      judged.push(await this.replayAttempt(v, a, last, rule, s, reanalyse))
    }
    const old: Judgement = {
      reason: v.finalReason!,
      code: v.finalCode!,
      billable: v.finalBillable ?? false,
      similarity: v.similarity,
    }
    const base = {
      id: v.id,
      token: v.token,
      orderNo: v.orderNo,
      family: v.family,
      createdAt: v.createdAt,
      old,
      attempts: judged,
    }
    // the verification's verdict: its first passing attempt, else its last one, within the attempts allowed
    const allowed = judged.slice(0, s.maxAttempts)
    const gone = allowed.find((a) => !a.new)
    if (gone || !allowed.length)
      return { ...base, new: null, flip: null, notReplayable: gone?.note ?? 'no finished attempt' }
    const decisive = allowed.find((a) => a.new!.reason === 'PASS') ?? allowed[allowed.length - 1]!
    const now = decisive.new!
    const oldPass = old.reason === 'PASS'
    const newPass = now.reason === 'PASS'
    const flip: Flip | null =
      oldPass && !newPass
        ? 'pass-to-fail'
        : !oldPass && newPass
          ? 'fail-to-pass'
          : now.code !== old.code
            ? 'code-changed'
            : null
    return { ...base, new: now, flip, notReplayable: null }
  }

  private async replayAttempt(
    v: Verification,
    a: Attempt,
    last: boolean,
    rule: Rule,
    s: ReplaySettings,
    reanalyse: boolean,
  ): Promise<ReplayedAttempt> {
    const old: Judgement = { reason: a.reason!, code: a.code!, billable: a.billable ?? false, similarity: a.similarity }
    const judgement = (reason: Reason, similarity: number | null): Judgement => {
      const { code, billable } = toCode(v.family, reason)
      return { reason, code, billable, similarity }
    }
    const base = { seq: a.seq, old }
    // the analyser judged it (its timing is recorded with every analysis); anything else was decided
    // before or without analysis (a replayed upload, risk control, an identity check, a system
    // failure), or, for a tampered upload, on the capture page's recording window: no rule setting
    // changes those
    if (typeof a.signals?.ms !== 'number' || a.reason === 'VIDEO_TAMPERED')
      return { ...base, new: old, from: 'kept', note: 'decided without the analysis: no setting changes it' }
    const duplicates = duplicatesIn(a.signals)
    if (!reanalyse) {
      const reason = judgeAttempt(evidenceOf(a.reason!, a.similarity, duplicates), s)
      return { ...base, new: judgement(reason, a.similarity), from: 'signals', note: null }
    }
    if (!a.mediaBlob || !a.mediaKind)
      return { ...base, new: null, from: 'none', note: 'media purged (retention): not replayable' }
    const challenge = challengeFor(v, a, last, s)
    if (typeof challenge === 'string') return { ...base, new: null, from: 'none', note: challenge }
    const r = await this.analysis.judge(
      v,
      a,
      { liveness: s.liveness, compareSource: rule.compareSource, threshold: s.threshold },
      challenge,
    )
    if (!r.result) {
      if (MEDIA_GONE.has(r.reason))
        return { ...base, new: null, from: 'none', note: `media no longer readable (${r.reason}): not replayable` }
      if (r.reason === 'VISION_ENGINE_UNAVAILABLE')
        throw new ReasonError(
          'VISION_ENGINE_UNAVAILABLE',
          'this change needs the analysis engine, which is not loaded here',
        )
      return { ...base, new: judgement(r.reason, null), from: 'media', note: null }
    }
    // the registry search is not run again: its finding for this person's face is taken as recorded
    const reason = judgeAttempt(evidenceOf(r.result.reason, r.result.similarity, duplicates), s)
    return { ...base, new: judgement(reason, r.result.similarity), from: 'media', note: null }
  }
}

/** The challenge an attempt would have been judged against under the replayed liveness, or why it cannot be. */
function challengeFor(v: Verification, a: Attempt, last: boolean, s: ReplaySettings): Challenge | string {
  if (s.liveness === 'silent') return { mode: 'silent' }
  if (s.liveness === 'action') {
    // the actions this attempt was asked for: recorded by the action judge, else the verification's
    // challenge (which is the last attempt's)
    const recorded = typeof a.signals?.actionsAsked === 'string' ? a.signals.actionsAsked.split(',') : null
    const asked = (recorded ?? (last && v.challenge?.mode === 'action' ? v.challenge.actions : null)) as Action[] | null
    if (!asked?.length)
      return 'the person was not asked for actions in this attempt: not replayable under action liveness'
    if (asked.length < s.actionCount)
      return `the person was asked for ${asked.length} action(s), not ${s.actionCount}: not replayable`
    // fewer actions: the first ones of those asked
    return { mode: 'action', actions: asked.slice(0, s.actionCount) }
  }
  if (s.liveness === 'digital') {
    if (last && v.challenge?.mode === 'digital') return v.challenge
    return 'the person was not asked to read digits in this attempt: not replayable under digital liveness'
  }
  return `${String(s.liveness)} liveness cannot be replayed on stored media`
}

function settingsOf(r: Rule): ReplaySettings {
  return {
    threshold: r.threshold,
    duplicateAction: r.duplicateAction,
    maxAttempts: r.maxAttempts,
    liveness: r.liveness,
    actionCount: r.actionCount,
  }
}

/**
 * The liveness modes a replay may switch to: not `light`, whose verdict needs the issued colours reflected
 * in the recording — a recording made under another mode holds none, so the replay could only fail it.
 */
const REPLAYABLE_LIVENESS = SUPPORTED_LIVENESS.filter((m) => m !== 'light')

/**
 * The `set` of a replay request (API body or the CLI's `--set key=value`): each key checked against
 * the bounds a rule has (threshold 0–100, maxAttempts 1–20, actionCount 1–4); other rule settings are
 * refused with the reason they cannot be replayed, unknown keys as unknown.
 */
export function parseReplaySettings(raw: Record<string, unknown>): Partial<ReplaySettings> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ReasonError('INVALID_PARAMETER', 'set must be an object of rule settings')
  const out: Partial<ReplaySettings> = {}
  const num = (k: string, v: unknown, min: number, max: number, integer: boolean): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      throw new ReasonError('INVALID_PARAMETER', `${k} must be ${integer ? 'an integer' : 'a number'} ${min}-${max}`)
    return n
  }
  const oneOf = <T extends string>(k: string, v: unknown, xs: readonly T[]): T => {
    if (typeof v !== 'string' || !xs.includes(v as T))
      throw new ReasonError('INVALID_PARAMETER', `${k} must be one of ${xs.join(', ')}`)
    return v as T
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'threshold') out.threshold = num(k, v, 0, 100, false)
    else if (k === 'maxAttempts') out.maxAttempts = num(k, v, 1, 20, true)
    else if (k === 'actionCount') out.actionCount = num(k, v, 1, 4, true)
    else if (k === 'duplicateAction') out.duplicateAction = oneOf(k, v, DUPLICATE_ACTIONS)
    else if (k === 'liveness') out.liveness = oneOf(k, v, REPLAYABLE_LIVENESS)
    else if (k in NOT_REPLAYABLE_KEYS)
      throw new ReasonError('INVALID_PARAMETER', `${k} cannot be replayed: ${NOT_REPLAYABLE_KEYS[k]}`)
    else
      throw new ReasonError('INVALID_PARAMETER', `unknown rule setting "${k}"; replayable: ${REPLAY_KEYS.join(', ')}`)
  }
  return out
}

/** A from/to bound as an ISO time; a bare day is its start (from) or the start of the next day (to). */
function bound(x: string, which: 'from' | 'to'): string {
  if (DAY.test(x)) {
    const d = new Date(`${x}T00:00:00.000Z`)
    if (Number.isNaN(d.getTime())) throw new ReasonError('INVALID_PARAMETER', `${which} is not a date`)
    if (which === 'to') d.setUTCDate(d.getUTCDate() + 1)
    return d.toISOString()
  }
  const t = Date.parse(x)
  if (Number.isNaN(t)) throw new ReasonError('INVALID_PARAMETER', `${which} must be an ISO time or a day YYYY-MM-DD`)
  return new Date(t).toISOString()
}
