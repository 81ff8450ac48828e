// The rule's part of an attempt's verdict (threshold, duplicate policy), one pure function shared by
// the live path and the what-if replay.
export {
  judgeAttempt,
  judgeSimilarity,
  evidenceOf,
  duplicatesIn,
  type AttemptEvidence,
  type VerdictSettings,
} from './judge.js'
