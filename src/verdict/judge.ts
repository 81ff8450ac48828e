import type { Reason } from '../codes/index.js'

/**
 * The rule's part of an attempt's verdict, in one pure place: the live path (the analyser in its
 * worker, then the attempt analysis after the registry search) and the what-if replay (src/replay)
 * both decide here, so a replay can never judge differently from the live path.
 *
 * What the analyser measures (faces, quality, liveness, the reference face) does not depend on the
 * threshold or the duplicate policy; those two settings are applied on top of its findings.
 */
export interface AttemptEvidence {
  /** the analyser's verdict on all but the rule's threshold: 'PASS' when everything it checked passed */
  checks: Reason
  /** calibrated 0–100, null when no comparison ran (compare source 'none', or a check failed first) */
  similarity: number | null
  /** persons of other ID numbers whose registry face matched the passed face (signals.duplicateOf) */
  duplicates: number
}

export interface VerdictSettings {
  /** pass threshold on the calibrated 0–100 similarity scale */
  threshold: number
  /** a passed face enrolled under another ID number: 'flag' keeps the pass, 'fail' fails it */
  duplicateAction: 'flag' | 'fail'
}

/** The comparison step: a similarity at or above the rule's threshold passes. */
export function judgeSimilarity(similarity: number, threshold: number): 'PASS' | 'SIMILARITY_BELOW_THRESHOLD' {
  return similarity >= threshold ? 'PASS' : 'SIMILARITY_BELOW_THRESHOLD'
}

/** An attempt's reason from the analyser's findings and the rule's threshold and duplicate policy. */
export function judgeAttempt(e: AttemptEvidence, s: VerdictSettings): Reason {
  if (e.checks !== 'PASS') return e.checks
  if (e.similarity !== null && judgeSimilarity(e.similarity, s.threshold) !== 'PASS')
    return 'SIMILARITY_BELOW_THRESHOLD'
  if (e.duplicates > 0 && s.duplicateAction === 'fail') return 'DUPLICATE_IDENTITY'
  return 'PASS'
}

/**
 * The findings behind a verdict the live path reached: the reasons the threshold or the duplicate
 * policy decide (PASS, SIMILARITY_BELOW_THRESHOLD, DUPLICATE_IDENTITY) mean every check passed; any
 * other reason is the check that failed, which no threshold changes.
 */
export function evidenceOf(reason: Reason, similarity: number | null, duplicates: number): AttemptEvidence {
  const thresholdDecided =
    reason === 'PASS' || reason === 'SIMILARITY_BELOW_THRESHOLD' || reason === 'DUPLICATE_IDENTITY'
  return { checks: thresholdDecided ? 'PASS' : reason, similarity, duplicates }
}

/** How many duplicates an attempt's stored signals name (the registry search's finding). */
export function duplicatesIn(signals: Record<string, unknown> | null): number {
  const d = signals?.duplicateOf
  return Array.isArray(d) ? d.length : 0
}
